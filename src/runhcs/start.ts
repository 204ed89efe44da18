/**
 * `runhcs start`: starts a created container. It returns before HCS reports Running, which is why the
 * containerd shim polls `state` afterwards.
 */
import { requireId } from "./args.js";

/** What `start` needs. */
export interface StartOptions {
  id: string;
}

/** `start <id>` */
export function startArgs(opts: StartOptions): string[] {
  return ["start", requireId(opts.id)];
}
