import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  BUILD_STAMP,
  BUILD_TIMEOUT_MS,
  buildOnce,
  SEA_FUSE,
  WINDOWS_BLOB,
  WINDOWS_EXE,
} from "./build-once.js";
import { MACHINE_AMD64, PE32_PLUS, peHeaders, peResource, RT_RCDATA } from "./pe.js";

/** The build's PE helpers (plain JS under scripts/, loaded at run time). */
async function loadPeFix(): Promise<{ peChecksum: (b: Buffer) => number }> {
  const url = pathToFileURL(join(process.cwd(), "scripts", "build-exe", "pe-fix.mjs")).href;
  return (await import(url)) as { peChecksum: (b: Buffer) => number };
}

/** IMAGE_SUBSYSTEM_WINDOWS_CUI: a console program (containerd reads its stdout). */
const CONSOLE = 3;

function count(haystack: Buffer, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
}

describe("build:exe Windows executable", function () {
  this.timeout(BUILD_TIMEOUT_MS);
  let exe: Buffer;

  before(async () => {
    await buildOnce();
    exe = readFileSync(WINDOWS_EXE);
  });

  it("is a PE32+ console program for x64 (MZ, PE\\0\\0 at e_lfanew, machine 0x8664)", () => {
    const h = peHeaders(exe);
    assert.equal(h.machine, MACHINE_AMD64);
    assert.equal(h.optionalMagic, PE32_PLUS);
    assert.equal(h.subsystem, CONSOLE);
  });

  it("carries no stale signature (node.exe's was removed) and a valid image checksum", async () => {
    const h = peHeaders(exe);
    assert.deepEqual(h.certificates, { offset: 0, size: 0 });
    const { peChecksum } = await loadPeFix();
    // The algorithm agrees with the checksum Microsoft's tools wrote into the signed node.exe...
    const stamp = JSON.parse(readFileSync(BUILD_STAMP, "utf8")) as Record<string, { node: string }>;
    const original = readFileSync(stamp["win32-x64"]?.node ?? "");
    assert.equal(peChecksum(original), peHeaders(original).checksum);
    // ...and the executable's header holds its own.
    assert.equal(h.checksum, peChecksum(exe));
  });

  it("has the SEA fuse flipped (`:1`, once, no `:0` left)", () => {
    assert.equal(count(exe, `${SEA_FUSE}:1`), 1);
    assert.equal(count(exe, `${SEA_FUSE}:0`), 0);
  });

  it("embeds the blob the build made as the RT_RCDATA resource NODE_SEA_BLOB", () => {
    const resource = peResource(exe, RT_RCDATA, "NODE_SEA_BLOB");
    assert.ok(resource, "no NODE_SEA_BLOB resource");
    const blob = readFileSync(WINDOWS_BLOB);
    assert.equal(resource.length, blob.length);
    assert.ok(resource.equals(blob), "resource bytes differ from the blob");
    // The blob carries the bundled shim and koffi's Windows addon (an asset: an x64 DLL).
    assert.ok(blob.includes("containerd-shim-runhcs-v1"), "shim code missing from the blob");
    const stamp = JSON.parse(readFileSync(BUILD_STAMP, "utf8")) as Record<string, { koffi: string }>;
    const addon = readFileSync(stamp["win32-x64"]?.koffi ?? "");
    assert.equal(peHeaders(addon).machine, MACHINE_AMD64);
    assert.ok(blob.includes(addon), "koffi's Windows addon is not in the blob");
  });
});
