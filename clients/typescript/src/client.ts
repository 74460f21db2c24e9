// A connection to a node's client protocol (GET /v1/ws, JSON text frames;
// docs/client-protocol.md): reducer calls with many in flight, answered in
// completion order and matched by request id; SQL subscriptions; and POST
// /v1/sql reads. When the connection ends (a Goodbye, the socket closing, or
// close()), every pending call and subscription rejects with ClosedError and
// every live subscription ends (onEnd).
import WebSocket from "ws";

import { CallError, ClosedError, IntersticeError, SubscribeError } from "./errors.js";
import { nodeAddress, postJson, type NodeAddress } from "./http.js";
import type { Identity } from "./identity.js";
import { parseJson, stringifyJson, type Value } from "./json.js";
import {
  Subscription,
  type ChangeOp,
  type Row,
  type RowChange,
  type SubscribeOptions,
} from "./subscription.js";

export interface ConnectOptions {
  /** The node's local interface: "HOST:PORT", "http://HOST:PORT" or "ws://HOST:PORT". */
  url: string;
  /** A client token (Identity.authenticate), or the operator key to read private tables. */
  token?: string;
  /** Prove this identity first and use its token (when no token is given). */
  identity?: Identity;
  /** The largest message accepted from the node, in bytes (default 100 MiB). */
  maxMessageBytes?: number;
}

/** Connects; rejects if the node refuses the upgrade (HttpError-like IntersticeError with the status). */
export async function connect(options: ConnectOptions): Promise<Client> {
  const address = nodeAddress(options.url);
  let token = options.token;
  if (token === undefined && options.identity) token = await options.identity.authenticate(address.http);
  const socket = new WebSocket(address.ws, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    maxPayload: options.maxMessageBytes ?? 100 * 1024 * 1024,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        socket.terminate();
        reject(
          new IntersticeError(
            `the node refused the connection (HTTP ${response.statusCode}): ${body.trim()}`,
            "Http",
          ),
        );
      });
    });
    socket.once("error", reject);
  });
  return new Client(socket, address, token);
}

// Why a socket closed without a Goodbye, from its close code (RFC 6455).
function closeReason(code: number, reason: string): string {
  const meaning: Record<number, string> = {
    1000: "closed",
    1001: "the node is going away",
    1006: "the connection was lost",
    1008: "closed by the node's policy",
    1009: "a message was larger than the node accepts",
  };
  return `${meaning[code] ?? "closed"} (${code}${reason ? `: ${reason}` : ""})`;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Client {
  private nextId = 1;
  private readonly calls = new Map<number, Pending>();
  private readonly subscribing = new Map<number, { subscription: Subscription<unknown>; pending: Pending }>();
  private readonly subscriptions = new Map<number, Subscription<unknown>>();
  private readonly unsubscribing = new Map<number, Pending>();
  private goodbye: string | undefined;
  private closedWith: string | undefined;
  /** Resolves with the reason once the connection has ended. */
  readonly closed: Promise<string>;
  private resolveClosed!: (reason: string) => void;

  /** @internal Use connect(). */
  constructor(
    private readonly socket: WebSocket,
    private readonly address: NodeAddress,
    private readonly token: string | undefined,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    socket.on("message", (data, isBinary) => {
      if (isBinary) return this.fail("the node sent a binary frame on a JSON connection");
      try {
        this.receive(data.toString());
      } catch (e) {
        this.fail(`the node sent a malformed message: ${(e as Error).message}`);
      }
    });
    socket.on("close", (code, reason) => this.ended(this.goodbye ?? closeReason(code, reason.toString())));
    socket.on("error", (error) => this.ended(`socket error: ${error.message}`));
  }

  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.closedWith !== undefined;
  }

  /**
   * Calls MODULE.REDUCER with the arguments in the JSON mapping (bigints
   * for 64-bit integers beyond 2^53, Uint8Array or hex for bytes). Resolves
   * once the transaction is durable; rejects with CallError (its `code`)
   * if the node refused the call or the reducer failed, ClosedError if the
   * connection ended first.
   */
  call(module: string, reducer: string, ...args: unknown[]): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.send({ type: "call", id, module, reducer, args }, reject)) return;
      this.calls.set(id, { resolve, reject });
    });
  }

  /**
   * Subscribes to a SQL query (one table, a WHERE filter; no ORDER BY or
   * LIMIT). Resolves once the node answers, after onRows has had the rows;
   * rejects with SubscribeError (its `code`) if the node refused it.
   */
  subscribe<R = Row>(query: string, options: SubscribeOptions<R> = {}): Promise<Subscription<R>> {
    const id = this.nextId++;
    const subscription = new Subscription<R>(id, query, options, this);
    return new Promise((resolve, reject) => {
      const message: Record<string, unknown> = { type: "subscribe", id, query };
      if (options.resumeAfter !== undefined) message.resume_after = BigInt(options.resumeAfter);
      if (!this.send(message, reject)) return;
      this.subscribing.set(id, {
        subscription: subscription as Subscription<unknown>,
        pending: { resolve: () => resolve(subscription), reject },
      });
    });
  }

  /** @internal Subscription.unsubscribe(). */
  unsubscribe(subscriptionId: number): Promise<void> {
    const id = this.nextId++;
    this.subscriptions.delete(subscriptionId);
    return new Promise((resolve, reject) => {
      if (!this.send({ type: "unsubscribe", id, subscription: subscriptionId }, reject)) return;
      this.unsubscribing.set(id, { resolve, reject });
    });
  }

  /**
   * Asks module.query(args…) (a query, INTERSTICE_QUERY) by POST /query with
   * this connection's token, and resolves with its value as JSON; it reads
   * through the tables' views as this client. Nothing is logged. Rejects with
   * HttpError (404: not a query; 422: it failed).
   */
  query(module: string, query: string, ...args: unknown[]): Promise<Value> {
    return postJson(
      `${this.address.http}/query/${encodeURIComponent(module)}/${encodeURIComponent(query)}`,
      stringifyJson(args),
      { token: this.token },
    );
  }

  /**
   * Runs a SQL query (POST /v1/sql, docs/node.md "SQL") with this
   * connection's token; the matching rows with the columns asked for.
   */
  async sql(query: string): Promise<Row[]> {
    const rows = await postJson(`${this.address.http}/v1/sql`, query, {
      token: this.token,
      contentType: "text/plain",
    });
    if (!Array.isArray(rows)) throw new IntersticeError("the node's answer is not an array of rows", "Failed");
    return rows as Row[];
  }

  /** Closes the connection; what is pending rejects with ClosedError. Resolves once closed. */
  close(): Promise<string> {
    if (this.closedWith === undefined) {
      this.goodbye ??= "closed by the client";
      this.socket.close(1000);
      // A node that does not answer the close handshake: end it anyway.
      setTimeout(() => this.socket.terminate(), 2000).unref();
    }
    return this.closed;
  }

  // Sends a message, or rejects at once if the connection has ended.
  private send(message: unknown, reject: (error: Error) => void): boolean {
    if (this.closedWith !== undefined || this.socket.readyState !== WebSocket.OPEN) {
      reject(new ClosedError(this.closedWith ?? "not open"));
      return false;
    }
    let text: string;
    try {
      text = stringifyJson(message);
    } catch (e) {
      reject(e as Error);
      return false;
    }
    this.socket.send(text);
    return true;
  }

  private receive(text: string): void {
    let message: Record<string, Value>;
    try {
      const parsed = parseJson(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
      message = parsed;
    } catch (e) {
      return this.fail(`the node sent a message that is not JSON: ${(e as Error).message}`);
    }
    const id = Number(message.id ?? 0);
    switch (message.type) {
      case "call_result": {
        const pending = this.calls.get(id);
        if (!pending) return;
        this.calls.delete(id);
        if (message.ok === true) return pending.resolve();
        return pending.reject(new CallError(String(message.error ?? ""), String(message.code ?? "Failed")));
      }
      case "subscribed": {
        const waiting = this.subscribing.get(id);
        if (!waiting) return;
        this.subscribing.delete(id);
        if (message.ok !== true)
          return waiting.pending.reject(
            new SubscribeError(String(message.error ?? ""), String(message.code ?? "Failed")),
          );
        this.subscriptions.set(id, waiting.subscription);
        const rows = Array.isArray(message.rows) ? message.rows : [];
        this.guard(() =>
          waiting.subscription.deliverRows(
            String(message.module),
            String(message.table),
            BigInt(message.offset as number | bigint),
            rows,
          ),
        );
        return waiting.pending.resolve();
      }
      case "update": {
        const subscription = this.subscriptions.get(Number(message.subscription));
        if (!subscription) return;
        const changes = (Array.isArray(message.changes) ? message.changes : []).map((c) => {
          const change = c as { op: ChangeOp; row: Value; old?: Value };
          const out: RowChange<Value> = { op: change.op, row: change.row };
          if (change.old !== undefined) out.old = change.old;
          return out;
        });
        return this.guard(() => subscription.deliverUpdate(BigInt(message.offset as number | bigint), changes));
      }
      case "unsubscribed": {
        const subscriptionId = Number(message.subscription);
        if (id === 0) {
          // The node ended it: its module was replaced, or a resume cannot go on.
          const subscription = this.subscriptions.get(subscriptionId);
          this.subscriptions.delete(subscriptionId);
          if (subscription) this.guard(() => subscription.end(String(message.reason ?? "ended by the node")));
          return;
        }
        const pending = this.unsubscribing.get(id);
        if (!pending) return;
        this.unsubscribing.delete(id);
        if (message.ok === true) return pending.resolve();
        return pending.reject(new IntersticeError(String(message.reason ?? "unsubscribe refused"), "InvalidArgument"));
      }
      case "goodbye":
        this.goodbye = `the node said goodbye: ${String(message.reason ?? "")}`;
        return;
      default:
        return this.fail(`the node sent an unknown message type: ${String(message.type)}`);
    }
  }

  // A callback's exception is the application's: rethrown outside the
  // client's bookkeeping (an uncaught exception), which goes on.
  private guard(deliver: () => void): void {
    try {
      deliver();
    } catch (e) {
      queueMicrotask(() => {
        throw e;
      });
    }
  }

  private fail(reason: string): void {
    this.goodbye ??= reason;
    this.socket.terminate();
  }

  private ended(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    const error = new ClosedError(reason);
    for (const pending of this.calls.values()) pending.reject(error);
    for (const { pending } of this.subscribing.values()) pending.reject(error);
    for (const pending of this.unsubscribing.values()) pending.reject(error);
    const live = [...this.subscriptions.values()];
    this.calls.clear();
    this.subscribing.clear();
    this.unsubscribing.clear();
    this.subscriptions.clear();
    for (const subscription of live) this.guard(() => subscription.end(reason));
    this.resolveClosed(reason);
  }
}
