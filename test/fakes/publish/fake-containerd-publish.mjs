#!/usr/bin/env node
// Stands in for `containerd --address A publish --topic T --namespace N` (event Any on stdin): appends one
// JSON line {argv, stdinHex} to $FAKE_PUBLISH_LOG and exits with $FAKE_PUBLISH_EXIT (default 0).
import { appendFileSync } from "node:fs";

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const line = JSON.stringify({
    argv: process.argv.slice(2),
    stdinHex: Buffer.concat(chunks).toString("hex"),
  });
  appendFileSync(process.env.FAKE_PUBLISH_LOG, `${line}\n`);
  const code = Number(process.env.FAKE_PUBLISH_EXIT ?? "0");
  if (code !== 0) process.stderr.write("publish refused\n");
  process.exit(code);
});
