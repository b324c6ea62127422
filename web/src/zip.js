// zip.js - a project as a ZIP archive and back (PKWARE APPNOTE 6.3.x, the
// subset every unzip and every OS reads and writes: stored and deflated
// entries, UTF-8 names, no ZIP64, no encryption, one disk).
//
// readZip() trusts nothing: every offset and length is checked against the
// bytes there are, the archive and every entry against caps (a small ZIP
// that inflates to gigabytes is refused while it inflates, not after),
// CRC-32s are verified, and a bad archive is a ZipError with a sentence
// for people, never a crash. Deflate is the browser's own
// (DecompressionStream / CompressionStream 'deflate-raw'); without it,
// writeZip() stores and readZip() says it cannot inflate.

export class ZipError extends Error {}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_UTF8 = 0x0800;

let crcTable = null;
export function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function dosTime(d) {
  const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
  const date = (Math.max(0, d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  return { time, date };
}

async function pipeThrough(bytes, stream, max) {
  const out = [];
  let total = 0;
  const reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => {});
        throw new ZipError('inflates past its declared size');
      }
      out.push(value);
    }
  } catch (e) {
    if (e instanceof ZipError) throw e;
    throw new ZipError('its compressed data is damaged');
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of out) { all.set(c, at); at += c.length; }
  return all;
}

/**
 * files: [{name, data: Uint8Array | string}] -> Uint8Array (a .zip).
 * Names are written as given ('/' between directories), UTF-8 flagged.
 */
export async function writeZip(files, { date = new Date() } = {}) {
  const enc = new TextEncoder();
  const { time, date: dday } = dosTime(date);
  const deflate = typeof CompressionStream === 'function';
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const f of files) {
    const name = enc.encode(f.name);
    const data = typeof f.data === 'string' ? enc.encode(f.data) : f.data;
    const crc = crc32(data);
    let body = data;
    let method = 0;
    if (deflate && data.length > 64) {
      const z = await pipeThrough(data, new CompressionStream('deflate-raw'), data.length * 2 + 1024);
      if (z.length < data.length) { body = z; method = 8; }
    }
    const lh = new DataView(new ArrayBuffer(30));
    lh.setUint32(0, SIG_LOCAL, true);
    lh.setUint16(4, 20, true);
    lh.setUint16(6, FLAG_UTF8, true);
    lh.setUint16(8, method, true);
    lh.setUint16(10, time, true);
    lh.setUint16(12, dday, true);
    lh.setUint32(14, crc, true);
    lh.setUint32(18, body.length, true);
    lh.setUint32(22, data.length, true);
    lh.setUint16(26, name.length, true);
    lh.setUint16(28, 0, true);
    locals.push(new Uint8Array(lh.buffer), name, body);
    const ch = new DataView(new ArrayBuffer(46));
    ch.setUint32(0, SIG_CENTRAL, true);
    ch.setUint16(4, 0x0314, true);          // made by: UNIX, 2.0
    ch.setUint16(6, 20, true);
    ch.setUint16(8, FLAG_UTF8, true);
    ch.setUint16(10, method, true);
    ch.setUint16(12, time, true);
    ch.setUint16(14, dday, true);
    ch.setUint32(16, crc, true);
    ch.setUint32(20, body.length, true);
    ch.setUint32(24, data.length, true);
    ch.setUint16(28, name.length, true);
    ch.setUint32(38, (0o100644 << 16) >>> 0, true); // a regular file, rw-r--r--
    ch.setUint32(42, offset, true);
    centrals.push(new Uint8Array(ch.buffer), name);
    offset += 30 + name.length + body.length;
  }
  const cdSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, SIG_END, true);
  end.setUint16(8, files.length, true);
  end.setUint16(10, files.length, true);
  end.setUint32(12, cdSize, true);
  end.setUint32(16, offset, true);
  const parts = [...locals, ...centrals, new Uint8Array(end.buffer)];
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function decodeName(bytes, utf8Flag) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if (utf8Flag) throw new ZipError('an entry name is not UTF-8');
    // CP437 names from old tools: keep ASCII, mark the rest
    return Array.from(bytes, (b) => (b < 0x80 ? String.fromCharCode(b) : '\ufffd')).join('');
  }
}

/**
 * A .zip's bytes -> [{name, data: Uint8Array}] (directories left out).
 * Caps: maxEntries entries, maxBytes inflated bytes in all (and per
 * entry). Throws ZipError.
 */
export async function readZip(bytes, { maxEntries = 64, maxBytes = 1 << 20 } = {}) {
  if (!(bytes instanceof Uint8Array)) bytes = new Uint8Array(bytes);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n < 22) throw new ZipError('it is not a ZIP archive (too short)');
  // the end of central directory record, within the last 64 KiB + 22
  let end = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === SIG_END && i + 22 + v.getUint16(i + 20, true) === n) { end = i; break; }
  }
  if (end < 0) throw new ZipError('it is not a ZIP archive (no end record)');
  if (v.getUint16(end + 4, true) !== 0 || v.getUint16(end + 6, true) !== 0) throw new ZipError('multi-disk archives are not supported');
  const count = v.getUint16(end + 10, true);
  const cdSize = v.getUint32(end + 12, true);
  const cdOff = v.getUint32(end + 16, true);
  if (count === 0xffff || cdOff === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
  if (cdOff + cdSize > end) throw new ZipError('its central directory is out of bounds');
  const out = [];
  let total = 0;
  let p = cdOff;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdOff + cdSize || v.getUint32(p, true) !== SIG_CENTRAL) throw new ZipError('its central directory is damaged');
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const csize = v.getUint32(p + 20, true);
    const usize = v.getUint32(p + 24, true);
    const nlen = v.getUint16(p + 28, true);
    const xlen = v.getUint16(p + 30, true);
    const clen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    if (p + 46 + nlen + xlen + clen > cdOff + cdSize) throw new ZipError('its central directory is damaged');
    const name = decodeName(bytes.subarray(p + 46, p + 46 + nlen), flags & FLAG_UTF8);
    p += 46 + nlen + xlen + clen;
    if (name.endsWith('/')) continue; // a directory
    if (out.length >= maxEntries) throw new ZipError(`it holds more than ${maxEntries} files`);
    if (flags & FLAG_ENCRYPTED) throw new ZipError(`"${name}" is encrypted`);
    if (csize === 0xffffffff || usize === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
    if (method !== 0 && method !== 8) throw new ZipError(`"${name}" uses a compression method this reader does not know (${method})`);
    if (usize > maxBytes || total + usize > maxBytes) throw new ZipError(`its files hold more than ${maxBytes} bytes`);
    if (local + 30 > n || v.getUint32(local, true) !== SIG_LOCAL) throw new ZipError(`the entry of "${name}" is damaged`);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (start + csize > n) throw new ZipError(`the data of "${name}" is out of bounds`);
    const raw = bytes.subarray(start, start + csize);
    let data;
    if (method === 0) {
      if (csize !== usize) throw new ZipError(`the sizes of "${name}" disagree`);
      data = raw.slice();
    } else {
      if (typeof DecompressionStream !== 'function') throw new ZipError('this browser cannot inflate compressed entries');
      data = await pipeThrough(raw, new DecompressionStream('deflate-raw'), usize);
      if (data.length !== usize) throw new ZipError(`"${name}" inflates to another size than declared`);
    }
    if (crc32(data) !== crc) throw new ZipError(`"${name}" fails its CRC check (damaged)`);
    total += data.length;
    out.push({ name, data });
  }
  return out;
}
