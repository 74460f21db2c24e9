// The node's local HTTP interface (docs/node.md): where it is, and requests
// to it whose answers are JSON, parsed without losing 64-bit integers.
import { HttpError } from "./errors.js";
import { parseJson, type Value } from "./json.js";

/** A node's addresses: the HTTP base URL and the client protocol's WebSocket URL. */
export interface NodeAddress {
  http: string;
  ws: string;
}

/**
 * Accepts "HOST:PORT", "http://HOST:PORT" (or https) and "ws://HOST:PORT"
 * (or wss); a path is ignored.
 */
export function nodeAddress(address: string): NodeAddress {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `http://${address}`;
  const url = new URL(withScheme);
  const secure = url.protocol === "https:" || url.protocol === "wss:";
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol))
    throw new TypeError(`not a node address: ${address}`);
  return {
    http: `${secure ? "https" : "http"}://${url.host}`,
    ws: `${secure ? "wss" : "ws"}://${url.host}/v1/ws`,
  };
}

/** POSTs `body` and returns the JSON answer; HttpError for any status but 2xx. */
export async function postJson(
  url: string,
  body: string,
  options: { token?: string; contentType?: string } = {},
): Promise<Value> {
  const headers: Record<string, string> = { "Content-Type": options.contentType ?? "application/json" };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  if (!response.ok) throw new HttpError(response.status, errorMessage(text));
  return parseJson(text);
}

// The node answers errors as {"error": "message"}.
function errorMessage(text: string): string {
  try {
    const parsed = parseJson(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && typeof parsed.error === "string")
      return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return text;
}
