/**
 * The shim binary for the Wine lane: what bin/containerd-shim-runhcs-v1 does, from this compiled tree
 * (`start` re-executes `node.exe <this file>` for the server, so it must be a script of its own).
 */
import { run } from "../../../src/shim/main.js";

await run();
