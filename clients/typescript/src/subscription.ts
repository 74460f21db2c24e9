// A SQL subscription of a Client: its rows, then every change to them in
// log order, each transaction's changes as one Update with its log offset.
import type { Value } from "./json.js";

/** A row as the node sends it: the columns asked for, by name. */
export type Row = { [column: string]: Value };

export type ChangeOp = "insert" | "update" | "delete";

/**
 * One row's change. `old` is the row before an update, when the node has
 * it (not for changes read from the log on a resume).
 */
export interface RowChange<R = Row> {
  op: ChangeOp;
  row: R;
  old?: R;
}

/** The changes of one transaction, at log offset `offset`. */
export interface Update<R = Row> {
  offset: bigint;
  changes: RowChange<R>[];
}

export interface SubscribeOptions<R = Row> {
  /** Resume after this log offset (a Subscription's lastOffset): no rows, then exactly the changes since. */
  resumeAfter?: bigint | number;
  /** The matching rows as of log offset `offset`; not called on a resume. */
  onRows?: (rows: R[], offset: bigint) => void;
  /** Each later transaction that changed matching rows, in log order. */
  onUpdate?: (update: Update<R>) => void;
  /** The subscription ended without unsubscribe(): the node ended it, or the connection closed. */
  onEnd?: (reason: string) => void;
  /** Turns each row as sent (JSON) into R; generated bindings pass their typed decoder. */
  decode?: (row: Value) => R;
}

/** What a Subscription needs of its Client. */
export interface SubscriptionOwner {
  unsubscribe(id: number): Promise<void>;
}

export class Subscription<R = Row> {
  /** The module and table the query reads (known once subscribed). */
  module = "";
  table = "";
  /**
   * The offset after which nothing is missing: the rows' offset, then each
   * update's (on a resume: resumeAfter, then each update's). Pass it as
   * resumeAfter after a reconnect to receive exactly the missed changes.
   */
  lastOffset: bigint;
  private endedWith: string | undefined;

  constructor(
    readonly id: number,
    readonly query: string,
    private readonly options: SubscribeOptions<R>,
    private readonly owner: SubscriptionOwner,
  ) {
    this.lastOffset = options.resumeAfter === undefined ? 0n : BigInt(options.resumeAfter);
  }

  /** Why it ended (undefined while it is live). */
  get endReason(): string | undefined {
    return this.endedWith;
  }

  /** Stops the changes; resolves once the node confirms. */
  unsubscribe(): Promise<void> {
    if (this.endedWith !== undefined) return Promise.resolve();
    this.endedWith = "unsubscribed";
    return this.owner.unsubscribe(this.id);
  }

  // The rest is the Client's: deliveries of the node's messages.

  /** @internal */
  deliverRows(module: string, table: string, offset: bigint, rows: Value[]): void {
    this.module = module;
    this.table = table;
    if (this.options.resumeAfter !== undefined) return;  // catch-up updates follow
    this.lastOffset = offset;
    const decode = this.options.decode;
    const typed = decode ? rows.map((r) => decode(r)) : (rows as R[]);
    this.options.onRows?.(typed, offset);
  }

  /** @internal */
  deliverUpdate(offset: bigint, changes: RowChange<Value>[]): void {
    if (this.endedWith !== undefined) return;
    if (offset > this.lastOffset) this.lastOffset = offset;
    const decode = this.options.decode;
    const typed = decode
      ? changes.map((c) => {
          const change: RowChange<R> = { op: c.op, row: decode(c.row) };
          if (c.old !== undefined) change.old = decode(c.old);
          return change;
        })
      : (changes as RowChange<R>[]);
    this.options.onUpdate?.({ offset, changes: typed });
  }

  /** @internal */
  end(reason: string): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = reason;
    this.options.onEnd?.(reason);
  }
}
