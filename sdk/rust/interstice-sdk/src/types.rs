//! The ABI's type model (docs/abi.md, "Type model"): how the node sees the
//! types of rows and parameters. `Describe` gives a Rust type's `Type` and
//! registers the structs and enums it reaches, each once, as `TypeDef`s.

use crate::codec::{Bytes, Encode};

/// The ABI's kind tags.
pub mod kind {
    pub const BOOL: u32 = 0;
    pub const I8: u32 = 1;
    pub const I16: u32 = 2;
    pub const I32: u32 = 3;
    pub const I64: u32 = 4;
    pub const U8: u32 = 5;
    pub const U16: u32 = 6;
    pub const U32: u32 = 7;
    pub const U64: u32 = 8;
    pub const F32: u32 = 9;
    pub const F64: u32 = 10;
    pub const STRING: u32 = 11;
    pub const BYTES: u32 = 12;
    pub const VECTOR: u32 = 13;
    pub const OPTIONAL: u32 = 14;
    pub const TUPLE: u32 = 15;
    pub const NAMED: u32 = 16;
}

/// A type expression: a primitive, vector<T>, optional<T>, a tuple, or a
/// struct or enum of the schema by name.
#[derive(Clone, Debug, PartialEq)]
pub struct Type {
    pub kind: u32,
    pub args: Vec<Type>,
    pub name: String,
}

impl Type {
    pub fn primitive(kind: u32) -> Type {
        Type {
            kind,
            args: Vec::new(),
            name: String::new(),
        }
    }
    pub fn named(name: &str) -> Type {
        Type {
            kind: kind::NAMED,
            args: Vec::new(),
            name: name.to_owned(),
        }
    }
    pub fn of(kind: u32, args: Vec<Type>) -> Type {
        Type {
            kind,
            args,
            name: String::new(),
        }
    }
    /// The empty tuple: an enum variant without payload.
    pub fn unit() -> Type {
        Type::of(kind::TUPLE, Vec::new())
    }
}

impl Encode for Type {
    fn encode(&self, out: &mut Vec<u8>) {
        self.kind.encode(out);
        self.args.encode(out);
        self.name.encode(out);
    }
}

/// A named field (of a struct, or a parameter), or an enum's variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
}

impl Encode for Field {
    fn encode(&self, out: &mut Vec<u8>) {
        self.name.encode(out);
        self.ty.encode(out);
    }
}

pub const STRUCT: u32 = 0;
pub const ENUM: u32 = 1;

/// A struct (fields in order) or an enum (variants in order; the tag is the
/// variant's index, its payload the variant's type, `Type::unit()` if none).
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    pub name: String,
    pub kind: u32,
    pub fields: Vec<Field>,
}

impl Encode for TypeDef {
    fn encode(&self, out: &mut Vec<u8>) {
        self.name.encode(out);
        self.kind.encode(out);
        self.fields.encode(out);
    }
}

/// The named types a schema defines, each once, each after the types it
/// uses (as the C++ SDK orders them).
#[derive(Default)]
pub struct TypeRegistry {
    pub defs: Vec<TypeDef>,
    describing: Vec<String>, // names being described: a recursive use ends there
}

impl TypeRegistry {
    /// Registers `name` (once): `make` describes it, its own types registered
    /// first.
    pub fn define(&mut self, name: &str, make: impl FnOnce(&mut TypeRegistry) -> TypeDef) -> Type {
        let known = self.defs.iter().any(|d| d.name == name) || self.describing.iter().any(|n| n == name);
        if !known {
            self.describing.push(name.to_owned());
            let def = make(self);
            self.describing.pop();
            self.defs.push(def);
        }
        Type::named(name)
    }
}

/// A Rust type the ABI can describe.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no Interstice encoding",
    note = "columns, parameters and values are integers, bool, f32, f64, String, Bytes, Vec<T>, Option<T>, tuples, or types with #[interstice_type]"
)]
pub trait Describe {
    fn describe(registry: &mut TypeRegistry) -> Type;
}

macro_rules! primitives {
    ($($t:ty => $k:expr),*) => {$(
        impl Describe for $t {
            fn describe(_: &mut TypeRegistry) -> Type { Type::primitive($k) }
        }
    )*};
}
primitives!(bool => kind::BOOL, i8 => kind::I8, i16 => kind::I16, i32 => kind::I32,
            i64 => kind::I64, u8 => kind::U8, u16 => kind::U16, u32 => kind::U32,
            u64 => kind::U64, f32 => kind::F32, f64 => kind::F64, String => kind::STRING,
            Bytes => kind::BYTES);

impl<T: Describe> Describe for Vec<T> {
    fn describe(r: &mut TypeRegistry) -> Type {
        Type::of(kind::VECTOR, vec![T::describe(r)])
    }
}
impl<T: Describe> Describe for Option<T> {
    fn describe(r: &mut TypeRegistry) -> Type {
        Type::of(kind::OPTIONAL, vec![T::describe(r)])
    }
}

macro_rules! tuple_types {
    ($(($($n:ident),*)),*) => {$(
        #[allow(unused_variables)]
        impl<$($n: Describe),*> Describe for ($($n,)*) {
            fn describe(r: &mut TypeRegistry) -> Type {
                Type::of(kind::TUPLE, vec![$($n::describe(r)),*])
            }
        }
    )*};
}
for_tuples!(tuple_types);
