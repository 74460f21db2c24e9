// A real node for the tests: `interstice start --port 0` on a new temporary
// data directory holding the given example modules. start() resolves once
// the node prints its port; stop() ends it (SIGTERM, then SIGKILL) and
// removes the directory.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { interstice, modulesDir } from "./paths.js";

export class NodeProcess {
  private output = "";
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  port = 0;

  private constructor(readonly dataDir: string) {}

  /** Starts a node with `modules` (names of built example modules) and `args` for `start`. */
  static async start(modules: string[], args: string[] = []): Promise<NodeProcess> {
    const dataDir = mkdtempSync(path.join(tmpdir(), "interstice-ts-"));
    mkdirSync(path.join(dataDir, "modules"));
    for (const m of modules)
      copyFileSync(path.join(modulesDir, `${m}.wasm`), path.join(dataDir, "modules", `${m}.wasm`));
    const node = new NodeProcess(dataDir);
    try {
      await node.launch(args);
    } catch (e) {
      await node.stop();
      throw e;
    }
    return node;
  }

  /** "127.0.0.1:PORT" */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Everything the node printed so far. */
  get log(): string {
    return this.output;
  }

  /** Waits (at most `ms`) until the node has printed `text`. */
  async waitForOutput(text: string, ms = 10_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.output.includes(text)) {
      if (Date.now() > deadline || !this.child) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Stops the node and starts it again on the same data directory. */
  async restart(args: string[] = []): Promise<void> {
    await this.halt();
    this.output = "";
    this.port = 0;
    await this.launch(args);
  }

  /** kill -9: the node closes nothing itself (its sockets close with the process). */
  async kill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.halt();
  }

  /** Stops the node and removes its data directory. */
  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private launch(args: string[]): Promise<void> {
    const child = spawn(interstice, ["start", "--port", "0", "--data-dir", this.dataDir, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const collect = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the node did not start:\n${this.output}`)), 30_000);
      const poll = setInterval(() => {
        const match = /listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(this.output);
        if (match) {
          this.port = Number(match[1]);
          clearInterval(poll);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
      child.once("exit", (code) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`the node exited (${code}) before listening:\n${this.output}`));
      });
      child.once("error", (e) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`cannot run ${interstice}: ${e.message}`));
      });
    });
  }

  private async halt(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}
