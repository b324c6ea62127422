// resources.test.mjs - hostile programs that try to exhaust the host: each
// gets its verdict, stays inside its limits, and leaves nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { postJSON } from '../lib/clients.mjs';
import {
  LIMITS, MiB, afterRun, assertServerWorks, brief, stopCheckingSecret, exec,
  hostProcs, kv, pyName, serverRss, shortMarker, startHostile, watchProcs,
} from './lib.mjs';

let srv;
before(async () => { srv = await startHostile(); });
after(() => stopCheckingSecret(srv));

test('each run sees its own memory and disk limits, whatever the run before it asked for', async () => {
  // A warm init sizes its run's /work, /tmp, /dev/shm and meminfo ahead,
  // for a run like the last one, and corrects them at hand-out. The runs
  // below alternate their memory limit, and a C run in between (its
  // compile step has a larger disk and memory) moves the guess again.
  const code = `import os
sizes = [os.statvfs(d).f_blocks * os.statvfs(d).f_frsize for d in ('/work', '/tmp', '/dev/shm')]
mem = [l for l in open('/proc/meminfo') if l.startswith('MemTotal:')][0].split()[1]
print(int(mem) * 1024, *sizes)
`;
  const post = async (body) => {
    const r = await postJSON(srv.url + '/api/runs', body, { timeout: 120000 });
    srv.responses.push(r.text);
    assert.equal(r.json?.run?.status, 'ok', r.text);
    return r.json.run.stdout;
  };
  const seen = async (limits) =>
    (await post({ language: 'python', code, limits })).trim().split(' ').map(Number);
  const [defMem, defWork, defTmp, defShm] = await seen({});
  assert.equal(defMem, LIMITS.memory);
  assert.ok(defWork > 0 && defWork === defTmp && defTmp === defShm, `${defWork} ${defTmp} ${defShm}`);
  const asks = [96, 96, 0, 'c', 0, 112, 'c', 96, 0, 0, 112];
  for (const ask of asks) {
    if (ask === 'c') {
      assert.match(await post({ language: 'c', code: '#include <stdio.h>\nint main(void) { puts("c"); return 0; }\n' }), /^c$/m);
      continue;
    }
    const limits = ask ? { memory_bytes: ask * MiB } : {};
    assert.deepEqual(await seen(limits), [ask ? ask * MiB : defMem, defWork, defTmp, defShm],
      `asked ${JSON.stringify(limits)}`);
  }
});

test('fork bomb: never more than --pids processes, ends on its CPU limit, nothing left', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`;
  const { result: r, maxSeen } = await watchProcs(m, exec(srv, code));
  // 64 spinning processes burn the 1 s of CPU in well under the wall limit.
  assert.equal(r.verdict, 'cpu_limit', brief(r));
  assert.equal(r.signal, 'SIGKILL', brief(r));
  assert.ok(r.wall_ms < LIMITS.wallMs, brief(r));
  assert.ok(maxSeen > 1, `the host scan saw the bomb's processes (${maxSeen})`);
  assert.ok(maxSeen <= LIMITS.pids, `at most ${LIMITS.pids} processes at once, saw ${maxSeen}`);
  await afterRun(srv, m);
});

test('thread bomb: thread creation fails at --pids, verdict pids_limit', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import threading, time
n = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(100,), daemon=True).start()
        n += 1
except RuntimeError as e:
    print(f'threads={n}', flush=True)
`;
  const r = await exec(srv, code);
  assert.equal(r.verdict, 'pids_limit', brief(r));
  const n = Number(kv(r.stdout).threads);
  assert.ok(n > 10 && n < LIMITS.pids, `threads started before the limit: ${n}`);
  await afterRun(srv, m);
});

test('memory bomb (Python): verdict memory_limit, peak at the limit', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}print('eat', flush=True)
chunks = []
while True:
    chunks.append(bytearray(8 * 1024 * 1024))
`;
  const r = await exec(srv, code);
  assert.equal(r.verdict, 'memory_limit', brief(r));
  assert.equal(r.signal, 'SIGKILL', brief(r));
  assert.ok(r.stdout.includes('eat'));
  assert.ok(r.memory_bytes <= LIMITS.memory + MiB, `peak ${r.memory_bytes} <= limit`);
  assert.ok(r.memory_bytes >= LIMITS.memory / 2, `peak ${r.memory_bytes} near the limit`);
  await afterRun(srv, m);
});

// The C program is compiled with gcc inside the same run (and, when the
// server offers "c", also as a C submission).
const C_BOMB = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  puts("eat"); fflush(stdout);
  for (;;) {
    char *p = malloc(1 << 20);
    if (!p) { puts("malloc failed"); return 3; }
    memset(p, 1, 1 << 20);
  }
}
`;

test('memory bomb (C, compiled with gcc in the sandbox): verdict memory_limit', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import os, subprocess
open('bomb.c', 'w').write(${JSON.stringify(C_BOMB)})
subprocess.run(['/usr/bin/gcc', '-O1', '-o', 'bomb', 'bomb.c'], check=True)
print('compiled', flush=True)
os.execv('./bomb', ['${m}'])
`;
  const r = await exec(srv, code);
  assert.ok(r.stdout.includes('compiled'), brief(r));
  assert.equal(r.verdict, 'memory_limit', brief(r));
  assert.ok(r.stdout.includes('eat'), brief(r));
  assert.ok(!r.stdout.includes('malloc failed'), 'killed by the cgroup, not a failed malloc');
  await afterRun(srv, m);
});

test('memory bomb (C submission) when the server offers C', async (t) => {
  const langs = await (await import('./lib.mjs')).availableLanguages(srv);
  if (!langs.has('c')) {
    t.skip('language "c" not offered yet; the gcc-in-the-sandbox test above covers it');
    return;
  }
  const r = await exec(srv, C_BOMB, { language: 'c' });
  assert.equal(r.verdict, 'memory_limit', brief(r));
  await afterRun(srv);
});

for (const dir of ['/tmp', '/work', '/dev/shm']) {
  test(`filling ${dir}: ENOSPC at its cap, host disk untouched`, async () => {
    const m = shortMarker();
    const before = fs.statfsSync('/');
    const hostTmp = fs.statfsSync('/tmp');
    const code = `${pyName(m)}import errno, os
total = 0
err = 'none'
i = 0
try:
    while True:
        with open(f'${dir}/${m}-{i}', 'wb') as f:
            for _ in range(8):
                f.write(b'x' * (1 << 20))
                total += 1 << 20
        i += 1
except OSError as e:
    err = errno.errorcode[e.errno]
print(f'err={err}')
print(f'total={total}')
n = 0
try:
    while True:
        open(f'${dir}/i{n}', 'w').close()
        n += 1
except OSError as e:
    print(f'inodes={n}')
    print(f'ierr={errno.errorcode[e.errno]}')
`;
    const r = await exec(srv, code);
    assert.equal(r.verdict, 'ok', brief(r));
    const o = kv(r.stdout);
    assert.equal(o.err, 'ENOSPC', brief(r));
    const total = Number(o.total);
    // The tmpfs is capped at 64 MiB (the default tmpfs_bytes).
    assert.ok(total >= 32 * MiB && total <= 64 * MiB, `wrote ${total / MiB} MiB before ENOSPC`);
    assert.equal(o.ierr, 'ENOSPC', brief(r));
    assert.ok(Number(o.inodes) < 20000, `inodes capped: ${o.inodes}`);
    // Nothing of it reached a host file system.
    for (const d of ['/tmp', srv.dataDir, '/run/coderoom-sandbox', '/run/coderoom-sandbox/work', '/dev/shm']) {
      let names = [];
      try { names = fs.readdirSync(d); } catch { /* absent */ }
      assert.ok(!names.some((n) => n.includes(m)), `no ${m} file in host ${d}`);
    }
    const after = fs.statfsSync('/');
    const hostTmp2 = fs.statfsSync('/tmp');
    const usedMiB = (a, b) => ((a.bfree - b.bfree) * a.bsize) / MiB;
    assert.ok(usedMiB(before, after) < 48, `host / lost ${usedMiB(before, after)} MiB`);
    assert.ok(usedMiB(hostTmp, hostTmp2) < 48, `host /tmp lost ${usedMiB(hostTmp, hostTmp2)} MiB`);
    await afterRun(srv, m);
  });
}

test('a flood of output: cut at the cap, verdict output_limit, server memory flat', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import os
os.write(2, b'E' * 100000)
b = b'A' * 65536
while True:
    os.write(1, b)
`;
  await exec(srv, "print('warm')\n");
  const rss0 = serverRss(srv);
  let r;
  for (let i = 0; i < 5; i++) {
    r = await exec(srv, code);
    assert.equal(r.verdict, 'output_limit', brief(r));
    assert.equal(r.truncated, true, brief(r));
    assert.ok(r.stdout.length <= LIMITS.output, `stdout ${r.stdout.length} <= cap ${LIMITS.output}`);
    assert.ok(r.stdout.length >= LIMITS.output / 2, `stdout ${r.stdout.length} near the cap`);
    assert.match(r.stdout, /^A+$/);
    assert.match(r.message, /output/);
  }
  const rss1 = serverRss(srv);
  assert.ok(rss1 - rss0 < 24 * MiB, `server RSS grew ${(rss1 - rss0) / MiB} MiB over 5 floods`);
  await afterRun(srv, m);
});

test('infinite loop: verdict cpu_limit near --batch-cpu-ms', async () => {
  const m = shortMarker();
  const r = await exec(srv, `${pyName(m)}while True:\n    pass\n`);
  assert.equal(r.verdict, 'cpu_limit', brief(r));
  assert.ok(r.cpu_ms >= LIMITS.cpuMs * 0.9, brief(r));
  await afterRun(srv, m);
});

test('sleeping forever: verdict wall_limit near --batch-wall-ms', async () => {
  const m = shortMarker();
  const r = await exec(srv, `${pyName(m)}import time\ntime.sleep(10**6)\n`);
  assert.equal(r.verdict, 'wall_limit', brief(r));
  assert.equal(r.message, `wall time limit of ${LIMITS.wallMs / 1000} s exceeded`, brief(r));
  await afterRun(srv, m);
});

test('SIGSTOP to itself and its children: still killed on time', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import os, signal, time
for i in range(3):
    if os.fork() == 0:
        os.kill(os.getpid(), signal.SIGSTOP)
        os._exit(0)
time.sleep(0.2)
print('stopping', flush=True)
os.kill(0, signal.SIGSTOP)
print('never', flush=True)
`;
  const { result: r, maxSeen } = await watchProcs(m, exec(srv, code));
  assert.equal(r.verdict, 'wall_limit', brief(r));
  assert.ok(r.stdout.includes('stopping') && !r.stdout.includes('never'), brief(r));
  assert.ok(maxSeen >= 4, `the stopped processes were seen on the host (${maxSeen})`);
  await afterRun(srv, m);
});

test('double fork + setsid + ignored SIGTERM/SIGHUP: nothing left on the host', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.execv('/bin/sleep', ['${m}', '1000'])
    os._exit(0)
os.wait()
time.sleep(1)
print('parent-exits', flush=True)
`;
  const { result: r, maxSeen } = await watchProcs(m, exec(srv, code));
  assert.equal(r.verdict, 'ok', brief(r));
  assert.ok(r.stdout.includes('parent-exits'));
  assert.ok(maxSeen >= 2, `the daemon was seen on the host while the run lasted (${maxSeen})`);
  await afterRun(srv, m);
  assert.deepEqual(hostProcs(m), []);
});

test('opening thousands of fds: EMFILE at RLIMIT_NOFILE, which cannot be raised', async () => {
  const m = shortMarker();
  const code = `${pyName(m)}import errno, os, resource
print('soft=%d\\nhard=%d' % resource.getrlimit(resource.RLIMIT_NOFILE))
fds = []
try:
    for _ in range(100000):
        fds.append(os.open('/dev/null', os.O_RDONLY))
except OSError as e:
    print(f'err={errno.errorcode[e.errno]}')
print(f'opened={len(fds)}')
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    print('raise=OK')
except ValueError:
    print('raise=EPERM')
`;
  const r = await exec(srv, code);
  assert.equal(r.verdict, 'ok', brief(r));
  const o = kv(r.stdout);
  assert.equal(o.err, 'EMFILE', brief(r));
  assert.equal(o.soft, '256');
  assert.equal(o.hard, '256');
  assert.ok(Number(o.opened) <= 256 && Number(o.opened) > 200, brief(r));
  assert.equal(o.raise, 'EPERM', brief(r));
  await afterRun(srv, m);
  await assertServerWorks(srv.url, 'after the fd flood');
});
