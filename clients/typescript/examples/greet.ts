// The README's example: greets NAME on the node at ADDR through hello's
// generated bindings, as a client with its own key, and prints what the
// greetings subscription sees.
//   node dist-test/examples/greet.js 127.0.0.1:8080 Alice [KEY_FILE]
import { connect, Identity } from "@interstice/client";

import { bind } from "./generated/hello.js"; // interstice generate --lang ts hello.wasm

const [address = "127.0.0.1:8080", name = "Alice", keyFile = "client.key"] = process.argv.slice(2);

const me = Identity.loadOrCreate(keyFile); // an Ed25519 key, 64 hex digits
const client = await connect({ url: address, identity: me }); // proves the key, then /v1/ws
const hello = bind(client);

let greeted!: () => void;
const done = new Promise<void>((resolve) => (greeted = resolve));
await hello.tables.greetings.subscribe({
  onRows: (rows) => console.log(`${rows.length} greetings so far`),
  onUpdate: ({ offset, changes }) => {
    for (const { op, row } of changes) {
      console.log(`offset ${offset}: ${op} #${row.id} "${row.greeting}"`);
      if (row.greeting === `Hello, ${name}!`) greeted();
    }
  },
});
await hello.reducers.hello(name); // resolves once the transaction is durable
await done;
await client.close();
