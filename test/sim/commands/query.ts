/** Read-only subcommands: `state ID`, `list [--format table|json] [-q]`, `ps [--format json] ID`. */
import { UsageError } from "../cli-args.js";
import { type ContainerRecord, containerPids, effectiveStatus } from "../state-store.js";
import { writeAll } from "../write-all.js";
import { CONTAINER_STOPPED, type Command } from "./command.js";

/** The runhcs `state` object, in runhcs's field order; `owner` is never filled in by runhcs. */
export function stateJson(rec: ContainerRecord): Record<string, unknown> {
  const status = effectiveStatus(rec);
  const out: Record<string, unknown> = {
    ociVersion: rec.ociVersion,
    id: rec.id,
    pid: status === "stopped" ? 0 : rec.shimPid,
    status,
    bundle: rec.bundle,
    rootfs: rec.rootfs,
    created: rec.created,
  };
  if (rec.annotations && Object.keys(rec.annotations).length > 0) out.annotations = rec.annotations;
  out.owner = "";
  return out;
}

export const state: Command = {
  flags: [],
  min: 1,
  max: 1,
  async run(ctx, p) {
    const rec = ctx.store.get(p.args[0] as string);
    writeAll(1, JSON.stringify(stateJson(rec), null, 2));
    return 0;
  },
};

export const list: Command = {
  flags: [
    { name: "format", aliases: ["f"], kind: "string" },
    { name: "quiet", aliases: ["q"], kind: "bool" },
  ],
  min: 0,
  max: 0,
  async run(ctx, p) {
    const recs = ctx.store.list();
    if (p.bools.has("quiet")) {
      writeAll(1, recs.map((r) => `${r.id}\n`).join(""));
      return 0;
    }
    const format = p.strings.get("format") ?? "table";
    if (format === "json") {
      writeAll(1, `${JSON.stringify(recs.length ? recs.map(stateJson) : null)}\n`);
      return 0;
    }
    if (format !== "table") throw new UsageError("invalid format option");
    const rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]];
    for (const r of recs) {
      const s = stateJson(r);
      rows.push([r.id, String(s.pid), String(s.status), r.bundle, r.created, String(s.owner)]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
    writeAll(
      1,
      rows
        .map(
          (row) =>
            `${row
              .map((c, i) => c.padEnd((widths[i] ?? 0) + 3))
              .join("")
              .trimEnd()}\n`,
        )
        .join(""),
    );
    return 0;
  },
};

export const ps: Command = {
  flags: [{ name: "format", aliases: ["f"], kind: "string" }],
  min: 1,
  max: 1,
  async run(ctx, p) {
    const format = p.strings.get("format") ?? "json";
    if (format !== "json") throw new Error("invalid format option");
    const rec = ctx.store.get(p.args[0] as string);
    if (effectiveStatus(rec) === "stopped") throw new Error(CONTAINER_STOPPED);
    const pids = containerPids(rec);
    writeAll(1, `${JSON.stringify(pids.length ? pids : null)}\n`);
    return 0;
  },
};
