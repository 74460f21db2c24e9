// The README's example (examples/greet.ts) runs against a real node with
// hello: it proves a key, subscribes, calls hello(name) and sees its greeting.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

import { NodeProcess } from "./support/node-process.js";
import { packageRoot } from "./support/paths.js";

test("examples/greet.ts greets and sees its greeting", async (t) => {
  const node = await NodeProcess.start(["hello"]);
  t.after(() => node.stop());
  const keyFile = path.join(node.dataDir, "client.key");
  const run = () =>
    promisify(execFile)(
      process.execPath,
      [path.join(packageRoot, "dist-test/examples/greet.js"), node.address, "Alice", keyFile],
      { timeout: 30_000 },
    );
  const first = await run();
  assert.match(first.stdout, /^0 greetings so far\noffset \d+: insert #1 "Hello, Alice!"\n$/);
  assert.ok(existsSync(keyFile));
  const second = await run();
  assert.match(second.stdout, /^1 greetings so far\noffset \d+: insert #2 "Hello, Alice!"\n$/);
});
