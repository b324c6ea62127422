// limits.test.mjs - interactive runs end at their CPU, wall and output limits,
// and the user is told why (exited.status and exited.message).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, waitNoRuns } from '../lib/clients.mjs';

const OUTPUT_LIMIT = 100000;
let cpuSrv, wallSrv;
before(async () => {
  [cpuSrv, wallSrv] = await Promise.all([
    startServer({ args: ['--cpu-ms', '1500', '--wall-ms', '30000', '--output-bytes', String(OUTPUT_LIMIT), '--memory-bytes', String(64 * 1048576)] }),
    startServer({ args: ['--cpu-ms', '30000', '--wall-ms', '2000'] }),
  ]);
});
after(async () => { await Promise.all([cpuSrv?.stop(), wallSrv?.stop()]); });

async function runToEnd(srv, code, timeout = 30000) {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(code);
    const ex = await c.waitExit({ timeout });
    return { ex, c };
  } finally { await c.close(); }
}

test('hello advertises the configured limits', async () => {
  const c = await CoderoomClient.connect(cpuSrv.wsUrl);
  await c.close();
  assert.equal(typeof c.hello.limits, 'object');
  assert.ok(JSON.stringify(c.hello.limits).includes('1500'),
    `--cpu-ms 1500 shows in hello.limits: ${JSON.stringify(c.hello.limits)}`);
});

test('while True: pass ends with cpu_limit', async () => {
  const { ex } = await runToEnd(cpuSrv, "print('spin', flush=True)\nwhile True:\n    pass\n");
  assert.equal(ex.status, 'cpu_limit', JSON.stringify(ex));
  assert.ok(ex.cpu_ms >= 1000, `cpu_ms reflects the spin: ${ex.cpu_ms}`);
  assert.ok(ex.cpu_ms < 15000, `stopped near the limit: ${ex.cpu_ms}`);
  assert.match(ex.message, /cpu/i, 'the message names the limit');
  await waitNoRuns(cpuSrv);
});

test('four forked spinners are limited on the CPU of the whole tree', async () => {
  const { ex } = await runToEnd(cpuSrv, `import os
for _ in range(3):
    if os.fork() == 0:
        break
while True:
    pass
`);
  assert.equal(ex.status, 'cpu_limit', JSON.stringify(ex));
  await waitNoRuns(cpuSrv);
});

test('time.sleep(10**6) ends with wall_limit', async () => {
  const { ex, c } = await runToEnd(wallSrv, "import time\nprint('zz', flush=True)\ntime.sleep(10**6)\n");
  assert.equal(ex.status, 'wall_limit', JSON.stringify(ex));
  assert.ok(c.out.includes('zz'));
  assert.ok(ex.wall_ms >= 1800, `wall_ms ${ex.wall_ms}`);
  assert.match(ex.message, /wall|time/i);
  await waitNoRuns(wallSrv);
});

test('endless printing ends with output_limit, output capped near the limit', async () => {
  const { ex, c } = await runToEnd(cpuSrv, "while True:\n    print('y' * 99)\n");
  assert.equal(ex.status, 'output_limit', JSON.stringify(ex));
  assert.match(ex.message, /output/i);
  const got = c.stdout.length;
  assert.ok(got >= OUTPUT_LIMIT / 2, `received ${got} bytes of ${OUTPUT_LIMIT}`);
  assert.ok(got <= OUTPUT_LIMIT + 4096, `received ${got} bytes, limit ${OUTPUT_LIMIT}`);
  await waitNoRuns(cpuSrv);
});

test('allocating without end ends with memory_limit', async () => {
  const { ex, c } = await runToEnd(cpuSrv, "print('eat', flush=True)\nchunks = []\nwhile True:\n    chunks.append(b'm' * (8 * 1024 * 1024))\n");
  assert.equal(ex.status, 'memory_limit', JSON.stringify(ex));
  assert.ok(c.out.includes('eat'));
  assert.match(ex.message, /memory/i);
  await waitNoRuns(cpuSrv);
});
