/**
 * Wine driver: our ttrpc server and client over a real Windows named pipe: 200 concurrent calls with
 * payloads from 0 bytes to just under the 4 MiB message limit (byte-mode pipe writes are split and
 * coalesced by the OS), an over-limit request refused, and an orderly close.
 */
import { createHash, randomBytes } from "node:crypto";
import { Client, Server } from "../../../src/ttrpc/index.js";
import { runDriver, within } from "./report.js";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

runDriver(async () => {
  const address = `\\\\.\\pipe\\ttrpc-wine-${randomBytes(6).toString("hex")}`;
  const server = new Server();
  server.register("wine.Echo", {
    Echo: (req) => req,
    Hash: (req) => new TextEncoder().encode(sha(req)),
  });
  await server.listen(address);
  const client = await Client.connect(address, { timeoutMs: 10_000 });
  try {
    const sizes = [0, 1, 4096, 65_535, 65_536, 1 << 20, (4 << 20) - 1024];
    const big = await Promise.all(
      sizes.map(async (n) => {
        const payload = randomBytes(n);
        const echoed = await client.call("wine.Echo", "Echo", payload, { timeoutMs: 60_000 });
        return echoed.length === n && sha(echoed) === sha(payload);
      }),
    );
    const many = await within(
      Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const payload = randomBytes(1000 + i * 37);
          const h = await client.call("wine.Echo", "Hash", payload, { timeoutMs: 60_000 });
          return new TextDecoder().decode(h) === sha(payload);
        }),
      ),
      60_000,
      "200 calls",
    );
    const over = await client
      .call("wine.Echo", "Echo", new Uint8Array((4 << 20) + 1), { timeoutMs: 30_000 })
      .then(
        () => "accepted",
        (err: Error) => err.message,
      );
    return { bigOk: big, manyOk: many.filter(Boolean).length, over };
  } finally {
    client.close();
    await server.shutdown(AbortSignal.timeout(5_000)).catch(() => server.close());
  }
});
