// Windows node.exe is Authenticode-signed. Injecting the blob changes the file, so the signature can
// only be invalid afterwards, and LIEF (inside postject) keeps the certificate directory pointing at
// offsets that no longer hold it. As `signtool remove /s` would, the signature is removed before the
// injection (the executable is unsigned: sign it again for release); afterwards the optional header's
// checksum is recomputed, since the file changed.

const SECURITY_DIR = 4;

function optionalHeader(buf) {
  if (buf.toString("latin1", 0, 2) !== "MZ") throw new Error("not a PE file (no MZ header)");
  const pe = buf.readUInt32LE(0x3c);
  if (buf.toString("latin1", pe, pe + 4) !== "PE\0\0") throw new Error("not a PE file (no PE signature)");
  const opt = pe + 24;
  const magic = buf.readUInt16LE(opt);
  if (magic !== 0x20b) throw new Error(`not a PE32+ image (optional header magic 0x${magic.toString(16)})`);
  return { checksum: opt + 64, dataDirs: opt + 112 };
}

/** `buf` without its certificate table (when it ends the file, as signtool puts it). */
export function stripSignature(buf) {
  const { dataDirs } = optionalHeader(buf);
  const entry = dataDirs + SECURITY_DIR * 8;
  const offset = buf.readUInt32LE(entry); // a file offset, not an RVA, for this directory
  const size = buf.readUInt32LE(entry + 4);
  if (offset === 0 && size === 0) return buf;
  if (offset + size !== buf.length) throw new Error("the certificate table does not end the file");
  const out = Buffer.from(buf.subarray(0, offset));
  out.writeUInt32LE(0, entry);
  out.writeUInt32LE(0, entry + 4);
  return out;
}

/** The PE image checksum (imagehlp's CheckSumMappedFile): 16-bit one's-complement sum + length. */
export function peChecksum(buf) {
  const skip = optionalHeader(buf).checksum;
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) {
    if (i === skip || i === skip + 2) continue;
    sum += buf.readUInt16LE(i);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (buf.length % 2) sum += buf[buf.length - 1];
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + buf.length) >>> 0;
}

/** Writes the recomputed checksum into `buf` (in place). */
export function fixChecksum(buf) {
  buf.writeUInt32LE(peChecksum(buf), optionalHeader(buf).checksum);
  return buf;
}
