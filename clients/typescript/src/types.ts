// A module's types as data, and the conversions between their JSON mapping
// (docs/node.md) and typed values, for generated bindings (`interstice
// generate --lang ts`). Typed values are the JSON mapping except:
// - u64 and i64 are always bigint (the JSON side may hold a number);
// - bytes are Uint8Array (hex strings in JSON);
// - a float the node sent as null (NaN and infinities have no JSON form) is NaN.
import { fromHex, setField, toHex, type Value } from "./json.js";

export type Primitive =
  | "bool"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "u8"
  | "u16"
  | "u32"
  | "u64"
  | "f32"
  | "f64"
  | "string"
  | "bytes";

/** A type expression, as abi::Type (docs/abi.md). */
export type TypeDesc =
  | Primitive
  | { vector: TypeDesc }
  | { optional: TypeDesc }
  | { tuple: readonly TypeDesc[] }
  | { named: string };

/** A named type: a struct's fields, or an enum's variants (null: a variant without payload). */
export type TypeDef =
  | { struct: readonly (readonly [string, TypeDesc])[] }
  | { enum: readonly (readonly [string, TypeDesc | null])[] };

export type TypeDefs = { readonly [name: string]: TypeDef };

/** A value that does not fit its type; `path` says where ($[0].name). */
export class TypeMismatch extends TypeError {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

// The deepest value the conversions follow (the node's own bound is 64).
const MAX_DEPTH = 128;

const INTEGER_RANGE: Partial<Record<Primitive, readonly [bigint, bigint]>> = {
  i8: [-(2n ** 7n), 2n ** 7n - 1n],
  i16: [-(2n ** 15n), 2n ** 15n - 1n],
  i32: [-(2n ** 31n), 2n ** 31n - 1n],
  i64: [-(2n ** 63n), 2n ** 63n - 1n],
  u8: [0n, 2n ** 8n - 1n],
  u16: [0n, 2n ** 16n - 1n],
  u32: [0n, 2n ** 32n - 1n],
  u64: [0n, 2n ** 64n - 1n],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function findType(types: TypeDefs, name: string, path: string): TypeDef {
  const def = Object.prototype.hasOwnProperty.call(types, name) ? types[name] : undefined;
  if (!def) throw new TypeMismatch(path, `unknown type ${name}`);
  return def;
}

function integer(kind: Primitive, value: unknown, path: string): bigint {
  const range = INTEGER_RANGE[kind]!;
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
  else throw new TypeMismatch(path, `expected an integer (${kind})`);
  if (n < range[0] || n > range[1]) throw new TypeMismatch(path, `out of range for ${kind}`);
  return n;
}

/** A value as the node sent it (JSON) → the typed value. */
export function decodeValue(types: TypeDefs, type: TypeDesc, value: unknown, path = "$", depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new TypeMismatch(path, "nested too deeply");
  if (typeof type === "string") {
    switch (type) {
      case "bool":
        if (typeof value !== "boolean") throw new TypeMismatch(path, "expected true or false");
        return value;
      case "i64":
      case "u64":
        return integer(type, value, path);
      case "f32":
      case "f64":
        if (value === null) return NaN;
        if (typeof value !== "number") throw new TypeMismatch(path, "expected a number");
        return value;
      case "string":
        if (typeof value !== "string") throw new TypeMismatch(path, "expected a string");
        return value;
      case "bytes":
        if (typeof value !== "string") throw new TypeMismatch(path, "expected a hex string");
        return fromHex(value);
      default:
        return Number(integer(type, value, path));
    }
  }
  if ("vector" in type) {
    if (!Array.isArray(value)) throw new TypeMismatch(path, "expected an array");
    return value.map((v, i) => decodeValue(types, type.vector, v, `${path}[${i}]`, depth + 1));
  }
  if ("optional" in type) return value === null ? null : decodeValue(types, type.optional, value, path, depth + 1);
  if ("tuple" in type) {
    if (!Array.isArray(value) || value.length !== type.tuple.length)
      throw new TypeMismatch(path, `expected an array of ${type.tuple.length} values`);
    return type.tuple.map((t, i) => decodeValue(types, t, value[i], `${path}[${i}]`, depth + 1));
  }
  const def = findType(types, type.named, path);
  if ("struct" in def) {
    if (!isObject(value)) throw new TypeMismatch(path, `expected an object (${type.named})`);
    const out: Record<string, unknown> = {};
    for (const [name, fieldType] of def.struct) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) throw new TypeMismatch(path, `missing field ${name}`);
      setField(out, name, decodeValue(types, fieldType, value[name], `${path}.${name}`, depth + 1));
    }
    return out;
  }
  return variant(def.enum, type.named, value, path, (payloadType, payload, at) =>
    decodeValue(types, payloadType, payload, at, depth + 1),
  );
}

/** A typed value → its JSON mapping, for a call's arguments. TypeMismatch if it does not fit. */
export function encodeValue(types: TypeDefs, type: TypeDesc, value: unknown, path = "$", depth = 0): Value {
  if (depth > MAX_DEPTH) throw new TypeMismatch(path, "nested too deeply");
  if (typeof type === "string") {
    switch (type) {
      case "bool":
        if (typeof value !== "boolean") throw new TypeMismatch(path, "expected true or false");
        return value;
      case "i64":
      case "u64": {
        const n = integer(type, value, path);
        return Number.isSafeInteger(Number(n)) ? Number(n) : n;
      }
      case "f32":
      case "f64":
        if (typeof value !== "number") throw new TypeMismatch(path, "expected a number");
        if (!Number.isFinite(value)) throw new TypeMismatch(path, `${value} has no JSON form`);
        return value;
      case "string":
        if (typeof value !== "string") throw new TypeMismatch(path, "expected a string");
        return value;
      case "bytes":
        if (value instanceof Uint8Array) return toHex(value);
        throw new TypeMismatch(path, "expected a Uint8Array");
      default:
        return Number(integer(type, value, path));
    }
  }
  if ("vector" in type) {
    if (!Array.isArray(value)) throw new TypeMismatch(path, "expected an array");
    return value.map((v, i) => encodeValue(types, type.vector, v, `${path}[${i}]`, depth + 1));
  }
  if ("optional" in type)
    return value === null || value === undefined ? null : encodeValue(types, type.optional, value, path, depth + 1);
  if ("tuple" in type) {
    if (!Array.isArray(value) || value.length !== type.tuple.length)
      throw new TypeMismatch(path, `expected an array of ${type.tuple.length} values`);
    return type.tuple.map((t, i) => encodeValue(types, t, value[i], `${path}[${i}]`, depth + 1));
  }
  const def = findType(types, type.named, path);
  if ("struct" in def) {
    if (!isObject(value)) throw new TypeMismatch(path, `expected an object (${type.named})`);
    const out: { [key: string]: Value } = {};
    for (const [name, fieldType] of def.struct)
      setField(out, name, encodeValue(types, fieldType, value[name], `${path}.${name}`, depth + 1));
    return out;
  }
  return variant(def.enum, type.named, value, path, (payloadType, payload, at) =>
    encodeValue(types, payloadType, payload, at, depth + 1),
  ) as Value;
}

// An enum's value in either direction: a variant without payload is its
// name; one with a payload is {"Name": payload}.
function variant(
  variants: readonly (readonly [string, TypeDesc | null])[],
  typeName: string,
  value: unknown,
  path: string,
  convert: (type: TypeDesc, payload: unknown, path: string) => unknown,
): unknown {
  let name: string;
  let payload: unknown;
  if (typeof value === "string") name = value;
  else if (isObject(value) && Object.keys(value).length === 1) [name, payload] = Object.entries(value)[0]!;
  else throw new TypeMismatch(path, `expected a variant of ${typeName}`);
  const found = variants.find(([variantName]) => variantName === name);
  if (!found) throw new TypeMismatch(path, `${typeName} has no variant ${name}`);
  const payloadType = found[1];
  if (payloadType === null) {
    if (typeof value !== "string") throw new TypeMismatch(path, `variant ${name} has no payload`);
    return name;
  }
  if (typeof value === "string") throw new TypeMismatch(path, `variant ${name} needs a payload`);
  const out: Record<string, unknown> = {};
  setField(out, name, convert(payloadType, payload, `${path}.${name}`));
  return out;
}
