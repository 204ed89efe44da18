/**
 * Just enough of the PE/COFF format to check a Windows executable from Linux: the headers (machine,
 * optional header kind) and a named resource's bytes (`RT_RCDATA/<name>`, where postject puts the SEA
 * blob). Offsets follow Microsoft's "PE Format" specification.
 */

/** IMAGE_FILE_MACHINE_AMD64. */
export const MACHINE_AMD64 = 0x8664;
/** Optional header magic of PE32+ (64-bit images). */
export const PE32_PLUS = 0x20b;
/** Resource type RT_RCDATA (raw data). */
export const RT_RCDATA = 10;

export interface PeHeaders {
  peOffset: number;
  machine: number;
  optionalMagic: number;
  subsystem: number;
  sections: {
    name: string;
    virtualAddress: number;
    virtualSize: number;
    rawOffset: number;
    rawSize: number;
  }[];
  /** Data directory 2 (resource table): RVA and size. */
  resources: { rva: number; size: number };
  /** Data directory 4 (Authenticode certificate table): a file offset and size. */
  certificates: { offset: number; size: number };
  /** The optional header's CheckSum field. */
  checksum: number;
}

/** Parses the DOS stub pointer, the COFF header, the optional header and the section table. */
export function peHeaders(file: Buffer): PeHeaders {
  if (file.toString("latin1", 0, 2) !== "MZ") throw new Error("no MZ header");
  const peOffset = file.readUInt32LE(0x3c);
  if (file.toString("latin1", peOffset, peOffset + 4) !== "PE\0\0") throw new Error("no PE signature");
  const coff = peOffset + 4;
  const machine = file.readUInt16LE(coff);
  const sectionCount = file.readUInt16LE(coff + 2);
  const optionalSize = file.readUInt16LE(coff + 16);
  const opt = coff + 20;
  const optionalMagic = file.readUInt16LE(opt);
  const subsystem = file.readUInt16LE(opt + 68);
  const dataDirs = opt + (optionalMagic === PE32_PLUS ? 112 : 96);
  const resources = { rva: file.readUInt32LE(dataDirs + 16), size: file.readUInt32LE(dataDirs + 20) };
  const certificates = { offset: file.readUInt32LE(dataDirs + 32), size: file.readUInt32LE(dataDirs + 36) };
  const checksum = file.readUInt32LE(opt + 64);
  const sections = [];
  for (let i = 0, at = opt + optionalSize; i < sectionCount; i++, at += 40) {
    sections.push({
      name: file.toString("latin1", at, at + 8).replace(/\0+$/, ""),
      virtualSize: file.readUInt32LE(at + 8),
      virtualAddress: file.readUInt32LE(at + 12),
      rawSize: file.readUInt32LE(at + 16),
      rawOffset: file.readUInt32LE(at + 20),
    });
  }
  return { peOffset, machine, optionalMagic, subsystem, sections, resources, certificates, checksum };
}

function rvaToOffset(h: PeHeaders, rva: number): number {
  for (const s of h.sections) {
    if (rva >= s.virtualAddress && rva < s.virtualAddress + Math.max(s.virtualSize, s.rawSize)) {
      return s.rawOffset + (rva - s.virtualAddress);
    }
  }
  throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
}

interface DirEntry {
  id?: number;
  name?: string;
  /** Offset (from the resource section start) of a subdirectory or a data entry. */
  offset: number;
  isDir: boolean;
}

function dirEntries(file: Buffer, base: number, dirOffset: number): DirEntry[] {
  const at = base + dirOffset;
  const count = file.readUInt16LE(at + 12) + file.readUInt16LE(at + 14);
  const out: DirEntry[] = [];
  for (let i = 0; i < count; i++) {
    const e = at + 16 + i * 8;
    const nameField = file.readUInt32LE(e);
    const dataField = file.readUInt32LE(e + 4);
    const entry: DirEntry = { offset: dataField & 0x7fffffff, isDir: (dataField & 0x80000000) !== 0 };
    if (nameField & 0x80000000) {
      const s = base + (nameField & 0x7fffffff);
      entry.name = file.toString("utf16le", s + 2, s + 2 + 2 * file.readUInt16LE(s));
    } else entry.id = nameField;
    out.push(entry);
  }
  return out;
}

/** The bytes of resource `type`/`name` (first language), or undefined when there is none. */
export function peResource(file: Buffer, type: number, name: string): Buffer | undefined {
  const h = peHeaders(file);
  if (h.resources.rva === 0) return undefined;
  const base = rvaToOffset(h, h.resources.rva);
  const typeDir = dirEntries(file, base, 0).find((e) => e.id === type && e.isDir);
  if (!typeDir) return undefined;
  const nameDir = dirEntries(file, base, typeDir.offset).find((e) => e.name === name && e.isDir);
  if (!nameDir) return undefined;
  const lang = dirEntries(file, base, nameDir.offset).find((e) => !e.isDir);
  if (!lang) return undefined;
  const dataEntry = base + lang.offset;
  const start = rvaToOffset(h, file.readUInt32LE(dataEntry));
  return file.subarray(start, start + file.readUInt32LE(dataEntry + 4));
}
