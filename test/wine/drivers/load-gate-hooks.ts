/**
 * Module loader hooks for `load-gate.ts` (they run on Node's hooks thread): loading
 * `.../src/shim/serve.js` dials the gate pipe and waits until the driver ends that connection, so the
 * driver sees the server exactly at the point where the Task service graph is about to load.
 */
import net from "node:net";

let gate = "";

export function initialize(data: { pipe: string }): void {
  gate = data.pipe;
}

type Next = (url: string, context: unknown) => Promise<unknown>;

export async function load(url: string, context: unknown, next: Next): Promise<unknown> {
  if (gate && /[\\/]src[\\/]shim[\\/]serve\.js$/.test(url)) {
    await new Promise<void>((resolve) => {
      const s = net.connect(gate);
      s.on("data", () => undefined);
      s.once("close", () => resolve());
      s.once("error", () => resolve()); // no gate: load normally
    });
  }
  return next(url, context);
}
