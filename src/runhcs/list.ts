/** `runhcs list --format=json`: every container under the client's `--root`. */
import { type ContainerState, toContainerState } from "./state.js";

/** `list --format=json` */
export function listArgs(): string[] {
  return ["list", "--format=json"];
}

/** Parses `list` stdout: a JSON array of state objects, or `null` when there are none. */
export function parseList(stdout: string): ContainerState[] {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (e: unknown) {
    throw new Error(`invalid JSON output: ${(e as Error).message}`);
  }
  if (value === null) return [];
  if (!Array.isArray(value)) throw new Error("output is not a JSON array");
  return value.map(toContainerState);
}
