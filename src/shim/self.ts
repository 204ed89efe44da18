/** This program as a file: how to run it again, and the directory it is installed in. */

import { dirname, resolve } from "node:path";
import { isSea } from "node:sea";

/**
 * How to run this program again: node with its flags and the script, or, in a single executable
 * (where Node repeats the executable as argv[1] and there is no script), the executable alone.
 */
export function selfCommand(): string[] {
  return isSea() ? [process.execPath] : [process.execPath, ...process.execArgv, process.argv[1] ?? ""];
}

/**
 * The directory of the shim's executable (the `.exe`, or the `bin/` script): where runhcs.exe is looked
 * for after PATH, and the server's working directory, which must not be the bundle (Windows cannot
 * remove a directory that a live process has as its cwd, and containerd removes the bundle right after
 * Shutdown).
 */
export function selfDir(): string {
  return dirname(resolve(isSea() ? process.execPath : (process.argv[1] ?? process.execPath)));
}
