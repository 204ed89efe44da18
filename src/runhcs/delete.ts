/** `runhcs delete`: removes the container; with force it also terminates a running one. */
import { requireId } from "./args.js";

/** What `delete` needs. */
export interface DeleteOptions {
  id: string;
  /** Terminate a non-stopped container, and succeed when its state is already gone. */
  force?: boolean;
}

/** `delete [--force] <id>` */
export function deleteArgs(opts: DeleteOptions): string[] {
  const args = ["delete"];
  if (opts.force) args.push("--force");
  args.push(requireId(opts.id));
  return args;
}
