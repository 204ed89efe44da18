#!/usr/bin/env node
// Regenerates src/gen from proto/ with buf + protoc-gen-es (both from node_modules).
// Deterministic: running it twice changes nothing.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "node_modules", ".bin");
rmSync(join(root, "src", "gen"), { recursive: true, force: true });
execFileSync(join(bin, "buf"), ["generate"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` },
});
