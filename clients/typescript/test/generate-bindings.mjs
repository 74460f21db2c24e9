// Before the tests compile: `interstice generate --lang ts` writes testkit's
// bindings to test/generated/testkit.ts, which bindings.test.ts imports,
// board's to test/generated/board.ts, which views.test.ts imports, and
// hello's to examples/generated/hello.ts, which examples/greet.ts imports
// (so tsc checks both against the generated types).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tree = path.resolve(root, "../..");
const interstice = process.env.INTERSTICE_BIN ?? path.join(tree, "build/bin/interstice");
const modules = process.env.INTERSTICE_MODULES ?? path.join(tree, "build/modules");
for (const [module, dir] of [
  ["testkit", "test/generated"],
  ["board", "test/generated"],
  ["hello", "examples/generated"],
]) {
  mkdirSync(path.join(root, dir), { recursive: true });
  execFileSync(
    interstice,
    ["generate", "--lang", "ts", path.join(modules, `${module}.wasm`), "-o", path.join(root, dir, `${module}.ts`)],
    { stdio: "inherit" },
  );
}
