// JSON without losing 64-bit integers. The node writes u64 and i64 values
// as plain JSON integers (docs/node.md, "JSON mapping"), which JSON.parse
// would round beyond 2^53. parseJson keeps every integer literal exact: a
// number when it is a safe integer, a bigint otherwise. stringifyJson
// writes bigints as integer literals and Uint8Arrays as hex strings (the
// mapping of `bytes`).

/** A JSON value as the client sees it: integers beyond 2^53 are bigints. */
export type Value = null | boolean | number | bigint | string | Value[] | { [key: string]: Value };

/** The deepest nesting parseJson accepts (the node sends at most 64 levels of a value). */
export const MAX_JSON_DEPTH = 512;

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** Parses JSON text; integer literals outside the safe range become bigints. */
export function parseJson(text: string): Value {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.skipSpace();
  if (!parser.atEnd()) parser.fail("unexpected text after the value");
  return value;
}

class Parser {
  private at = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  fail(why: string): never {
    throw new SyntaxError(`JSON at position ${this.at}: ${why}`);
  }

  skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      ++this.at;
    }
  }

  value(depth: number): Value {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === "{" || c === "[") {
      if (depth >= MAX_JSON_DEPTH) this.fail(`nested deeper than ${MAX_JSON_DEPTH}`);
      return c === "{" ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    for (const [word, literal] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return literal;
      }
    }
    return this.number();
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail("expected a value");
    this.at += match[0].length;
    const isInteger = match[1] === undefined && match[2] === undefined;
    if (!isInteger) return Number(match[0]);
    const n = Number(match[0]);
    return Number.isSafeInteger(n) ? n : BigInt(match[0]);
  }

  private string(): string {
    // Find the closing quote, then let JSON.parse decode the escapes.
    let end = this.at + 1;
    for (;;) {
      const c = this.text.charCodeAt(end);
      if (Number.isNaN(c)) this.fail("unterminated string");
      if (c === 0x5c) end += 2;
      else if (c === 0x22) break;
      else ++end;
    }
    const token = this.text.slice(this.at, end + 1);
    this.at = end + 1;
    try {
      return JSON.parse(token) as string;
    } catch {
      return this.fail("invalid string");
    }
  }

  private array(depth: number): Value[] {
    ++this.at;
    const out: Value[] = [];
    this.skipSpace();
    if (this.text[this.at] === "]") {
      ++this.at;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipSpace();
      const c = this.text[this.at++];
      if (c === "]") return out;
      if (c !== ",") this.fail("expected , or ]");
    }
  }

  private object(depth: number): { [key: string]: Value } {
    ++this.at;
    const out: { [key: string]: Value } = {};
    this.skipSpace();
    if (this.text[this.at] === "}") {
      ++this.at;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') this.fail("expected a key");
      const key = this.string();
      this.skipSpace();
      if (this.text[this.at++] !== ":") this.fail("expected :");
      setField(out, key, this.value(depth));
      this.skipSpace();
      const c = this.text[this.at++];
      if (c === "}") return out;
      if (c !== ",") this.fail("expected , or }");
    }
  }
}

/** Sets an own property, even one named __proto__ (plain assignment would set the prototype). */
export function setField<T>(object: { [key: string]: T }, key: string, value: T): void {
  if (key === "__proto__")
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/**
 * JSON text for a value: bigints as integer literals, Uint8Arrays as hex
 * strings, undefined object fields left out. Non-finite numbers have no
 * JSON form and are refused (TypeError), as are functions and symbols.
 */
export function stringifyJson(value: unknown): string {
  return write(value, 0);
}

function write(value: unknown, depth: number): string {
  if (depth > MAX_JSON_DEPTH) throw new TypeError(`a value nested deeper than ${MAX_JSON_DEPTH}`);
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
      return JSON.stringify(value);
    case "object": {
      if (value === null) return "null";
      if (value instanceof Uint8Array) return JSON.stringify(toHex(value));
      if (Array.isArray(value)) return "[" + value.map((v) => write(v ?? null, depth + 1)).join(",") + "]";
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        parts.push(JSON.stringify(k) + ":" + write(v, depth + 1));
      }
      return "{" + parts.join(",") + "}";
    }
    default:
      throw new TypeError(`a ${typeof value} has no JSON form`);
  }
}

/** Lower-case hex, the JSON form of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** The bytes of a hex string; TypeError if it is not one. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new TypeError("expected an even number of hex digits");
  return new Uint8Array(Buffer.from(hex, "hex"));
}
