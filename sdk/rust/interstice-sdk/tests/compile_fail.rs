// What the C++ SDK refuses at compile time, the Rust SDK refuses too, with
// a message that says what to do (tests/ui/*.rs, their expected errors in
// *.stderr; TRYBUILD=overwrite writes them afresh).
#[test]
fn refused_at_compile_time() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
