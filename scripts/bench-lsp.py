#!/usr/bin/env python3
"""Benchmark the language server: the time from `didChange` to the
`publishDiagnostics` for that version, on a 5,000-line TypeScript file with
database code and a 5,000-line SQL file.

Starts `target/release/querylint server` (build it first with `cargo build
--release`), opens each file, then sends one-character incremental edits
and waits for each version's diagnostics, several times, and prints the
median and the 90th percentile.

    python3 scripts/bench-lsp.py [--changes 50] [--binary PATH]
"""

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from bench import ROOT, query  # same folder


def load_ts_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_ts", os.path.join(os.path.dirname(__file__), "bench-ts.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lines_of(make, count):
    out = []
    while sum(chunk.count("\n") for chunk in out) < count:
        out.append(make())
    return "".join(out)


class Server:
    def __init__(self, binary):
        self.proc = subprocess.Popen([binary, "server"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 1

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise EOFError("the server closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        i = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
        while True:
            m = self.read()
            if m.get("id") == i and "method" not in m:
                return m

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def published(self, uri, version):
        while True:
            m = self.read()
            p = m.get("params", {})
            if m.get("method") == "textDocument/publishDiagnostics" and p.get("uri") == uri \
                    and p.get("version") == version:
                return p

    def stop(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=10)


def bench_file(server, path, language, text, changes):
    uri = "file://" + path
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": language, "version": 1, "text": text}})
    first = server.published(uri, 1)
    times = []
    line = text.count("\n") // 2
    for i in range(changes):
        version = i + 2
        # Type a space at the start of a line in the middle, then remove it.
        if i % 2 == 0:
            change = {"range": {"start": {"line": line, "character": 0},
                                "end": {"line": line, "character": 0}}, "text": " "}
        else:
            change = {"range": {"start": {"line": line, "character": 0},
                                "end": {"line": line, "character": 1}}, "text": ""}
        start = time.perf_counter()
        server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        server.published(uri, version)
        times.append((time.perf_counter() - start) * 1000)
    return len(first["diagnostics"]), times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "querylint"),
                        help="the querylint to time, for comparing two builds")
    args = parser.parse_args()
    binary = args.binary
    if not os.path.exists(binary):
        sys.exit("build it first: cargo build --release")
    rng = random.Random(5)
    ts = load_ts_bench()
    header = ts.HEADERS["db"]
    ts_text = header + lines_of(lambda: ts.database_code(rng) if rng.random() < 0.5
                                else ts.plain_function(rng), 5000)
    sql_text = lines_of(lambda: query(rng), 5000)
    with tempfile.TemporaryDirectory() as root:
        server = Server(binary)
        server.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        server.notify("initialized", {})
        for name, language, text in [("service.ts", "typescript", ts_text),
                                     ("queries.sql", "sql", sql_text)]:
            path = os.path.join(root, name)
            found, times = bench_file(server, path, language, text, args.changes)
            times.sort()
            p90 = times[int(len(times) * 0.9) - 1]
            print(f"{name:12} {text.count(chr(10)):5} lines {len(text) / 1024:6.0f} KiB "
                  f"{found:4} findings: didChange to publishDiagnostics median "
                  f"{statistics.median(times):6.1f} ms, p90 {p90:6.1f} ms ({len(times)} changes)")
        server.stop()


if __name__ == "__main__":
    main()
