// terminal.test.mjs - the terminal behaves like a local one: line
// discipline, Ctrl-C and Ctrl-D, and a pasted line longer than the
// kernel's line buffer is reported instead of silently cut.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { CoderoomClient } from '../lib/clients.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

test('a pasted line over 4095 bytes gets line_too_long; the program sees the first 4095', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("s = input('> ')\nprint('len', len(s))\n");
    await c.waitType('waiting_for_input', { timeout: 10000 });
    c.input('a'.repeat(5000) + '\r');
    const e = await c.waitType('error', { timeout: 5000 });
    assert.equal(e.code, 'line_too_long');
    await c.waitExit();
    assert.match(c.out, /len 4095\r\n/);
  } finally { await c.close(); }
});

test('a short answer gets no warning', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("s = input('> ')\nprint('len', len(s))\n");
    await c.waitType('waiting_for_input', { timeout: 10000 });
    c.input('b'.repeat(3000) + '\r');
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok');
    assert.match(c.out, /len 3000\r\n/);
    assert.ok(!c.events.some((ev) => ev.kind === 'json' && ev.msg.type === 'error'), 'no error frame');
  } finally { await c.close(); }
});

test('Ctrl-C interrupts the program through the terminal; Ctrl-D ends input', async () => {
  const c = await CoderoomClient.connect(srv.wsUrl);
  try {
    await c.run("import sys\ndata = sys.stdin.read()\nprint('got', repr(data))\ntry:\n    input('wait ')\nexcept KeyboardInterrupt:\n    print('interrupted')\n");
    await c.waitType('waiting_for_input', { timeout: 10000 });
    const since = c.events.length;
    c.input('xy\r\x04');
    await c.waitOutput(/got 'xy\\n'/, { timeout: 5000 });
    await c.waitOutput('wait ', { timeout: 5000 });
    // Ctrl-C once the program waits at input() again, as a person would:
    // a SIGINT that comes after Python printed the prompt but before it
    // blocks in read() is handled with no check after it, and input()
    // then waits on (Python's own race, not the terminal's)
    const running = c.events.findIndex((e, i) => i >= since && e.kind === 'json' && e.msg.type === 'running');
    await c.waitType('waiting_for_input', { since: running < 0 ? since : running, timeout: 10000 });
    c.input('\x03');
    await c.waitOutput('interrupted', { timeout: 5000 });
    const ex = await c.waitExit();
    assert.equal(ex.status, 'ok');
  } finally { await c.close(); }
});
