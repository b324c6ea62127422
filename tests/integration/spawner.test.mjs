// spawner.test.mjs - the sandbox spawner dies (a real kill -9) or hangs
// (SIGSTOP), and the server goes on: the runs it had end as
// internal_error with a message on every API, a new spawner comes up,
// /api/health and /metrics count the restart, new runs work, and nothing
// else is disturbed (connections stay open, the server's pid is the same).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, assertServerWorks, health, httpRequest, marker, postJSON,
  procsMatching, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';
import { alive, children, comm, isZombie, spawnerOf, supervisorOf, safeKill } from '../lib/procs.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--spawner-timeout-ms', '2000'] }); });
after(async () => { assert.equal(await srv?.stop(), 0, srv?.logs().slice(-3000)); });

async function spawnerUp(what, restarts) {
  let h;
  await waitUntil(async () => {
    h = await health(srv.url);
    return h.spawner.state === 'up' && h.spawner.restarts === restarts;
  }, { timeout: 20000, what }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(h?.spawner)}`); });
  return h;
}

async function ping(c) {
  const n = c.events.length;
  c.send({ type: 'ping', id: n });
  await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'pong' && e.msg.id === n, { since: n, timeout: 5000, what: 'pong' });
}

test('kill -9 of the spawner: its runs end as internal_error, a new one serves', async () => {
  const h0 = await health(srv.url);
  assert.equal(h0.spawner.state, 'up');
  assert.equal(h0.spawner.restarts, 0);
  const old = spawnerOf(srv.pid);
  assert.ok(old, 'the spawner is found below the server');
  assert.equal(h0.spawner.pid, old, '/api/health names the same spawner');
  const sup = supervisorOf(srv.pid);
  assert.ok(sup, 'the supervisor is found below the server');

  // bystanders: an idle IDE socket and an idle /ws/execute socket
  const idle = await CoderoomClient.connect(srv.wsUrl);
  const seedIdle = await ExecuteClient.connect(srv.wsUrl);
  // in flight: an interactive run, a batch run
  const mark = marker('lost');
  const ide = await CoderoomClient.connect(srv.wsUrl);
  await ide.run(`import os, sys\nprint('up', flush=True)\nos.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '${mark}'])\n`);
  await ide.waitOutput('up');
  const batch = postJSON(srv.url + '/api/runs', {
    language: 'python', code: `import sys, time\nprint('b', flush=True)\nsys.stderr.write('${mark}')\ntime.sleep(60)\n`,
  }, { timeout: 30000 });
  await waitUntil(async () => (await health(srv.url)).runs_active === 2, { what: 'both runs active' });
  await waitUntil(() => procsMatching(mark).length > 0, { what: 'the interactive run on the host (after its exec)' });
  const orphans = children(old); // its helpers and its runs' inits
  assert.ok(orphans.length > 0, 'the spawner has children');

  safeKill(old, 'SIGKILL');

  const ex = await ide.waitExit({ timeout: 20000 });
  assert.equal(ex.status, 'internal_error', JSON.stringify(ex));
  assert.match(ex.message, /spawner died/);
  const b = await batch;
  assert.equal(b.status, 500, b.text);	// /api/runs answers an internal error with 500
  assert.equal(b.json.status, 'internal_error', b.text);
  assert.match(b.json.run.message, /spawner died/);
  // the processes of the lost runs are gone with their spawner
  await waitUntil(() => procsMatching(mark).length === 0, { timeout: 10000, what: 'lost runs gone from the host' });

  const t0 = performance.now();
  const h1 = await spawnerUp('a new spawner', 1);
  assert.notEqual(h1.spawner.pid, old);
  assert.equal(h1.spawner.pid, spawnerOf(srv.pid));
  assert.equal(h1.spawner.lost_runs, 2);
  assert.equal(supervisorOf(srv.pid), sup, 'the same supervisor');
  await waitUntil(() => !alive(old), { timeout: 10000, what: 'the old spawner reaped' });
  // its children die with it and are reaped (by the supervisor, whatever
  // pid 1 of the host does with orphans), not left as zombies
  const unreaped = () => orphans.filter((p) => fs.existsSync(`/proc/${p}`))
    .map((p) => `${p} ${comm(p)}${isZombie(p) ? ' (zombie)' : ''}`);
  await waitUntil(() => unreaped().length === 0, { timeout: 10000, what: "the old spawner's children reaped" })
    .catch(() => assert.fail(`left: ${unreaped()}`));
  // every old cgroup of the killed spawner is removed by the new one's janitor
  const leftovers = () => ['memory', 'pids', 'cpuacct', 'freezer', 'unified', '']
    .map((c) => `/sys/fs/cgroup/${c}${c ? '/' : ''}coderoom/i${old}`).filter((d) => fs.existsSync(d));
  await waitUntil(() => leftovers().length === 0, { timeout: 10000, what: `no cgroup of spawner ${old}` })
    .catch(() => assert.fail(`left: ${leftovers()}`));

  // new runs work, on every API
  await assertServerWorks(srv.wsUrl, 'after the spawner was killed');
  const r = await postJSON(srv.url + '/api/execute', { code: "print('fresh')" });
  assert.equal(r.json?.output, 'fresh\n', r.text);
  console.log(`# restart to a working run: ${Math.round(performance.now() - t0)} ms`);

  // nothing else was disturbed
  await ping(idle);
  assert.equal(idle.closed, null);
  assert.equal(seedIdle.closed, null);
  seedIdle.execute("print('seed ok')");
  await seedIdle.waitType('complete', { timeout: 15000 });
  assert.equal(seedIdle.stdout, 'seed ok\n');
  assert.equal(srv.exitInfo(), null, 'the server is still running');
  const m = await httpRequest(srv.url + '/metrics');
  assert.match(m.text, /^coderoom_spawner_restarts_total 1$/m);
  assert.match(m.text, /^coderoom_spawner_lost_runs_total 2$/m);
  assert.match(m.text, /^coderoom_runs_total\{language="python",status="internal_error"\} 2$/m);
  await ide.close(); await idle.close(); seedIdle.close();
  await waitNoRuns(srv);
});

test('a stopped spawner (it reads nothing) is declared dead and replaced; the loop never blocks', async () => {
  const h0 = await health(srv.url);
  const old = spawnerOf(srv.pid);
  assert.equal(old, h0.spawner.pid);
  safeKill(old, 'SIGSTOP');
  try {
    const c = await CoderoomClient.connect(srv.wsUrl);
    c.send({ type: 'run', code: "print('never')\n" });
    // the server answers while the spawner is stuck
    for (let i = 0; i < 5; i++) assert.equal((await health(srv.url)).status, 'ok');
    const ex = await c.waitExit({ timeout: 30000 });
    assert.equal(ex.status, 'internal_error', JSON.stringify(ex));
    assert.match(ex.message, /stopped answering/);
    assert.ok(!c.out.includes('never'));
    await c.close();
    const h1 = await spawnerUp('a spawner after the stopped one', h0.spawner.restarts + 1);
    assert.notEqual(h1.spawner.pid, old);
    // the supervisor killed the stopped one
    await waitUntil(() => !alive(old), { timeout: 10000, what: 'the stopped spawner killed' });
  } finally {
    if (alive(old)) safeKill(old, 'SIGCONT');
  }
  await assertServerWorks(srv.wsUrl, 'after a stopped spawner');
});
