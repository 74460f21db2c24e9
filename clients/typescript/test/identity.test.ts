// Identities against a real node that refuses anonymous clients: the
// challenge exchange gives a token; reducers see the client as
// client:<public key>; key files are shared with `interstice identity`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { connect, Identity, IntersticeError } from "@interstice/client";

import { NodeProcess } from "./support/node-process.js";
import { interstice } from "./support/paths.js";

test("a proven key gets a token, and reducers see the client as client:<key>", async (t) => {
  const node = await NodeProcess.start(["testkit"], ["--anonymous-clients", "deny"]);
  t.after(() => node.stop());

  // Without a token the node refuses the connection.
  await assert.rejects(connect({ url: node.address }), (e: unknown) => {
    assert.ok(e instanceof IntersticeError);
    assert.match(e.message, /HTTP 401/);
    return true;
  });

  const me = Identity.generate();
  assert.match(me.publicKey, /^[0-9a-f]{64}$/);
  const token = await me.authenticate(node.address);
  assert.ok(token.startsWith(`c1.${me.publicKey}.`), token);
  const client = await connect({ url: `http://${node.address}`, token });
  t.after(() => client.close());
  await client.call("testkit", "whoami");
  assert.ok(await node.waitForOutput(`caller '${me.name}'`), node.log);
  // Reads need the token here too.
  assert.deepEqual(await client.sql("SELECT * FROM items"), []);

  // connect({identity}) does the exchange itself.
  const other = Identity.generate();
  const second = await connect({ url: node.address, identity: other });
  t.after(() => second.close());
  await second.call("testkit", "whoami");
  assert.ok(await node.waitForOutput(`caller '${other.name}'`), node.log);

  // A token with a forged MAC is refused.
  await assert.rejects(connect({ url: node.address, token: `c1.${me.publicKey}.${"0".repeat(64)}` }), /HTTP 401/);
});

test("a key file is shared with `interstice identity`", async (t) => {
  const node = await NodeProcess.start(["testkit"]);
  t.after(() => node.stop());
  const file = path.join(node.dataDir, "client.key");
  const created = Identity.loadOrCreate(file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(Identity.loadOrCreate(file).publicKey, created.publicKey);
  const cli = JSON.parse(
    execFileSync(interstice, ["identity", node.address, "--key-file", file, "--json"], { encoding: "utf8" }),
  ) as { identity: string; token: string };
  assert.equal(cli.identity, created.name);
  // The CLI's token works for the SDK.
  const client = await connect({ url: node.address, token: cli.token });
  t.after(() => client.close());
  await client.call("testkit", "whoami");
  assert.ok(await node.waitForOutput(`caller '${created.name}'`), node.log);
  // A seed gives the same key every time; a bad one is refused.
  const seeded = Identity.fromSeed("11".repeat(32));
  assert.equal(seeded.publicKey, Identity.fromSeed(new Uint8Array(32).fill(0x11)).publicKey);
  assert.throws(() => Identity.fromSeed("abc"), TypeError);
});

test("a bad signature gets no token", async (t) => {
  const node = await NodeProcess.start(["testkit"]);
  t.after(() => node.stop());
  const response = await fetch(`http://${node.address}/v1/identity/challenge`, { method: "POST" });
  const { challenge } = (await response.json()) as { challenge: string };
  const me = Identity.generate();
  const impostor = Identity.generate();
  const signature = Buffer.from(impostor.sign(Buffer.from(`interstice client identity\n${challenge}`))).toString("hex");
  const answer = await fetch(`http://${node.address}/v1/identity`, {
    method: "POST",
    body: JSON.stringify({ public_key: me.publicKey, challenge, signature }),
  });
  assert.equal(answer.status, 401);
});
