// A table's rows, kept up to date: a subscription to `SELECT * FROM
// module.table` over the client protocol (docs/client-protocol.md, JSON
// form) on this node's /v1/ws.

export interface LiveTable {
  close(): void;
}

export interface LiveTableEvents {
  // Every row, after the first answer and after each update; `changed` are
  // the rows (as JSON text) that the last update inserted or changed.
  rows(rows: unknown[], offset: number, changed: Set<string>): void;
  error(message: string): void;
}

export function subscribeTable(module: string, table: string, events: LiveTableEvents): LiveTable {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/ws`;
  const socket = new WebSocket(url);
  let rows: string[] = [];
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: "subscribe", id: 1, query: `SELECT * FROM ${module}.${table}` }));
  };
  socket.onmessage = (message) => {
    const m = JSON.parse(String(message.data));
    if (m.type === "subscribed") {
      if (!m.ok) return events.error(m.error);
      rows = m.rows.map((r: unknown) => JSON.stringify(r));
      events.rows(rows.map((r) => JSON.parse(r)), m.offset, new Set());
    } else if (m.type === "update") {
      const changed = new Set<string>();
      for (const c of m.changes) {
        const row = JSON.stringify(c.row);
        if (c.op === "insert") {
          rows.push(row);
          changed.add(row);
        } else if (c.op === "delete") {
          rows = rows.filter((r) => r !== row);
        } else {
          const old = JSON.stringify(c.old);
          const at = rows.indexOf(old);
          if (at >= 0) rows[at] = row;
          else rows.push(row);
          changed.add(row);
        }
      }
      events.rows(rows.map((r) => JSON.parse(r)), m.offset, changed);
    } else if (m.type === "unsubscribed" || m.type === "goodbye") {
      events.error(m.reason || "the node ended the subscription");
    }
  };
  socket.onerror = () => events.error("the WebSocket to the node failed");
  return { close: () => socket.close() };
}
