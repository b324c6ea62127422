// collab.mjs - shared by the collab differential tests: the C oracle
// process (build/tests/collab_oracle, see tests/lib/collab_oracle.c), a
// seeded PRNG, and generators of random documents and changes with
// multi-byte text (emoji, ZWJ sequences, flags, CJK, combining marks, CRLF).
//
//   const o = startOracle();  await o.call({op: 'parse', json: [...]});  o.close();
//
// The seed: COLLAB_SEED (decimal) or the default each test passes; every
// failure message names it, so `COLLAB_SEED=N node --test FILE` replays it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ChangeSet, Text } from '@codemirror/state';
import { repoRoot } from './server.mjs';

/* build/tests/collab_oracle next to the binary under test, or $COLLAB_ORACLE. */
export function oraclePath() {
  if (process.env.COLLAB_ORACLE) return path.resolve(process.env.COLLAB_ORACLE);
  const bin = process.env.CODEROOM_BIN || path.join(repoRoot, 'build/coderoom');
  return path.join(path.dirname(path.resolve(repoRoot, bin)), 'tests/collab_oracle');
}

const HANG_MS = 30000;

export function startOracle() {
  const bin = oraclePath();
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run 'make unit' first`);
  const proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  let dead = null;
  proc.on('exit', (code, sig) => {
    dead = new Error(`collab_oracle exited (${code ?? sig})`);
    while (waiting.length) waiting.shift().reject(dead);
  });
  readline.createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift();
    if (w) w.resolve(JSON.parse(line));
  });
  return {
    call(cmd) {
      if (dead) return Promise.reject(dead);
      return new Promise((resolve, reject) => {
        // A hang guard only: an answer takes microseconds.
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
          reject(new Error(`collab_oracle did not answer within ${HANG_MS} ms: ${JSON.stringify(cmd).slice(0, 2000)}`));
        }, HANG_MS);
        waiting.push({
          resolve: (v) => { clearTimeout(timer); resolve(v); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        proc.stdin.write(`${JSON.stringify(cmd)}\n`);
      });
    },
    close() {
      proc.stdin.end();
      return new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.on('exit', resolve)));
    },
  };
}

/* mulberry32: small, seeded, good enough for test cases. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (n) => Math.floor(next() * n), // 0..n-1
    range: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
  return r;
}

export function seedFrom(def) {
  return process.env.COLLAB_SEED ? Number(process.env.COLLAB_SEED) : def;
}

// Pieces of text, weighted towards the awkward ones.
const PIECES = [
  'a', 'b', 'x', 'y', 'z', ' ', 'fn', 'int', '{', '}', ';', '\t', '"', '\\',
  '\n', '\n', '\r\n', '\r', 'é', 'e\u0301', 'Ж', '中', '文字', 'ñ', '\u2028',
  '😀', '🎉', '🚀', '👨\u200d👩\u200d👧', '🇫🇷', '𝕏', '\u0000',
];

/* Random text of about n pieces. opts.noCR: without "\r"; opts.noNUL. */
export function randText(r, n, opts = {}) {
  let s = '';
  for (let i = 0; i < n; i++) {
    let p = r.pick(PIECES);
    if (opts.noCR && p.includes('\r')) p = '\n';
    if (opts.noNUL && p === '\u0000') p = '0';
    s += p;
  }
  return s;
}

/* Positions of s (0..length) that are not inside a surrogate pair. */
export function boundaries(s) {
  const out = [0];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    out.push(i + 1);
  }
  return out;
}

/* The Text CodeMirror would hold for s with "\n" as the only separator
 * ("\r" stays inside lines, as in a set built by fromJSON). */
export const textOf = (s) => Text.of(s.split('\n'));

/*
 * A random ChangeSet for document s (built by ChangeSet.of, so canonical
 * and of every shape the library makes: several ranges, overlapping specs,
 * insertions and deletions at one point). With opts.anywhere, positions may
 * fall inside surrogate pairs; opts.noCR keeps "\r" out of inserted text.
 */
export function randChanges(r, s, opts = {}) {
  const pos = opts.anywhere ? [...Array(s.length + 1).keys()] : boundaries(s);
  const ok = new Set(pos);
  const specs = [];
  const k = r.pick([0, 1, 1, 1, 2, 2, 3, 4, 6]);
  for (let i = 0; i < k; i++) {
    let a = r.pick(pos), b = r.pick(pos);
    if (a > b) [a, b] = [b, a];
    if (r.chance(0.4)) b = a; // pure insertion
    else if (r.chance(0.3) && b - a > 8) b = a + r.int(8);
    if (!ok.has(b)) b = a;
    const kind = r.int(10);
    let insert;
    if (kind < 2) insert = ''; // deletion
    else if (kind < 4 && !opts.noCR) insert = Text.of(randText(r, r.range(1, 3)).split('\n')); // lines may hold \r
    else insert = randText(r, r.range(1, 6), opts);
    specs.push({ from: a, to: b, insert });
  }
  return ChangeSet.of(specs, s.length);
}

export const wellFormed = (s) => s.isWellFormed();
