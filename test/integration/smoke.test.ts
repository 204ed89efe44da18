import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { DIST } from "./containerd-harness.js";

/** scripts/smoke.mjs is what the Windows pipeline runs against the .exe: keep it proven here. */
describe("scripts/smoke.mjs (the pipeline's shim smoke test)", () => {
  it("starts the shim, Connect and State over its socket, Shutdown, delete", async () => {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        process.execPath,
        ["scripts/smoke.mjs"],
        { env: { ...process.env, DIST }, timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? (err.code as number | null) : 0, stdout, stderr }),
      );
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^smoke: start printed unix:\/\//m);
    assert.match(stdout, /^smoke: Connect: shim pid \d+, version /m);
    assert.match(stdout, /^smoke: State before Create: NotFound/m);
    assert.match(stdout, /^smoke: delete: exit status 255$/m);
  });
});
