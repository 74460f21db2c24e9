// Modules written in Rust (modules/rust, the Rust SDK) on real nodes: the
// Rust hello behaves exactly like the C++ one (same schema, same rows, same
// log lines), and the two languages talk to each other across nodes: the
// C++ caller calls and subscribes to the Rust hello, the Rust caller to the
// C++ hello.
#include <gtest/gtest.h>

#include <httplib.h>

#include <fstream>
#include <iterator>
#include <string>

#include "support/command_runner.h"
#include "support/node_process.h"

namespace {

using interstice::testing::NodeProcess;
using interstice::testing::run_command;

std::string cli() {
  return std::string(INTERSTICE_CLI);
}

std::string wasm(const std::string& module) {
  return std::string(INTERSTICE_MODULE_DIR) + "/" + module + ".wasm";
}

// Greets each name through HTTP; the table as JSON afterwards.
std::string greet(NodeProcess& node, std::initializer_list<const char*> names) {
  httplib::Client http("127.0.0.1", node.port());
  for (const char* name : names) {
    auto r = http.Post("/call/hello/hello", std::string("[\"") + name + "\"]", "application/json");
    if (!r || r->status != 200) return "call failed: " + (r ? r->body : std::string("no answer"));
  }
  auto rows = http.Get("/tables/hello/greetings");
  return rows ? rows->body : "no rows";
}

TEST(RustModules, TheRustHelloBehavesLikeTheCppOne) {
  // The same schema: the bindings generated from each are identical.
  for (const char* lang : {"cpp", "ts"}) {
    auto rust = run_command("(" + cli() + " generate --lang " + lang + " " + wasm("rust_hello") +
                            " 2>/dev/null)");
    auto cpp = run_command("(" + cli() + " generate --lang " + lang + " " + wasm("hello") +
                           " 2>/dev/null)");
    ASSERT_EQ(rust.exit_code, 0) << rust.output;
    EXPECT_EQ(rust.output, cpp.output) << lang;
  }
  NodeProcess rust({"rust_hello"});
  NodeProcess cpp({"hello"});
  ASSERT_NE(rust.port(), 0) << rust.output();
  ASSERT_NE(cpp.port(), 0) << cpp.output();
  std::string rows = greet(rust, {"Alice", "Bob", "Émile"});
  EXPECT_EQ(rows, greet(cpp, {"Alice", "Bob", "Émile"}));
  EXPECT_EQ(rows, R"([{"id":1,"greeting":"Hello, Alice!","custom":{"val":0}},)"
                  R"({"id":2,"greeting":"Hello, Bob!","custom":{"val":0}},)"
                  R"({"id":3,"greeting":"Hello, Émile!","custom":{"val":0}}])");
  for (NodeProcess* node : {&rust, &cpp}) {
    EXPECT_TRUE(node->wait_for_output("[hello::init] Hello world !")) << node->output();
    EXPECT_TRUE(node->wait_for_output(
        "[hello::on_greeting_insert] Inserted greeting: {id: 3, greeting: \"Hello, Émile!\", "
        "custom: {val: 0}}"))
        << node->output();
  }
  // Refusals, many in a row, leave it serving: bad arguments, a handler.
  httplib::Client http("127.0.0.1", rust.port());
  for (int i = 0; i < 20; ++i) {
    auto bad = http.Post("/call/hello/hello", "[7]", "application/json");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    auto handler = http.Post("/call/hello/init", "[]", "application/json");
    ASSERT_TRUE(handler);
    EXPECT_EQ(handler->status, 403);
  }
  EXPECT_NE(greet(rust, {"Zoe"}).find("Hello, Zoe!"), std::string::npos);
  // After a restart the rows are there and init does not run again.
  rust.restart();
  ASSERT_NE(rust.port(), 0) << rust.output();
  EXPECT_NE(greet(rust, {}).find("Hello, Zoe!"), std::string::npos);
  rust.stop();
  auto verified = run_command(cli() + " replay " + rust.data_dir().string() + " --verify");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
}

std::vector<std::string> caller_args(NodeProcess& hello_node) {
  return {"--peer-address", "MyNode=127.0.0.1:" + std::to_string(hello_node.peer_port())};
}

// One language's caller against the other's hello: the call's outcome comes
// back, and the greetings arrive through the remote subscription.
void caller_talks_to_hello(const std::string& caller, const std::string& hello) {
  NodeProcess hello_node({hello}, {"--peer-port", "0"});
  ASSERT_NE(hello_node.peer_port(), 0) << hello_node.output();
  NodeProcess caller_node({caller}, caller_args(hello_node));
  ASSERT_NE(caller_node.port(), 0) << caller_node.output();
  EXPECT_TRUE(caller_node.wait_for_output("called hello on MyNode")) << caller_node.output();
  EXPECT_TRUE(caller_node.wait_for_output("hello on MyNode answered: ok (caller "))
      << caller_node.output();
  EXPECT_TRUE(caller_node.wait_for_output("MyNode greeted: #1 \"Hello, Client !!\""))
      << caller_node.output();
  greet(hello_node, {"Ann"});
  EXPECT_TRUE(caller_node.wait_for_output("MyNode greeted: #2 \"Hello, Ann!\""))
      << caller_node.output();
  EXPECT_TRUE(hello_node.wait_for_output("Inserted greeting: {id: 2, greeting: \"Hello, Ann!\""))
      << hello_node.output();
}

// Bindings in Rust: bindings_user is built against hello_bindings.rs, which
// must be exactly what the generator makes of hello.wasm; it calls hello
// through them and subscribes with the generated row type.
TEST(RustModules, GeneratedBindingsCompileAndWork) {
  std::ifstream committed(std::string(INTERSTICE_SOURCE_DIR) +
                          "/modules/rust/bindings_user/src/hello_bindings.rs");
  std::string expected((std::istreambuf_iterator<char>(committed)),
                       std::istreambuf_iterator<char>());
  auto generated =
      run_command("(" + cli() + " generate --lang rust " + wasm("hello") + " 2>/dev/null)");
  ASSERT_EQ(generated.exit_code, 0);
  EXPECT_EQ(generated.output, expected)
      << "generate them again: interstice generate --lang rust build/modules/hello.wasm -o "
         "modules/rust/bindings_user/src/hello_bindings.rs";
  auto from_bindings =
      run_command("(" + cli() + " bindings --lang rust " + wasm("hello") + " 2>/dev/null)");
  EXPECT_EQ(from_bindings.output, expected);

  NodeProcess node({"hello", "rust_bindings_user"});
  ASSERT_NE(node.port(), 0) << node.output();
  EXPECT_TRUE(node.wait_for_output("[bindings_user::init] called hello")) << node.output();
  EXPECT_TRUE(node.wait_for_output("[bindings_user::on_greeting] greeting #1: Hello, bindings!"))
      << node.output();
}

TEST(RustModules, TheCppCallerTalksToTheRustHello) {
  caller_talks_to_hello("caller", "rust_hello");
}

TEST(RustModules, TheRustCallerTalksToTheCppHello) {
  caller_talks_to_hello("rust_caller", "hello");
}

}  // namespace
