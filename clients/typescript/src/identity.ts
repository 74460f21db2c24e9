// A client identity: an Ed25519 key that the client proves to a node for a
// token (docs/client-protocol.md, "Identity"). With the token, reducers see
// the client as `client:<public key hex>` (ctx.caller()).
//
// A key file holds the key's 32-byte seed as 64 hex digits (and a newline),
// the format of `interstice identity --key-file FILE`, so the CLI and this
// SDK can share one identity.
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

import { IntersticeError } from "./errors.js";
import { nodeAddress, postJson } from "./http.js";

/** What the client signs: this prefix, then the challenge's 64 hex digits. */
export const IDENTITY_MESSAGE_PREFIX = "interstice client identity\n";

// A PKCS#8 DER wrapping of an Ed25519 seed (RFC 8410): this header, then the 32 bytes.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export class Identity {
  /** The public key, 64 hex digits. */
  readonly publicKey: string;
  private readonly key: KeyObject;
  private readonly seed: Buffer;

  private constructor(seed: Buffer) {
    this.seed = seed;
    this.key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: "der",
      type: "pkcs8",
    });
    const spki = createPublicKey(this.key).export({ format: "der", type: "spki" });
    this.publicKey = spki.subarray(spki.length - 32).toString("hex");
  }

  /** A new random key. */
  static generate(): Identity {
    return new Identity(randomBytes(32));
  }

  /** The key of a 32-byte seed (bytes, or 64 hex digits). */
  static fromSeed(seed: Uint8Array | string): Identity {
    const bytes = typeof seed === "string" ? Buffer.from(seed.trim(), "hex") : Buffer.from(seed);
    if (bytes.length !== 32 || (typeof seed === "string" && !/^[0-9a-fA-F]{64}$/.test(seed.trim())))
      throw new TypeError("an Ed25519 seed is 32 bytes (64 hex digits)");
    return new Identity(bytes);
  }

  /** The key in `file` (64 hex digits); throws if it is missing or not a key. */
  static load(file: string): Identity {
    const text = readFileSync(file, "utf8");
    try {
      return Identity.fromSeed(text);
    } catch {
      throw new TypeError(`${file} is not a client key (64 hex digits)`);
    }
  }

  /** The key in `file`, or a new one written there (mode 0600) if the file does not exist. */
  static loadOrCreate(file: string): Identity {
    try {
      return Identity.load(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const identity = Identity.generate();
    try {
      identity.save(file);
    } catch (e) {
      // Another process created it first: use its key.
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return Identity.load(file);
      throw e;
    }
    return identity;
  }

  /** Writes the seed to a new file, readable by its owner only; never overwrites one. */
  save(file: string): void {
    writeFileSync(file, this.seed.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  }

  /** How reducers see this client: `client:<public key hex>`. */
  get name(): string {
    return `client:${this.publicKey}`;
  }

  /** A detached Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.key));
  }

  /**
   * Proves this key to the node at `address` (the challenge exchange) and
   * returns the token it issues, for connect({token}) or an Authorization
   * header. Rejects with HttpError if the node refuses.
   */
  async authenticate(address: string): Promise<string> {
    const base = nodeAddress(address).http;
    const issued = await postJson(`${base}/v1/identity/challenge`, "");
    const challenge = field(issued, "challenge");
    if (!/^[0-9a-f]{64}$/.test(challenge))
      throw new IntersticeError("the node's challenge is not 64 hex digits", "Failed");
    const signature = this.sign(Buffer.from(IDENTITY_MESSAGE_PREFIX + challenge, "utf8"));
    const answer = await postJson(
      `${base}/v1/identity`,
      JSON.stringify({
        public_key: this.publicKey,
        challenge,
        signature: Buffer.from(signature).toString("hex"),
      }),
    );
    if (field(answer, "identity") !== this.name)
      throw new IntersticeError(`the node issued a token for ${field(answer, "identity")}`, "Failed");
    return field(answer, "token");
  }
}

function field(object: unknown, name: string): string {
  const value = object && typeof object === "object" ? (object as Record<string, unknown>)[name] : undefined;
  if (typeof value !== "string") throw new IntersticeError(`the node's answer has no "${name}"`, "Failed");
  return value;
}
