// Building the page: elements from tags, attributes and children.

type Child = Node | string | number | null | undefined | false;

export function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) e.setAttribute(name, value);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === "number" ? String(c) : c);
  }
  return e;
}

export function table(headers: string[], rows: Child[][], numeric: Set<number> = new Set()): HTMLElement {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      ...rows.map((r) => el("tr", {}, ...r.map((c, i) => el("td", numeric.has(i) ? { class: "num" } : {}, c)))),
    ),
  );
}

export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return el("p", { class: "error" }, message);
}

// A value as one line of JSON.
export function show(value: unknown): string {
  return JSON.stringify(value);
}
