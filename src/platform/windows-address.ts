/**
 * Windows {@link ShimAddress}: named pipes, as hcsshim's containerd-shim-runhcs-v1 and containerd name them.
 *
 * - Task API: `\\.\pipe\ProtectedPrefix\Administrators\containerd-shim-<ns>-<id>-pipe` (hcsshim
 *   `serve.go`; only administrators may create pipes under the protected prefix, so no other user can
 *   squat the name before the shim listens).
 * - Log: `\\.\pipe\containerd-shim-<ns>-<id>-log`, fixed by containerd (`runtime/v2/shim_windows.go`
 *   `openShimLog`); the shim is the pipe server and containerd dials it.
 * Namespace and id are validated as containerd identifiers, so they cannot contain `\` or other separators.
 */
import { InvalidArgumentError } from "../errdefs.js";
import { validateId } from "../ids.js";
import type { ShimAddress, ShimIdentity } from "./types.js";

/** Prefix of every local named pipe path. */
export const PIPE_PREFIX = "\\\\.\\pipe\\";
const PROTECTED_PREFIX = `${PIPE_PREFIX}ProtectedPrefix\\Administrators\\`;

/** Named-pipe naming (no options: `ShimAddressOptions.socketDir` does not apply to pipes). */
export class WindowsShimAddress implements ShimAddress {
  socketAddress(who: ShimIdentity): string {
    validateId(who.namespace, "namespace");
    validateId(who.id, "id");
    return `${PROTECTED_PREFIX}containerd-shim-${who.namespace}-${who.id}-pipe`;
  }

  logEndpoint(who: Pick<ShimIdentity, "namespace" | "id">, _bundleDir: string): string {
    validateId(who.namespace, "namespace");
    validateId(who.id, "id");
    return `${PIPE_PREFIX}containerd-shim-${who.namespace}-${who.id}-log`;
  }

  /** Pipe names are used as they are; anything else is not a Windows shim address. */
  toListenPath(address: string): string {
    if (!address.toLowerCase().startsWith(PIPE_PREFIX)) {
      throw new InvalidArgumentError(`${JSON.stringify(address)} is not a named pipe (\\\\.\\pipe\\...)`);
    }
    return address;
  }
}
