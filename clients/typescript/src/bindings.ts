// What generated bindings (`interstice generate --lang ts`) use: typed
// reducer calls, typed queries, and typed tables (subscriptions and SQL reads of whole
// rows, SELECT *, decoded to the row type).
import type { Client } from "./client.js";
import type { Value } from "./json.js";
import type { Subscription, SubscribeOptions } from "./subscription.js";
import { decodeValue, encodeValue, type TypeDefs, type TypeDesc } from "./types.js";

/**
 * Calls module.reducer with typed arguments, converted by their parameter
 * types; rejects with TypeMismatch (before sending) if one does not fit.
 */
export function callReducer(
  client: Client,
  module: string,
  reducer: string,
  types: TypeDefs,
  params: readonly TypeDesc[],
  args: readonly unknown[],
): Promise<void> {
  let encoded: Value[];
  try {
    encoded = params.map((type, i) => encodeValue(types, type, args[i], `$[${i}]`));
  } catch (e) {
    return Promise.reject(e);
  }
  return client.call(module, reducer, ...encoded);
}

/**
 * Asks module.query with typed arguments (converted by their parameter
 * types; TypeMismatch before sending if one does not fit) and resolves with
 * its value converted by the result type.
 */
export async function askQuery(
  client: Client,
  module: string,
  query: string,
  types: TypeDefs,
  params: readonly TypeDesc[],
  result: TypeDesc,
  args: readonly unknown[],
): Promise<unknown> {
  const encoded = params.map((type, i) => encodeValue(types, type, args[i], `$[${i}]`));
  return decodeValue(types, result, await client.query(module, query, ...encoded));
}

export interface TableSubscribeOptions<R> extends Omit<SubscribeOptions<R>, "decode"> {
  /** A SQL condition on the table's columns ("score > 0"); every row without it. */
  where?: string;
}

export class TableHandle<R> {
  constructor(
    readonly client: Client,
    readonly module: string,
    readonly name: string,
    private readonly types: TypeDefs,
    private readonly rowType: string,
  ) {}

  /** SELECT * FROM module.table [WHERE where]. */
  query(where?: string): string {
    return `SELECT * FROM ${this.module}.${this.name}` + (where ? ` WHERE ${where}` : "");
  }

  /** A row as the node sent it → R (TypeMismatch if it is not one). */
  decode(row: Value): R {
    return decodeValue(this.types, { named: this.rowType }, row) as R;
  }

  /** Subscribes to the table's rows (those matching `where`), typed. */
  subscribe(options: TableSubscribeOptions<R> = {}): Promise<Subscription<R>> {
    const { where, ...rest } = options;
    return this.client.subscribe<R>(this.query(where), { ...rest, decode: (row) => this.decode(row) });
  }

  /** Reads the rows (those matching `where`) once, by POST /v1/sql. */
  async select(where?: string): Promise<R[]> {
    const rows = await this.client.sql(this.query(where));
    return rows.map((row) => this.decode(row));
  }
}
