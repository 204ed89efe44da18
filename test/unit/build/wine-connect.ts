/**
 * Not a test: a ttrpc client that `exe-wine.test.ts` bundles (esbuild) and runs with the Windows node.exe
 * under wine, because a wine named pipe is reachable only from a Windows process. Arguments: the pipe
 * address and the task id. It calls Connect, prints `{ shimPid, version }` as JSON, then Shutdown.
 */
import { Task } from "../../../src/gen/containerd/task/v2/shim_pb.js";
import { Client, createClient } from "../../../src/ttrpc/index.js";

/** Connect + Shutdown against the shim at `address`; resolves with Connect's answer. */
export async function connectAndShutdown(
  address: string,
  id: string,
): Promise<{ shimPid: number; version: string }> {
  const client = await Client.connect(address, { timeoutMs: 20_000 });
  try {
    const task = createClient(client, Task);
    const reply = await task.connect({ id }, { timeoutMs: 20_000 });
    // The shim may hang up while answering Shutdown: that is an answer too.
    await task.shutdown({ id }, { timeoutMs: 20_000 }).catch(() => undefined);
    return { shimPid: reply.shimPid, version: reply.version };
  } finally {
    client.close();
  }
}

/** Entry when bundled: `node.exe connect.cjs <address> <id>`. */
export function main(argv: readonly string[]): void {
  const [address = "", id = ""] = argv;
  connectAndShutdown(address, id).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
