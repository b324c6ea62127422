// examples.js - the program a new user sees first, per language. Each one
// shows what coderoom is for: it asks for input in the terminal, prints as it
// goes, and draws something with colours and carriage returns.

const python = `# Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
import time

GREEN, BOLD, DIM, RESET = "\\033[32m", "\\033[1m", "\\033[2m", "\\033[0m"

name = input("What's your name? ").strip() or "stranger"
print(f"Hello, {BOLD}{name}{RESET}! Let's count down.")

for n in range(3, 0, -1):
    print(f"  {n}...")
    time.sleep(0.6)

width = 30
for step in range(width + 1):
    bar = "█" * step + DIM + "·" * (width - step) + RESET
    percent = step * 100 // width
    print(f"\\r{GREEN}[{bar}{GREEN}]{RESET} {percent:3d}%", end="", flush=True)
    time.sleep(0.05)

print(f"\\n{GREEN}Done!{RESET} Edit the code and run it again, {name}.")
`;

const javascript = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
const readline = require('node:readline/promises');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const name = (await rl.question("What's your name? ")).trim() || 'stranger';
  rl.close();
  console.log(\`Hello, \\x1b[1m\${name}\\x1b[0m! Let's count down.\`);
  for (let n = 3; n > 0; n--) {
    console.log(\`  \${n}...\`);
    await sleep(600);
  }
  const width = 30;
  for (let step = 0; step <= width; step++) {
    const bar = '█'.repeat(step) + '·'.repeat(width - step);
    process.stdout.write(\`\\r\\x1b[32m[\${bar}]\\x1b[0m \${String(Math.floor(step * 100 / width)).padStart(3)}%\`);
    await sleep(50);
  }
  console.log(\`\\n\\x1b[32mDone!\\x1b[0m Edit the code and run it again, \${name}.\`);
})();
`;

const c = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char name[64] = "stranger";
    printf("What's your name? ");
    fflush(stdout);
    if (fgets(name, sizeof name, stdin)) name[strcspn(name, "\\n")] = 0;
    printf("Hello, \\033[1m%s\\033[0m! Let's count down.\\n", name);
    for (int n = 3; n > 0; n--) {
        printf("  %d...\\n", n);
        fflush(stdout);
        usleep(600000);
    }
    const int width = 30;
    for (int step = 0; step <= width; step++) {
        printf("\\r\\033[32m[");
        for (int i = 0; i < width; i++) printf(i < step ? "#" : ".");
        printf("]\\033[0m %3d%%", step * 100 / width);
        fflush(stdout);
        usleep(50000);
    }
    printf("\\n\\033[32mDone!\\033[0m Edit the code and run it again, %s.\\n", name);
    return 0;
}
`;

const cpp = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

int main() {
    using namespace std::chrono_literals;
    std::string name;
    std::cout << "What's your name? " << std::flush;
    std::getline(std::cin, name);
    if (name.empty()) name = "stranger";
    std::cout << "Hello, \\033[1m" << name << "\\033[0m! Let's count down.\\n";
    for (int n = 3; n > 0; n--) {
        std::cout << "  " << n << "..." << std::endl;
        std::this_thread::sleep_for(600ms);
    }
    const int width = 30;
    for (int step = 0; step <= width; step++) {
        std::cout << "\\r\\033[32m[" << std::string(step, '#') << std::string(width - step, '.')
                  << "]\\033[0m " << step * 100 / width << "%" << std::flush;
        std::this_thread::sleep_for(50ms);
    }
    std::cout << "\\n\\033[32mDone!\\033[0m Edit the code and run it again, " << name << ".\\n";
}
`;

const rust = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
use std::io::{self, Write};
use std::{thread, time::Duration};

fn main() {
    print!("What's your name? ");
    io::stdout().flush().unwrap();
    let mut name = String::new();
    io::stdin().read_line(&mut name).unwrap();
    let name = match name.trim() { "" => "stranger", s => s };
    println!("Hello, \\x1b[1m{}\\x1b[0m! Let's count down.", name);
    for n in (1..=3).rev() {
        println!("  {}...", n);
        thread::sleep(Duration::from_millis(600));
    }
    let width = 30;
    for step in 0..=width {
        print!("\\r\\x1b[32m[{}{}]\\x1b[0m {:3}%", "█".repeat(step), "·".repeat(width - step), step * 100 / width);
        io::stdout().flush().unwrap();
        thread::sleep(Duration::from_millis(50));
    }
    println!("\\n\\x1b[32mDone!\\x1b[0m Edit the code and run it again, {}.", name);
}
`;

const bash = `# Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
read -r -p "What's your name? " name
name=\${name:-stranger}
printf 'Hello, \\033[1m%s\\033[0m! Let us count down.\\n' "$name"
for n in 3 2 1; do
  echo "  $n..."
  sleep 0.6
done
width=30
for ((step = 0; step <= width; step++)); do
  bar=$(printf '%*s' "$step" '' | tr ' ' '#')$(printf '%*s' $((width - step)) '' | tr ' ' '.')
  printf '\\r\\033[32m[%s]\\033[0m %3d%%' "$bar" $((step * 100 / width))
  sleep 0.05
done
printf '\\n\\033[32mDone!\\033[0m Edit the code and run it again, %s.\\n' "$name"
`;

const java = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
import java.util.Scanner;

public class Main {
    public static void main(String[] args) throws InterruptedException {
        Scanner in = new Scanner(System.in);
        System.out.print("What's your name? ");
        System.out.flush();
        String name = in.hasNextLine() ? in.nextLine().trim() : "";
        if (name.isEmpty()) name = "stranger";
        System.out.println("Hello, \\u001b[1m" + name + "\\u001b[0m! Let's count down.");
        for (int n = 3; n > 0; n--) {
            System.out.println("  " + n + "...");
            Thread.sleep(600);
        }
        int width = 30;
        for (int step = 0; step <= width; step++) {
            System.out.print("\\r\\u001b[32m[" + "#".repeat(step) + ".".repeat(width - step) + "]\\u001b[0m "
                + String.format("%3d%%", step * 100 / width));
            System.out.flush();
            Thread.sleep(50);
        }
        System.out.println("\\n\\u001b[32mDone!\\u001b[0m Edit the code and run it again, " + name + ".");
    }
}
`;

const go = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	fmt.Print("What's your name? ")
	line, _ := bufio.NewReader(os.Stdin).ReadString('\\n')
	name := strings.TrimSpace(line)
	if name == "" {
		name = "stranger"
	}
	fmt.Printf("Hello, \\033[1m%s\\033[0m! Let's count down.\\n", name)
	for n := 3; n > 0; n-- {
		fmt.Printf("  %d...\\n", n)
		time.Sleep(600 * time.Millisecond)
	}
	width := 30
	for step := 0; step <= width; step++ {
		bar := strings.Repeat("█", step) + strings.Repeat("·", width-step)
		fmt.Printf("\\r\\033[32m[%s]\\033[0m %3d%%", bar, step*100/width)
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("\\n\\033[32mDone!\\033[0m Edit the code and run it again, %s.\\n", name)
}
`;

const ruby = `# Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
$stdout.sync = true
print "What's your name? "
name = ($stdin.gets || "").strip
name = "stranger" if name.empty?
puts "Hello, \\e[1m#{name}\\e[0m! Let's count down."
3.downto(1) do |n|
  puts "  #{n}..."
  sleep 0.6
end
width = 30
(0..width).each do |step|
  print "\\r\\e[32m[#{'█' * step}#{'·' * (width - step)}]\\e[0m #{format('%3d', step * 100 / width)}%"
  sleep 0.05
end
puts "\\n\\e[32mDone!\\e[0m Edit the code and run it again, #{name}."
`;

const generic = (comment) => `${comment} Write your program here, then press Run (Ctrl+Enter).
${comment} Its output appears in the terminal, and you can type into it.
`;

const EXAMPLES = {
  python, javascript, c, cpp, rust, bash, java, go, ruby,
};

// Aliases the server's language table may use for the same language.
const ALIASES = {
  python3: 'python', py: 'python', node: 'javascript', nodejs: 'javascript', js: 'javascript',
  'c++': 'cpp', cxx: 'cpp', sh: 'bash', shell: 'bash', golang: 'go', rb: 'ruby', rs: 'rust',
};

const COMMENT = {
  python: '#', bash: '#', ruby: '#', perl: '#', r: '#', nim: '#', php: '//', lua: '--', haskell: '--',
  sqlite3: '--', sql: '--', nasm: ';', scheme: ';;', erlang: '%', fortran: '!', ocaml: '(*', pascal: '//',
};

export function canonicalLanguage(id) {
  const k = String(id || '').toLowerCase();
  return ALIASES[k] || k;
}

// Our own example where we have one (they show input, colours and \r
// progress bars), else the server's (hello.languages[].example), else a stub.
export function exampleFor(id, serverExample) {
  const k = canonicalLanguage(id);
  return EXAMPLES[k] || (typeof serverExample === 'string' && serverExample) || generic(COMMENT[k] || '//');
}

const FILE_NAMES = {
  python: 'main.py', javascript: 'main.js', typescript: 'main.ts', c: 'main.c', cpp: 'main.cpp', rust: 'main.rs',
  bash: 'main.sh', java: 'Main.java', go: 'main.go', ruby: 'main.rb', php: 'main.php', perl: 'main.pl',
  lua: 'main.lua', haskell: 'Main.hs', kotlin: 'Main.kt', csharp: 'Main.cs', r: 'main.R', nasm: 'main.asm',
  fortran: 'main.f90', erlang: 'main.erl', nim: 'main.nim', ocaml: 'main.ml', pascal: 'main.pas',
  sqlite3: 'main.sql', scheme: 'main.scm',
};

export function fileNameFor(id) {
  const k = canonicalLanguage(id);
  return FILE_NAMES[k] || `main.${k || 'txt'}`;
}

// A new project per language: compiled languages whose toolchain builds
// every source file start with a small module beside main (util.c +
// util.h), to show that a project is more than one file; the others with
// their one example file.
const C_MAIN = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
// main.c uses util.c through util.h: every .c file of the project is built.
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "util.h"

int main(void) {
    char name[64] = "stranger";
    printf("What's your name? ");
    fflush(stdout);
    if (fgets(name, sizeof name, stdin)) name[strcspn(name, "\\n")] = 0;
    printf("Hello, \\033[1m%s\\033[0m! Let's count down.\\n", name);
    for (int n = 3; n > 0; n--) {
        printf("  %d...\\n", n);
        fflush(stdout);
        usleep(600000);
    }
    const int width = 30;
    for (int step = 0; step <= width; step++) {
        draw_bar(step, width);
        usleep(50000);
    }
    printf("\\n\\033[32mDone!\\033[0m Edit the code and run it again, %s.\\n", name);
    return 0;
}
`;
const C_UTIL_H = `#ifndef UTIL_H
#define UTIL_H

/* Draws a progress bar of 'width' cells, 'step' of them full, over the
 * current line. */
void draw_bar(int step, int width);

#endif
`;
const C_UTIL_C = `#include <stdio.h>
#include "util.h"

void draw_bar(int step, int width) {
    printf("\\r\\033[32m[");
    for (int i = 0; i < width; i++) putchar(i < step ? '#' : '.');
    printf("]\\033[0m %3d%%", step * 100 / width);
    fflush(stdout);
}
`;
const CPP_MAIN = `// Welcome to coderoom: press Run (Ctrl+Enter), then answer in the terminal.
// main.cpp uses bar.cpp through bar.hpp: every .cpp file of the project is built.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include "bar.hpp"

int main() {
    using namespace std::chrono_literals;
    std::string name;
    std::cout << "What's your name? " << std::flush;
    std::getline(std::cin, name);
    if (name.empty()) name = "stranger";
    std::cout << "Hello, \\033[1m" << name << "\\033[0m! Let's count down.\\n";
    for (int n = 3; n > 0; n--) {
        std::cout << "  " << n << "..." << std::endl;
        std::this_thread::sleep_for(600ms);
    }
    const int width = 30;
    for (int step = 0; step <= width; step++) {
        draw_bar(std::cout, step, width);
        std::this_thread::sleep_for(50ms);
    }
    std::cout << "\\n\\033[32mDone!\\033[0m Edit the code and run it again, " << name << ".\\n";
}
`;
const CPP_BAR_H = `#pragma once
#include <ostream>

// Draws a progress bar of 'width' cells, 'step' of them full, over the
// current line.
void draw_bar(std::ostream &out, int step, int width);
`;
const CPP_BAR = `#include "bar.hpp"
#include <string>

void draw_bar(std::ostream &out, int step, int width) {
    out << "\\r\\033[32m[" << std::string(step, '#') << std::string(width - step, '.')
        << "]\\033[0m " << step * 100 / width << "%" << std::flush;
}
`;

// [{name, text}], the entry file first.
export function projectFor(id, serverExample) {
  const k = canonicalLanguage(id);
  if (k === 'c') return [{ name: 'main.c', text: C_MAIN }, { name: 'util.c', text: C_UTIL_C }, { name: 'util.h', text: C_UTIL_H }];
  if (k === 'cpp') return [{ name: 'main.cpp', text: CPP_MAIN }, { name: 'bar.cpp', text: CPP_BAR }, { name: 'bar.hpp', text: CPP_BAR_H }];
  return [{ name: fileNameFor(k), text: exampleFor(k, serverExample) }];
}

// The highlighting mode of a file, by its extension; null: plain text
// (the project's language decides for the entry file).
const MODE_BY_EXT = {
  py: 'python', js: 'javascript', mjs: 'javascript', cjs: 'javascript', ts: 'typescript', c: 'c', h: 'c',
  cpp: 'cpp', cc: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', hxx: 'cpp', rs: 'rust', java: 'java', go: 'go',
  rb: 'ruby', sh: 'shell', bash: 'shell', lua: 'lua', pl: 'perl', hs: 'haskell', kt: 'kotlin', cs: 'csharp',
  r: 'r', erl: 'erlang', f90: 'fortran', f: 'fortran', pas: 'pascal', scm: 'scheme', ml: 'mllike',
  sql: 'sql', asm: 'gas', swift: 'swift', jl: 'julia', cr: 'crystal', d: 'd', tcl: 'tcl', clj: 'clojure',
  elm: 'elm', lisp: 'commonlisp', scala: 'scala', dart: 'dart',
};

export function modeForFile(name) {
  const m = /\.([A-Za-z0-9]+)$/.exec(name || '');
  return m ? MODE_BY_EXT[m[1].toLowerCase()] || null : null;
}
