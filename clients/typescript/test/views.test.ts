// Views and queries through bindings generated from board.wasm, against a
// real node: board.notes shows each client the notes it owns and those for
// everyone (its view); reads, queries and subscriptions follow it, and a
// note given to another client leaves one view and enters the other's.
import assert from "node:assert/strict";
import { test } from "node:test";

import { connect, Identity, type Update } from "@interstice/client";

import { bind, type Note } from "./generated/board.js";
import { NodeProcess } from "./support/node-process.js";
import { until } from "./support/wait.js";

test("a view shows each client its own rows, in reads, queries and subscriptions", async (t) => {
  const node = await NodeProcess.start(["board"]);
  t.after(() => node.stop());
  const alice = Identity.generate();
  const bob = Identity.generate();
  const a = await connect({ url: node.address, identity: alice });
  t.after(() => a.close());
  const b = await connect({ url: node.address, identity: bob });
  t.after(() => b.close());
  const asAlice = bind(a);
  const asBob = bind(b);

  await asAlice.reducers.post(alice.name, "for alice");
  await asAlice.reducers.post("everyone", "for all");

  let bobsRows: Note[] = [];
  const bobsUpdates: Update<Note>[] = [];
  await asBob.tables.notes.subscribe({ onRows: (r) => (bobsRows = r), onUpdate: (u) => bobsUpdates.push(u) });
  assert.deepEqual(
    bobsRows.map((n) => n.text),
    ["for all"],
  );

  // Queries read through the asker's view, typed by the bindings.
  assert.deepEqual(await asAlice.queries.texts(), ["for alice", "for all"]);
  assert.deepEqual(await asBob.queries.texts(), ["for all"]);
  assert.equal(await asBob.queries.how_many(), 1n);
  assert.deepEqual(
    (await asAlice.tables.notes.select()).map((n) => n.text),
    ["for alice", "for all"],
  );
  assert.deepEqual(
    (await asBob.tables.notes.select()).map((n) => n.text),
    ["for all"],
  );

  // Alice's note goes to bob: an insert for him; then to nobody: a delete.
  await asAlice.reducers.give(1, bob.name);
  await until(() => bobsUpdates.length === 1, "the note entering bob's view");
  assert.equal(bobsUpdates[0]!.changes[0]!.op, "insert");
  assert.equal(bobsUpdates[0]!.changes[0]!.row.text, "for alice");
  assert.deepEqual(await asAlice.queries.texts(), ["for all"]);
  await asAlice.reducers.give(1, "nobody");
  await until(() => bobsUpdates.length === 2, "the note leaving bob's view");
  assert.equal(bobsUpdates[1]!.changes[0]!.op, "delete");
  assert.deepEqual(await asBob.queries.texts(), ["for all"]);
});
