/**
 * Not a driver: preloaded into a shim server (`node.exe --import <this> shim-entry.js ...`) by the
 * `log-early` driver. It registers `load-gate-hooks.js`, which holds the load of `src/shim/serve.js`
 * (and so of everything it imports) until the driver releases it through the gate pipe named by
 * `WINE_LOAD_GATE_PIPE`. Test code only: production code has no such hook.
 */
import { register } from "node:module";

const pipe = process.env.WINE_LOAD_GATE_PIPE;
if (pipe) register("./load-gate-hooks.js", import.meta.url, { data: { pipe } });
