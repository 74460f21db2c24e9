// The errors the client rejects with. Each has a `code`: the node's code for
// a refused call or subscription (docs/client-protocol.md: NotFound,
// InvalidArgument, Forbidden, Failed), or one of the client's own.

/** The node's codes, and the client's own: Closed (the connection ended), Http (a non-2xx answer). */
export type ErrorCode = "NotFound" | "InvalidArgument" | "Forbidden" | "Failed" | "Closed" | "Http";

export class IntersticeError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode | string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A reducer call the node refused, or whose reducer failed. */
export class CallError extends IntersticeError {}

/** A subscription the node refused (bad SQL, unknown table, a private table...). */
export class SubscribeError extends IntersticeError {}

/**
 * The connection ended: what was pending rejects with this. `reason` is the
 * node's Goodbye when it sent one, else how the socket closed.
 */
export class ClosedError extends IntersticeError {
  constructor(readonly reason: string) {
    super(`the connection to the node closed: ${reason}`, "Closed");
  }
}

/** An HTTP request answered with an error status (`status`; the node's message). */
export class HttpError extends IntersticeError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`HTTP ${status}: ${message}`, "Http");
  }
}
