// judge0.test.mjs - the Judge0 CE 1.13 API under /judge0/ over raw HTTP,
// checked against the field names, units, statuses and messages of
// Judge0's docs and source (docs/api/*, app/models/submission.rb,
// app/enumerations/status.rb): every endpoint, the verdicts a grader
// relies on (accepted, wrong answer, TLE, SIGSEGV, compile error), a C
// program that needs compiler_options, a batch of 20, Base64, ?fields,
// tokens that survive a restart, expiry, the queue limit, X-Auth-Token,
// callbacks to an allowed host only, and --judge0-root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/server.mjs';
import { httpRequest, postJSON, waitUntil } from '../lib/clients.mjs';

let srv, J;
before(async () => {
  srv = await startServer();
  J = srv.url + '/judge0';
});
after(async () => { assert.equal(await srv?.stop(), 0); });

const STATUSES = [
  [1, 'In Queue'], [2, 'Processing'], [3, 'Accepted'], [4, 'Wrong Answer'],
  [5, 'Time Limit Exceeded'], [6, 'Compilation Error'],
  [7, 'Runtime Error (SIGSEGV)'], [8, 'Runtime Error (SIGXFSZ)'],
  [9, 'Runtime Error (SIGFPE)'], [10, 'Runtime Error (SIGABRT)'],
  [11, 'Runtime Error (NZEC)'], [12, 'Runtime Error (Other)'],
  [13, 'Internal Error'], [14, 'Exec Format Error'],
];
const DEFAULT_FIELDS = ['stdout', 'time', 'memory', 'stderr', 'token', 'compile_output', 'message', 'status'];
const C = 50, CPP = 54, PY = 71, BASH = 46;

const submit = (base, body, query = '') => postJSON(`${base}/submissions${query}`, body);
const wait = (body, query = '') => submit(J, body, '?wait=true' + (query ? '&' + query : ''));

async function finished(base, token, query = '') {
  let last;
  await waitUntil(async () => {
    last = await httpRequest(`${base}/submissions/${token}${query}`);
    return last.status === 200 && last.json.status.id > 2;
  }, { timeout: 60000, interval: 100, what: `submission ${token} finished` });
  return last.json;
}

test('GET /statuses: the 14 statuses with Judge0\'s ids and descriptions', async () => {
  const r = await httpRequest(J + '/statuses');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, STATUSES.map(([id, description]) => ({ id, description })));
});

test('GET /languages, /languages/all, /languages/{id}: Judge0\'s ids', async () => {
  const r = await httpRequest(J + '/languages');
  assert.equal(r.status, 200);
  const ids = new Map(r.json.map((l) => [l.id, l.name]));
  for (const [id, prefix] of [[71, 'Python (3.'], [50, 'C (GCC '], [54, 'C++ (GCC '], [63, 'JavaScript (Node.js '], [46, 'Bash (']])
    assert.ok(ids.get(id)?.startsWith(prefix), `${id}: ${ids.get(id)}`);
  for (const l of r.json) assert.deepEqual(Object.keys(l), ['id', 'name']);
  const names = r.json.map((l) => l.name);
  assert.deepEqual(names, [...names].sort(), 'sorted by name, as Judge0 lists them');
  const all = await httpRequest(J + '/languages/all');
  assert.ok(all.json.every((l) => l.is_archived === false));
  const one = await httpRequest(J + '/languages/71');
  assert.equal(one.status, 200);
  assert.deepEqual(Object.keys(one.json), ['id', 'name', 'is_archived', 'source_file', 'compile_cmd', 'run_cmd']);
  assert.equal(one.json.id, 71);
  assert.equal(one.json.compile_cmd, null);
  assert.equal(one.json.source_file, 'main.py');
  const c = await httpRequest(J + '/languages/50');
  assert.match(c.json.compile_cmd, /gcc/);
  assert.equal((await httpRequest(J + '/languages/150000')).status, 404);
  assert.equal((await httpRequest(J + '/languages/abc')).status, 404);
});

const HELLO = {
  71: ['python', 'print("hello")'],
  50: ['c', '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }'],
  54: ['cpp', '#include <iostream>\nint main() { std::cout << "hello" << std::endl; }'],
  62: ['java', 'public class Main { public static void main(String[] a) { System.out.println("hello"); } }'],
  63: ['javascript', 'console.log("hello")'],
  73: ['rust', 'fn main() { println!("hello"); }'],
  60: ['go', 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello") }'],
};

test("Judge0's ids of the issue's languages run with Judge0's defaults (128000 KB, 60 processes; the JVM's table)", async (t) => {
  const installed = new Set((await httpRequest(srv.url + '/api/languages')).json.filter((l) => l.available).map((l) => l.id));
  const listed = new Set((await httpRequest(J + '/languages')).json.map((l) => l.id));
  for (const [id, [lang, src]] of Object.entries(HELLO)) {
    // a language not installed here is a named skip, not a pass
    await t.test(`${id} ${lang}`, { skip: !installed.has(lang) && `${lang} is not installed here` }, async () => {
      assert.ok(listed.has(Number(id)), `${lang} is listed as ${id}`);
      const r = await wait({ source_code: src, language_id: Number(id), expected_output: 'hello' }, 'fields=status,stdout,compile_output,message');
      assert.deepEqual(r.json.status, { id: 3, description: 'Accepted' }, `${lang}: ${r.text}`);
    });
  }
});

test('GET /about, /version, /system_info, /config_info, /workers', async () => {
  const about = await httpRequest(J + '/about');
  assert.deepEqual(Object.keys(about.json), ['version', 'homepage', 'source_code', 'maintainer']);
  assert.equal((await httpRequest(J + '/version')).text, '1.13.1');
  const si = await httpRequest(J + '/system_info');
  assert.equal(si.status, 200);
  assert.match(si.json['CPU(s)'], /^\d+$/);
  assert.ok(si.json.Architecture && si.json.Mem);
  const ci = await httpRequest(J + '/config_info');
  for (const k of ['enable_wait_result', 'enable_compiler_options', 'enable_command_line_arguments',
    'enable_submission_delete', 'enable_callbacks', 'max_queue_size', 'cpu_time_limit', 'max_cpu_time_limit',
    'cpu_extra_time', 'wall_time_limit', 'memory_limit', 'max_memory_limit', 'stack_limit',
    'max_processes_and_or_threads', 'max_file_size', 'number_of_runs', 'max_number_of_runs',
    'redirect_stderr_to_stdout', 'enable_batched_submissions', 'max_submission_batch_size',
    'allow_enable_network', 'enable_network', 'enable_additional_files'])
    assert.ok(k in ci.json, k);
  assert.equal(ci.json.cpu_time_limit, 5);
  assert.equal(ci.json.memory_limit, 128000, 'KB');
  assert.equal(ci.json.max_submission_batch_size, 20);
  assert.equal(ci.json.enable_callbacks, false, 'no --callback-allow: none');
  assert.equal(ci.json.allow_enable_network, false);
  const w = await httpRequest(J + '/workers');
  assert.deepEqual(Object.keys(w.json[0]), ['queue', 'size', 'available', 'idle', 'working', 'paused', 'failed']);
});

test('POST /submissions returns a token at once (201); GET by token gives the default fields', async () => {
  const r = await submit(J, { source_code: 'import sys\nprint("hello, " + input())', language_id: PY, stdin: 'Judge0', expected_output: 'hello, Judge0' });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(Object.keys(r.json), ['token']);
  assert.match(r.json.token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const s = await finished(J, r.json.token);
  assert.deepEqual(Object.keys(s), DEFAULT_FIELDS, 'Judge0\'s default fields, in its order');
  assert.equal(s.stdout, 'hello, Judge0\n');
  assert.deepEqual(s.status, { id: 3, description: 'Accepted' });
  assert.equal(typeof s.time, 'string', 'time is a decimal string');
  assert.match(s.time, /^\d+\.\d+$/);
  assert.equal(typeof s.memory, 'number', 'memory in KB');
  assert.ok(s.memory > 100 && s.memory < 1e6, `${s.memory} KB`);
  assert.equal(s.stderr, null);
  assert.equal(s.compile_output, null);
  assert.equal(s.message, null);
  assert.equal(s.token, r.json.token);
});

test('wait=true: the verdicts: wrong answer, TLE, SIGSEGV, NZEC, compile error', async () => {
  const wa = await wait({ source_code: 'print(41)', language_id: PY, expected_output: '42\n' });
  assert.equal(wa.status, 201);
  assert.deepEqual(wa.json.status, { id: 4, description: 'Wrong Answer' });
  assert.equal(wa.json.stdout, '41\n');
  // trailing white space per line is ignored, as Judge0 compares
  const ws = await wait({ source_code: 'print("a  ")\nprint("b")\nprint()', language_id: PY, expected_output: 'a\nb' });
  assert.equal(ws.json.status.id, 3);

  const tle = await wait({ source_code: 'int main(void) { for (;;); }', language_id: C, cpu_time_limit: 0.5, cpu_extra_time: 0.2 }, 'fields=status,time,message,exit_signal');
  assert.deepEqual(tle.json.status, { id: 5, description: 'Time Limit Exceeded' }, tle.text);
  assert.ok(Number(tle.json.time) >= 0.5, tle.json.time);
  assert.equal(tle.json.message, 'Time limit exceeded');

  const segv = await wait({ source_code: 'int main(void) { volatile int *p = 0; return *p; }', language_id: C }, 'fields=*');
  assert.deepEqual(segv.json.status, { id: 7, description: 'Runtime Error (SIGSEGV)' });
  assert.equal(segv.json.exit_signal, 11);
  assert.equal(segv.json.message, 'Caught fatal signal 11');

  const nzec = await wait({ source_code: 'exit 3', language_id: BASH }, 'fields=*');
  assert.deepEqual(nzec.json.status, { id: 11, description: 'Runtime Error (NZEC)' });
  assert.equal(nzec.json.exit_code, 3);
  assert.equal(nzec.json.exit_signal, null);
  assert.equal(nzec.json.message, 'Exited with error status 3');

  const ce = await wait({ source_code: 'int main(void) { oops }', language_id: C }, 'fields=*');
  assert.deepEqual(ce.json.status, { id: 6, description: 'Compilation Error' });
  assert.match(ce.json.compile_output, /oops/);
  for (const k of ['stdout', 'stderr', 'time', 'wall_time', 'memory', 'exit_code', 'exit_signal', 'message'])
    assert.equal(ce.json[k], null, k);
});

test('compiler_options reach the compiler; command_line_arguments the program', async () => {
  const src = '#include <stdio.h>\nint main(int argc, char **argv) { printf("%d %s %s\\n", N * 2, argv[1], argv[2]); return 0; }';
  const without = await wait({ source_code: src, language_id: C });
  assert.equal(without.json.status.id, 6, 'N is not defined without the option');
  const r = await wait({ source_code: src, language_id: C, compiler_options: '-DN=21', command_line_arguments: 'one "two three"' });
  assert.equal(r.json.status.id, 3, r.text);
  assert.equal(r.json.stdout, '42 one two three\n');
  const py = await wait({ source_code: 'print(1)', language_id: PY, compiler_options: '-O2' });
  assert.equal(py.status, 422);
  assert.deepEqual(py.json, { compiler_options: ['setting compiler options is only allowed for compiled languages'] });
});

test('redirect_stderr_to_stdout, number_of_runs, stdin, fields=* with every attribute', async () => {
  const r = await wait({ source_code: 'import sys\nprint("out")\nprint("err", file=sys.stderr)', language_id: PY, redirect_stderr_to_stdout: true, number_of_runs: 3 }, 'fields=*');
  assert.equal(r.json.stdout.split('\n').sort().join(','), ',err,out');
  assert.equal(r.json.stderr, null);
  assert.equal(r.json.number_of_runs, 3);
  const keys = ['source_code', 'language_id', 'stdin', 'expected_output', 'stdout', 'status_id', 'created_at',
    'finished_at', 'time', 'memory', 'stderr', 'token', 'number_of_runs', 'cpu_time_limit', 'cpu_extra_time',
    'wall_time_limit', 'memory_limit', 'stack_limit', 'max_processes_and_or_threads',
    'enable_per_process_and_thread_time_limit', 'enable_per_process_and_thread_memory_limit', 'max_file_size',
    'compile_output', 'exit_code', 'exit_signal', 'message', 'wall_time', 'compiler_options',
    'command_line_arguments', 'redirect_stderr_to_stdout', 'callback_url', 'additional_files', 'enable_network',
    'status', 'language'];
  assert.deepEqual(Object.keys(r.json), keys);
  assert.equal(r.json.cpu_time_limit, '5.0');
  assert.equal(r.json.wall_time_limit, '10.0');
  assert.equal(r.json.memory_limit, 128000);
  assert.match(r.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(r.json.finished_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(r.json.language.id, PY);
  assert.equal(r.json.status_id, 3);
  const some = await httpRequest(`${J}/submissions/${r.json.token}?fields=stdout,status_id,language_id`);
  assert.deepEqual(Object.keys(some.json), ['language_id', 'stdout', 'status_id']);
  const bad = await httpRequest(`${J}/submissions/${r.json.token}?fields=stdout,nope,also_nope`);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.json, { error: 'invalid fields: [nope, also_nope]' });
});

test('base64_encoded: texts in and out; Ruby\'s encode64 layout; non-UTF-8 output needs it', async () => {
  const b64 = (s) => Buffer.from(s).toString('base64');
  const r = await wait({ source_code: b64('print(input() * 30)'), stdin: b64('ab'), language_id: PY }, 'base64_encoded=true');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.status.id, 3);
  const out = 'ab'.repeat(30) + '\n';
  assert.equal(Buffer.from(r.json.stdout, 'base64').toString(), out);
  // 61 bytes -> two lines of Ruby's encode64: 60 characters, then the rest
  const lines = r.json.stdout.split('\n');
  assert.equal(lines[0].length, 60);
  assert.equal(lines[2], '', 'every line ends in a newline');
  const bin = await wait({ source_code: 'import sys\nsys.stdout.buffer.write(b"\\xfe\\xff")', language_id: PY });
  assert.equal(bin.status, 201);
  assert.equal(bin.json.error, 'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter');
  assert.match(bin.json.token, /^[0-9a-f-]{36}$/);
  const get = await httpRequest(`${J}/submissions/${bin.json.token}`);
  assert.equal(get.status, 400);
  assert.equal(get.json.error, bin.json.error);
  const ok = await httpRequest(`${J}/submissions/${bin.json.token}?base64_encoded=true`);
  assert.deepEqual([...Buffer.from(ok.json.stdout, 'base64')], [0xfe, 0xff]);
});

test('422: Judge0\'s validation errors, every broken rule at once', async () => {
  const cases = [
    [{ source_code: 'x' }, { language_id: ["can't be blank"] }],
    [{ language_id: PY }, { source_code: ["can't be blank"] }],
    [{ source_code: 'x', language_id: 150000 }, { language_id: ["language with id 150000 doesn't exist"] }],
    [{ source_code: 'x', language_id: PY, wall_time_limit: 1000, cpu_time_limit: -1, memory_limit: 100 },
      { wall_time_limit: ['must be less than or equal to 20.0'], cpu_time_limit: ['must be greater than or equal to 0.0'], memory_limit: ['must be greater than or equal to 2048'] }],
    [{ source_code: 'x', language_id: PY, number_of_runs: 0 }, { number_of_runs: ['must be greater than 0'] }],
    [{ source_code: 'x', language_id: PY, cpu_time_limit: 'soon' }, { cpu_time_limit: ['is not a number'] }],
    [{ source_code: 'x', language_id: PY, enable_network: true }, { enable_network: ['enabling network is not allowed'] }],
    [{ source_code: 'x', language_id: PY, callback_url: 'http://127.0.0.1/' }, { callback_url: ['setting callback is not allowed'] }],
    [{ source_code: 'x', language_id: PY, additional_files: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' }, { additional_files: ['setting additional files is not allowed'] }],
    [{ source_code: 'x', language_id: PY, command_line_arguments: 'a'.repeat(513) }, { command_line_arguments: ['is too long (maximum is 512 characters)'] }],
  ];
  for (const [body, want] of cases) {
    const r = await submit(J, body);
    assert.equal(r.status, 422, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
    assert.deepEqual(r.json, want);
  }
  const str = await wait({ source_code: 'print(2)', language_id: String(PY) });
  assert.equal(str.json.status.id, 3, 'a numeric string is a number, as Rails casts it');
});

test('batches: 20 submissions in one POST, read back with ?tokens=; the limits of a batch', async () => {
  const subs = Array.from({ length: 20 }, (_, i) => ({ source_code: `print(${i} * ${i})`, language_id: PY, expected_output: `${i * i}` }));
  subs[7] = { source_code: 'print(1)', language_id: 123456789 };
  const r = await submit(J, { submissions: subs }, '/batch');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.length, 20);
  assert.deepEqual(r.json[7], { language_id: ["language with id 123456789 doesn't exist"] });
  const tokens = r.json.filter((x) => x.token).map((x) => x.token);
  assert.equal(tokens.length, 19);
  let got;
  await waitUntil(async () => {
    got = await httpRequest(`${J}/submissions/batch?tokens=${tokens.join(',')}&fields=token,stdout,status_id,language_id`);
    return got.json.submissions.every((s) => s.status_id > 2);
  }, { timeout: 120000, interval: 200, what: 'the batch finished' });
  assert.equal(got.json.submissions.length, 19);
  got.json.submissions.forEach((s, k) => {
    const i = k < 7 ? k : k + 1;
    assert.equal(s.token, tokens[k]);
    assert.equal(s.stdout, `${i * i}\n`);
    assert.equal(s.status_id, 3);
    assert.equal(s.language_id, PY);
  });
  const unknown = await httpRequest(`${J}/submissions/batch?tokens=${tokens[0]},00000000-0000-4000-8000-000000000000`);
  assert.equal(unknown.json.submissions[1], null);
  const many = await submit(J, { submissions: Array(21).fill({ source_code: 'x', language_id: PY }) }, '/batch');
  assert.equal(many.status, 400);
  assert.deepEqual(many.json, { error: 'number of submissions in a batch should be less than or equal to 20' });
  const none = await submit(J, { submissions: [] }, '/batch');
  assert.deepEqual([none.status, none.json], [400, { error: 'there should be at least one submission in a batch' }]);
  const allBad = await submit(J, { submissions: [{ language_id: PY }] }, '/batch');
  assert.equal(allBad.status, 422);
  const noTokens = await httpRequest(`${J}/submissions/batch`);
  assert.equal(noTokens.status, 400);
});

test('DELETE /submissions/{token}: a finished one is answered in Base64 and gone; a running one stays', async () => {
  const r = await wait({ source_code: 'print("bye")', language_id: PY });
  const del = await httpRequest(`${J}/submissions/${r.json.token}?fields=stdout,status`, { method: 'DELETE' });
  assert.equal(del.status, 200, del.text);
  assert.equal(del.json.stdout, Buffer.from('bye\n').toString('base64') + '\n');
  assert.equal((await httpRequest(`${J}/submissions/${r.json.token}`)).status, 404);
  const running = await submit(J, { source_code: 'sleep 3', language_id: BASH });
  const busy = await httpRequest(`${J}/submissions/${running.json.token}`, { method: 'DELETE' });
  assert.equal(busy.status, 400);
  assert.match(busy.json.error, /^submission cannot be deleted because its status is (1 \(In Queue\)|2 \(Processing\))$/);
  await finished(J, running.json.token);
  const nf = await httpRequest(`${J}/submissions/00000000-0000-4000-8000-000000000000`);
  assert.deepEqual([nf.status, nf.json], [404, { status: 404, error: 'Not Found' }]);
});

test('a submission is In Queue or Processing until it ends', async () => {
  const r = await submit(J, { source_code: 'sleep 1; echo done', language_id: BASH });
  const early = await httpRequest(`${J}/submissions/${r.json.token}?fields=status,stdout,time`);
  assert.ok([1, 2].includes(early.json.status.id), early.text);
  assert.equal(early.json.stdout, null);
  assert.equal(early.json.time, null);
  const s = await finished(J, r.json.token);
  assert.equal(s.stdout, 'done\n');
});

/* ---- servers of their own ------------------------------------------ */

test('tokens stay valid after a restart; a submission left waiting runs after it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coderoom-j0-'));
  try {
    let s = await startServer({ args: ['--data-dir', dir, '--api-concurrency', '1'] });
    const done = await postJSON(s.url + '/judge0/submissions?wait=true', { source_code: 'print("kept")', language_id: PY });
    const slow = await postJSON(s.url + '/judge0/submissions', { source_code: 'sleep 30', language_id: BASH });
    const queued = await postJSON(s.url + '/judge0/submissions', { source_code: 'echo later', language_id: BASH });
    assert.equal((await httpRequest(`${s.url}/judge0/submissions/${queued.json.token}`)).json.status.id, 1);
    assert.equal(await s.stop(), 0);
    s = await startServer({ args: ['--data-dir', dir] });
    try {
      const a = await httpRequest(`${s.url}/judge0/submissions/${done.json.token}`);
      assert.equal(a.status, 200);
      assert.equal(a.json.stdout, 'kept\n');
      assert.equal(a.json.status.id, 3);
      const q = await finished(s.url + '/judge0', queued.json.token);
      assert.equal(q.stdout, 'later\n', 'run again after the restart');
      assert.match(s.logs(), /judge0: 2 submissions left waiting by the last stop run again/);
      await httpRequest(`${s.url}/judge0/submissions/${slow.json.token}`);
    } finally {
      assert.equal(await s.stop(), 0);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a finished submission expires after --judge0-keep-s', async () => {
  const s = await startServer({ args: ['--judge0-keep-s', '1'] });
  try {
    const r = await postJSON(s.url + '/judge0/submissions?wait=true', { source_code: 'print(1)', language_id: PY });
    assert.equal(r.status, 201);
    assert.equal((await httpRequest(`${s.url}/judge0/submissions/${r.json.token}`)).status, 200);
    await waitUntil(async () => (await httpRequest(`${s.url}/judge0/submissions/${r.json.token}`)).status === 404,
      { timeout: 15000, interval: 200, what: 'the submission expired' });
    await waitUntil(() => /judge0: 1 submissions expired/.test(s.logs()), { timeout: 15000, what: 'the row deleted' });
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('a full queue is 503 {"error":"queue is full"}, the same admission as /api/runs', async () => {
  const s = await startServer({ args: ['--api-concurrency', '1', '--api-queue', '1'] });
  try {
    const a = await postJSON(s.url + '/judge0/submissions', { source_code: 'sleep 2', language_id: BASH });
    const b = await postJSON(s.url + '/judge0/submissions', { source_code: 'sleep 2', language_id: BASH });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const c = await postJSON(s.url + '/judge0/submissions', { source_code: 'echo no', language_id: BASH });
    assert.deepEqual([c.status, c.json], [503, { error: 'queue is full' }]);
    const runs = await postJSON(s.url + '/api/runs', { language: 'bash', code: 'echo no' });
    assert.equal(runs.status, 503, 'one queue for both APIs');
    const batch = await postJSON(s.url + '/judge0/submissions/batch', { submissions: [{ source_code: 'x', language_id: BASH }, { source_code: 'y', language_id: BASH }] });
    assert.deepEqual([batch.status, batch.json], [503, { error: 'queue is full' }]);
    await finished(s.url + '/judge0', b.json.token);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('X-Auth-Token with --api-token; --judge0-root serves the root paths', async () => {
  const s = await startServer({ args: ['--api-token', 'sekret', '--judge0-root'] });
  try {
    assert.equal((await httpRequest(s.url + '/judge0/languages')).status, 401);
    assert.equal((await httpRequest(s.url + '/languages')).status, 401);
    const ok = await httpRequest(s.url + '/languages', { headers: { 'X-Auth-Token': 'sekret' } });
    assert.equal(ok.status, 200);
    assert.equal((await httpRequest(s.url + '/statuses?X-Auth-Token=sekret')).status, 200);
    assert.equal((await httpRequest(s.url + '/about', { headers: { 'X-Auth-Token': 'wrong' } })).status, 401);
    const r = await postJSON(s.url + '/submissions?wait=true', { source_code: 'print(5)', language_id: PY }, { headers: { 'X-Auth-Token': 'sekret' } });
    assert.equal(r.json.stdout, '5\n');
    assert.equal((await httpRequest(s.url + '/authenticate', { method: 'POST', headers: { 'X-Auth-Token': 'sekret', 'Content-Length': 0 } })).status, 200);
  } finally {
    assert.equal(await s.stop(), 0);
  }
  // without --judge0-root the root paths are the IDE's
  const r = await httpRequest(srv.url + '/submissions/x');
  assert.notEqual(r.json?.error, 'Not Found');
});

test('callback_url: PUT to an allowed host when done; an unlisted host is refused; loopback needs the private flag', async () => {
  const got = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { got.push({ method: req.method, url: req.url, type: req.headers['content-type'], body }); res.end('ok'); });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  const port = hook.address().port;
  const s = await startServer({ args: ['--callback-allow', '127.0.0.1', '--callback-allow', 'localhost', '--callback-allow-private'] });
  const strict = await startServer({ args: ['--callback-allow', '127.0.0.1'] });
  try {
    const r = await postJSON(s.url + '/judge0/submissions', { source_code: 'print("called")', language_id: PY, callback_url: `http://127.0.0.1:${port}/hook?x=1` });
    assert.equal(r.status, 201, r.text);
    await waitUntil(() => got.length === 1, { timeout: 30000, what: 'the callback' });
    assert.equal(got[0].method, 'PUT');
    assert.equal(got[0].url, '/hook?x=1');
    assert.equal(got[0].type, 'application/json');
    const body = JSON.parse(got[0].body);
    assert.deepEqual(Object.keys(body), DEFAULT_FIELDS);
    assert.equal(body.token, r.json.token);
    assert.equal(Buffer.from(body.stdout, 'base64').toString(), 'called\n', 'Base64, as Judge0 sends it');
    assert.deepEqual(body.status, { id: 3, description: 'Accepted' });

    const no = await postJSON(s.url + '/judge0/submissions', { source_code: 'print(1)', language_id: PY, callback_url: 'http://169.254.169.254/latest/meta-data' });
    assert.equal(no.status, 422);
    assert.match(no.json.callback_url[0], /host '169\.254\.169\.254' is not allowed/);
    const scheme = await postJSON(s.url + '/judge0/submissions', { source_code: 'print(1)', language_id: PY, callback_url: 'file:///etc/passwd' });
    assert.equal(scheme.status, 422);

    // allowed by name, but loopback without --callback-allow-private: resolved, checked, refused
    const loop = await postJSON(strict.url + '/judge0/submissions', { source_code: 'print(1)', language_id: PY, callback_url: `http://127.0.0.1:${port}/never` });
    assert.equal(loop.status, 201);
    await finished(strict.url + '/judge0', loop.json.token);
    await waitUntil(() => /callback: PUT http:\/\/127\.0\.0\.1:\d+\/never failed: the host resolves to a loopback/.test(strict.logs()),
      { timeout: 15000, what: 'the refusal logged' });
    assert.equal(got.length, 1, 'nothing reached the loopback server');
  } finally {
    assert.equal(await s.stop(), 0);
    assert.equal(await strict.stop(), 0);
    hook.close();
  }
});
