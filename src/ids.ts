/**
 * containerd identifier validation (`identifiers.Validate` in containerd 1.6), used for namespaces, task ids
 * and exec ids before they become file names, socket names or pipe names.
 *
 * containerd guarantees that an identifier passing this check is safe as a single path component: only
 * ASCII letters and digits, with single `.`, `_` or `-` separators between them (so no leading or trailing
 * separator, no `..`, no `/` or `\`), and at most 76 characters. We apply the same rule on our side too,
 * because the shim is also started by hand and by tests, and a name like `../x` must never reach the file
 * system or a pipe name.
 */
import { InvalidArgumentError } from "./errdefs.js";

/** containerd's `identifiers.maxLength`. */
export const MAX_ID_LENGTH = 76;

/** `^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$`: containerd's `identifierRe`, character for character. */
const IDENTIFIER_RE = /^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$/;

/** True when `id` is a valid containerd identifier (see the module comment for the rule). */
export function isSafeId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_ID_LENGTH && IDENTIFIER_RE.test(id);
}

/**
 * Throws containerd's own error (`invalid argument`, same wording as `identifiers.Validate`) when `id` is
 * not a valid identifier; `what` names the field in the message (e.g. `"namespace"`).
 */
export function validateId(id: string, what = "identifier"): void {
  if (id.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  if (id.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(id)} greater than maximum length (${MAX_ID_LENGTH} characters)`,
    );
  }
  if (!IDENTIFIER_RE.test(id)) {
    throw new InvalidArgumentError(`${what} ${JSON.stringify(id)} must match ${IDENTIFIER_RE.source}`);
  }
}
