// Where the tests find the built node and example modules: INTERSTICE_BIN
// and INTERSTICE_MODULES, by default the tree's build/ (scripts/test builds
// them there).
import { fileURLToPath } from "node:url";
import path from "node:path";

// This file runs from dist-test/test/support/: the package is three levels up.
export const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));
const tree = path.resolve(packageRoot, "../..");

export const interstice = process.env.INTERSTICE_BIN ?? path.join(tree, "build/bin/interstice");
export const modulesDir = process.env.INTERSTICE_MODULES ?? path.join(tree, "build/modules");
