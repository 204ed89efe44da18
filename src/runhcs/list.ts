/** `runhcs list --format=json`: every container under the client's `--root`. */
import { parseJsonArray } from "./args.js";
import { type ContainerState, toContainerState } from "./state.js";

/** `list --format=json` */
export function listArgs(): string[] {
  return ["list", "--format=json"];
}

/** Parses `list` stdout: a JSON array of state objects, or `null` when there are none. */
export function parseList(stdout: string): ContainerState[] {
  return parseJsonArray(stdout).map(toContainerState);
}
