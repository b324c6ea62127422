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
import { CoderoomClient, httpRequest, sleep, waitNoRuns } from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

async function probes() {
  const r = await httpRequest(`${srv.url}/metrics`);
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
  await waitNoRuns(srv.url);
});
