// A trace (GET /trace: trace-event JSON) as a summary per span name and a
// timeline with a row per thread, drawn as SVG.
import { el, table } from "./dom";

interface TraceEvent {
  ph: string;
  name: string;
  cat?: string;
  ts: number;
  dur?: number;
  tid?: number;
  id?: number;
  args?: Record<string, unknown>;
}

const SVG = "http://www.w3.org/2000/svg";
const COLOURS: Record<string, string> = {
  reducer: "#4e79a7",
  log: "#f28e2b",
  call: "#59a14f",
  network: "#b07aa1",
  subscription: "#e15759",
  table: "#76b7b2",
  host: "#edc948",
};

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function traceView(trace: { traceEvents: TraceEvent[]; otherData?: { spans: number; dropped: number } }): HTMLElement {
  const events = trace.traceEvents;
  const threads = new Map<number, string>();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name" && e.tid !== undefined) threads.set(e.tid, String(e.args?.name));
  // Complete spans, and the async calls joined from their begin and end.
  const spans: { name: string; cat: string; start: number; dur: number; lane: string }[] = [];
  for (const e of events)
    if (e.ph === "X") spans.push({ name: e.name, cat: e.cat ?? "", start: e.ts, dur: e.dur ?? 0, lane: threads.get(e.tid ?? 0) ?? `thread ${e.tid}` });
  const begins = new Map<number, TraceEvent>();
  for (const e of events) {
    if (e.ph === "b" && e.id !== undefined) begins.set(e.id, e);
    if (e.ph === "e" && e.id !== undefined && begins.has(e.id)) {
      const b = begins.get(e.id)!;
      spans.push({ name: b.name, cat: "call", start: b.ts, dur: e.ts - b.ts, lane: "calls" });
    }
  }
  // Summary: per category and name, how many, their total and longest.
  const summary = new Map<string, { cat: string; name: string; count: number; total: number; max: number }>();
  for (const s of spans) {
    const key = `${s.cat} ${s.name}`;
    const row = summary.get(key) ?? { cat: s.cat, name: s.name, count: 0, total: 0, max: 0 };
    row.count++;
    row.total += s.dur;
    row.max = Math.max(row.max, s.dur);
    summary.set(key, row);
  }
  const rows = [...summary.values()].sort((a, b) => b.total - a.total);
  const ms = (us: number) => (us / 1000).toFixed(3);
  const summaryTable = table(
    ["category", "span", "count", "total ms", "mean ms", "max ms"],
    rows.map((r) => [r.cat, r.name, r.count, ms(r.total), ms(r.total / r.count), ms(r.max)]),
    new Set([2, 3, 4, 5]),
  );

  // The timeline: one row per lane, spans as bars over the recording.
  const lanes = [...new Set(spans.map((s) => s.lane))].sort();
  const end = Math.max(1, ...spans.map((s) => s.start + s.dur));
  const width = 1100, left = 110, rowHeight = 22;
  const chart = svg("svg", { width, height: lanes.length * rowHeight + 30, role: "img" });
  lanes.forEach((lane, i) => {
    const label = svg("text", { x: 4, y: i * rowHeight + 15 });
    label.textContent = lane;
    chart.append(label);
  });
  for (const s of spans) {
    const x = left + ((width - left - 10) * s.start) / end;
    const w = Math.max(1, ((width - left - 10) * s.dur) / end);
    const y = lanes.indexOf(s.lane) * rowHeight + 3;
    const bar = svg("rect", { x, y, width: w, height: rowHeight - 6, fill: COLOURS[s.cat] ?? "#888", opacity: 0.8 });
    const title = svg("title", {});
    title.textContent = `${s.name}: ${ms(s.dur)} ms`;
    bar.append(title);
    chart.append(bar);
  }
  const axis = svg("text", { x: left, y: lanes.length * rowHeight + 20 });
  axis.textContent = `0 … ${ms(end)} ms`;
  chart.append(axis);

  const other = trace.otherData;
  return el(
    "div",
    {},
    el("p", {}, `${other?.spans ?? spans.length} spans`, other?.dropped ? ` (${other.dropped} dropped)` : ""),
    el("h3", {}, "Timeline"),
    chart,
    el("h3", {}, "Where the time went"),
    summaryTable,
  );
}
