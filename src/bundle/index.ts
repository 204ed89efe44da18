/**
 * The bundle layer: everything the shim reads from or writes into the bundle directory containerd
 * prepared (config.json and its layer rewrite, exec process files, the names and record of the shim's
 * files). Independent of the generated API types: the service converts requests into the plain types
 * used here.
 */
export { TEMP_PREFIX, tempTarget, writeFileAtomic } from "./atomic-write.js";
export { readCreated, recordCreated } from "./created-files.js";
export { BUNDLE_FILES, isExecPidFile, isShimFile } from "./files.js";
export {
  MIN_LAYER_FOLDERS,
  type WriteMountsOptions,
  type WriteMountsResult,
  writeMountsToConfig,
} from "./layer-folders.js";
export { type ProcessInfo, writeProcessSpec } from "./process-spec.js";
export {
  type LayerMount,
  type LayerMountType,
  PARENT_LAYER_PATHS_PREFIX,
  parseLayerMount,
  type RootfsMount,
} from "./rootfs-mounts.js";
export {
  bundleFilePath,
  CONFIG_FILE_NAME,
  readSpecAnnotations,
  readSpecFile,
  type SpecFile,
  specAnnotations,
} from "./spec-file.js";
