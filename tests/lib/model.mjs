// model.mjs - a stand-in for an OpenAI-compatible model endpoint, for the
// tests of code generation only (the real endpoint is an external service:
// OpenAI, or Ollama / llama.cpp / vLLM on another machine). It speaks the
// wire format exactly: POST /v1/chat/completions with "stream": true
// answered by server-sent events, the bodies replayed from the recorded
// shapes in tests/data/openai/ (see its README for the servers they were
// written against), cut at arbitrary bytes, splitting UTF-8 characters
// and line ends; and the error answers those servers give.
//
//   const m = await startModel({ tls: { key, cert } });   // or {} for http
//   m.url          "http://127.0.0.1:PORT/v1" (the --ai-url)
//   m.requests     [{ headers, body, aborted }] every request received
//                  (aborted: the client closed before the answer ended)
//   m.scenario     the default scenario (below); a prompt containing
//                  "[scenario:NAME]" picks NAME for that request
//   await m.stop()
//
// Scenarios: "replay:FILE" (default "replay:openai"), "status:CODE"
// (401, 403, 404, 429, 500: the servers' JSON error bodies), "stall" (the
// head and one event, then nothing), "silent" (no answer at all),
// "json" (a 200 that is not a stream), "slow:FILE" (a replay with 150 ms
// between events, to watch it stream), "big" (far more text than the
// server's cap), "ctl:N" (N pieces of 1000 U+0001 characters, each 6
// bytes once JSON-escaped: the most bytes an answer's text can cost on
// the wire), "pause:MS" (a replay of openai with a pause of MS after its
// first event).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { repoRoot } from './server.mjs';

const DATA = path.join(repoRoot, 'tests/data/openai');

const ERRORS = {
  401: { error: { message: 'Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
  403: { error: { message: 'You are not allowed to sample from this model', type: 'invalid_request_error', param: null, code: null } },
  404: { error: { message: 'model "nosuch" not found, try pulling it first', type: 'api_error', param: null, code: null } },
  429: { error: { message: 'Rate limit reached for gpt-4o-mini in organization org-test on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
  500: { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } },
};

// A deterministic generator of piece sizes (1..max bytes).
function sizes(seed) {
  let x = seed | 1;
  return (max) => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return 1 + ((x >>> 0) % max);
  };
}

export async function startModel({ tls = null, scenario = 'replay:openai' } = {}) {
  const requests = [];
  const sockets = new Set();
  const state = { scenario, seed: 7 };

  const handler = (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let json = null;
      try { json = JSON.parse(body); } catch { /* recorded as is */ }
      const rec = { method: req.method, url: req.url, headers: req.headers, body: json ?? body, aborted: false };
      requests.push(rec);
      res.on('close', () => { if (!res.writableFinished) rec.aborted = true; });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'Not Found' }));
        return;
      }
      const prompt = json?.messages?.at(-1)?.content || '';
      const m = /\[scenario:([a-z0-9:_-]+)\]/.exec(prompt);
      answer(m ? m[1] : state.scenario, res, state.seed++);
    });
  };

  const answer = (sc, res, seed) => {
    const [kind, arg] = sc.split(':');
    if (kind === 'status') {
      const code = Number(arg);
      const headers = { 'content-type': 'application/json; charset=utf-8' };
      if (code === 429) headers['retry-after'] = '20';
      res.writeHead(code, headers);
      res.end(JSON.stringify(ERRORS[code] || { error: `status ${code}` }, null, 4));
      return;
    }
    if (kind === 'silent') return; // never answers; the socket stays open
    if (kind === 'json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'print(1)' } }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    if (kind === 'stall') {
      res.write('data: {"choices":[{"index":0,"delta":{"content":"print(\\"sta"},"finish_reason":null}]}\n\n');
      return; // and nothing more
    }
    let bytes;
    let pauseAfter = -1;
    if (kind === 'ctl') {
      const piece = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: '\u0001'.repeat(1000) }, finish_reason: null }] })}\n\n`;
      bytes = Buffer.from(piece.repeat(Number(arg) || 2000) + 'data: [DONE]\n\n');
    } else if (kind === 'pause') {
      bytes = fs.readFileSync(path.join(DATA, 'openai.sse'));
      pauseAfter = bytes.indexOf('\n\n') + 2;
    } else if (kind === 'big') {
      const piece = (i) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `print(${i})  # ${'x'.repeat(80)}\n` }, finish_reason: null }] })}\n\n`;
      bytes = Buffer.from(Array.from({ length: 2000 }, (_, i) => piece(i)).join('') + 'data: [DONE]\n\n');
    } else {
      bytes = fs.readFileSync(path.join(DATA, `${arg || 'openai'}.sse`));
    }
    const next = sizes(seed);
    const slow = kind === 'slow';
    let at = 0;
    const step = () => {
      if (res.destroyed) return;
      if (at >= bytes.length) { res.end(); return; }
      let end;
      if (slow) {
        // one event at a time, then a pause
        const i = bytes.indexOf('\n\n', at);
        end = i < 0 ? bytes.length : i + 2;
      } else if (kind === 'ctl') {
        end = Math.min(bytes.length, at + 65536);
      } else if (at < pauseAfter) {
        end = pauseAfter;
      } else {
        end = Math.min(bytes.length, at + next(97)); // split anywhere
      }
      const room = res.write(bytes.subarray(at, end));
      const wait = at < pauseAfter && end === pauseAfter ? Number(arg) : slow ? 150 : next(3) - 1;
      at = end;
      if (kind !== 'ctl') setTimeout(step, wait);
      else if (room) setImmediate(step);
      else res.once('drain', step); // as fast as it is taken
    };
    step();
  };

  const srv = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  srv.on('secureConnection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1`,
    port,
    requests,
    get scenario() { return state.scenario; },
    set scenario(s) { state.scenario = s; },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
}

// What the recorded answers hold, for the assertions: every delta's text
// of a .sse file, joined.
export function recordedText(file = 'openai') {
  const raw = fs.readFileSync(path.join(DATA, `${file}.sse`), 'utf8');
  let text = '';
  for (const line of raw.split(/\r?\n/)) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const j = JSON.parse(line.slice(6));
    text += j.choices?.[0]?.delta?.content || '';
  }
  return text;
}
