// esbuild step of build-exe.mjs: src/shim/main.ts (ESM, TypeScript) → one CommonJS file, the form a Node
// single executable application runs. Three substitutions make the bundle self-contained:
//  - `import.meta.url` (used by src/** only as `createRequire(import.meta.url)`) → the executable's URL;
//  - `node:module` imported from src/** → node-module.mjs, whose createRequire serves "koffi" from the
//    bundle (still loaded lazily) and anything else (optional @vscode/windows-process-tree) from disk;
//  - koffi's `src/static.cjs` → koffi-static.cjs, which loads koffi.node from an SEA asset.
// Any esbuild warning fails the build: a warning here means something would break at run time.
import { createHash } from "node:crypto";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Bundles the shim; resolves with { code, hash, inputs }. Throws with esbuild's messages on problems. */
export async function bundleShim(root) {
  const src = join(root, "src") + sep;
  const koffiIndex = join("koffi", "src", "koffi", "index.cjs");
  const used = { koffiStatic: 0 };
  const plugin = {
    name: "shim-sea",
    setup(b) {
      b.onResolve({ filter: /^(node:)?module$/ }, (args) => {
        if (!args.importer.startsWith(src)) return undefined;
        return { path: join(here, "node-module.mjs") };
      });
      b.onResolve({ filter: /^\.\/src\/static\.cjs$/ }, (args) => {
        if (!args.importer.endsWith(koffiIndex)) return undefined;
        used.koffiStatic++;
        return { path: join(here, "koffi-static.cjs") };
      });
    },
  };
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(here, "entry.mjs")],
    outfile: join(root, "build", "sea-main.cjs"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    metafile: true,
    legalComments: "none",
    charset: "utf8",
    inject: [join(here, "import-meta-url.mjs")],
    define: { "import.meta.url": "import_meta_url" },
    plugins: [plugin],
    logLevel: "silent",
  });
  if (result.warnings.length > 0) {
    const text = result.warnings.map(
      (w) => `${w.location?.file ?? "?"}:${w.location?.line ?? "?"}: ${w.text}`,
    );
    throw new Error(`esbuild warnings (the bundle could break at run time):\n  ${text.join("\n  ")}`);
  }
  const inputs = Object.keys(result.metafile.inputs);
  if (inputs.some((f) => f.includes(`node_modules/${koffiIndex}`)) && used.koffiStatic === 0) {
    throw new Error("koffi's layout changed: src/static.cjs was not found to substitute (see bundle.mjs)");
  }
  const code = result.outputFiles[0].contents;
  return { code, hash: createHash("sha256").update(code).digest("hex"), inputs };
}
