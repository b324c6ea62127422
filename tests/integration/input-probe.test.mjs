// input-probe.test.mjs - the input-wait probe ("waiting for input") costs
// little while a program waits: a run found waiting is sampled again only
// after input (or a resize, or a signal) reached it, else at most once a
// second; and the wait's end is still seen.
// Counted with coderoom_input_probes_total on /metrics. The bounds below
// are rates the server cannot exceed however slow the machine (a timer
// fires late, never early), not timings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, httpRequest, sleep, waitNoRuns, waitUntil } from '../lib/clients.mjs';
import fs from 'node:fs';
import { alive, children, comm, descendants, isZombie, safeKill, spawnerOf } from '../lib/procs.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

async function probes(s = srv) {
  const r = await httpRequest(`${s.url}/metrics`);
  const m = /^coderoom_input_probes_total (\d+)/m.exec(r.text);
  assert.ok(m, 'coderoom_input_probes_total in /metrics');
  return Number(m[1]);
}

test('a program waiting at input() with nobody typing: about one probe a second; an answer ends the wait', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    // no echo: the answer then makes no output, only the probe can tell
    // that the program runs again
    await c.run("import termios, time\na = termios.tcgetattr(0)\na[3] &= ~termios.ECHO\ntermios.tcsetattr(0, termios.TCSANOW, a)\n" +
      "s = input('name? ')\nt = time.time()\nwhile time.time() - t < 2: pass\nprint('hi', s)\n");
    await c.waitType('waiting_for_input', { timeout: 15000 });
    const p0 = await probes();
    const t0 = performance.now();
    await sleep(3000); // nobody types
    const p1 = await probes();
    const secs = (performance.now() - t0) / 1000;
    // the old sampling (every 100 ms) made ~10 a second
    assert.ok(p1 - p0 <= Math.ceil(secs) + 2, `${p1 - p0} probes in ${secs.toFixed(1)} s of waiting`);
    assert.ok(p1 - p0 >= 1, 'still sampled now and then');
    // the answer (not echoed): the program reads it and computes without
    // output; the probe that follows the input sees it running
    c.sendBinary(Buffer.from([0, ...Buffer.from('bob\r')]));
    await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'running', { timeout: 10000, what: 'running after the answer' });
    await c.waitOutput('hi bob');
    assert.equal((await c.waitExit()).status, 'ok');
  } finally { await c.close(); }
  await waitNoRuns(srv);
});

// A probe in flight when a compile step ends: the spawner answers it after
// the step's exit report, when the server has already let the step go and
// drops the answer. The run step must still be probed (it was not: the
// pending flag of the lost answer stayed set, and a program at its first
// read never got "waiting_for_input"). Made certain here by stopping the
// server (SIGSTOP) while the compiler works: the compile ends and its exit
// report waits in the server's socket; on SIGCONT the server's loop runs
// its due probe timer before it reads that report.
test('a probe lost with its compile step: the run step is still probed', async (t) => {
  const own = await startServer({ args: ['--spawner-timeout-ms', '120000'] });
  let stopped = null;
  try {
    const langs = (await (await fetch(`${own.url}/api/languages`)).json()).filter((l) => l.available).map((l) => l.id);
    if (!langs.includes('c')) { t.skip('no C toolchain on this machine'); return; }
    const spawner = spawnerOf(own.pid);
    assert.ok(spawner, 'the spawner is found below the server');
    const c = await CoderoomClient.connect(own.wsUrl);
    try {
      // unique source: no cached artefact; 16,384 statements make the
      // compile take a second or two, long enough to be seen running
      const macros = ['#define S0 a++;', ...Array.from({ length: 7 }, (_, i) => `#define S${i + 1} S${i} S${i} S${i} S${i}`)];
      const code = `#include <stdio.h>\n/* ${Date.now()}-${Math.random()} */\nstatic volatile int a;\n${macros.join('\n')}\n` +
        'void slow(void) { S7 }\nint main(void) { char b[64]; if (!fgets(b, 64, stdin)) return 1; if (b[0] == 1) slow(); printf("got %s", b); return 0; }\n';
      const since = c.events.length;
      await c.run(code, { language: 'c', usage: true });
      await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'usage' && e.msg.step === 'compile',
        { since, timeout: 60000, what: 'the compile step running' });
      // the compile's init: the spawner's child with a compiler below it
      const compiling = () => children(spawner).filter((p) => !isZombie(p) &&
        descendants(p).some((d) => /^(cc1|gcc|cc|as|ld|collect2)$/.test(comm(d) || '')));
      const init = compiling()[0];
      assert.ok(init, 'the compile step is found below the spawner');
      safeKill(own.pid, 'SIGSTOP');
      stopped = own.pid;
      // the compile ends and the spawner reaps its init
      await waitUntil(() => !alive(init) && !fs.existsSync(`/proc/${init}`), { timeout: 60000, what: 'the compile step over' });
      safeKill(own.pid, 'SIGCONT');
      stopped = null;
      await c.waitType('waiting_for_input', { since, timeout: 30000 });
      c.sendBinary(Buffer.from([0, ...Buffer.from('xyz\r')]));
      await c.waitOutput('got xyz');
      assert.equal((await c.waitExit()).status, 'ok');
    } finally { await c.close(); }
  } finally {
    if (stopped) safeKill(stopped, 'SIGCONT');
    await own.stop();
  }
});
