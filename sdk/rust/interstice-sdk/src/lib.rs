//! The Interstice SDK for Rust (docs/sdk-rust.md): write modules with
//! `interstice_module!`, `#[table]`, `#[interstice_type]`, `#[reducer]`,
//! `#[query]` and `#[callback]`, and build them for wasm32. It speaks the
//! same ABI as the C++ SDK (docs/abi.md).

// Implements a trait for tuples of up to eight elements: `$m!((), (A), …)`.
macro_rules! for_tuples {
    ($m:ident) => {
        $m!(
            (),
            (A),
            (A, B),
            (A, B, C),
            (A, B, C, D),
            (A, B, C, D, E),
            (A, B, C, D, E, F),
            (A, B, C, D, E, F, G),
            (A, B, C, D, E, F, G, H)
        );
    };
}

// The macros' generated code names `::interstice_sdk`, this crate included.
extern crate self as interstice_sdk;

mod authorities;
pub mod codec;
mod context;
mod host;
pub mod registry;
pub mod schema;
mod status;
mod table;
pub mod types;

pub use authorities::{
    input, usage, Audio, Files, Gpu, GpuAttribute, GpuBindGroupEntry, GpuLayoutEntry, GpuPipelineDesc,
    InputEvent, ShaderStage,
};
pub use codec::{Bytes, Decode, DecodeError, Encode};
pub use context::{Current, LogLevel, ReducerContext};
pub use interstice_macros::{callback, interstice_type, migrate, query, reducer, table};
pub use schema::{Authority, Persistence, Visibility};
pub use status::Status;
pub use table::{RowIter, Table, TableRow};
pub use types::Describe;

/// When a row of a scheduled table fires (docs/sdk.md, "Schedules"): at
/// `at_us` (microseconds since the epoch), once (`every_us` 0: the row goes
/// when it fires) or every `every_us`.
#[interstice_type]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScheduleAt {
    pub at_us: i64,
    pub every_us: i64,
}

impl ScheduleAt {
    pub fn once(at_us: i64) -> Self {
        ScheduleAt { at_us, every_us: 0 }
    }
    pub fn every(first_us: i64, period_us: i64) -> Self {
        ScheduleAt {
            at_us: first_us,
            every_us: period_us,
        }
    }
}

/// What the macros' generated code uses; not for modules.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::{from_bytes, Reader};
    pub use crate::context::{finish, return_value};
    pub use crate::registry::{
        describe, refuse, register_migration, register_module, register_reducer, register_table, Param,
        TableSpec,
    };
    pub use crate::schema::ReducerKind;
    pub use crate::types::{kind, Field, Type, TypeDef, TypeRegistry, ENUM, STRUCT};
}

/// Names the module (its name and version are the crate's, from Cargo.toml)
/// and declares what it needs; once per module:
///
/// ```ignore
/// interstice_module!(visibility: Public, authorities: [Input, Gpu],
///                    dependencies: [("hello", "^0.1.0")], nodes: [("MyNode", "127.0.0.1:8080")]);
/// ```
/// Every part is optional; the visibility is Private unless given, and
/// `name: "hello"` names the module otherwise than its crate.
#[macro_export]
macro_rules! interstice_module {
    ($($key:ident : $value:tt),* $(,)?) => {
        const _: () = {
            extern "C" fn __interstice_register_module() {
                let mut visibility = $crate::Visibility::Private;
                let mut authorities: ::std::vec::Vec<$crate::Authority> = ::std::vec::Vec::new();
                let mut dependencies: ::std::vec::Vec<(&str, &str)> = ::std::vec::Vec::new();
                let mut nodes: ::std::vec::Vec<(&str, &str)> = ::std::vec::Vec::new();
                let mut name: &str = env!("CARGO_PKG_NAME");
                $( $crate::interstice_module!(@part visibility authorities dependencies nodes name $key $value); )*
                $crate::__private::register_module(
                    name, env!("CARGO_PKG_VERSION"), visibility, &authorities, &dependencies, &nodes);
            }
            #[used]
            #[link_section = ".init_array"]
            static __INTERSTICE_MODULE: extern "C" fn() = __interstice_register_module;
        };
    };
    (@part $v:ident $a:ident $d:ident $n:ident $m:ident name $value:literal) => {
        $m = $value;
    };
    (@part $v:ident $a:ident $d:ident $n:ident $m:ident visibility $value:ident) => {
        $v = $crate::Visibility::$value;
    };
    (@part $v:ident $a:ident $d:ident $n:ident $m:ident authorities [$($auth:ident),* $(,)?]) => {
        $( $a.push($crate::Authority::$auth); )*
    };
    (@part $v:ident $a:ident $d:ident $n:ident $m:ident dependencies [$(($module:expr, $req:expr)),* $(,)?]) => {
        $( $d.push(($module, $req)); )*
    };
    (@part $v:ident $a:ident $d:ident $n:ident $m:ident nodes [$(($alias:expr, $address:expr)),* $(,)?]) => {
        $( $n.push(($alias, $address)); )*
    };
}
