// Runs this node binary with `args` in `cwd`; resolves with stdout, throws with its output on failure.
import { execFile } from "node:child_process";

export function runNode(args, cwd) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node ${args.join(" ")} failed: ${stderr || stdout || err.message}`));
      else resolve(stdout);
    });
  });
}
