import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { platform } from "../../../src/platform/index.js";
import { posixPlatform } from "../../../src/platform/posix.js";
import { windowsPlatform } from "../../../src/platform/windows.js";

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith(".ts")) yield p;
  }
}

describe("platform/index", () => {
  it(`selects the ${process.platform === "win32" ? "windows" : "posix"} platform`, () => {
    assert.equal(platform, process.platform === "win32" ? windowsPlatform : posixPlatform);
  });

  it("posix.ts and windows.ts export the same shape", () => {
    assert.deepEqual(Object.keys(posixPlatform).sort(), Object.keys(windowsPlatform).sort());
    for (const k of Object.keys(posixPlatform) as Array<keyof typeof posixPlatform>) {
      assert.equal(typeof posixPlatform[k], typeof windowsPlatform[k], k);
    }
  });

  it("both platforms construct every concern without loading native code", () => {
    for (const p of [posixPlatform, windowsPlatform]) {
      const waiter = p.createProcessWaiter();
      assert.equal(waiter.pending, 0);
      waiter.close();
      assert.equal(typeof p.createProcessTree().descendants, "function");
      assert.equal(p.createSignals().toRunhcsSignal(15), "15");
      assert.match(
        p.createShimAddress().socketAddress({ containerdAddress: "/c", namespace: "n", id: "i" }),
        /n|[0-9a-f]{64}/,
      );
    }
  });

  it("no file in src/ outside src/platform/ reads process.platform (style 11)", () => {
    const src = join(process.cwd(), "src");
    const offenders = [...tsFiles(src)]
      .filter((f) => !relative(src, f).replaceAll("\\", "/").startsWith("platform/"))
      .filter((f) => /process\.platform\b/.test(readFileSync(f, "utf8")))
      .map((f) => relative(process.cwd(), f));
    assert.deepEqual(offenders, []);
  });
});
