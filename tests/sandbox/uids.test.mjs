// uids.test.mjs - the host uids programs run as: every server gets a range
// of its own, never one a host account, group or subordinate-id range
// uses, and never one another live coderoom uses; two servers started
// without configuration share nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { runBinary, startServer } from '../lib/server.mjs';
import { CoderoomClient, health, waitUntil } from '../lib/clients.mjs';
import { hostProcs, pyName, shortMarker } from './lib.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

async function start(args = []) {
  // 3 interactive slots (all for this one client) and 1 batch slot: 4
  // run uids each
  const s = await startServer({ args: ['--max-runs', '3', '--client-runs', '3', '--api-concurrency', '1', ...args] });
  servers.push(s);
  return s;
}

/* The host uid of a program run on 's' that waits for input, and its client. */
async function hostUidOfRun(s) {
  const m = shortMarker();
  const c = await CoderoomClient.connect(s.wsUrl);
  await c.run(`${pyName(m)}print('ready', flush=True)\ninput()\n`);
  await c.waitOutput(/ready/, { timeout: 15000 });
  const [p] = await waitUntil(() => hostProcs(m).length && hostProcs(m), { what: `${m} on the host` });
  const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))[1]);
  return { uid, c };
}

function overlap(a, b) {
  return a.first <= b.last && b.first <= a.last;
}

/* A refused start: the exit code and what it said. */
async function refused(args) {
  const dir = fs.mkdtempSync('/tmp/cr-uids-');
  try {
    return await runBinary(['--listen', '127.0.0.1:0', '--data-dir', dir, '--max-runs', '3',
      '--api-concurrency', '1', ...args],
      { timeoutMs: 20000 }).catch((e) => ({ code: 'still running', stderr: e.message }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let a, b, ha, hb;

test('two servers started without configuration get disjoint run uid ranges, shown in the log and /api/health', async () => {
  [a, b] = await Promise.all([start(), start()]);
  // Programs of both run at the same time under different host uids...
  // (three each of four uids: two servers sharing uids would have to
  // share at least two of them)
  const runs = await Promise.all([a, a, a, b, b, b].map((s) => hostUidOfRun(s)));
  const ua = runs[0], ub = runs[3];
  try {
    const sa = new Set(runs.slice(0, 3).map((r) => r.uid)), sb = new Set(runs.slice(3).map((r) => r.uid));
    assert.deepEqual([...sa].filter((u) => sb.has(u)), [], `host uids used by both servers' runs: ${[...sa]} / ${[...sb]}`);
    [ha, hb] = await Promise.all([health(a.url), health(b.url)]);
    const ra = ha.sandbox?.run_uids, rb = hb.sandbox?.run_uids;
    assert.ok(ra && rb, `the ranges are in /api/health: ${JSON.stringify(ha.sandbox)}`);
    for (const r of [ra, rb]) {
      assert.ok(r.first >= 100000 && r.last - r.first + 1 === 4, JSON.stringify(r));
      assert.equal(r.configured, false);
    }
    assert.ok(!overlap(ra, rb), `disjoint: ${JSON.stringify(ra)} ${JSON.stringify(rb)}`);
    assert.match(a.logs(), new RegExp(`run uids ${ra.first}-${ra.last}`));
    // ... each inside its server's range.
    assert.ok(ua.uid >= ra.first && ua.uid <= ra.last, `${ua.uid} in ${JSON.stringify(ra)}`);
    assert.ok(ub.uid >= rb.first && ub.uid <= rb.last, `${ub.uid} in ${JSON.stringify(rb)}`);
  } finally {
    for (const r of runs) await r.c.close();
  }
});

test('an explicit range that overlaps a live server\'s is refused at start, with the reason', async () => {
  const ra = ha.sandbox.run_uids;
  const r = await refused(['--run-uids', `${ra.first + 1}-${ra.first + 10}`]);
  assert.notEqual(r.code, 0, r.stderr);
  assert.notEqual(r.code, 'still running', r.stderr);
  assert.match(r.stderr, new RegExp(`run uids ${ra.first + 1}-${ra.first + 10}.*in use by another coderoom.*${ra.first}-${ra.last}`), r.stderr);
});

test('an explicit range that holds a host account, a group or a subordinate-id range is refused', async () => {
  const r = await refused(['--run-uids', '65530-65540']);
  assert.notEqual(r.code, 0, r.stderr);
  assert.notEqual(r.code, 'still running', r.stderr);
  assert.match(r.stderr, /65534.*'nobody'.*\/etc\/passwd/, r.stderr);
  const small = await refused(['--run-uids', '300000-300001']);
  assert.match(small.stderr, /holds 2 uids; 4 runs at once need 4 \(--max-runs 3 \+ --api-concurrency 1\)/, small.stderr);
});

test('an explicit free range is used as given, and is free again once its server is gone', async () => {
  const first = 3000000 + crypto.randomInt(0, 1000) * 1000;
  const s = await start(['--run-uids', `${first}-${first + 9}`]);
  const h = await health(s.url);
  assert.deepEqual(h.sandbox.run_uids, { first, last: first + 9, configured: true });
  const u = await hostUidOfRun(s);
  try {
    assert.ok(u.uid >= first && u.uid <= first + 9, `${u.uid}`);
  } finally { await u.c.close(); }
  // Killed outright: its lock goes with it, so the range can be taken.
  await s.kill();
  const s2 = await start(['--run-uids', `${first}-${first + 9}`]);
  assert.deepEqual((await health(s2.url)).sandbox.run_uids, { first, last: first + 9, configured: true });
});
