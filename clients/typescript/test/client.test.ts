// The client against a real node (testkit): calls with many in flight and
// refusals with their codes; a SQL subscription's rows and live changes;
// resuming after the last offset on a new connection; and what happens to
// pending work when the node says goodbye or goes away.
import assert from "node:assert/strict";
import { test } from "node:test";

import { CallError, ClosedError, connect, SubscribeError, type Row, type Update } from "@interstice/client";

import { NodeProcess } from "./support/node-process.js";
import { until } from "./support/wait.js";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

test("calls in flight are answered by id; refused calls carry their code", async (t) => {
  const node = await NodeProcess.start(["testkit"]);
  t.after(() => node.stop());
  const client = await connect({ url: node.address });
  t.after(() => client.close());

  const calls = [];
  for (let i = 0; i < 200; ++i) calls.push(client.call("testkit", "add", `n${i}`, i % 2 ? 1 : -1));
  await Promise.all(calls);
  const positive = await client.sql("SELECT id, name FROM testkit.items WHERE score > 0");
  assert.equal(positive.length, 100);
  assert.deepEqual(Object.keys(positive[0]!), ["id", "name"]);

  const refused = async (promise: Promise<unknown>, code: string, text: RegExp) => {
    const e = await rejection(promise);
    assert.ok(e instanceof CallError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, text);
  };
  await Promise.all([
    refused(client.call("testkit", "no_such_reducer"), "NotFound", /no_such_reducer/),
    refused(client.call("nowhere", "add", "x", 1), "NotFound", /nowhere/),
    refused(client.call("testkit", "add", "wrong"), "InvalidArgument", /./),
    refused(client.call("testkit", "add", "x", 2 ** 31), "InvalidArgument", /out of range/),
    refused(client.call("testkit", "add_then_fail", "x"), "Failed", /./),
    refused(client.call("testkit", "internal_add", "x"), "Forbidden", /./),
  ]);
  // The connection goes on; nothing of the failed call was kept.
  await client.call("testkit", "add", "after", 1);
  assert.equal((await client.sql("SELECT * FROM testkit.items WHERE name = 'x'")).length, 0);
  // Bad SQL is refused over HTTP too.
  await assert.rejects(client.sql("SELECT * FROM nowhere"), /HTTP 404/);
});

test("a SQL subscription delivers its rows, then every change with increasing offsets", async (t) => {
  const node = await NodeProcess.start(["testkit"]);
  t.after(() => node.stop());
  const client = await connect({ url: node.address });
  t.after(() => client.close());
  await client.call("testkit", "add", "before", 5); // id 1
  await client.call("testkit", "add", "negative", -1); // id 2

  let rows: Row[] = [];
  let rowsOffset = -1n;
  const updates: Update[] = [];
  const subscription = await client.subscribe("SELECT * FROM items WHERE score > 0", {
    onRows: (r, offset) => {
      rows = r;
      rowsOffset = offset;
    },
    onUpdate: (u) => updates.push(u),
  });
  assert.deepEqual(rows, [{ id: 1, name: "before", score: 5 }]);
  assert.equal(subscription.module, "testkit");
  assert.equal(subscription.table, "items");
  assert.equal(subscription.lastOffset, rowsOffset);

  await client.call("testkit", "add", "live", 3); // id 3: an insert
  await client.call("testkit", "set_score", 3, 9); // an update, with the old row
  await client.call("testkit", "set_score", 2, 7); // starts matching: an insert
  await client.call("testkit", "set_score", 1, -5); // stops matching: a delete
  await client.call("testkit", "remove_item", 3); // a delete
  await client.call("testkit", "add", "unseen", -4); // never matches: no update
  await until(() => updates.length >= 5, "five updates");
  assert.deepEqual(
    updates.map((u) => u.changes),
    [
      [{ op: "insert", row: { id: 3, name: "live", score: 3 } }],
      [{ op: "update", row: { id: 3, name: "live", score: 9 }, old: { id: 3, name: "live", score: 3 } }],
      [{ op: "insert", row: { id: 2, name: "negative", score: 7 } }],
      [{ op: "delete", row: { id: 1, name: "before", score: 5 } }], // as it last matched
      [{ op: "delete", row: { id: 3, name: "live", score: 9 } }],
    ],
  );
  let previous = rowsOffset;
  for (const u of updates) {
    assert.ok(u.offset > previous, `offsets increase: ${u.offset} after ${previous}`);
    previous = u.offset;
  }
  assert.equal(subscription.lastOffset, previous);

  // After unsubscribe(), nothing more comes to it (a second subscription
  // on the same connection sees the next change).
  await subscription.unsubscribe();
  const later: Update[] = [];
  await client.subscribe("SELECT * FROM items", { onUpdate: (u) => later.push(u) });
  await client.call("testkit", "add", "after", 8);
  await until(() => later.length === 1, "the second subscription's update");
  assert.equal(updates.length, 5);

  // A refused subscription rejects with its code.
  const refused = await rejection(client.subscribe("SELECT * FROM secrets"));
  assert.ok(refused instanceof SubscribeError);
  assert.equal(refused.code, "Forbidden");
  const bad = await rejection(client.subscribe("SELECT * FROM items ORDER BY id"));
  assert.ok(bad instanceof SubscribeError);
  assert.equal(bad.code, "InvalidArgument");
});

test("a client that reconnects resumes after its last offset and gets exactly what it missed", async (t) => {
  const node = await NodeProcess.start(["testkit"]);
  t.after(() => node.stop());
  const writer = await connect({ url: node.address });
  t.after(() => writer.close());

  const first = await connect({ url: node.address });
  const seen: Update[] = [];
  const subscription = await first.subscribe("SELECT id, name FROM testkit.items", { onUpdate: (u) => seen.push(u) });
  await writer.call("testkit", "add", "seen", 1); // id 1
  await until(() => seen.length === 1, "the first update");
  const last = subscription.lastOffset;
  await first.close();
  assert.equal(first.isClosed, true);

  // While it is away: three inserts, an update and a delete.
  for (const name of ["a", "b", "c"]) await writer.call("testkit", "add", name, 2); // ids 2, 3, 4
  await writer.call("testkit", "rename", 3, "b2");
  await writer.call("testkit", "remove_item", 4);

  const second = await connect({ url: node.address });
  t.after(() => second.close());
  const missed: Update[] = [];
  let rowsCalled = false;
  let ended = "";
  const resumed = await second.subscribe("SELECT * FROM items", {
    resumeAfter: last,
    onRows: () => (rowsCalled = true),
    onUpdate: (u) => missed.push(u),
    onEnd: (reason) => (ended = reason),
  });
  await until(() => missed.length === 5, "the five missed changes");
  assert.equal(rowsCalled, false);
  const changes = missed.flatMap((u) => u.changes.map((c) => `${c.op}:${String(c.row.name)}`));
  assert.deepEqual(changes, ["insert:a", "insert:b", "insert:c", "update:b2", "delete:c"]);
  for (const u of missed) assert.ok(u.offset > last);
  // Then live, and lastOffset follows.
  await writer.call("testkit", "add", "live", 3);
  await until(() => missed.length === 6, "the live change");
  assert.equal(missed[5]!.changes[0]!.row.name, "live");
  assert.equal(resumed.lastOffset, missed[5]!.offset);
  assert.equal(ended, "");
  // An offset beyond the log is refused.
  const beyond = await rejection(second.subscribe("SELECT * FROM items", { resumeAfter: 1n << 40n }));
  assert.ok(beyond instanceof SubscribeError);
  assert.match(beyond.message, /cannot resume/);
});

test("a Goodbye ends the connection: pending work rejects, subscriptions end", async (t) => {
  const node = await NodeProcess.start(["testkit"], ["--http-max-json-values", "64"]);
  t.after(() => node.stop());
  const client = await connect({ url: node.address });
  let ended = "";
  await client.subscribe("SELECT * FROM items", { onEnd: (reason) => (ended = reason) });
  // A message with more JSON values than the node takes gets a Goodbye.
  const tooMany = await rejection(client.call("testkit", "add", ...new Array(100).fill(1)));
  assert.ok(tooMany instanceof ClosedError, String(tooMany));
  assert.equal(tooMany.code, "Closed");
  assert.match(tooMany.reason, /^the node said goodbye: .*more than 64 JSON values/);
  assert.match(await client.closed, /more than 64 JSON values/);
  assert.match(ended, /more than 64 JSON values/);
  // Later calls reject at once.
  const after = await rejection(client.call("testkit", "add", "y", 1));
  assert.ok(after instanceof ClosedError);

  // A message over the size limit (1 MiB by default) ends the connection
  // with the WebSocket's close code.
  const other = await connect({ url: node.address });
  const tooBig = await rejection(other.call("testkit", "add", "x".repeat(2 << 20), 1));
  assert.ok(tooBig instanceof ClosedError);
  assert.match(tooBig.reason, /larger than the node accepts \(1009: a message is larger than 1048576 bytes\)/);
});

test("a node that goes away rejects the calls in flight", async (t) => {
  const node = await NodeProcess.start(["testkit"], ["--fuel", "100000000000"]);
  t.after(() => node.stop());
  const client = await connect({ url: node.address });
  const spinning = client.call("testkit", "spin"); // runs far longer than the test
  const outcome = rejection(spinning);
  await new Promise((r) => setTimeout(r, 100));
  await node.kill();
  const e = await outcome;
  assert.ok(e instanceof ClosedError, String(e));
  assert.equal(client.isClosed, true);
  // Connecting to nothing fails.
  await assert.rejects(connect({ url: node.address }));
});
