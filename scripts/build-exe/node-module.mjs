// Stands in for `node:module` when the shim's own sources (src/**) are bundled (see build-exe.mjs). They
// load koffi and the optional @vscode/windows-process-tree lazily with `createRequire(import.meta.url)(id)`,
// which in a single executable could only search the disk. Here "koffi" is the bundled copy (its addon
// is an SEA asset) and is initialised on first use, as before; any other id is still looked up on disk
// from the executable's location, so a missing optional module fails as it does unbundled
// (MODULE_NOT_FOUND, which the caller turns into its clear error).
import { createRequire as nodeCreateRequire } from "node:module";

/** `createRequire` for the bundle: "koffi" from the bundle, anything else from disk. */
export function createRequire(from) {
  let disk;
  return (id) => {
    if (id === "koffi") return require("koffi");
    disk ??= nodeCreateRequire(from);
    return disk(id);
  };
}
