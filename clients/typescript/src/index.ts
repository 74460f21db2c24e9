// @interstice/client: a TypeScript client for Interstice nodes (README.md).
export { connect, Client, type ConnectOptions } from "./client.js";
export { CallError, ClosedError, HttpError, IntersticeError, SubscribeError, type ErrorCode } from "./errors.js";
export { nodeAddress, type NodeAddress } from "./http.js";
export { Identity, IDENTITY_MESSAGE_PREFIX } from "./identity.js";
export { fromHex, parseJson, stringifyJson, toHex, type Value } from "./json.js";
export {
  Subscription,
  type ChangeOp,
  type Row,
  type RowChange,
  type SubscribeOptions,
  type Update,
} from "./subscription.js";
export { askQuery, callReducer, TableHandle, type TableSubscribeOptions } from "./bindings.js";
export {
  decodeValue,
  encodeValue,
  TypeMismatch,
  type Primitive,
  type TypeDef,
  type TypeDefs,
  type TypeDesc,
} from "./types.js";
