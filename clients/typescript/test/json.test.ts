// The JSON layer and the typed conversions, without a node: 64-bit integers
// stay exact both ways, bytes are hex, and values that do not fit their
// type are refused with where.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeValue, encodeValue, parseJson, stringifyJson, TypeMismatch, type TypeDefs } from "@interstice/client";

test("integers beyond 2^53 stay exact, as bigints", () => {
  const parsed = parseJson('{"id":18446744073709551615,"small":42,"neg":-9223372036854775808,"f":1.5,"e":1e3}');
  assert.deepEqual(parsed, {
    id: 18446744073709551615n,
    small: 42,
    neg: -9223372036854775808n,
    f: 1.5,
    e: 1000,
  });
  assert.equal(stringifyJson({ id: 18446744073709551615n, b: new Uint8Array([0, 255]), skip: undefined }),
    '{"id":18446744073709551615,"b":"00ff"}');
  assert.equal(stringifyJson(["a\"\n", null, true, -0.5, [], {}]), '["a\\"\\n",null,true,-0.5,[],{}]');
});

test("strings, escapes, whitespace and bad input", () => {
  assert.deepEqual(parseJson(' [ "\\u00e9\\\\", "x\\"y" , { } ] '), ["é\\", 'x"y', {}]);
  // A key named __proto__ is an own field, not the prototype.
  const odd = parseJson('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(odd), ["__proto__"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  for (const bad of ["", "[1,]", "{\"a\" 1}", "01", "[1] x", "\"open", "tru", "{'a':1}"])
    assert.throws(() => parseJson(bad), SyntaxError, bad);
  assert.throws(() => parseJson("[".repeat(1000) + "]".repeat(1000)), /nested deeper/);
  assert.throws(() => stringifyJson(NaN), TypeError);
});

const types: TypeDefs = {
  Order: {
    struct: [
      ["id", "u64"],
      ["state", { named: "State" }],
      ["blob", "bytes"],
      ["tags", { vector: { optional: "i32" } }],
      ["ratio", "f64"],
    ],
  },
  State: { enum: [["Open", null], ["Held", "string"]] },
};

test("typed values decode from and encode to the JSON mapping", () => {
  const order = decodeValue(types, { named: "Order" }, {
    id: 7,
    state: { Held: "why" },
    blob: "0a0b",
    tags: [1, null],
    ratio: null,
  });
  assert.deepEqual(order, {
    id: 7n,
    state: { Held: "why" },
    blob: new Uint8Array([10, 11]),
    tags: [1, null],
    ratio: NaN,
  });
  assert.deepEqual(
    encodeValue(types, { named: "Order" }, {
      id: 2n ** 64n - 1n,
      state: "Open",
      blob: new Uint8Array([1]),
      tags: [],
      ratio: 0.5,
    }),
    { id: 2n ** 64n - 1n, state: "Open", blob: "01", tags: [], ratio: 0.5 },
  );
  // Small 64-bit values go out as plain numbers.
  assert.deepEqual(encodeValue(types, { tuple: ["u64", "i64"] }, [5n, -3]), [5, -3]);
});

test("values that do not fit are refused with their path", () => {
  const refused = (type: Parameters<typeof encodeValue>[1], value: unknown, message: RegExp) =>
    assert.throws(
      () => encodeValue(types, type, value),
      (e: unknown) => e instanceof TypeMismatch && message.test(e.message),
    );
  refused("u8", 256, /^\$: out of range for u8$/);
  refused("u64", -1n, /out of range for u64/);
  refused("i32", 1.5, /expected an integer/);
  refused("f64", Infinity, /no JSON form/);
  refused({ named: "State" }, "Closed", /State has no variant Closed/);
  refused({ named: "State" }, "Held", /variant Held needs a payload/);
  const hexBlob = { id: 1, state: "Open", blob: "00", tags: [], ratio: 1 };
  refused({ named: "Order" }, hexBlob, /^\$\.blob: expected a Uint8Array$/);
  assert.throws(() => decodeValue(types, { named: "Order" }, { id: 1 }), /missing field state/);
  assert.throws(() => decodeValue(types, { named: "Nope" }, {}), /unknown type Nope/);
});
