// compile.test.mjs - hostile uses of the compile step and its cache: an
// artefact too big to run, queued runs holding artefacts in the server's
// memory, compiler flags and language features that run the user's code
// with the compiler's (larger) limits, and a cache entry rewritten on disk.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { postJSON, health } from '../lib/clients.mjs';
import { asanBuild, runBinary } from '../lib/server.mjs';
import { MiB, TIME_SCALE, afterRun, serverRss, sleep, startHostile } from './lib.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });

async function start(opts) {
  const s = await startHostile(opts);
  servers.push(s);
  return s;
}

/* POST /api/runs; resolves with {status, json, text}. */
function runs(srv, body, timeout = 120000) {
  return postJSON(srv.url + '/api/runs', body, { timeout });
}

function show(r) {
  const j = r.json || {};
  return `HTTP ${r.status} ${j.status} ${j.message || j.error || ''}\ncompile: ${JSON.stringify(j.compile)?.slice(0, 600)}` +
    `\nrun: ${JSON.stringify(j.run)?.slice(0, 400)}`;
}

/* A C program with an initialised array of 'mib' MiB (so as big a binary). */
function bigC(mib, extra = '') {
  return `#include <stdio.h>
#include <unistd.h>
char big[${mib} << 20] = {1};  /* global: kept whole in the binary */
int main(void) { ${extra} printf("big %d\\n", big[0] + big[sizeof big - 1]); return 0; }
`;
}

let srv;

test('an artefact larger than a run can be given: a compile error that says so, nothing cached, the server unmoved', async () => {
  srv = await start();
  const rss0 = serverRss(srv);
  const r = await runs(srv, { language: 'c', code: bigC(200) });
  assert.equal(r.status, 200, show(r));
  assert.equal(r.json.status, 'compile_error', show(r));
  assert.equal(r.json.compile.status, 'output_limit', show(r));
  assert.match(r.json.message, /compiled program is larger than the 32 MiB a run can be given/, show(r));
  const h = await health(srv.url);
  assert.ok(h.compile_cache.bytes < 32 * MiB, `cached ${h.compile_cache.bytes} bytes`);
  assert.ok(serverRss(srv) - rss0 < 64 * MiB, `server RSS grew by ${(serverRss(srv) - rss0) / MiB} MiB`);
  await afterRun(srv);
});

test('runs waiting for admission do not hold their cached artefacts in the server', async (t) => {
  const s = await start({ args: ['--api-concurrency', '1'] });
  // 28 MiB (under the cap), and slow enough that the others queue.
  const code = bigC(28, 'usleep(300000);');
  const first = await runs(s, { language: 'c', code });
  assert.equal(first.json?.run?.status, 'ok', show(first));
  await sleep(200);
  const rss0 = serverRss(s);
  let peak = rss0, done = false;
  const sampler = (async () => {
    while (!done) { peak = Math.max(peak, serverRss(s)); await sleep(20); }
  })();
  let all;
  try {
    all = await Promise.all(Array.from({ length: 8 }, () => runs(s, { language: 'c', code })));
  } finally { done = true; await sampler; }
  for (const r of all) {
    assert.equal(r.json?.run?.status, 'ok', show(r));
    assert.equal(r.json.compile.cached, true, show(r));
    assert.match(r.json.run.stdout, /big 1/);
  }
  t.diagnostic(`server RSS ${(rss0 / MiB).toFixed(0)} MiB, peak +${((peak - rss0) / MiB).toFixed(0)} MiB with 8 queued`);
  assert.ok(peak - rss0 < 150 * MiB,
    `8 queued runs of a 28 MiB artefact grew the server by ${((peak - rss0) / MiB).toFixed(0)} MiB`);
  await afterRun(s);
});

test('the server runs under its own memory limit (--server-memory-bytes), which its runs do not inherit',
  // ASan's shadow reservation counts against RLIMIT_DATA: such a build sets none
  { skip: asanBuild() && 'the binary is an ASan build (it sets no server memory limit)' }, async () => {
  // The run's CPU limit is far past what zeroing 320 MiB costs (1.07 s
  // on a virtual machine whose page faults are slow): this is about memory.
  const s = await start({ args: ['--server-memory-bytes', String(256 * MiB)],
    limits: { memory: 512 * MiB, cpuMs: 20000 * TIME_SCALE, wallMs: 60000 * TIME_SCALE } });
  const lim = fs.readFileSync(`/proc/${s.pid}/limits`, 'utf8');
  assert.match(lim, new RegExp(`^Max data size\\s+${256 * MiB}\\s+${256 * MiB}\\s+bytes`, 'm'), lim);
  assert.equal((await health(s.url)).server_memory_bytes, 256 * MiB);
  const r = await postJSON(s.url + '/api/execute', {
    language: 'python', code: 'b = bytearray(320 * 1024 * 1024)\nb[-1] = 1\nprint("ate", len(b) >> 20)\n',
  });
  assert.equal(r.json?.verdict, 'ok', r.text);
  assert.match(r.json.stdout, /ate 320/);
  // Without the flag, a limit derived from the machine.
  const d = await start();
  const dl = /^Max data size\s+(\d+)\s/m.exec(fs.readFileSync(`/proc/${d.pid}/limits`, 'utf8'));
  assert.ok(dl && Number(dl[1]) >= 256 * MiB, `a default limit: ${dl && dl[0]}`);
  assert.equal((await health(d.url)).server_memory_bytes, Number(dl[1]));
});

const WRAPPER = `#!/bin/sh
echo WRAPPED >&2
i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done
exec "$@"
`;

test('compile flags that run the user\'s code (-wrapper) are refused, naming the flag', async () => {
  const r = await runs(srv, {
    language: 'c',
    files: [{ name: 'main.c', content: 'int main(void) { return 0; }\n' }, { name: 'w.sh', content: WRAPPER }],
    compile_flags: '-wrapper /bin/sh,/work/w.sh',
  });
  assert.equal(r.status, 400, show(r));
  assert.equal(r.json.field, 'compile_flags', show(r));
  assert.match(r.json.error, /'-wrapper' is not allowed for c/, show(r));
});

test('every other way to run a program from the compiler\'s flags is refused too', async () => {
  const cases = [
    ['c', '-B/work/'], ['c', '-fplugin=/work/p.so'], ['c', '@/work/flags'], ['c', '-specs=/work/s'],
    ['c', '-Wl,-plugin,/work/x.so'], ['c', '-Xlinker -plugin'], ['c', '/work/evil.o'], ['cpp', '-wrapper /bin/sh'],
    ['cpp', '-fuse-ld=/work/ld'], ['fortran', '-B/work'], ['nim', '--passC:-wrapper'], ['nim', '--run'],
    ['nim', '--cc:env'], ['rust', '-Clinker=/work/ld'], ['rust', '--extern=m=/work/libm.so'],
    ['go', '-toolexec=/work/x'], ['go', '-ldflags=-extld=/work/ld'], ['java', '-J-javaagent:/work/a.jar'],
    ['java', '-processorpath'], ['haskell', '-pgmF'], ['haskell', '-optl-fplugin=/work/x'],
    ['ocaml', '-pp'], ['ocaml', '-ppx'], ['kotlin', '-Xplugin=/work/p.jar'], ['pascal', '-FD/work'],
  ];
  const accepted = [];
  for (const [language, flags] of cases) {
    const r = await runs(srv, { language, code: 'x', compile_flags: flags });
    if (r.status !== 400 || r.json?.field !== 'compile_flags') accepted.push(`${language} '${flags}': ${show(r)}`);
  }
  assert.deepEqual(accepted, [], 'refused, each of them');
});

test('the documented compile flags still work', async () => {
  const r = await runs(srv, {
    language: 'c',
    code: '#include <math.h>\n#include <stdio.h>\nint main(void) { printf("g=%d %.0f\\n", GREETING, sqrt(49.0)); return 0; }\n',
    compile_flags: '-O0 -g -DGREETING=42 -std=c11 -Wall -Wextra -pedantic -fsanitize=undefined -lm',
  });
  assert.equal(r.json?.run?.status, 'ok', show(r));
  assert.match(r.json.run.stdout, /g=42 7/);
});

// Languages whose compiler runs code of the program itself: compile-time
// execution gets the run's CPU time, not the compiler's.
const COMPILE_TIME = {
  nim: `const x = staticExec("i=0; while [ $i -lt 10000000 ]; do i=$((i+1)); done; echo spun")
echo x
`,
  haskell: `{-# LANGUAGE TemplateHaskell #-}
import Language.Haskell.TH
import System.Process (readProcess)

main :: IO ()
main = putStrLn $(runIO (readProcess "/bin/sh" ["-c", "i=0; while [ $i -lt 10000000 ]; do i=$((i+1)); done; echo spun"] "") >>= stringE)
`,
};

test('code run at compile time (Nim staticExec, Template Haskell) gets the run\'s CPU limit', async () => {
  // A run limit the compilers themselves fit in; the compile limit is
  // the default (60 s).
  const s = await start({ limits: { cpuMs: 5000, wallMs: 60000, memory: 512 * MiB } });
  for (const language of ['nim', 'haskell']) {
    const r = await runs(s, { language, code: COMPILE_TIME[language] });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.compile.status, 'cpu_limit', `${language}: ${show(r)}`);
    assert.ok(r.json.compile.cpu_ms <= 5000 + 1000, `${language}: ${show(r)}`);
    assert.equal(r.json.status, 'compile_error', show(r));
    // The same languages without compile-time loops still compile.
    const ok = await runs(s, { language, code: language === 'nim' ? 'echo "plain"\n' : 'main = putStrLn "plain"\n' });
    assert.equal(ok.json?.run?.status, 'ok', `${language}: ${show(ok)}`);
  }
  await afterRun(s);
});

/* The uid of the user 'name', or null. */
function userUid(name) {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split(':')[2]) : null;
}

test('the server runs as the dedicated user coderoom; "nobody" is refused', async () => {
  const uid = userUid('coderoom');
  assert.ok(uid !== null, 'scripts/setup.sh created the user coderoom');
  const st = fs.readFileSync(`/proc/${srv.pid}/status`, 'utf8');
  assert.match(st, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), 'serving as coderoom');
  const dir = fs.mkdtempSync('/tmp/cr-user-');
  try {
    const r = await runBinary(['--listen', '127.0.0.1:0', '--data-dir', dir, '--user', 'nobody'], { timeoutMs: 20000 })
      .catch((e) => ({ code: 'still running', stderr: e.message }));
    assert.notEqual(r.code, 0);
    assert.notEqual(r.code, 'still running', r.stderr);
    assert.match(r.stderr, /refusing to serve as 'nobody'/, r.stderr);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a cache entry rewritten by another process of the service user is not run: it is compiled again', async () => {
  const code = '#include <stdio.h>\nint main(void) { puts("GENUINE"); return 0; }\n';
  const r1 = await runs(srv, { language: 'c', code });
  assert.match(r1.json?.run?.stdout ?? '', /GENUINE/, show(r1));
  const dir = path.join(srv.dataDir, 'compile-cache');
  const entries = fs.readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
  const keyFile = path.join(srv.dataDir, 'cache.key');
  const suid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${srv.pid}/status`, 'utf8'))[1]);
  // Another process of the server's user rewrites every entry with a
  // program of its own, in the cache's plain format (same size).
  const forge = `import os, struct, sys
for p in sys.argv[1:]:
    size = os.path.getsize(p)
    body = b'#!/bin/sh\\necho FORGED\\nexit 0\\n'
    hdr = 16 + len(b'main') + 1
    body += b'#' * (size - hdr - len(body))
    data = struct.pack('=IIQ', 4, 0o755, len(body)) + b'main\\0' + body
    with open(p, 'r+b') as f:
        f.write(data)
    print('forged', p, flush=True)
try:
    open(${JSON.stringify(keyFile)}, 'rb').read()
    print('key=read')
except OSError as e:
    print('key=' + os.strerror(e.errno))
`;
  const out = execFileSync('python3', ['-c', forge, ...entries.map((e) => path.join(dir, e))],
    { uid: suid, gid: suid, encoding: 'utf8' });
  assert.match(out, /forged/);
  const r2 = await runs(srv, { language: 'c', code });
  assert.ok(!/FORGED/.test(r2.json?.run?.stdout ?? ''), `the forged entry ran: ${show(r2)}`);
  // The key is the server's alone: root's, readable by no one else.
  const ks = fs.statSync(keyFile);
  assert.equal(ks.uid, 0, 'the cache key belongs to root');
  assert.equal(ks.mode & 0o777, 0o600);
  assert.match(out, /key=Permission denied/, 'the service user cannot read the key');
  assert.match(r2.json?.run?.stdout ?? '', /GENUINE/, show(r2));
  assert.equal(r2.json.compile.cached, false, 'compiled again');
  assert.match(srv.logs(), /cache: entry [0-9a-f]{12}.* fails authentication/);
  // ... and the fresh artefact is cached again.
  const r3 = await runs(srv, { language: 'c', code });
  assert.equal(r3.json.compile.cached, true, show(r3));
  await afterRun(srv);
});
