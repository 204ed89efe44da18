/**
 * What Create and Exec check of the bundle before they write in it: the bundle is the shim's own (so
 * runhcs, which runs with the bundle as its working directory, and the shim agree on every path), and the
 * files the shim will later remove are not there yet (so every file it removes is one its own operation
 * created: the shim never removes a file it did not create). The files it takes are recorded as the
 * shim's before they are created, for the `delete` action (`bundle/created-files.ts`).
 */
import { lstatSync } from "node:fs";
import { stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { recordCreated } from "../bundle/index.js";
import { FailedPreconditionError, InvalidArgumentError } from "../errdefs.js";

/**
 * Throws InvalidArgument unless `bundle` is absolute and names the shim's `-bundle`: a relative path
 * would be resolved against the shim's working directory by the shim and against another by runhcs.
 * The same directory spelled otherwise (another case of a Windows drive letter, a link) is the same bundle.
 */
export async function checkBundle(bundle: string, shimBundle: string): Promise<void> {
  if (isAbsolute(bundle) && (resolve(bundle) === resolve(shimBundle) || (await sameFile(bundle, shimBundle))))
    return;
  throw new InvalidArgumentError(
    `bundle ${JSON.stringify(bundle)} is not this shim's bundle ${JSON.stringify(shimBundle)}`,
  );
}

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([stat(a, { bigint: true }), stat(b, { bigint: true })]);
    return x.dev === y.dev && x.ino === y.ino && x.ino !== 0n;
  } catch {
    return false;
  }
}

/** Whether `path` exists (a dangling symlink counts: it is still not ours to replace or remove). */
function exists(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

/**
 * Takes the files an operation is about to create in `bundle`: FailedPrecondition when one of `names`
 * exists already (another task's or someone else's file that the operation would overwrite and later
 * remove); of `ifAbsent` (files runhcs writes to whether they exist or not: its logs) those that exist
 * are left to their owner. What is taken is recorded as the shim's before the operation creates it.
 * Returns the `ifAbsent` names taken. Synchronous, as the bundle's small files are (`bundle/files.ts`).
 */
export function claimFiles(
  bundle: string,
  what: string,
  names: readonly string[],
  ifAbsent: readonly string[] = [],
): string[] {
  const found = [...names, ...ifAbsent].map((n) => exists(join(bundle, n)));
  const taken = names.filter((_, i) => found[i]);
  if (taken.length > 0) {
    throw new FailedPreconditionError(
      `${what}: the bundle already holds ${taken.join(", ")}, which this shim did not create`,
    );
  }
  const absent = ifAbsent.filter((_, i) => !found[names.length + i]);
  recordCreated(bundle, [...names, ...absent]);
  return absent;
}
