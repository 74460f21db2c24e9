// The dashboard in headless Chromium (Debian's, driven by puppeteer-core)
// against a real node: `interstice start` with the hello module on a free
// port. Every page is opened, checked for its content, and screenshotted;
// each screenshot is decoded and must show that page's content (not a blank
// or an error page). A call made through the HTTP interface appears in the
// live table view.
//
//   INTERSTICE_BIN=build/bin/interstice INTERSTICE_MODULES=build/modules npm test
//   (SCREENSHOTS=DIR keeps the screenshots there; CHROMIUM names the browser)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { PNG } from "pngjs";
import puppeteer from "puppeteer-core";

const bin = process.env.INTERSTICE_BIN ?? "../build/bin/interstice";
const modules = process.env.INTERSTICE_MODULES ?? "../build/modules";
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";

let dataDir, shotsDir, node, base, browser, page, operatorKey;
const shots = new Map(); // page name: screenshot hash

async function startNode() {
  dataDir = mkdtempSync(join(tmpdir(), "interstice-dashboard-"));
  mkdirSync(join(dataDir, "modules"));
  copyFileSync(join(modules, "hello.wasm"), join(dataDir, "modules", "hello.wasm"));
  node = spawn(bin, ["start", "--data-dir", dataDir, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node did not start:\n${output}`)), 30000);
    const look = (chunk) => {
      output += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    node.stdout.on("data", look);
    node.stderr.on("data", look);
    node.on("exit", (code) => reject(new Error(`the node exited (${code}):\n${output}`)));
  });
  base = `http://127.0.0.1:${port}`;
  operatorKey = readFileSync(join(dataDir, "operator.key"), "utf8").trim();
}

async function call(name) {
  const response = await fetch(`${base}/call/hello/hello`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify([name]),
  });
  assert.equal(response.status, 200, await response.text());
}

// Opens `hash` and waits until its page has rendered.
async function open(hash) {
  await page.goto(`${base}/dashboard/#${hash}`);
  const name = hash.split("/")[0];
  await page.waitForFunction((n) => document.getElementById("page").dataset.ready === n, {}, name);
}

async function text() {
  return page.$eval("#page", (e) => e.innerText);
}

// Takes the page's screenshot and checks that it shows content: many
// colours and enough ink in the page's area, and not the same picture as
// another page.
async function screenshot(name) {
  const png = await page.screenshot({ type: "png" });
  writeFileSync(join(shotsDir, `${name}.png`), png);
  const image = PNG.sync.read(Buffer.from(png));
  const colours = new Set();
  let ink = 0;
  for (let y = 60; y < image.height; y++)
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
      colours.add((r << 16) | (g << 8) | b);
      if (r + g + b < 600) ink++;
    }
  assert.ok(colours.size > 20, `${name}: ${colours.size} colours`);
  assert.ok(ink > 2000, `${name}: ${ink} dark pixels`);
  const hash = createHash("sha256").update(png).digest("hex");
  for (const [other, h] of shots) assert.notEqual(h, hash, `${name} looks like ${other}`);
  shots.set(name, hash);
}

before(async () => {
  shotsDir = process.env.SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "interstice-shots-"));
  mkdirSync(shotsDir, { recursive: true });
  await startNode();
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
});

after(async () => {
  await browser?.close();
  if (node && node.exitCode === null) {
    const exited = new Promise((resolve) => node.on("exit", resolve));
    node.kill("SIGTERM");
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (!process.env.SCREENSHOTS && shotsDir) rmSync(shotsDir, { recursive: true, force: true });
});

test("the node's root leads to the dashboard, which lists the modules", async () => {
  await page.goto(base);
  assert.match(page.url(), /\/dashboard\/$/);
  await open("modules");
  const shown = await text();
  assert.match(shown, /Modules \(1\)/);
  assert.match(shown, /greetings/);
  assert.match(shown, /name: string/);
  await screenshot("modules");
});

test("a call made elsewhere appears in the live table view", async () => {
  await call("Ann");
  await open("tables/hello.greetings");
  await page.waitForFunction(() => /1 rows, live/.test(document.getElementById("table-status").innerText));
  assert.match(await text(), /Hello, Ann!/);
  await call("Dashboard");  // through HTTP, not the page
  await page.waitForFunction(() => /Hello, Dashboard!/.test(document.getElementById("table-rows").innerText), {
    timeout: 10000,
  });
  assert.match(await text(), /2 rows, live/);
  await screenshot("tables");
});

test("logs, the graph and traces need the operator key", async () => {
  await open("logs");
  assert.match(await text(), /needs the node's operator key/);
  await page.type("#operator-key", operatorKey);
  await page.$eval("#operator-key", (e) => e.dispatchEvent(new Event("change")));
  await page.waitForFunction(() => /Hello, Dashboard!/.test(document.getElementById("page").innerText), {
    timeout: 10000,
  });
  assert.match(await text(), /\[hello::on_greeting_insert\]/);
  await screenshot("logs");
});

test("peers, the graph, a trace and the metrics", async () => {
  await open("peers");
  assert.match(await text(), /Connected to this node \(0\)/);
  assert.match(await text(), /This node's links \(0\)/);
  await screenshot("peers");

  await open("graph");
  await page.waitForSelector("#graph svg");
  const labels = await page.$$eval("#graph svg text", (ts) => ts.map((t) => t.textContent));
  assert.ok(labels.includes("hello"), labels.join(", "));
  assert.ok(labels.includes("on_greeting_insert"), labels.join(", "));
  await screenshot("graph");

  await open("traces");
  await page.select("#page select", "1");
  await page.click("#record-trace");
  await page.waitForFunction(() => /recording/.test(document.getElementById("trace").innerText));
  for (let i = 0; i < 5; i++) await call(`Trace ${i}`);
  await page.waitForFunction(() => !/recording/.test(document.getElementById("trace").innerText), {
    timeout: 15000,
  });
  const trace = await page.$eval("#trace", (e) => e.innerText);
  assert.match(trace, /Where the time went/);
  assert.match(trace, /hello\.hello/);
  assert.match(trace, /fsync/);
  assert.ok((await page.$$("#trace svg rect")).length >= 10);
  await screenshot("traces");

  await open("metrics");
  const metrics = await text();
  assert.match(metrics, /interstice_reducer_calls_total/);
  assert.match(metrics, /module="hello",reducer="hello",outcome="ok"/);
  await screenshot("metrics");
});
