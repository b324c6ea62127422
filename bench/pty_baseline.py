#!/usr/bin/env python3
"""pty_baseline.py - the baselines coderoom's benchmarks are divided by.

  pty_baseline.py echo N         keystroke echo through a local pty running cat:
                                 write one byte to the master, time until the
                                 echo is read back; prints {"p50_ms","p99_ms",...}
  pty_baseline.py throughput FILE  run `python3 FILE` on a local pty, read the
                                 master to EOF; prints {"bytes","seconds","mb_s"}
  pty_baseline.py pyidle N       N bare python3 processes, each on its own pty
                                 waiting at input(); prints their mean
                                 {"pss","rss","uss"} in bytes (uss: private
                                 pages, what one more process adds)

No sandbox, no server, no WebSocket: what a program on a terminal costs here.
"""
import json
import os
import pty
import select
import subprocess
import sys
import time


def spawn_on_pty(argv):
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, close_fds=True)
    os.close(slave)
    return master, proc


def read_until(fd, needle, timeout=5.0):
    buf = b''
    end = time.monotonic() + timeout
    while needle not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f'no {needle!r} within {timeout}s: {buf[-80:]!r}')
        r, _, _ = select.select([fd], [], [], left)
        if r:
            buf += os.read(fd, 65536)
    return buf


def echo(n):
    master, proc = spawn_on_pty(['cat'])
    samples = []
    try:
        # warm up: the first echo proves cat's terminal is ready
        os.write(master, b'w')
        read_until(master, b'w')
        for i in range(n):
            if i % 100 == 99:
                os.write(master, b'\r')
                time.sleep(0.02)
                _drain(master)
                continue
            ch = bytes([ord('a') + i % 26])
            t0 = time.perf_counter_ns()
            os.write(master, ch)
            read_until(master, ch)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
            time.sleep(0.002)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    return {'n': len(samples), 'p50_ms': pick(0.50), 'p99_ms': pick(0.99),
            'mean_ms': sum(samples) / len(samples)}


def _drain(fd):
    while select.select([fd], [], [], 0.01)[0]:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def throughput(path):
    master, proc = spawn_on_pty([sys.executable, path])
    total = 0
    t0 = None
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:  # EIO: the slave side is closed
            break
        if not b:
            break
        if t0 is None:
            t0 = time.perf_counter()
        total += len(b)
    t1 = time.perf_counter()
    proc.wait()
    os.close(master)
    secs = t1 - (t0 or t1)
    return {'bytes': total, 'seconds': secs, 'mb_s': total / 1e6 / secs if secs else 0}


PYIDLE = "while True:\n    s = input('> ')\n    print('echo', s)\n"


def _status_kb(pid, key, name='status'):
    with open(f'/proc/{pid}/{name}') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    return 0


def pyidle(n):
    procs = [spawn_on_pty([sys.executable, '-c', PYIDLE]) for _ in range(n)]
    try:
        for master, _ in procs:
            read_until(master, b'> ', timeout=30)
        time.sleep(0.5)
        pss = sum(_status_kb(p.pid, 'Pss', 'smaps_rollup') for _, p in procs)
        rss = sum(_status_kb(p.pid, 'VmRSS') for _, p in procs)
        uss = sum(_status_kb(p.pid, 'Private_Clean', 'smaps_rollup') +
                  _status_kb(p.pid, 'Private_Dirty', 'smaps_rollup')
                  for _, p in procs)
    finally:
        for master, p in procs:
            p.kill()
            p.wait()
            os.close(master)
    return {'n': n, 'pss': pss / n, 'rss': rss / n, 'uss': uss / n}


def main():
    mode = sys.argv[1]
    if mode == 'echo':
        res = echo(int(sys.argv[2]) if len(sys.argv) > 2 else 500)
    elif mode == 'throughput':
        res = throughput(sys.argv[2])
    elif mode == 'pyidle':
        res = pyidle(int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    else:
        sys.exit(f'unknown mode {mode!r}')
    print(json.dumps(res))


if __name__ == '__main__':
    main()
