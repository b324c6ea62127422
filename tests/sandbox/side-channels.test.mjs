// side-channels.test.mjs - what a run can learn about, or do to, the host
// and the other runs through what they share: toolchain inodes (inotify,
// fanotify, locks), a host-wide /proc, and the host's page cache (sync).
// Each test sets up the other side itself (a second run, a host process, a
// dirty host file) and checks the host afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoderoomClient } from '../lib/clients.mjs';
import {
  LIMITS, PY_SYSCALL, afterRun, brief, stopCheckingSecret, exec, kv, pyName, shortMarker,
  startHostile,
} from './lib.mjs';

let srv;
before(async () => { srv = await startHostile(); });
after(() => stopCheckingSecret(srv));

/* Run Python on the host (as root unless uid is given); its stdout. */
function hostPython(code, { uid } = {}) {
  const o = { encoding: 'utf8', timeout: 30000 };
  if (uid !== undefined) Object.assign(o, { uid, gid: uid });
  return execFileSync('python3', ['-c', code], o);
}

/* An interactive run of 'code' that prints 'ready' and then waits for a
 * line; resolves with the client once 'ready' arrived. */
async function holdingRun(code) {
  const c = await CoderoomClient.connect(srv.wsUrl);
  await c.run(code);
  await c.waitOutput(/ready/, { timeout: 15000 });
  return c;
}

const WATCHED = ['/usr/include/stdio.h', '/usr/bin/lua5.4', '/etc/ld.so.cache', '/dev/null',
  '/usr/lib/python3.11'];

test('inotify on toolchain files, /etc/ld.so.cache and /dev/null sees nothing of other runs or the host', async () => {
  const m = shortMarker();
  // The watcher: every event on the shared paths, reported after its input.
  const watcher = await holdingRun(`${pyName(m)}import ctypes, json, os, struct
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
wds = {}
for p in ${JSON.stringify(WATCHED)}:
    wd = libc.inotify_add_watch(fd, p.encode(), 0xfff)
    print(f'watch {p} {wd}', flush=True)
    wds[wd] = p
print('ready', flush=True)
input()
seen = {}
try:
    buf = os.read(fd, 1 << 16)
except BlockingIOError:
    buf = b''
off = 0
while off + 16 <= len(buf):
    wd, mask, cookie, n = struct.unpack_from('iIII', buf, off)
    off += 16 + n
    seen.setdefault(wds.get(wd, str(wd)), []).append(hex(mask))
print('events=' + json.dumps(seen), flush=True)
`);
  try {
    assert.ok(!/watch \S+ -1/.test(watcher.out), `every watch was set: ${watcher.out}`);
    // Another run uses each of them...
    const other = await exec(srv, `import os, subprocess
open('/usr/include/stdio.h').read()
open('/dev/null', 'w').write('x')
os.listdir('/usr/lib/python3.11')
subprocess.run(['/usr/bin/lua5.4', '-e', 'print(1)'], check=True)
subprocess.run(['/usr/bin/true'], check=True)
print('used')
`);
    assert.equal(other.verdict, 'ok', brief(other));
    // ... and so does the host.
    fs.readFileSync('/usr/include/stdio.h');
    fs.readFileSync('/usr/bin/lua5.4');
    fs.readFileSync('/etc/ld.so.cache');
    fs.readdirSync('/usr/lib/python3.11');
    fs.writeFileSync('/dev/null', 'x');
    execFileSync('/usr/bin/true');
    watcher.input('\r');
    await watcher.waitOutput(/events=\{.*\}/, { timeout: 15000 });
    const events = JSON.parse(/events=(\{.*\})/.exec(watcher.out)[1]);
    assert.deepEqual(events, {}, `the watcher saw others' use of shared inodes: ${JSON.stringify(events)}`);
    const ex = await watcher.waitExit({ timeout: 15000 });
    assert.equal(ex.status, 'ok', JSON.stringify(ex));
  } finally { await watcher.close(); }
  await afterRun(srv, m);
});

test('fanotify is refused (EPERM), even on an inode of its own', async () => {
  const m = shortMarker();
  const r = await exec(srv, `${pyName(m)}${PY_SYSCALL}
r, e = sc(300, 0x200, 0)  # fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY)
print(f'init={e}')
show('mark', 301, -1, 1, 0x1000, -100, b'/usr/bin/lua5.4')  # fanotify_mark(-1, ADD, OPEN_EXEC)
`);
  assert.equal(r.verdict, 'ok', brief(r));
  const o = kv(r.stdout);
  assert.equal(o.init, 'EPERM', brief(r));
  assert.equal(o.mark, 'EPERM', `refused before the fd is even looked at: ${brief(r)}`);
  await afterRun(srv, m);
});

test('locks on toolchain files bind nobody else; locks on its own files still work', async () => {
  const m = shortMarker();
  const holder = await holdingRun(`${pyName(m)}import fcntl, os
a = os.open('/usr/lib/python3.11/os.py', os.O_RDONLY)
fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB)
b = os.open('/usr/include/stdio.h', os.O_RDONLY)
fcntl.lockf(b, fcntl.LOCK_SH | fcntl.LOCK_NB)
print('locked', flush=True)
print('ready', flush=True)
input()
`);
  try {
    // The host: an exclusive flock and a write lock on the same files.
    const host = hostPython(`import errno, fcntl, os
def t(name, f):
    try:
        f()
        print(f'{name}=OK')
    except OSError as e:
        print(f'{name}={errno.errorcode[e.errno]}')
a = os.open('/usr/lib/python3.11/os.py', os.O_RDONLY)
t('flock', lambda: fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB))
b = os.open('/usr/include/stdio.h', os.O_RDWR)
t('lockf', lambda: fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB))
`);
    assert.deepEqual(kv(host), { flock: 'OK', lockf: 'OK' }, `a host process is not blocked by the run's locks: ${host}`);
    // Another run: the same, and its own /tmp lock still excludes.
    const r = await exec(srv, `import errno, fcntl, os
def t(name, f):
    try:
        f()
        print(f'{name}=OK', flush=True)
    except OSError as e:
        print(f'{name}={errno.errorcode[e.errno]}', flush=True)
a = os.open('/usr/lib/python3.11/os.py', os.O_RDONLY)
t('flock', lambda: fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB))
mine = os.open('/tmp/cache.lock', os.O_RDWR | os.O_CREAT)
fcntl.flock(mine, fcntl.LOCK_EX)
if os.fork() == 0:
    again = os.open('/tmp/cache.lock', os.O_RDWR)
    t('own', lambda: fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB))
    os._exit(0)
os.wait()
`);
    assert.equal(r.verdict, 'ok', brief(r));
    assert.deepEqual(kv(r.stdout), { flock: 'OK', own: 'EAGAIN' }, brief(r));
    holder.input('\r');
    const ex = await holder.waitExit({ timeout: 15000 });
    assert.equal(ex.status, 'ok', JSON.stringify(ex));
  } finally { await holder.close(); }
  await afterRun(srv, m);
});

test('/proc shows the run, not the host: masked or synthetic host-wide files, toolchains still work', async () => {
  const m = shortMarker();
  const hostFiles = {
    cmdline: fs.readFileSync('/proc/cmdline', 'utf8').trim(),
    boot_id: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
  };
  const r = await exec(srv, `${pyName(m)}import base64, json, os, subprocess
out = {}
for f in ['cmdline', 'loadavg', 'stat', 'meminfo', 'diskstats', 'interrupts', 'softirqs', 'vmstat',
          'zoneinfo', 'partitions', 'swaps', 'locks', 'cgroups', 'pressure/cpu', 'pressure/memory',
          'sys/kernel/random/boot_id', 'sys/kernel/core_pattern', 'sys/fs/file-nr', 'uptime',
          'self/status', 'mounts', 'net/dev', 'cpuinfo', 'version']:
    try:
        out[f] = open('/proc/' + f).read()
    except OSError as e:
        out[f] = 'ERR:' + os.strerror(e.errno)
out['cpu_count'] = os.cpu_count()
out['node'] = subprocess.run(['/usr/bin/node', '-e', 'const os = require("os"); console.log(os.cpus().length, os.totalmem())'],
                             capture_output=True, text=True).stdout.strip()
print('json=' + base64.b64encode(json.dumps(out).encode()).decode())
`);
  assert.equal(r.verdict, 'ok', brief(r));
  const o = JSON.parse(Buffer.from(kv(r.stdout).json, 'base64').toString());
  const empty = (v) => v === '' || v.startsWith('ERR:');
  // The host's own identity and state: gone.
  assert.ok(!o.cmdline.includes(hostFiles.cmdline), `the host's kernel command line: ${o.cmdline}`);
  assert.ok(!o['sys/kernel/random/boot_id'].includes(hostFiles.boot_id), 'the host boot id');
  for (const f of ['cmdline', 'diskstats', 'interrupts', 'softirqs', 'vmstat', 'zoneinfo', 'partitions',
    'swaps', 'locks', 'cgroups', 'pressure/cpu', 'pressure/memory', 'sys/kernel/random/boot_id',
    'sys/kernel/core_pattern', 'sys/fs/file-nr']) {
    assert.ok(empty(o[f]), `/proc/${f} is masked: ${JSON.stringify(o[f]).slice(0, 200)}`);
  }
  // Synthetic files, reflecting the run's limits.
  assert.match(o.meminfo, new RegExp(`^MemTotal:\\s+${LIMITS.memory / 1024} kB$`, 'm'), o.meminfo);
  assert.match(o.meminfo, /^MemAvailable:\s+\d+ kB$/m, o.meminfo);
  assert.match(o.loadavg, /^0\.00 0\.00 0\.00 /, o.loadavg);
  assert.match(o.stat, /^cpu0 /m, o.stat);
  assert.match(o.stat, /^btime \d+$/m, o.stat);
  assert.match(o.stat, /^ctxt 0$/m, `no host-wide counters: ${o.stat}`);
  // What the run's own processes and toolchains read still works.
  assert.match(o['self/status'], /^Uid:\s+1000\s/m);
  assert.match(o.mounts, / \/work tmpfs /);
  assert.match(o['net/dev'], /lo:/);
  assert.match(o.cpuinfo, /^processor\s*:/m);
  assert.match(o.version, /^Linux version /);
  assert.match(o.uptime, /^\d+\.\d+ \d+\.\d+\n$/);
  assert.ok(o.cpu_count >= 1, `os.cpu_count() ${o.cpu_count}`);
  const [ncpu, total] = o.node.split(' ').map(Number);
  assert.ok(ncpu >= 1, `node os.cpus(): ${o.node}`);
  assert.equal(total, LIMITS.memory, `node os.totalmem() is the run's memory limit: ${o.node}`);
  await afterRun(srv, m);
});

/* Pages of 'file' the kernel holds dirty (cachestat(2), Linux 6.5+). */
const CACHESTAT = `import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
fd = os.open(sys.argv[1], os.O_RDONLY)
rng = (ctypes.c_uint64 * 2)(0, 0)
st = (ctypes.c_uint64 * 5)()
if libc.syscall(451, fd, rng, st, 0) != 0:
    raise OSError(ctypes.get_errno(), 'cachestat')
print(st[1])
`;
function dirtyPages(file) {
  return Number(execFileSync('python3', ['-c', CACHESTAT, file], { encoding: 'utf8' }).trim());
}

test('sync, syncfs, fsync and fdatasync succeed without flushing the host page cache', async () => {
  const m = shortMarker();
  // A host file on a real disk, written without sync: its pages are dirty
  // until the kernel writes them back (30 s) or someone syncs.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-sync-'));
  const file = path.join(dir, 'dirty');
  const code = `${pyName(m)}${PY_SYSCALL}
usr = os.open('/usr/include/stdio.h', os.O_RDONLY)
mine = os.open('/work/f', os.O_RDWR | os.O_CREAT)
os.write(mine, b'x' * 4096)
show('sync', 162)
show('syncfs_usr', 306, usr)
show('fsync_usr', 74, usr)
show('fdatasync_usr', 75, usr)
show('fsync_own', 74, mine)
`;
  try {
    // Another process may sync the host meanwhile (a neighbour, writeback):
    // a try where the file was clean before the run counts for nothing,
    // and a flush seen three times is the run's.
    let kept = false, last;
    for (let i = 0; i < 3 && !kept; i++) {
      fs.writeFileSync(file, Buffer.alloc(32 * 1024 * 1024, 7));
      const before = dirtyPages(file);
      if (before < 4096) continue;
      last = await exec(srv, code);
      assert.equal(last.verdict, 'ok', brief(last));
      const after = dirtyPages(file);
      kept = after >= before / 2;
      last.dirty = `${before} -> ${after}`;
    }
    assert.ok(last, 'the host file had dirty pages to flush');
    assert.deepEqual(kv(last.stdout), {
      sync: 'OK', syncfs_usr: 'OK', fsync_usr: 'OK', fdatasync_usr: 'OK', fsync_own: 'OK',
    }, brief(last));
    assert.ok(kept, `the run flushed the host's dirty pages (dirty pages ${last.dirty})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await afterRun(srv, m);
});
