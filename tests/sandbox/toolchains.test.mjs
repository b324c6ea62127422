// toolchains.test.mjs - the compilers and runtimes work inside the sandbox:
// gcc and g++ compile into /work and the binary runs, Node and Java run.
//
// Always through the real API: a Python program drives each toolchain with
// subprocess inside the run (so this proves the sandbox, whatever languages
// the server offers). Where /api/languages lists c, cpp, javascript or java,
// the same program also goes in as a submission of that language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MiB, afterRun, availableLanguages, brief, stopCheckingSecret, exec, kv, shortMarker,
  startHostile,
} from './lib.mjs';

let srv, langs;
before(async () => {
  // Compilers and the JVM need more than the hostile programs get.
  srv = await startHostile({ limits: { cpuMs: 30000, wallMs: 60000, memory: 1024 * MiB, pids: 128 } });
  langs = await availableLanguages(srv);
});
after(() => stopCheckingSecret(srv));

const SOURCES = {
  c: { file: 'hello.c', text: '#include <stdio.h>\nint main(void) { int a = 6, b = 7; printf("c-ok %d\\n", a * b); return 0; }\n' },
  cpp: { file: 'hello.cc', text: '#include <iostream>\n#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; std::cout << "cpp-ok " << v.size() * 14 << std::endl; }\n' },
  javascript: { file: 'hello.js', text: 'console.log("node-ok", [6].map((x) => x * 7).join());\n' },
  java: { file: 'Main.java', text: 'public class Main { public static void main(String[] a) { System.out.println("java-ok " + (6 * 7)); } }\n' },
};

/* A Python program that writes 'src' into /work and runs 'steps' (shell
 * commands) in order, printing "rc<i>=N" for each. */
function driver(src, steps) {
  return `import subprocess, sys
open(${JSON.stringify(src.file)}, 'w').write(${JSON.stringify(src.text)})
for i, cmd in enumerate(${JSON.stringify(steps)}):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    print(f'rc{i}={r.returncode}', flush=True)
    if r.returncode:
        break
`;
}

const CASES = [
  { lang: 'c', steps: ['gcc -O2 -Wall -o hello hello.c', './hello', 'ls -l /work/hello'], want: 'c-ok 42' },
  { lang: 'cpp', steps: ['g++ -O2 -o hello hello.cc', './hello'], want: 'cpp-ok 42' },
  { lang: 'javascript', steps: ['node hello.js'], want: 'node-ok 42' },
  { lang: 'java', steps: ['javac -d /work Main.java', 'java -Xshare:auto -cp /work Main'], want: 'java-ok 42' },
];

for (const c of CASES) {
  test(`${c.lang}: ${c.steps.join(' && ')} inside the sandbox`, async () => {
    const m = shortMarker();
    const r = await exec(srv, driver(SOURCES[c.lang], c.steps), { timeout: 120000 });
    assert.equal(r.verdict, 'ok', brief(r));
    const o = kv(r.stdout);
    c.steps.forEach((_, i) => assert.equal(o[`rc${i}`], '0', `step ${i} (${c.steps[i]}): ${brief(r)}`));
    assert.ok(r.stdout.includes(c.want), brief(r));
    await afterRun(srv, m);
  });

  test(`${c.lang}: as a submission of that language`, async (t) => {
    if (!langs.has(c.lang)) {
      t.skip(`the server does not offer "${c.lang}" yet (the subprocess test above proves the toolchain)`);
      return;
    }
    const r = await exec(srv, SOURCES[c.lang].text, { language: c.lang, timeout: 120000 });
    assert.equal(r.verdict, 'ok', brief(r));
    assert.ok(r.stdout.includes(c.want), brief(r));
    await afterRun(srv);
  });
}

test('python: the language the server always offers', async () => {
  assert.ok(langs.has('python'), `languages: ${[...langs]}`);
  const r = await exec(srv, 'import sys, sqlite3, ssl, json\nprint("py-ok", sys.version_info[0] * 14)\n');
  assert.equal(r.verdict, 'ok', brief(r));
  assert.match(r.stdout, /py-ok 42/);
  await afterRun(srv);
});
