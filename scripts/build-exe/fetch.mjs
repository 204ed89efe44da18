// Inputs of another platform's executable (Windows node.exe, koffi's Windows addon) come from the npm
// registry: `npm pack <name>@<exact version>` downloads the tarball (checked against the registry's
// integrity hash by npm) without installing it, so no platform check gets in the way and node_modules
// stays untouched. The one file needed is extracted to .cache/<target>/<name>@<version>/<file>;
// later builds reuse it.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { readTgz } from "./tar.mjs";

const execFileP = promisify(execFile);

/** npm as this script was started (`npm run` sets npm_execpath), else `npm` from PATH. */
function npmCommand() {
  const cli = process.env.npm_execpath;
  if (cli?.endsWith(".js") || cli?.endsWith(".cjs")) return [process.execPath, cli];
  return ["npm"];
}

/**
 * Path of `file` inside package `name@version`, downloading the package once into `cacheDir`.
 * Throws a message that names the package and says what to check when the download fails.
 */
export async function packageFile(cacheDir, name, version, file, log) {
  const dest = join(cacheDir, `${name.replace("/", "+")}@${version}`, file);
  if (existsSync(dest)) return dest;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, ".pack-"));
  try {
    log(`downloading ${name}@${version} (npm pack)`);
    const [cmd, ...lead] = npmCommand();
    try {
      await execFileP(
        cmd,
        [...lead, "pack", `${name}@${version}`, "--pack-destination", tmp, "--loglevel=error"],
        {
          cwd: tmp,
          maxBuffer: 16 << 20,
        },
      );
    } catch (err) {
      const why = String(err.stderr ?? err.message)
        .split("\n")
        .filter((l) => l.trim() && !l.includes("Unknown user config") && !l.includes("complete log"))
        .slice(0, 5)
        .join("\n  ");
      throw new Error(`cannot download ${name}@${version} from the npm registry:\n  ${why}`);
    }
    const tgz = readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack ${name}@${version} produced no tarball`);
    const data = readTgz(join(tmp, tgz)).get(file);
    if (!data) throw new Error(`${name}@${version} has no ${file}`);
    mkdirSync(dirname(dest), { recursive: true });
    const part = join(tmp, "file");
    writeFileSync(part, data, { mode: 0o755 });
    renameSync(part, dest);
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
