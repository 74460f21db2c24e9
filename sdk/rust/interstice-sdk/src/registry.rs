//! What the module declares, gathered before the node reads the schema: each
//! macro registers its table, reducer or module description from a static
//! constructor (an `.init_array` entry, run by `_initialize`), and the
//! exports below serve the node (docs/abi.md, "Host calls").

use std::sync::Mutex;

use crate::codec::{to_bytes, Encode};
use crate::schema::{
    Authority, ColumnDefault, DependencyDef, IndexDef, MigrationDef, ModuleSchema, NodeDef, Persistence,
    ReducerDef, ReducerKind, ScheduleDef, SemVer, SubscriptionDef, TableDef, Visibility,
};
use crate::types::{Describe, Field, Type, TypeRegistry};

/// Runs a reducer on its encoded arguments: 0 ok, 1 failed, 2 undecodable.
pub type Invoker = fn(&[u8]) -> i32;

pub struct Registry {
    pub schema: ModuleSchema,
    pub types: TypeRegistry,
    pub invokers: Vec<Invoker>,
    encoded: Vec<u8>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// Runs `f` on the registry (created on first use).
pub fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let registry = guard.get_or_insert_with(|| Registry {
        schema: ModuleSchema::default(),
        types: TypeRegistry::default(),
        invokers: Vec::new(),
        encoded: Vec::new(),
    });
    f(registry)
}

/// A refusal the node reports at load (what the macros cannot check).
pub fn refuse(message: &str) {
    with_registry(|r| r.schema.name = format!("invalid module: {message}"));
}

/// interstice_module!: the module's name, version and what it declares.
pub fn register_module(
    name: &str,
    version: &str,
    visibility: Visibility,
    authorities: &[Authority],
    dependencies: &[(&str, &str)],
    nodes: &[(&str, &str)],
) {
    with_registry(|r| {
        if r.schema.name.starts_with("invalid module: ") {
            return;
        }
        r.schema.name = name.replace('-', "_");
        r.schema.version = SemVer::parse(version);
        r.schema.visibility = visibility;
        r.schema.authorities.extend_from_slice(authorities);
        for (module, requirement) in dependencies {
            r.schema.dependencies.push(DependencyDef {
                module: module.to_string(),
                requirement: requirement.to_string(),
                node: String::new(),
            });
        }
        for (alias, address) in nodes {
            r.schema.nodes.push(NodeDef {
                alias: alias.to_string(),
                address: address.to_string(),
            });
        }
    })
}

/// What #[table] declares of a table.
pub struct TableSpec {
    pub name: &'static str,
    pub primary_key: u32,
    pub auto_inc: Option<u32>,
    pub indexes: &'static [(&'static str, u32, bool)],
    pub public: bool,
    pub persistence: Persistence,
    /// Columns a new version adds, with the value existing rows take.
    pub defaults: Vec<(u32, Vec<u8>)>,
    /// A scheduled table: its ScheduleAt column and the reducer it fires.
    pub schedule: Option<(u32, &'static str)>,
    /// A view: a SQL condition with :reader (docs/sdk.md, "Views"), or "".
    pub view: &'static str,
}

/// #[table]: registers the table of rows `R`; its id (index in the schema).
pub fn register_table<R: Describe>(spec: TableSpec) -> i32 {
    with_registry(|r| {
        let row = R::describe(&mut r.types);
        let id = r.schema.tables.len() as i32;
        r.schema.tables.push(TableDef {
            name: spec.name.to_string(),
            row_type: row.name,
            primary_key: spec.primary_key,
            auto_inc: spec.auto_inc.into_iter().collect(),
            indexes: spec
                .indexes
                .iter()
                .map(|(name, column, unique)| IndexDef {
                    name: name.to_string(),
                    column: *column,
                    unique: *unique,
                })
                .collect(),
            visibility: if spec.public {
                Visibility::Public
            } else {
                Visibility::Private
            },
            persistence: spec.persistence,
            defaults: spec
                .defaults
                .into_iter()
                .map(|(column, value)| ColumnDefault { column, value })
                .collect(),
            schedule: spec
                .schedule
                .into_iter()
                .map(|(column, reducer)| ScheduleDef {
                    column,
                    reducer: reducer.to_string(),
                })
                .collect(),
            view: spec.view.to_string(),
        });
        id
    })
}

/// #[migrate]: `reducer` migrates the old version's `table` when the version
/// replaced matches `from`.
pub fn register_migration(table: &str, reducer: &str, from: &str) {
    with_registry(|r| {
        r.schema.migrations.push(MigrationDef {
            table: table.to_string(),
            from: from.to_string(),
            reducer: reducer.to_string(),
        })
    })
}

/// A parameter: its name and how to describe its type.
pub type Param = (&'static str, fn(&mut TypeRegistry) -> Type);

/// Describes `T` (for the parameter lists the macros build).
pub fn describe<T: Describe>(registry: &mut TypeRegistry) -> Type {
    T::describe(registry)
}

/// #[reducer], #[query], #[callback]: registers `name` with its parameters
/// and kind (a query's result type too), and the subscription `on` if any.
pub fn register_reducer(
    name: &str,
    params: &[Param],
    kind: ReducerKind,
    result: Option<fn(&mut TypeRegistry) -> Type>,
    on: Option<&str>,
    invoker: Invoker,
) {
    with_registry(|r| {
        let params = params
            .iter()
            .map(|(param, describe)| Field {
                name: param.to_string(),
                ty: describe(&mut r.types),
            })
            .collect();
        let result = result
            .map(|describe| describe(&mut r.types))
            .into_iter()
            .collect();
        r.schema.reducers.push(ReducerDef {
            name: name.to_string(),
            params,
            kind,
            result,
        });
        r.invokers.push(invoker);
        if let Some(event) = on {
            r.schema.subscriptions.push(SubscriptionDef {
                event: event.to_string(),
                reducer: name.to_string(),
            });
        }
    })
}

#[cfg(target_arch = "wasm32")]
extern "C" {
    // The static constructors of every crate (wasm-ld gathers .init_array).
    fn __wasm_call_ctors();
}

/// Runs the registrations once, after instantiation (a WASI-reactor-style
/// export the node calls if present), and reports panics to the node.
#[no_mangle]
pub extern "C" fn _initialize() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        unsafe { crate::host::fail(message.as_ptr(), message.len() as i32) };
    }));
    #[cfg(target_arch = "wasm32")]
    unsafe {
        __wasm_call_ctors()
    };
}

/// `[u32 length][encoded ModuleSchema]`.
#[no_mangle]
pub extern "C" fn __interstice_schema() -> *const u8 {
    with_registry(|r| {
        if r.encoded.is_empty() {
            r.schema.types = r.types.defs.clone();
            let body = to_bytes(&r.schema);
            let mut out = Vec::with_capacity(body.len() + 4);
            (body.len() as u32).encode(&mut out);
            out.extend_from_slice(&body);
            r.encoded = out;
        }
        r.encoded.as_ptr()
    })
}

/// A buffer for a call's arguments; __interstice_reducer frees it.
#[no_mangle]
pub extern "C" fn __interstice_alloc(size: i32) -> *mut u8 {
    let layout = std::alloc::Layout::from_size_align(size.max(1) as usize, 1).unwrap();
    unsafe { std::alloc::alloc(layout) }
}

#[no_mangle]
pub extern "C" fn __interstice_reducer(id: i32, args: *mut u8, length: i32) -> i32 {
    let invoker = with_registry(|r| r.invokers.get(id as usize).copied());
    let bytes = unsafe { std::slice::from_raw_parts(args, length.max(0) as usize) }.to_vec();
    let layout = std::alloc::Layout::from_size_align(length.max(1) as usize, 1).unwrap();
    unsafe { std::alloc::dealloc(args, layout) };
    match invoker {
        Some(invoke) => invoke(&bytes),
        None => 2,
    }
}
