//! The module schema (docs/abi.md, "Module schema"), as the node decodes it:
//! the same fields in the same order as `src/abi/schema.h`.

use crate::codec::Encode;
use crate::types::{Field, Type, TypeDef};

/// The ABI version this SDK speaks (abi::kAbiVersion).
pub const ABI_VERSION: u32 = 3;

/// Whether other nodes may call a module or read a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public = 0,
    Private = 1,
}

/// What survives a restart: logged (every change), stateful (snapshots
/// only), ephemeral (nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    Logged = 0,
    Stateful = 1,
    Ephemeral = 2,
}

/// Privileged host access, one module at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    Gpu = 0,
    Input = 1,
    Audio = 2,
    File = 3,
}

/// Who may call a reducer (abi::ReducerKind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReducerKind {
    Callable = 0,
    Internal = 1,
    Callback = 2,
    Query = 3,
}

#[derive(Clone, Debug, Default)]
pub struct SemVer {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl SemVer {
    /// "1.2.3" (a pre-release or build suffix is cut off).
    pub fn parse(text: &str) -> SemVer {
        let core = text.split(|c| c == '-' || c == '+').next().unwrap_or("");
        let mut parts = core.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        SemVer {
            major: parts.next().unwrap_or(0),
            minor: parts.next().unwrap_or(0),
            patch: parts.next().unwrap_or(0),
        }
    }
}

#[derive(Clone, Debug)]
pub struct IndexDef {
    pub name: String,
    pub column: u32,
    pub unique: bool,
}

#[derive(Clone, Debug)]
pub struct ColumnDefault {
    pub column: u32,
    pub value: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct ScheduleDef {
    pub column: u32,
    pub reducer: String,
}

#[derive(Clone, Debug)]
pub struct TableDef {
    pub name: String,
    pub row_type: String,
    pub primary_key: u32,
    pub auto_inc: Vec<u32>,
    pub indexes: Vec<IndexDef>,
    pub visibility: Visibility,
    pub persistence: Persistence,
    pub defaults: Vec<ColumnDefault>,
    pub schedule: Vec<ScheduleDef>,
    pub view: String,
}

#[derive(Clone, Debug)]
pub struct ReducerDef {
    pub name: String,
    pub params: Vec<Field>,
    pub kind: ReducerKind,
    pub result: Vec<Type>,
}

#[derive(Clone, Debug)]
pub struct SubscriptionDef {
    pub event: String,
    pub reducer: String,
}

#[derive(Clone, Debug)]
pub struct DependencyDef {
    pub module: String,
    pub requirement: String,
    pub node: String,
}

#[derive(Clone, Debug)]
pub struct NodeDef {
    pub alias: String,
    pub address: String,
}

#[derive(Clone, Debug)]
pub struct MigrationDef {
    pub table: String,
    pub from: String,
    pub reducer: String,
}

#[derive(Clone, Debug)]
pub struct ModuleSchema {
    pub abi_version: u32,
    pub name: String,
    pub version: SemVer,
    pub visibility: Visibility,
    pub types: Vec<TypeDef>,
    pub tables: Vec<TableDef>,
    pub reducers: Vec<ReducerDef>,
    pub subscriptions: Vec<SubscriptionDef>,
    pub authorities: Vec<Authority>,
    pub dependencies: Vec<DependencyDef>,
    pub nodes: Vec<NodeDef>,
    pub migrations: Vec<MigrationDef>,
}

impl Default for ModuleSchema {
    fn default() -> Self {
        ModuleSchema {
            abi_version: ABI_VERSION,
            name: String::new(),
            version: SemVer::default(),
            visibility: Visibility::Private,
            types: Vec::new(),
            tables: Vec::new(),
            reducers: Vec::new(),
            subscriptions: Vec::new(),
            authorities: Vec::new(),
            dependencies: Vec::new(),
            nodes: Vec::new(),
            migrations: Vec::new(),
        }
    }
}

macro_rules! encode_fields {
    ($t:ty { $($f:ident),* }) => {
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                $(self.$f.encode(out);)*
            }
        }
    };
}

macro_rules! encode_enum {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                (*self as u32).encode(out);
            }
        }
    )*};
}
encode_enum!(Visibility, Persistence, Authority, ReducerKind);

encode_fields!(SemVer { major, minor, patch });
encode_fields!(IndexDef { name, column, unique });
encode_fields!(ColumnDefault { column, value });
encode_fields!(ScheduleDef { column, reducer });
encode_fields!(TableDef {
    name,
    row_type,
    primary_key,
    auto_inc,
    indexes,
    visibility,
    persistence,
    defaults,
    schedule,
    view
});
encode_fields!(ReducerDef {
    name,
    params,
    kind,
    result
});
encode_fields!(SubscriptionDef { event, reducer });
encode_fields!(DependencyDef {
    module,
    requirement,
    node
});
encode_fields!(NodeDef { alias, address });
encode_fields!(MigrationDef { table, from, reducer });
encode_fields!(ModuleSchema {
    abi_version,
    name,
    version,
    visibility,
    types,
    tables,
    reducers,
    subscriptions,
    authorities,
    dependencies,
    nodes,
    migrations
});
