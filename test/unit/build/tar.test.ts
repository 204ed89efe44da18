import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

type ReadTgz = (path: string) => Map<string, Buffer>;

/** The build's tarball reader (plain JS under scripts/, loaded at run time). */
async function loadReadTgz(): Promise<ReadTgz> {
  const url = pathToFileURL(join(process.cwd(), "scripts", "build-exe", "tar.mjs")).href;
  return ((await import(url)) as { readTgz: ReadTgz }).readTgz;
}

describe("build:exe tarball reader", () => {
  let dir: string;
  let readTgz: ReadTgz;
  const long = `${"d".repeat(60)}/${"n".repeat(70)}.node`;

  before(async () => {
    readTgz = await loadReadTgz();
    dir = mkdtempSync(join(tmpdir(), "build-tar-"));
    mkdirSync(join(dir, "package", "bin"), { recursive: true });
    mkdirSync(join(dir, "package", long.split("/")[0] as string), { recursive: true });
    writeFileSync(join(dir, "package", "bin", "node.exe"), Buffer.alloc(1500, 7));
    writeFileSync(join(dir, "package", long), "long");
    writeFileSync(join(dir, "package", "package.json"), "{}");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const format of ["pax", "gnu", "ustar"]) {
    it(`reads the regular files of a ${format} .tgz, package/ prefix removed`, () => {
      const tgz = join(dir, `${format}.tgz`);
      execFileSync("tar", [`--format=${format}`, "-czf", tgz, "-C", dir, "package"]);
      const files = readTgz(tgz);
      assert.deepEqual(files.get("bin/node.exe"), Buffer.alloc(1500, 7));
      assert.equal(files.get("package.json")?.toString(), "{}");
      assert.equal(files.get(long)?.toString(), "long");
      assert.ok(![...files.keys()].some((k) => k.endsWith("/")), "directories are not files");
    });
  }

  it("refuses a corrupt archive", () => {
    const tgz = join(dir, "bad.tgz");
    execFileSync("tar", ["-czf", tgz, "-C", dir, "package"]);
    const bytes = execFileSync("gzip", ["-dc", tgz]);
    bytes[148] = 0x39; // checksum field of the first header
    writeFileSync(join(dir, "bad.tar"), bytes);
    execFileSync("gzip", ["-f", join(dir, "bad.tar")]);
    assert.throws(() => readTgz(join(dir, "bad.tar.gz")), /corrupt tar header/);
  });
});
