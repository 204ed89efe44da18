/**
 * The platform seam is closed: outside src/platform nothing asks which platform it runs on. What differs
 * by OS is a method or property of `Platform` (src/platform/types.ts), never a branch on its `name`. The
 * patterns are also shown to catch the forms such a branch took.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Reads of the platform's name: `platform.name`, `currentPlatform.name`, `Platform["name"]`, `{ name } = platform`. */
const NAME_READS = [
  /platform\s*\??\.\s*name\b/i,
  /Platform\s*\[\s*["'`]name["'`]\s*\]/,
  /\{[^}]*\bname\b[^}]*\}\s*=\s*\w*platform\b/i,
];

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== join("src", "platform") && p !== join("src", "gen")) yield* sources(p);
    } else if (e.name.endsWith(".ts")) yield p;
  }
}

function nameReads(text: string): string[] {
  return text.split("\n").filter((line) => NAME_READS.some((re) => re.test(line)));
}

describe("platform seam", () => {
  it("nothing outside src/platform reads the platform's name", () => {
    const found = [...sources("src")].flatMap((file) =>
      nameReads(readFileSync(file, "utf8")).map((line) => `${file}: ${line.trim()}`),
    );
    assert.deepEqual(found, []);
  });

  it("the patterns catch the forms a platform branch took", () => {
    for (const line of [
      'if (platform.name === "windows") server.serve(platform.listenPipe(listenPath));',
      'exitStatus: killedInit && platform.name === "posix" ? KILLED_EXIT_STATUS : UNKNOWN_EXIT_CODE,',
      'export function defaultStdioPlatform(name: Platform["name"] = platform.name): StdioPlatform {',
      "const platform = opts.platform ?? currentPlatform.name;",
      "const { name } = platform;",
    ])
      assert.deepEqual(nameReads(line), [line]);
    assert.deepEqual(nameReads('if (err.name === "AbortError") return;\nconst name = opts.name;'), []);
  });
});
