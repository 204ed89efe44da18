// Minimal reader for npm package tarballs (.tgz: ustar, with pax or GNU long names): the build needs two files out of them
// (koffi.node, node.exe) and must not depend on a `tar` program being on PATH (Windows build hosts).
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const BLOCK = 512;

function field(buf, offset, length) {
  const raw = buf.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

function octal(buf, offset, length) {
  const text = field(buf, offset, length).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

/** pax extended header records (`<len> <key>=<value>\n`), for long path names. */
function paxPath(data) {
  for (const line of data.toString("utf8").split("\n")) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The regular files of a .tgz, as a Map from path (npm's `package/` prefix removed) to contents.
 * Throws on a truncated or corrupt archive (gunzip or header checksum).
 */
export function readTgz(path) {
  const tar = gunzipSync(readFileSync(path));
  const files = new Map();
  let offset = 0;
  let nextPath;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const sum = octal(header, 148, 8);
    let check = 0;
    for (let i = 0; i < BLOCK; i++) check += i >= 148 && i < 156 ? 32 : header[i];
    if (sum !== check) throw new Error(`${path}: corrupt tar header at offset ${offset}`);
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    const name = nextPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    const start = offset + BLOCK;
    if (start + size > tar.length) throw new Error(`${path}: truncated archive (${name})`);
    const data = tar.subarray(start, start + size);
    nextPath = undefined;
    if (type === "x") nextPath = paxPath(data);
    else if (type === "L")
      nextPath = field(data, 0, data.length); // GNU long name
    else if (type === "0") files.set(name.replace(/^package\//, ""), data);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
