/**
 * Wine driver: the Windows ProcessTree of src/platform (Toolhelp snapshot through koffi when
 * `@vscode/windows-process-tree` is not installed): a child that starts a grandchild; reports what
 * `descendants` sees below the child and below this process, and for a pid that does not exist.
 */
import { spawn } from "node:child_process";
import { windowsPlatform } from "../../../src/platform/windows.js";
import { runDriver, within } from "./report.js";

runDriver(async () => {
  const script = `const c = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"],
    { stdio: "ignore" }); process.stdout.write(String(c.pid) + "\\n"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let grandchild = 0;
  try {
    grandchild = await within(
      new Promise<number>((resolve) => {
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          out += d;
          if (out.includes("\n")) resolve(Number(out.trim()));
        });
      }),
      20_000,
      "grandchild pid",
    );
    const tree = windowsPlatform.createProcessTree();
    const belowChild = await tree.descendants(child.pid ?? 0);
    const belowSelf = await tree.descendants(process.pid);
    return {
      child: child.pid,
      grandchild,
      belowChild,
      selfHasBoth: [child.pid, grandchild].every((p) => belowSelf.includes(p ?? -1)),
      unknown: await tree.descendants(0x7ffffff0),
    };
  } finally {
    if (grandchild) {
      try {
        process.kill(grandchild);
      } catch {}
    }
    child.kill();
  }
});
