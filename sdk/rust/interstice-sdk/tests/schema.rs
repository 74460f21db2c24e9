// What the macros register, read back from the registry (on the host, the
// constructors run before the tests as they run at instantiation in wasm):
// tables with their keys and indexes, types after the types they use,
// reducers of each kind with their parameters, subscriptions.
use interstice_sdk::registry::with_registry;
use interstice_sdk::schema::{Persistence, ReducerKind, Visibility};
use interstice_sdk::types::kind;
use interstice_sdk::*;

interstice_module!(visibility: Public, authorities: [File], dependencies: [("hello", "^0.1.0")],
                   nodes: [("MyNode", "127.0.0.1:8080")]);

#[interstice_type]
pub struct Custom {
    pub val: u32,
}

#[interstice_type]
pub enum Shape {
    Empty,
    Circle(f64),
}

#[table(public, stateful)]
pub struct Greetings {
    #[primary_key(auto_inc)]
    pub id: u64,
    #[index(btree)]
    pub greeting: String,
    #[unique]
    pub code: u32,
    pub custom: Custom,
    pub shape: Option<Shape>,
}

#[table(public, scheduled = "on_tick", view = "owner = :reader")]
pub struct Ticks {
    #[primary_key(auto_inc)]
    pub id: u64,
    pub at: ScheduleAt,
    pub owner: String,
    #[default(7)]
    pub level: u32,
    #[default(String::from("new"))]
    pub note: String,
}

#[reducer]
pub fn on_tick(_ctx: ReducerContext, tick: Ticks) {
    let _ = tick;
}

#[interstice_type]
pub struct OldTick {
    pub id: u64,
    pub at: ScheduleAt,
}

#[migrate(table = "ticks", from = "<0.1.0")]
pub fn migrate_ticks(_ctx: ReducerContext, old: OldTick) {
    let _ = old;
}

#[reducer]
pub fn hello(_ctx: ReducerContext, name: String, times: u32) {
    let _ = (name, times);
}

#[reducer(on = "schema.greetings.insert")]
pub fn on_insert(_ctx: &ReducerContext, row: Greetings) {
    let _ = row;
}

#[reducer(internal)]
pub fn step(_ctx: ReducerContext) -> Result<(), String> {
    Ok(())
}

#[query]
pub fn count_of(_ctx: ReducerContext, label: String) -> Vec<u64> {
    vec![label.len() as u64]
}

#[callback]
pub fn answered(_ctx: ReducerContext, _call_id: u64, _ok: bool, _error: String, _value: Option<Vec<u64>>) {}

#[test]
fn the_macros_register_the_schema() {
    with_registry(|r| {
        let s = &r.schema;
        assert_eq!(s.name, "interstice_sdk");
        assert_eq!((s.version.major, s.version.minor, s.version.patch), (0, 1, 0));
        assert_eq!(s.visibility, Visibility::Public);
        assert_eq!(s.dependencies[0].module, "hello");
        assert_eq!(s.nodes[0].alias, "MyNode");

        let types: Vec<&str> = r.types.defs.iter().map(|d| d.name.as_str()).collect();
        // Each type once, after the types it uses (constructors run in any order).
        let at = |name: &str| types.iter().position(|t| *t == name).unwrap();
        assert_eq!(types.len(), 6, "{types:?}");
        assert!(
            at("Custom") < at("Greetings") && at("Shape") < at("Greetings"),
            "{types:?}"
        );
        assert!(
            at("ScheduleAt") < at("Ticks") && at("ScheduleAt") < at("OldTick"),
            "{types:?}"
        );
        let shape = &r.types.defs[at("Shape")];
        assert_eq!(shape.fields[0].ty, types::Type::unit());
        assert_eq!(shape.fields[1].ty.kind, kind::F64);

        let table = |name: &str| s.tables.iter().find(|t| t.name == name).unwrap();
        let ticks = table("ticks");
        assert_eq!(ticks.view, "owner = :reader");
        assert_eq!(
            (ticks.schedule[0].column, ticks.schedule[0].reducer.as_str()),
            (1, "on_tick")
        );
        assert_eq!(
            (ticks.defaults[0].column, ticks.defaults[0].value.clone()),
            (3, vec![7, 0, 0, 0])
        );
        assert_eq!(
            (ticks.defaults[1].column, ticks.defaults[1].value.clone()),
            (4, vec![3, 0, 0, 0, b'n', b'e', b'w'])
        );
        let schedule_at = r.types.defs.iter().find(|d| d.name == "ScheduleAt").unwrap();
        assert_eq!(
            schedule_at
                .fields
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["at_us", "every_us"]
        );
        assert_eq!(
            (
                s.migrations[0].table.as_str(),
                s.migrations[0].from.as_str(),
                s.migrations[0].reducer.as_str()
            ),
            ("ticks", "<0.1.0", "migrate_ticks")
        );

        let t = table("greetings");
        assert_eq!((t.name.as_str(), t.row_type.as_str()), ("greetings", "Greetings"));
        assert_eq!((t.primary_key, t.auto_inc.clone()), (0, vec![0]));
        assert_eq!(t.indexes.len(), 2);
        assert_eq!(
            (
                t.indexes[0].name.as_str(),
                t.indexes[0].column,
                t.indexes[0].unique
            ),
            ("by_greeting", 1, false)
        );
        assert_eq!((t.indexes[1].column, t.indexes[1].unique), (2, true));
        assert_eq!(t.visibility, Visibility::Public);
        assert_eq!(t.persistence, Persistence::Stateful);

        let reducer = |name: &str| s.reducers.iter().find(|d| d.name == name).unwrap();
        let hello = reducer("hello");
        assert_eq!(hello.kind, ReducerKind::Callable);
        assert_eq!(
            hello.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["name", "times"]
        );
        assert_eq!(hello.params[1].ty.kind, kind::U32);
        assert_eq!(reducer("step").kind, ReducerKind::Internal);
        let query = reducer("count_of");
        assert_eq!(query.kind, ReducerKind::Query);
        assert_eq!(query.result[0].kind, kind::VECTOR);
        let callback = reducer("answered");
        assert_eq!(callback.kind, ReducerKind::Callback);
        assert_eq!(callback.params.len(), 4);
        assert_eq!(callback.params[3].ty.kind, kind::OPTIONAL);
        assert_eq!(s.subscriptions.len(), 1);
        assert_eq!(
            (
                s.subscriptions[0].event.as_str(),
                s.subscriptions[0].reducer.as_str()
            ),
            ("schema.greetings.insert", "on_insert")
        );
        assert_eq!(r.invokers.len(), s.reducers.len());
    });
}

#[test]
fn a_reducer_with_undecodable_arguments_says_so() {
    // Argument bytes that are not (String, u32): status 2, the reducer not run.
    let id = with_registry(|r| r.schema.reducers.iter().position(|d| d.name == "hello").unwrap());
    let invoke = with_registry(|r| r.invokers[id]);
    assert_eq!(invoke(&[1, 2, 3]), 2);
}
