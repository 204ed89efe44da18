/**
 * The shim binary: parses the Go-style flags and runs the action (`start`, `delete`, or the server when
 * there is none). stdout carries protocol output only (the address, or DeleteResponse bytes); errors are
 * one line on stderr and exit status 1. Nothing calls `process.exit` before stdout is flushed.
 *
 * Each action's module is imported when that action runs: containerd waits for `start` (which boots this
 * program twice: `start`, then the server it spawns) and `-v` needs none of them, so neither pays for
 * loading and evaluating the server's graph (Task service, runhcs, stdio, events, protobuf descriptors,
 * pino). In the single executable, esbuild keeps these imports lazy (modules evaluated on first import).
 * The server opens its log endpoint (`server-log.ts`) before it imports that graph.
 */
import { VERSION } from "../version.js";
import { FlagError, parseFlags, type ShimFlags } from "./flags.js";
import { errorText, signalReady } from "./ready.js";

/** The program name containerd knows us by. */
export const SHIM_NAME = "containerd-shim-runhcs-v1";

/** Runs the command line `argv` (without node and script); resolves with the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let flags: ShimFlags;
  try {
    flags = parseFlags(argv);
  } catch (err: unknown) {
    if (err instanceof FlagError) {
      process.stderr.write(`${SHIM_NAME}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (flags.version) {
    await writeOut(`${SHIM_NAME}:\n  Version:  ${VERSION}\n`);
    return 0;
  }
  try {
    if (flags.info) throw new Error("-info is not supported by this shim");
    if (!flags.namespace) throw new Error("shim namespace cannot be empty");
    if (!flags.id) throw new Error("shim id cannot be empty");
    switch (flags.action) {
      case "start": {
        const { start } = await import("./start.js");
        await writeOut(await start(flags));
        return 0;
      }
      case "delete": {
        const { deleteShim, encodeDeleteResponse } = await import("./delete.js");
        await writeOut(encodeDeleteResponse(await deleteShim(flags)));
        return 0;
      }
      case "": {
        // The log endpoint first (containerd dials the Windows log pipe for 5 s only), then the graph.
        const { openServerLog } = await import("./server-log.js");
        const sink = openServerLog(flags);
        const { serve } = await import("./serve.js");
        return await serve(flags, sink);
      }
      default:
        throw new Error(`unknown action ${JSON.stringify(flags.action)} (want start, delete or none)`);
    }
  } catch (err: unknown) {
    signalReady(err); // a server that fails before listening tells `start` why (no-op otherwise)
    process.stderr.write(`${SHIM_NAME} ${flags.action || "serve"}: ${errorText(err)}\n`);
    return 1;
  }
}

function writeOut(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(data, (err) => (err ? reject(err) : resolve())),
  );
}

/** Runs `main` on this process's arguments and exits with its status once output is flushed. */
export async function run(): Promise<void> {
  const code = await main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${SHIM_NAME}: ${errorText(err)}\n`);
    return 1;
  });
  process.exit(code);
}
