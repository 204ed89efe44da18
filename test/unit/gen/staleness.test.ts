// src/gen must be exactly what `npm run gen` makes from proto/: regenerate into a temp dir (offline, buf and
// protoc-gen-es from node_modules) and compare, naming every stale, missing or extra file.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const GEN_SCRIPT = join(process.cwd(), "scripts", "gen.mjs");

/** Runs `gen.mjs --check [...extra]`; resolves with exit code and combined output, never rejects on exit 1. */
async function check(...extra: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [GEN_SCRIPT, "--check", ...extra], {
      cwd: process.cwd(),
    });
    return { code: 0, out: stdout + stderr };
  } catch (e: unknown) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

describe("src/gen staleness", function () {
  this.timeout(120_000);

  it("src/gen matches a fresh generation from proto/", async () => {
    const { code, out } = await check();
    assert.equal(code, 0, `generated code is stale — run \`npm run gen\` and commit:\n${out}`);
    assert.match(out, /up to date/);
  });

  describe("the checker itself", () => {
    let dir = "";
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "gen-check-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("names a changed, a missing and an extra file and exits 1", async () => {
      const copy = join(dir, "gen");
      cpSync(join(process.cwd(), "src", "gen"), copy, { recursive: true });
      appendFileSync(join(copy, "containerd", "task", "v2", "shim_pb.ts"), "// edited by hand\n");
      unlinkSync(join(copy, "containerd", "types", "mount_pb.ts"));
      writeFileSync(join(copy, "containerd", "leftover_pb.ts"), "export {};\n");
      const { code, out } = await check("--against", copy);
      assert.equal(code, 1, out);
      assert.match(out, /stale: +src\/gen\/containerd\/task\/v2\/shim_pb\.ts/);
      assert.match(out, /missing: +src\/gen\/containerd\/types\/mount_pb\.ts/);
      assert.match(out, /extra: +src\/gen\/containerd\/leftover_pb\.ts/);
      assert.doesNotMatch(out, /task\/v3/);
    });
  });
});
