// output-path.test.mjs - the terminal's output path: output held back by a
// client that stopped reading arrives whole and in order once it reads
// again, carried in merged frames; interactive output is limited by rate
// and by a total, not by the old 16 MiB cap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient, sleep, waitNoRuns } from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer({ args: ['--output-bytes', String(64 * 1048576)] }); });
after(async () => { await srv?.stop(); });

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
    assert.ok(biggest < 65536, `largest output frame ${biggest} bytes, 64 KiB or more`);
  } finally { await c.close(); }
  await waitNoRuns(srv.url);
});
