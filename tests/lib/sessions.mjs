// sessions.mjs - many interactive sessions at once, for the session-scale
// test (tests/integration/sessions.test.mjs) and bench (bench/sessions.mjs).
//
//   openSessions(wsUrl, n)   n /ws clients, each running PROGRAM (an input()
//                            loop); resolves once every started one prompts
//   allAnswer(clients, tag)  a line into each, its answer back from each
//   echoSamples(clients, k)  k keystroke echoes spread over the clients (ms)
import { CoderoomClient, sleep } from './clients.mjs';

export const PROGRAM = `import sys
while True:
    s = input('> ')
    if s == 'spin':
        while True:
            pass
    print('echo', s)
`;

/* Connects n clients (conc at a time) and starts PROGRAM in each. Resolves
 * with {clients (started), refused (error or exited messages), queued (how
 * many waited in the queue first), all}. With 'addresses', client i
 * connects from addresses[i % length] (127.0.0.x: other clients). */
export async function openSessions(wsUrl, n, { conc = 25, timeout = 600000, connect = {}, addresses } = {}) {
  const all = new Array(n);
  const refused = [];
  let next = 0, queued = 0;
  await Promise.all(Array.from({ length: Math.min(conc, n) }, async () => {
    while (next < n) {
      const i = next++;
      const from = addresses ? { localAddress: addresses[i % addresses.length] } : {};
      const c = await CoderoomClient.connect(wsUrl, { helloTimeout: timeout, connectTimeout: timeout, ...from, ...connect });
      all[i] = c;
      c.send({ type: 'run', code: PROGRAM, language: 'python' });
      const ev = await c.waitFor((e) => e.kind === 'json' && ['started', 'error', 'exited'].includes(e.msg.type) && e.msg,
        { timeout, what: `session ${i} started` });
      if (ev.type !== 'started') { refused.push(ev); continue; }
      if (c.messages.some((m) => m.type === 'queued')) queued++;
      await c.waitOutput('> ', { timeout, what: `session ${i} prompt` });
    }
  }));
  return { clients: all.filter((c) => c && c.runId), refused, queued, all };
}

/* Sends a line to each client; resolves with how many answered. */
export async function allAnswer(clients, tag, { timeout = 120000 } = {}) {
  let ok = 0;
  await Promise.all(clients.map(async (c, i) => {
    const line = `${tag}${i}`;
    c.input('\x15' + line + '\r');	// ^U: whatever was typed before goes
    await c.waitOutput(`echo ${line}\r\n`, { timeout });
    ok++;
  }));
  return ok;
}

/* One byte into c's terminal; ms until its echo is back. */
export function echoOnce(c, ch, timeout = 30000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const onMsg = (d, bin) => {
      if (!bin || d[0] !== 1 || !d.subarray(1).includes(ch.charCodeAt(0))) return;
      c.ws.off('message', onMsg);
      clearTimeout(timer);
      resolve(performance.now() - t0);
    };
    const timer = setTimeout(() => { c.ws.off('message', onMsg); reject(new Error(`no echo within ${timeout} ms`)); }, timeout);
    c.ws.on('message', onMsg);
    c.sendBinary(Buffer.from([0, ch.charCodeAt(0)]));
  });
}

/* k echo samples spread over 'clients', one at a time, sorted. */
export async function echoSamples(clients, k) {
  const v = [];
  for (let i = 0; i < k; i++) {
    const c = clients[(i * 7919) % clients.length];
    v.push(await echoOnce(c, String.fromCharCode(97 + (i % 26))));
    await sleep(3);
  }
  return v.sort((a, b) => a - b);
}

export async function closeAll(clients) {
  await Promise.all(clients.filter(Boolean).map((c) => c.close().catch(() => {})));
}
