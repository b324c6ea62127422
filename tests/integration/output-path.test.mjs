// output-path.test.mjs - the terminal's output path: output held back by a
// client that stopped reading arrives whole and in order once it reads
// again, carried in merged frames; a client that stops reading for good is
// dropped, its socket closed, although lws would wait for its backlog; a client reading slowly but steadily is
// not taken for a dead one (its pong waits behind the output); interactive output is limited by rate
// and by a total, not by the old 16 MiB cap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, sleep, waitNoRuns, waitUntil } from '../lib/clients.mjs';

const RATE = 64 * 1024, BURST = 256 * 1024;
const PING_MS = 200, TIMEOUT_MS = 1000;
let srv, rateSrv, beatSrv;
before(async () => {
  [srv, rateSrv, beatSrv] = await Promise.all([
    startServer(), // the default limits
    startServer({ args: ['--output-rate', String(RATE), '--output-burst', String(BURST)] }),
    startServer({ args: ['--ws-ping-ms', String(PING_MS), '--ws-timeout-ms', String(TIMEOUT_MS)] }),
  ]);
});
after(async () => { await Promise.all([srv?.stop(), rateSrv?.stop(), beatSrv?.stop()]); });

/* Runs code; counts its output bytes (without keeping them) until exited. */
async function runCounting(url, code, timeout = 120000) {
  const c = await CoderoomClient.connect(url);
  try {
    await c.run(code);
    let bytes = 0;
    c.ws.removeAllListeners('message');
    const ex = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no exited within ${timeout} ms (${bytes} bytes so far)`)), timeout);
      c.ws.on('message', (d, bin) => {
        if (bin) { if (d[0] === 1 || d[0] === 2) bytes += d.length - 1; return; }
        const m = JSON.parse(d.toString());
        if (m.type === 'exited') { clearTimeout(t); resolve(m); }
      });
    });
    return { ex, bytes };
  } finally { c.terminate(); }
}

test('output queued behind a client that stopped reading arrives whole and in order', async () => {
  const LINES = 80000; // 8 MB: more than the socket buffers hold, so the server queues
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    c.ws.pause();
    c.ws.resume(); // the hello and started must arrive first
    await c.run(`import sys\nfor i in range(${LINES}):\n    sys.stdout.write('%07d' % i + 'x' * 92 + '\\n')\n    sys.stdout.flush()\n`);
    c.ws.pause(); // stop reading: TCP fills up, then the server's queue
    await sleep(1500);
    c.ws.resume();
    const ex = await c.waitExit({ timeout: 60000 });
    assert.equal(ex.status, 'ok', JSON.stringify(ex));
    const lines = c.out.split('\r\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, LINES);
    for (let i = 0; i < LINES; i++) {
      if (lines[i] !== String(i).padStart(7, '0') + 'x'.repeat(92)) {
        assert.fail(`line ${i} is ${JSON.stringify(lines[i].slice(0, 20))}...`);
      }
    }
    // merged frames stay within what lws writes in one go
    const biggest = Math.max(...c.outChunks.map((ch) => ch.data.length));
    assert.ok(biggest <= 65536, `largest output frame ${biggest} bytes, over 64 KiB`);
  } finally { await c.close(); }
  await waitNoRuns(srv);
});

test('a client that stops reading during a flood is dropped: its socket is closed, its backlog thrown away', async () => {
  const c = await CoderoomClient.connect(beatSrv.wsUrl);
  try {
    const { run } = await c.run("import sys\nfor i in range(100000):\n    sys.stdout.write('y' * 99 + '\\n')\n");
    c.ws.pause(); // for good: the server's socket buffer fills, then lws's
    // dropped by the heartbeat (no pong) or for taking none of its output,
    // whichever of the two equal timeouts runs out first
    const DROP = /conn (\d+): [^\n]*(no answer from|took none of its output)[^\n]*dropped/;
    await waitUntil(() => DROP.test(beatSrv.logs()), { timeout: 20000, what: 'the drop' });
    const conn = beatSrv.logs().match(DROP)[1];
    // lws, asked to close, waits for a backlog that never drains: the
    // socket (and the run's subscriber) stayed open for as long as the
    // client lived
    await waitUntil(() => new RegExp(`conn ${conn}: closed websocket`).test(beatSrv.logs()),
      { timeout: 10000, what: `conn ${conn} closed by the server` });
    assert.ok(run);
  } finally { c.terminate(); }
  await waitNoRuns(beatSrv, 30000);
});

test('a program printing more than 16 MiB, slowly enough, is not killed (default limits)', async () => {
  // 15 MiB at once (within the 16 MiB burst), a 3 s rest (>= 3 MiB of
  // rate at 1 MiB/s: a slower machine only rests longer), then 2 MiB more
  const code = `import sys, time
line = 'p' * 1023 + '\\n'
def out(mib):
    for _ in range(mib * 1024):
        sys.stdout.write(line)
    sys.stdout.flush()
out(15)
time.sleep(3)
out(2)
`;
  const { ex, bytes } = await runCounting(srv.wsUrl, code);
  assert.equal(ex.status, 'ok', JSON.stringify(ex));
  assert.equal(ex.truncated, false);
  assert.equal(bytes, 17 * 1048576 + 17 * 1024); // every \n became \r\n
  assert.equal(ex.output_bytes, bytes);
  await waitNoRuns(srv);
});

test('a flood past the output rate is killed: output_limit, the rate in the message, the burst delivered', async () => {
  const { ex, bytes } = await runCounting(rateSrv.wsUrl,
    "import sys\nwhile True:\n    sys.stdout.write('f' * 999 + '\\n')\n");
  assert.equal(ex.status, 'output_limit', JSON.stringify(ex));
  assert.match(ex.message, /output rate limit exceeded: more than 256 KiB at once, then more than 64 KiB a second/);
  assert.equal(ex.truncated, true);
  assert.ok(bytes >= BURST, `received ${bytes} bytes, less than the burst`);
  assert.equal(ex.output_bytes, bytes);
  await waitNoRuns(rateSrv);
});

test('hello advertises the output rate and burst', async () => {
  const c = await CoderoomClient.connect(rateSrv.wsUrl);
  await c.close();
  assert.equal(c.hello.limits.output_rate, RATE);
  assert.equal(c.hello.limits.output_burst, BURST);
});
