/**
 * Wine lane: the shim's Task API pipe and log pipe carry an explicit DACL (SYSTEM and Administrators,
 * nobody else, not inherited), on every instance, read back by a client through advapi32.
 * PIPE_REJECT_REMOTE_CLIENTS is not observable from a client, and Wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE
 * (a second `net.Server` listens on the same name under Wine too): test/unit/platform/windows-pipe-server.test.ts
 * checks the flags of every CreateNamedPipeW call.
 */
import assert from "node:assert/strict";
import { distDir, runDriver, skipUnlessWine } from "./wine-env.js";

interface Report {
  error?: string;
  direct?: Record<string, unknown>;
  shim?: Record<string, unknown>;
}

/** Generic rights are mapped to the pipe's specific ones when the descriptor is assigned: GA ≡ FA. */
const SHIM_DACL = /^D:P\(A;;(GA|FA);;;SY\)\(A;;(GA|FA);;;BA\)$/;

describe("wine: the shim's named pipes are for SYSTEM and Administrators only", function () {
  this.timeout(240_000);

  before(skipUnlessWine);

  it("every instance (also after accepts) of listenPipe, the task pipe and the log pipe", async () => {
    const run = await runDriver<Report>(distDir(), "pipe-security", [], 200_000);
    const r = run.result;
    assert.ok(r && !r.error, `driver failed (${run.exitCode}):\n${r?.error ?? run.output}`);
    const dump = `${JSON.stringify(r, null, 1)}\n${run.output}`;
    const d = r.direct ?? {};
    assert.equal(d.echo, "hi", dump);
    assert.match(String(d.daclFirst), SHIM_DACL, dump);
    assert.match(String(d.daclLater), SHIM_DACL, dump);
    assert.ok((d.accepted as number) >= 8, dump); // ttrpc client, DACL read, 6 clients (+ the 2nd read)
    assert.equal(d.afterClose, "ENOENT", dump);
    const s = r.shim ?? {};
    assert.deepEqual(s.start, { code: 0, stderr: "" }, dump);
    assert.match(String(s.taskDacl), SHIM_DACL, dump);
    assert.match(String(s.logDacl), SHIM_DACL, dump);
    assert.equal(s.shimExited, true, dump);
  });
});
