// web-zip.test.mjs - the IDE's ZIP reader and writer (web/src/zip.js), in
// node (the same CompressionStream the browsers have): archives made by
// Info-ZIP's zip and Python's zipfile read back exactly, ours read by
// unzip and zipfile, the caps, and damaged archives: every mutation of a
// valid archive is either read or refused with a ZipError, never a crash
// or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../lib/server.mjs';

const { readZip, writeZip, ZipError, crc32 } = await import(pathToFileURL(path.join(repoRoot, 'web/src/zip.js')));

const FILES = [
  { name: 'main.c', data: '#include "util.h"\nint main(void) { return add(1, 2) - 3; }\n'.repeat(20) },
  { name: 'util.c', data: 'int add(int a, int b) { return a + b; }\n' },
  { name: 'include/util.h', data: 'int add(int a, int b);\n' },
  { name: 'données/日本 👋.txt', data: 'ünïcödé\n' },
  { name: 'empty.txt', data: '' },
];
const text = (b) => new TextDecoder().decode(b);

function tmpdir() { return fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-zip-')); }

test('crc32 is the standard one', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('write, then read back: the same files', async () => {
  const z = await writeZip(FILES);
  const back = await readZip(z);
  assert.deepEqual(back.map((f) => [f.name, text(f.data)]), FILES.map((f) => [f.name, f.data]));
});

test('unzip and Python read what we write', async () => {
  const dir = tmpdir();
  try {
    const zpath = path.join(dir, 'p.zip');
    fs.writeFileSync(zpath, await writeZip(FILES));
    const t = execFileSync('unzip', ['-t', zpath]).toString();
    assert.match(t, /No errors detected/);
    const listing = execFileSync('python3', ['-c',
      'import sys, zipfile, json; z = zipfile.ZipFile(sys.argv[1]); print(json.dumps({i.filename: z.read(i).decode() for i in z.infolist()}))', zpath]).toString();
    assert.deepEqual(JSON.parse(listing), Object.fromEntries(FILES.map((f) => [f.name, f.data])));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('we read what zip (deflate, directories) and Python (stored and deflated) write', async () => {
  const dir = tmpdir();
  try {
    const src = path.join(dir, 'src');
    for (const f of FILES) {
      fs.mkdirSync(path.dirname(path.join(src, f.name)), { recursive: true });
      fs.writeFileSync(path.join(src, f.name), f.data);
    }
    execFileSync('zip', ['-r', '-q', '../a.zip', '.'], { cwd: src });
    const a = await readZip(fs.readFileSync(path.join(dir, 'a.zip')));
    assert.deepEqual(Object.fromEntries(a.map((f) => [f.name, text(f.data)])), Object.fromEntries(FILES.map((f) => [f.name, f.data])));

    for (const mode of ['ZIP_STORED', 'ZIP_DEFLATED']) {
      execFileSync('python3', ['-c', `import sys, zipfile, os
z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.${mode})
for root, ds, fs in os.walk(sys.argv[2]):
    for f in fs:
        p = os.path.join(root, f)
        z.write(p, os.path.relpath(p, sys.argv[2]))
z.close()`, path.join(dir, 'b.zip'), src]);
      const b = await readZip(fs.readFileSync(path.join(dir, 'b.zip')));
      assert.deepEqual(Object.fromEntries(b.map((f) => [f.name, text(f.data)])), Object.fromEntries(FILES.map((f) => [f.name, f.data])), mode);
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('caps: too many files, too many bytes, a bomb refused while it inflates', async () => {
  const many = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
  await assert.rejects(readZip(await writeZip(many), { maxEntries: 4 }), (e) => e instanceof ZipError && /more than 4 files/.test(e.message));
  const big = [{ name: 'big', data: 'a'.repeat(200000) }];
  await assert.rejects(readZip(await writeZip(big), { maxBytes: 100000 }), (e) => e instanceof ZipError && /more than 100000 bytes/.test(e.message));
  // a bomb: 50 MB of zeros deflate to ~50 KB; its declared size is faked small
  const dir = tmpdir();
  try {
    execFileSync('python3', ['-c', `import zipfile
z = zipfile.ZipFile('${path.join(dir, 'bomb.zip')}', 'w', zipfile.ZIP_DEFLATED)
z.writestr('zeros', b'\\0' * 50000000)
z.close()`]);
    const bomb = fs.readFileSync(path.join(dir, 'bomb.zip'));
    // lie about the inflated size in both headers: 1000 bytes
    const v = new DataView(bomb.buffer, bomb.byteOffset, bomb.byteLength);
    v.setUint32(22, 1000, true);
    for (let i = bomb.length - 22; i >= 0; i--) {
      if (v.getUint32(i, true) === 0x02014b50) { v.setUint32(i + 24, 1000, true); break; }
    }
    await assert.rejects(readZip(bomb), (e) => e instanceof ZipError && /inflates past its declared size/.test(e.message));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('not a zip, encrypted, other methods: clear refusals', async () => {
  for (const junk of [new Uint8Array(0), new TextEncoder().encode('hello world, this is not a zip archive at all')]) {
    await assert.rejects(readZip(junk), (e) => e instanceof ZipError && /not a ZIP archive/.test(e.message));
  }
  const z = await writeZip([{ name: 'a', data: 'aaa' }]);
  const enc = z.slice();
  new DataView(enc.buffer).setUint16(6, 0x0801, true);      // local: encrypted
  const cd = enc.length - 22 - 46 - 1;
  new DataView(enc.buffer).setUint16(cd + 8, 0x0801, true); // central too
  await assert.rejects(readZip(enc), (e) => e instanceof ZipError && /encrypted/.test(e.message));
  const m = z.slice();
  new DataView(m.buffer).setUint16(cd + 10, 12, true);      // bzip2
  await assert.rejects(readZip(m), (e) => e instanceof ZipError && /compression method/.test(e.message));
  const crc = z.slice();
  crc[30 + 1] ^= 1;                                          // the data
  await assert.rejects(readZip(crc), (e) => e instanceof ZipError && /CRC/.test(e.message));
});

test('every damaged archive is read or refused, never a crash', async () => {
  const z = await writeZip(FILES);
  let x = 0x12345678;
  const rnd = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0); };
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const m = z.slice();
    const flips = 1 + (rnd() % 4);
    for (let k = 0; k < flips; k++) m[rnd() % m.length] = rnd() & 0xff;
    const cut = i % 7 === 0 ? m.subarray(0, rnd() % m.length) : m;
    try {
      const files = await readZip(cut);
      for (const f of files) assert.ok(f.data instanceof Uint8Array && typeof f.name === 'string');
    } catch (e) {
      assert.ok(e instanceof ZipError, `mutation ${i}: ${e.stack}`);
      refused++;
    }
  }
  assert.ok(refused > 100, `${refused} refused`);
});
