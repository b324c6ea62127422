// ws-run.test.mjs - /ws (coderoom.v1): hello, runs, streaming, input,
// waiting-for-input detection, stop of a whole process tree, ping, busy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import {
  CoderoomClient, health, marker, procsMatching, sleep, waitNoRuns, waitUntil,
} from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const code = await srv?.stop();
  if (srv && code !== 0) console.log(`# server exit code ${code}; log tail:\n${srv.logs().slice(-2000)}`);
});

test('hello: subprotocol echoed, first frame describes the server', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    assert.equal(c.ws.protocol, 'coderoom.v1', 'server must echo the subprotocol');
    assert.equal(c.events[0].kind, 'json', 'hello must be the first frame');
    assert.equal(c.hello.type, 'hello');
    assert.equal(c.hello.protocol, 'coderoom.v1');
    assert.equal(typeof c.hello.version, 'string');
    assert.ok(Array.isArray(c.hello.languages), 'languages is a list');
    const py = c.hello.languages.find((l) => l.id === 'python');
    assert.ok(py, `python listed: ${JSON.stringify(c.hello.languages)}`);
    assert.equal(py.available, true);
    assert.equal(typeof py.version, 'string');
    assert.equal(typeof c.hello.limits, 'object');
  } finally { await c.close(); }
});

test('/ws without a subprotocol still speaks coderoom.v1', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl, { protocol: null });
  try {
    assert.equal(c.hello.protocol, 'coderoom.v1');
    await c.run("print('plain')\n");
    await c.waitExit();
    assert.equal(c.out, 'plain\r\n');
  } finally { await c.close(); }
});

test('a run prints exactly its output, then exited ok with code 0', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const started = await c.run("print('hello, world')\n");
    assert.match(started.run, /^[0-9a-f]{32}$/, 'run id is 32 hex chars');
    assert.equal(started.language, 'python');
    let outAtExit;
    const ex = await c.waitFor((e, cl) => {
      if (e.kind === 'json' && e.msg.type === 'exited') { outAtExit = cl.out; return e.msg; }
      return false;
    }, { timeout: 20000, what: 'exited' });
    assert.equal(outAtExit, 'hello, world\r\n', 'all output arrives before exited (tty: \\r\\n)');
    assert.equal(ex.run, started.run);
    assert.equal(ex.status, 'ok');
    assert.equal(ex.code, 0);
    assert.equal(ex.signal, null);
    assert.equal(typeof ex.message, 'string');
    assert.equal(typeof ex.wall_ms, 'number');
    assert.equal(typeof ex.cpu_ms, 'number');
    assert.ok(ex.output_bytes >= 14, `output_bytes counts the output: ${ex.output_bytes}`);
    // stdout is a terminal in an interactive run
    const tty = await CoderoomClient.connect(srv.wsUrl);
    await tty.run('import sys\nprint(sys.stdout.isatty(), sys.stdin.isatty())\n');
    await tty.waitExit();
    assert.equal(tty.out, 'True True\r\n');
    await tty.close();
  } finally { await c.close(); }
});

test('non-zero exit is runtime_error with the code; a signal is reported by name', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("import sys\nprint('bye')\nsys.exit(3)\n");
    const ex = await c.waitExit();
    assert.equal(ex.status, 'runtime_error');
    assert.equal(ex.code, 3);
    assert.equal(c.out, 'bye\r\n');
  } finally { await c.close(); }
  const d = await CoderoomClient.connect(srv.wsUrl);
  try {
    await d.run('import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n');
    const ex = await d.waitExit();
    assert.equal(ex.status, 'signal', JSON.stringify(ex));
    assert.equal(ex.signal, 'SIGSEGV');
  } finally { await d.close(); }
});

test('output streams as written: each line arrives before the program may go on', async () => {
  // The program prints a line, then waits for our answer (echo off, so
  // the answer is not output): each line must reach us while the program
  // is blocked, so nothing can have batched it until the end. No clock.
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("import sys, termios\nfd = sys.stdin.fileno()\nm = termios.tcgetattr(fd)\nm[3] &= ~termios.ECHO\n" +
      "termios.tcsetattr(fd, termios.TCSANOW, m)\nfor i in range(5):\n    print(f'line {i}', flush=True)\n    sys.stdin.readline()\n");
    for (let i = 0; i < 5; i++) {
      await c.waitOutput(`line ${i}\r\n`, { timeout: 10000 });
      assert.ok(!c.out.includes(`line ${i + 1}`), `line ${i + 1} came before its turn`);
      assert.ok(!c.messages.some((m) => m.type === 'exited'), 'not over yet');
      c.input('go\r');
    }
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok');
    assert.equal(c.out, [0, 1, 2, 3, 4].map((i) => `line ${i}\r\n`).join(''));
  } finally { await c.close(); }
});

test('input(): prompt shown, waiting_for_input while blocked, answer continues the program', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    const { run } = await c.run("name = input('name? ')\nprint('hi', name)\nage = input('age? ')\nprint('in ten years', int(age) + 10)\n");
    await c.waitOutput('name? ');
    const w = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'waiting_for_input',
      { timeout: 5000, what: 'waiting_for_input while input() blocks' });
    assert.equal(w.msg.run, run);
    const since = c.events.length;
    c.input('Ada\r');
    const r = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'running',
      { since, timeout: 5000, what: 'running after the answer' });
    assert.equal(r.msg.run, run);
    await c.waitOutput('hi Ada\r\n');
    await c.waitOutput('age? ');
    await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'waiting_for_input',
      { since: c.events.indexOf(r) + 1, timeout: 5000, what: 'second waiting_for_input' });
    c.input('32\r');
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok');
    // the terminal echoes what was typed
    assert.equal(c.out, 'name? Ada\r\nhi Ada\r\nage? 32\r\nin ten years 42\r\n');
  } finally { await c.close(); }
});

test('terminal input as a binary frame (0x00) reaches the program', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("s = input()\nprint('got[' + s + ']')\n");
    await c.waitType('waiting_for_input', { timeout: 5000 });
    c.sendBinary(Buffer.concat([Buffer.from([0]), Buffer.from('héllo\r')]));
    await c.waitExit();
    assert.ok(c.out.includes('got[héllo]'), JSON.stringify(c.out));
  } finally { await c.close(); }
});

test('ping is answered with pong carrying the same fields', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    c.send({ type: 'ping', id: 42, note: 'x y' });
    const p = await c.waitType('pong', { timeout: 5000 });
    assert.equal(p.id, 42);
    assert.equal(p.note, 'x y');
  } finally { await c.close(); }
});

test('a second run while one is active is refused with busy; stop without run gives no_run', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    c.stop();
    const e1 = await c.waitType('error', { timeout: 5000 });
    assert.equal(e1.code, 'no_run');
    await c.run("import time\nprint('up')\ntime.sleep(30)\n");
    await c.waitOutput('up');
    const since = c.events.length;
    c.send({ type: 'run', code: "print('second')\n" });
    const e2 = await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'error' && e.msg, { since, timeout: 5000, what: 'busy' });
    assert.equal(e2.code, 'busy');
    c.stop();
    const ex = await c.waitExit();
    assert.equal(ex.status, 'killed');
    assert.ok(!c.out.includes('second'));
    // after the run ended, the connection can run again
    const since2 = c.events.length;
    c.send({ type: 'run', code: "print('again')\n" });
    await c.waitFor((e) => e.kind === 'json' && e.msg.type === 'exited', { since: since2, timeout: 20000, what: 'second exited' });
    assert.ok(c.out.endsWith('again\r\n'), JSON.stringify(c.out));
  } finally { await c.close(); }
});

// A program whose grandchild (double fork + setsid) keeps printing ticks.
// The grandchild's host command line carries a unique marker, so the test
// can look for it in the host's /proc without knowing namespaced pids.
function treeProgram(mark, parentSleeps = true) {
  const child = "import time\\nwhile True:\\n    print('tick', flush=True)\\n    time.sleep(0.1)\\n";
  return `import os, sys, time
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, '-c', "${child}", '${mark}'])
    os._exit(0)
os.waitpid(pid, 0)
print('parent', flush=True)
${parentSleeps ? 'time.sleep(1000)' : "time.sleep(0.5)\nprint('parent done', flush=True)"}
`;
}

async function assertTreeGone(c, mark) {
  const len = c.stdout.length;
  await sleep(800);
  assert.equal(c.stdout.length, len, `output after exited: ${JSON.stringify(c.stdout.subarray(len).toString())}`);
  await waitUntil(() => procsMatching(mark).length === 0, { timeout: 3000, what: 'grandchild gone' })
    .catch(() => assert.fail(`processes left on the host: ${JSON.stringify(procsMatching(mark))}`));
  await waitNoRuns(srv, 5000);
}

test('stop kills a double-forked, setsid grandchild', async () => {
  const mark = marker('stoptree');
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(treeProgram(mark));
    await c.waitOutput(/(tick\r\n.*){3}/s, { timeout: 15000 });
    assert.ok(procsMatching(mark).length >= 1, 'the grandchild is visible on the host before stop');
    assert.ok((await health(srv.url)).runs_active >= 1, 'health counts the active run');
    c.stop();
    const ex = await c.waitExit({ timeout: 10000 });
    assert.equal(ex.status, 'killed');
    await assertTreeGone(c, mark);
  } finally { await c.close(); }
});

test('when the program exits, its orphaned grandchild dies with it', async () => {
  const mark = marker('orphan');
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(treeProgram(mark, false));
    const ex = await c.waitExit({ timeout: 15000 });
    assert.equal(ex.status, 'ok');
    assert.ok(c.out.includes('parent done'), JSON.stringify(c.out));
    await assertTreeGone(c, mark);
  } finally { await c.close(); }
});

test('resize reaches the program (SIGWINCH, new size)', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run(`import os, signal, sys
print('size', os.get_terminal_size().lines, os.get_terminal_size().columns, flush=True)
# os.write, not print: the signal may land while print('ready') still holds stdout's lock
signal.signal(signal.SIGWINCH, lambda *a: (os.write(1, b'winch %d %d\\n' % (os.get_terminal_size().lines, os.get_terminal_size().columns)), os._exit(0)))
print('ready', flush=True)
signal.pause()
`, { rows: 30, cols: 100 });
    await c.waitOutput('ready');
    assert.ok(c.out.includes('size 30 100'), JSON.stringify(c.out));
    c.send({ type: 'resize', rows: 40, cols: 120 });
    await c.waitExit({ timeout: 10000 });
    assert.ok(c.out.includes('winch 40 120'), JSON.stringify(c.out));
  } finally { await c.close(); }
});
