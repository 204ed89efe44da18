// Injected into the CommonJS bundle (esbuild `inject` + `define`): `import.meta.url` of the ESM sources
// becomes the URL of the running file (the executable in a single executable application, where
// `__filename` is process.execPath), instead of esbuild's empty `import.meta`.
import { pathToFileURL } from "node:url";

export const import_meta_url = pathToFileURL(__filename).href;
