// shutdown.test.mjs - SIGTERM ends runs, closes sockets with 1001 and exits
// 0; under valgrind one run and a shutdown leak nothing definite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { serverBinary, startServer } from '../lib/server.mjs';
import {
  CoderoomClient, ExecuteClient, marker, postJSON, procsMatching, waitUntil,
} from '../lib/clients.mjs';

test('SIGTERM: runs killed, clients get 1001, exit code 0', async () => {
  const srv = await startServer();
  const mark = marker('term');
  const runner = await CoderoomClient.connect(srv.wsUrl);
  const idle = await CoderoomClient.connect(srv.wsUrl);
  const seed = await ExecuteClient.connect(srv.wsUrl);
  try {
    await runner.run(`import os, sys
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, '-c', 'import time\\nwhile True:\\n    print("tick", flush=True)\\n    time.sleep(0.1)', '${mark}'])
import time
time.sleep(1000)
`);
    await runner.waitOutput(/tick\r\n.*tick/s, { timeout: 15000 });
    seed.execute("import time\nprint('seed up', flush=True)\ntime.sleep(1000)\n");
    await seed.waitFor(() => seed.stdout.includes('seed up'), { timeout: 15000, what: 'seed output' });
    assert.ok(procsMatching(mark).length > 0, 'the run is visible on the host');

    const code = await srv.stop('SIGTERM');
    assert.equal(code, 0, `exit code after SIGTERM; log:\n${srv.logs().slice(-2000)}`);
    assert.equal((await runner.waitClose({ timeout: 3000 })).code, 1001);
    assert.equal((await idle.waitClose({ timeout: 3000 })).code, 1001);
    assert.equal((await seed.waitClose({ timeout: 3000 })).code, 1001);
    await waitUntil(() => procsMatching(mark).length === 0, { timeout: 3000, what: 'run processes gone' })
      .catch(() => assert.fail(`left behind: ${JSON.stringify(procsMatching(mark))}`));
    // the data dir's spawner and children are gone too: nothing runs the server binary
    // with this data dir any more
    assert.deepEqual(procsMatching(srv.dataDir), [], 'no process of this server left');
  } finally {
    runner.terminate(); idle.terminate(); seed.terminate();
    await srv.kill();
  }
});

function haveValgrind() {
  try { execFileSync('valgrind', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/* An ASan build (the sanitizer pass of run-all.sh) cannot run under valgrind. */
function sanitizerBuild() {
  try { return /libasan/.test(execFileSync('ldd', [serverBinary()], { encoding: 'utf8' })); } catch { return false; }
}

describe('under valgrind', {
  skip: (!haveValgrind() && 'valgrind not installed') ||
    (sanitizerBuild() && 'the binary is an ASan build (it checks itself)'),
}, () => {
  let srv;
  before(async () => {
    srv = await startServer({
      wrapper: ['valgrind', '--leak-check=full', '--errors-for-leak-kinds=definite', '--error-exitcode=99',
        '--track-fds=no', '--num-callers=30'],
      timeoutMs: 90000,
      killAfterMs: 60000,
    });
  });
  after(async () => { await srv?.kill(); });

  test('runs work: interactive, batch, seed', { timeout: 120000 }, async () => {
    const problems = [];
    const c = await CoderoomClient.connect(srv.wsUrl, { helloTimeout: 30000 });
    try {
      await c.run("name = input('? ')\nprint('hi', name)\n", { timeout: 60000 });
      await c.waitFor((e, cl) => cl.out.includes('? ') || (e.kind === 'json' && e.msg.type === 'exited'), { timeout: 60000, what: 'prompt' });
      c.input('vg\r');
      const ex = await c.waitExit({ timeout: 60000 });
      if (ex.status !== 'ok' || !c.out.includes('hi vg')) problems.push(`interactive run: ${JSON.stringify(ex)} ${JSON.stringify(c.out)}`);
    } catch (e) { problems.push(`interactive run: ${e.message.slice(0, 500)}`); }
    await c.close();
    const r = await postJSON(srv.url + '/api/execute', { code: "print('batch')" }, { timeout: 60000 });
    if (r.json?.output !== 'batch\n') problems.push(`batch run: ${r.text.slice(0, 300)}`);
    const bad = await postJSON(srv.url + '/api/execute', '{"code": ');
    if (bad.status !== 400) problems.push(`invalid JSON: ${bad.status}`);
    const seed = await ExecuteClient.connect(srv.wsUrl);
    seed.execute("print('seed')");
    await seed.waitType('complete', { timeout: 60000 }).catch((e) => problems.push(`seed run: ${e.message.slice(0, 300)}`));
    seed.terminate();
    assert.deepEqual(problems, []);
  });

  test('SIGTERM with a connection open: exit 0, no definite leaks, no errors', { timeout: 120000 }, async () => {
    const open = await CoderoomClient.connect(srv.wsUrl, { helloTimeout: 30000 });
    const code = await srv.stop('SIGTERM');
    open.terminate();
    const log = srv.logs();
    const summary = log.split('\n').filter((l) => /definitely lost|ERROR SUMMARY|Invalid|uninitialised/.test(l)).slice(0, 20).join('\n');
    assert.equal(code, 0, `valgrind exit code ${code} (99 = errors or definite leaks):\n${summary}\n${log.slice(-6000)}`);
  });
});
