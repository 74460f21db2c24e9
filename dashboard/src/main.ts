// The dashboard: one page per part of the node, chosen by the URL's hash.
// Everything comes from the node's own interface (docs/node.md); the pages
// that show logs, the graph and traces need the operator key.
import { ApiError, getJson, getText, operatorKey, setOperatorKey } from "./api";
import { el, errorBox, show, table } from "./dom";
import { subscribeTable, type LiveTable } from "./live_table";
import { parseMetrics } from "./metrics";
import { traceView } from "./trace_view";

const page = document.getElementById("page")!;
let leave: (() => void) | null = null; // stops what the current page keeps running

function needsKey(error: unknown): HTMLElement {
  if (error instanceof ApiError && error.status === 401)
    return el("p", { class: "error" }, "This page needs the node's operator key (DATA_DIR/operator.key): enter it above.");
  return errorBox(error);
}

async function modulesPage(): Promise<void> {
  const modules = await getJson("/modules");
  page.append(el("h2", {}, `Modules (${modules.length})`));
  for (const m of modules) {
    page.append(
      el("h3", {}, `${m.name} `, el("span", { class: "muted" }, `${m.version}, ${m.visibility}, executor ${m.executor}`)),
      table(
        ["table", "row type", "rows"],
        m.tables.map((t: any) => [el("a", { href: `#tables/${m.name}.${t.name}` }, t.name), el("code", {}, t.row_type), t.rows]),
        new Set([2]),
      ),
      table(
        ["reducer", "parameters"],
        m.reducers.map((r: any) => [r.name, el("code", {}, r.params.map((p: any) => `${p.name}: ${p.type}`).join(", "))]),
      ),
    );
  }
}

async function tablesPage(chosen: string): Promise<void> {
  const modules = await getJson("/modules");
  const names: string[] = [];
  for (const m of modules) for (const t of m.tables) names.push(`${m.name}.${t.name}`);
  if (!chosen && names.length) chosen = names[0];
  const select = el("select", { id: "table-select" }, ...names.map((n) => el("option", n === chosen ? { selected: "" } : {}, n))) as HTMLSelectElement;
  select.onchange = () => (location.hash = `#tables/${select.value}`);
  const status = el("p", { class: "muted", id: "table-status" }, "subscribing…");
  const rowsBox = el("div", { id: "table-rows" });
  page.append(el("h2", {}, "Tables"), select, status, rowsBox);
  if (!chosen) return;
  const [module, tableName] = chosen.split(".");
  const live: LiveTable = subscribeTable(module, tableName, {
    rows(rows, offset, changed) {
      status.textContent = `${rows.length} rows, live (log offset ${offset})`;
      const columns = [...new Set(rows.flatMap((r) => (r && typeof r === "object" ? Object.keys(r as object) : [])))];
      const body = rows.map((r: any) => columns.map((c) => (typeof r[c] === "object" ? show(r[c]) : String(r[c]))));
      const t = table(columns, body);
      rows.forEach((r, i) => {
        if (changed.has(JSON.stringify(r))) t.querySelectorAll("tbody tr")[i].classList.add("flash");
      });
      rowsBox.replaceChildren(t);
    },
    error(message) {
      status.replaceChildren(el("span", { class: "error" }, message));
    },
  });
  leave = () => live.close();
}

async function logsPage(): Promise<void> {
  const box = el("div", { class: "log", id: "log-lines" });
  page.append(el("h2", {}, "Logs"), box);
  let after = 0;
  let stopped = false;
  leave = () => (stopped = true);
  while (!stopped) {
    let answer;
    try {
      answer = await getJson(`/logs?after=${after}`);
    } catch (error) {
      box.replaceWith(needsKey(error));
      return;
    }
    for (const line of answer.lines) {
      const where = line.module ? `[${line.module}${line.reducer ? "::" + line.reducer : ""}] ` : "";
      box.append(el("div", { class: line.level }, `${line.time} ${line.level.padEnd(7)} ${where}${line.message}`));
    }
    if (answer.lines.length) box.scrollTop = box.scrollHeight;
    after = answer.next;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function peersPage(): Promise<void> {
  const peers = await getJson("/peers");
  const incoming = peers.filter((p: any) => p.direction === "incoming");
  const outgoing = peers.filter((p: any) => p.direction === "outgoing");
  page.append(
    el("h2", {}, "Peers"),
    el("h3", {}, `Connected to this node (${incoming.length})`),
    table(["id", "address"], incoming.map((p: any) => [el("code", {}, p.id), p.address])),
    el("h3", {}, `This node's links (${outgoing.length})`),
    table(
      ["address", "state", "queued calls", "in flight", "subscriptions"],
      outgoing.map((p: any) => [
        p.address,
        p.connected ? `connected to ${String(p.id).slice(0, 12)}…` : `not connected: ${p.last_error}`,
        p.queued_calls,
        p.calls_in_flight,
        p.subscriptions,
      ]),
      new Set([2, 3, 4]),
    ),
  );
}

async function graphPage(): Promise<void> {
  page.append(el("h2", {}, "What triggered what"));
  try {
    const svgText = await getText("/graph.svg");
    const holder = el("div", { id: "graph" });
    holder.innerHTML = svgText.slice(svgText.indexOf("<svg"));
    page.append(
      el("p", { class: "muted" }, "From the node's log: what started each transaction, the reducer it ran and the tables it wrote (counted); dashed: subscriptions nothing went through."),
      holder,
    );
  } catch (error) {
    page.append(needsKey(error));
  }
}

async function tracesPage(): Promise<void> {
  const seconds = el("select", {}, ...[1, 2, 5, 10].map((s) => el("option", s === 2 ? { selected: "" } : {}, s))) as HTMLSelectElement;
  const button = el("button", { id: "record-trace" }, "Record") as HTMLButtonElement;
  const result = el("div", { id: "trace" });
  page.append(el("h2", {}, "Traces"), el("p", {}, "Record what the node does for ", seconds, " seconds: ", button), result);
  button.onclick = async () => {
    button.disabled = true;
    result.replaceChildren(el("p", { class: "muted" }, "recording…"));
    try {
      const text = await getText(`/trace?seconds=${seconds.value}`);
      const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      result.replaceChildren(
        el("p", {}, el("a", { href: url, download: "trace.json" }, "Download trace.json"), " (open it in ui.perfetto.dev)"),
        traceView(JSON.parse(text)),
      );
    } catch (error) {
      result.replaceChildren(needsKey(error));
    }
    button.disabled = false;
  };
}

async function metricsPage(): Promise<void> {
  const families = parseMetrics(await getText("/metrics"));
  page.append(el("h2", {}, "Metrics"), el("p", { class: "muted" }, "GET /metrics, for Prometheus; histograms as their count and sum."));
  const rows: (string | HTMLElement)[][] = [];
  for (const f of families)
    for (const s of f.samples) {
      if (s.name.endsWith("_bucket")) continue;
      rows.push([el("span", { title: f.help }, s.name), el("code", {}, s.labels), String(Number.isInteger(s.value) ? s.value : s.value.toFixed(6))]);
    }
  page.append(table(["metric", "labels", "value"], rows, new Set([2])));
}

const pages: Record<string, (arg: string) => Promise<void>> = {
  modules: modulesPage,
  tables: tablesPage,
  logs: logsPage,
  peers: peersPage,
  graph: graphPage,
  traces: tracesPage,
  metrics: metricsPage,
};

let shown = 0; // which route() shows the page now

async function route(): Promise<void> {
  leave?.();
  leave = null;
  const mine = ++shown;
  const [name, arg] = location.hash.replace(/^#/, "").split("/");
  const show = pages[name] ? name : "modules";
  for (const a of document.querySelectorAll("header nav a"))
    a.classList.toggle("current", a.getAttribute("href") === `#${show}`);
  page.replaceChildren();
  page.dataset.page = show;
  try {
    await pages[show](arg ?? "");
  } catch (error) {
    if (mine === shown) page.append(needsKey(error));
  }
  if (mine === shown) page.dataset.ready = show;
}

const keyInput = document.getElementById("operator-key") as HTMLInputElement;
keyInput.value = operatorKey();
keyInput.onchange = () => {
  // (A change event also comes when the field loses focus: only a new key
  // shows the page again.)
  if (keyInput.value.trim() === operatorKey()) return;
  setOperatorKey(keyInput.value);
  void route();
};
window.addEventListener("hashchange", () => void route());
getJson("/node")
  .then((node) => (document.getElementById("node-id")!.textContent = `node ${String(node.id).slice(0, 16)}…`))
  .catch(() => {});
void route();
