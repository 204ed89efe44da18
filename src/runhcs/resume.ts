/** `runhcs resume`: resumes a paused container. */
import { requireId } from "./args.js";

/** What `resume` needs. */
export interface ResumeOptions {
  id: string;
}

/** `resume <id>` */
export function resumeArgs(opts: ResumeOptions): string[] {
  return ["resume", requireId(opts.id)];
}
