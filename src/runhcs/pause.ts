/** `runhcs pause`: pauses a running container. */
import { requireId } from "./args.js";

/** What `pause` needs. */
export interface PauseOptions {
  id: string;
}

/** `pause <id>` */
export function pauseArgs(opts: PauseOptions): string[] {
  return ["pause", requireId(opts.id)];
}
