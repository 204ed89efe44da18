import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// The Windows runhcs tooling (docs/runhcs-on-windows.md) cannot run here; these checks keep its pieces in
// agreement: the pinned hcsshim commit, the patch, and the host-build -> image tag table.
const BUILD = "scripts/windows/build-runhcs.ps1";
const PREREQS = "scripts/windows/hyperv-prereqs.ps1";
const PATCH = "scripts/windows/runhcs-inherit-stdio.patch";
const TAGS = "scripts/windows/windows-image-tags.json";
const DOC = "docs/runhcs-on-windows.md";

const read = (path: string) => readFileSync(path, "utf8");

describe("Windows runhcs tooling", () => {
  const build = read(BUILD);
  const pinned = [...build.matchAll(/^\$PinnedCommit = '([0-9a-f]{40})'$/gm)].map((m) => m[1]);

  it("build-runhcs.ps1 pins one commit, its -Commit default, in the form hyperv-prereqs.ps1 reads", () => {
    assert.equal(pinned.length, 1, `${BUILD}: expected one $PinnedCommit line`);
    assert.match(build, new RegExp(`\\[string\\]\\$Commit = '${pinned[0]}'`));
    assert.ok(read(PREREQS).includes("$PinnedCommit = '([0-9a-f]{40})'"), `${PREREQS} reads another form`);
  });

  it("the doc names the pinned commit and every script of the tooling", () => {
    const doc = read(DOC);
    assert.ok(doc.includes(pinned[0]!), `${DOC} does not name ${pinned[0]}`);
    for (const path of [BUILD, PREREQS, PATCH, TAGS]) assert.ok(doc.includes(path), `${DOC} omits ${path}`);
  });

  it("the patch changes only cmd/runhcs/container.go and passes stdio via AdditionalInheritedHandles", () => {
    const patch = read(PATCH);
    const files = [...patch.matchAll(/^diff --git a\/(\S+) b\/\S+$/gm)].map((m) => m[1]);
    assert.deepEqual(files, ["cmd/runhcs/container.go"]);
    const added = patch.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++"));
    assert.ok(
      added.some((l) => /Sys:\s+&syscall\.SysProcAttr\{AdditionalInheritedHandles: inherit\}/.test(l)),
    );
    assert.ok(added.some((l) => l.includes('launchShim("shim", pidFile, logFile, args, spec, inherit)')));
    assert.ok(added.some((l) => l.includes('launchShim("vmshim", "", logFile, args, opts, nil)')));
  });

  it("maps the LTSC host builds to their nanoserver tags", () => {
    const tags = JSON.parse(read(TAGS)) as Record<string, string>;
    assert.deepEqual(tags, { "17763": "ltsc2019", "20348": "ltsc2022", "26100": "ltsc2025" });
  });
});
