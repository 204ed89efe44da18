// Builds (once per source version) and runs test/unit/gen/go-fixtures/main.go: containerd 1.6's own Go
// types marshal sample messages, so the TS tests can compare our generated schemas against real Go bytes.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Go sources live beside the test sources (tsc does not copy them); tests run from the repo root. */
export const FIXTURE_DIR = join(process.cwd(), "test", "unit", "gen", "go-fixtures");

/** Thrown when no Go toolchain is installed, so the caller can skip rather than fail. */
export class GoUnavailableError extends Error {
  override name = "GoUnavailableError";
}

/**
 * Returns the path of the fixture binary, building it with `go build` in GOPATH mode (offline, against
 * the containerd 1.6 sources under GOPATH) when no binary for the current main.go exists yet. The
 * binary is cached under .cache/ keyed by the source hash; it is built to a temp name and renamed so
 * parallel runs never see a half-written file.
 */
export async function fixtureBinary(): Promise<string> {
  const source = readFileSync(join(FIXTURE_DIR, "main.go"));
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const cacheDir = join(process.cwd(), ".cache", "go-fixtures");
  const bin = join(cacheDir, `go-fixtures-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: "off",
    GOPATH: process.env["SHIM_GOPATH"] ?? "/usr/share/gocode",
    GOPROXY: "off",
    GOFLAGS: "-mod=mod",
  };
  // go needs a build cache; without HOME it cannot find its default one.
  if (!env["GOCACHE"] && !env["HOME"] && !env["XDG_CACHE_HOME"]) env["GOCACHE"] = join(cacheDir, "go-build");
  try {
    await run("go", ["build", "-o", tmp, "."], { cwd: FIXTURE_DIR, env, maxBuffer: 16 << 20 });
  } catch (e: unknown) {
    rmSync(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new GoUnavailableError("go is not installed");
    const stderr = (e as { stderr?: string }).stderr ?? "";
    throw new Error(`building ${FIXTURE_DIR} failed: ${stderr || String(e)}`);
  }
  renameSync(tmp, bin);
  return bin;
}

/** Runs the fixture binary and returns its samples: name → bytes as Go marshalled them. */
export async function goSamples(): Promise<Map<string, Uint8Array>> {
  const { stdout } = await run(await fixtureBinary(), [], { maxBuffer: 16 << 20 });
  const parsed = JSON.parse(stdout) as Record<string, string>;
  return new Map(Object.entries(parsed).map(([k, hex]) => [k, new Uint8Array(Buffer.from(hex, "hex"))]));
}
