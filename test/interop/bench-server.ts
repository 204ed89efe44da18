/**
 * The TypeScript side of `scripts/bench.mjs ttrpc`: our Server with the interop test service
 * (its Echo is what the benchmark calls), in its own process like a shim.
 *
 *   node bench-server.js --socket PATH     prints "ready" once listening; stops on SIGTERM or stdin EOF
 */
import { parseArgs } from "node:util";
import { Server } from "../../src/ttrpc/index.js";
import { TEST_SERVICE, testServiceMethods } from "./test-service.js";

const { values } = parseArgs({ options: { socket: { type: "string" } } });
if (!values.socket) {
  console.error("usage: bench-server --socket PATH");
  process.exit(2);
}

const server = new Server();
server.register(TEST_SERVICE, testServiceMethods());
await server.listen(`unix://${values.socket}`);

const stop = () => {
  server.close();
  // Let --cpu-prof write its profile: exit through the normal path, not process.exit in a signal.
  setImmediate(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
if (!process.stdin.isTTY) {
  process.stdin.resume();
  process.stdin.once("end", stop);
}
process.stdout.write("ready\n");
