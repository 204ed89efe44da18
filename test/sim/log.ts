/**
 * runhcs's logrus output for `--log` / `--shim-log` files: JSON lines (`level`, `msg`, `time` + fields) or
 * logrus text. The containerd shim reads the last error line of a `--log-format json` file to explain a
 * failure, so errors are always written; info/debug only with `--debug`.
 */
import { appendFileSync } from "node:fs";
import { resolve } from "node:path";

export type LogFormat = "text" | "json";
type Level = "debug" | "info" | "warning" | "error";

/** A file logger; a disabled one (runhcs default `nul`) drops everything. */
export class SimLog {
  private readonly path: string | undefined;

  constructor(
    path: string | undefined,
    private readonly format: LogFormat,
    private readonly debugEnabled: boolean,
    private readonly base: Record<string, unknown> = {},
  ) {
    this.path = path === undefined || path === "" || path.toLowerCase() === "nul" ? undefined : resolve(path);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.write("error", msg, fields);
  }
  info(msg: string, fields: Record<string, unknown> = {}): void {
    if (this.debugEnabled) this.write("info", msg, fields);
  }
  debug(msg: string, fields: Record<string, unknown> = {}): void {
    if (this.debugEnabled) this.write("debug", msg, fields);
  }

  private write(level: Level, msg: string, fields: Record<string, unknown>): void {
    if (!this.path) return;
    const time = new Date().toISOString();
    const all = { ...this.base, ...fields };
    let line: string;
    if (this.format === "json") {
      line = JSON.stringify({ ...all, level, msg, time });
    } else {
      const extra = Object.entries(all).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`);
      line = `time=${JSON.stringify(time)} level=${level} msg=${JSON.stringify(msg)}${extra.join("")}`;
    }
    try {
      appendFileSync(this.path, `${line}\n`);
    } catch {
      // Logging must never turn a success into a failure.
    }
  }
}
