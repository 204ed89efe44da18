/**
 * Entry of the runhcs simulator (loaded by test/sim/bin/runhcs). Not shipped: it lets the shim run against
 * real Linux processes under a real containerd. Exits through process.exit so detached handles never keep
 * a finished CLI call alive.
 */
import { fileURLToPath } from "node:url";
import { run } from "./cli.js";

const code = await run(process.argv.slice(2), fileURLToPath(import.meta.url));
process.exit(code);
