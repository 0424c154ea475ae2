#!/usr/bin/env python3
"""Benchmark querylint against squawk on a generated SQL corpus.

Generates at least 20 MB of realistic SQL (schema DDL, application queries,
migrations) in many files, then times `querylint check` (both cores and one
core) and `squawk` over the same files, each several times, and prints the
median wall time, MB/s, files/s and peak memory of each.

    python3 scripts/bench.py [--runs 5] [--size-mb 24] [--keep DIR]

squawk comes from PyPI: `pip install squawk-cli`. querylint is built with
`cargo build --release` first.
"""

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WORDS = ("user account order invoice payment product cart session event audit "
         "team project task comment tag label device token webhook plan").split()
TYPES = ["bigint", "integer", "text", "varchar(255)", "boolean", "timestamptz",
         "jsonb", "numeric(12,2)", "uuid", "date"]


def ident(rng):
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}"


def create_table(rng, name):
    cols = [f"  id bigserial PRIMARY KEY"]
    for _ in range(rng.randint(4, 14)):
        col = f"  {ident(rng)} {rng.choice(TYPES)}"
        if rng.random() < 0.4:
            col += " NOT NULL"
        if rng.random() < 0.2:
            col += " DEFAULT now()" if "time" in col else " DEFAULT NULL"
        cols.append(col)
    cols.append(f"  {rng.choice(WORDS)}_id bigint REFERENCES {rng.choice(WORDS)}s (id)")
    return f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(cols) + "\n);\n"


def query(rng):
    t, u = rng.choice(WORDS) + "s", rng.choice(WORDS) + "s"
    c1, c2 = ident(rng), ident(rng)
    kinds = [
        f"SELECT a.id, a.{c1}, b.{c2}\nFROM {t} a\nJOIN {u} b ON b.{t[:-1]}_id = a.id\n"
        f"WHERE a.{c1} = $1 AND b.created_at > now() - interval '30 days'\n"
        f"ORDER BY a.created_at DESC\nLIMIT 50;\n",
        f"SELECT id, {c1} FROM {t} WHERE id = $1;\n",
        f"SELECT count(*) AS n, max({c2}) FROM {t} WHERE {c1} IS NOT NULL;\n",
        f"UPDATE {t} SET {c1} = $2, updated_at = now() WHERE id = $1 RETURNING id;\n",
        f"INSERT INTO {t} ({c1}, {c2}, created_at) VALUES ($1, $2, now())\n"
        f"ON CONFLICT (id) DO UPDATE SET {c1} = EXCLUDED.{c1};\n",
        f"DELETE FROM {t} WHERE created_at < now() - interval '90 days' AND id = ANY($1);\n",
        f"WITH recent AS (\n  SELECT {c1}, count(*) AS n FROM {t}\n  WHERE created_at > $1 GROUP BY {c1}\n)\n"
        f"SELECT r.{c1}, r.n FROM recent r ORDER BY r.n DESC LIMIT 10;\n",
        f"SELECT id FROM {t} WHERE {c1} ILIKE '%' || $1 || '%' LIMIT 20;\n",
        f"SELECT id FROM {t} WHERE {c1} NOT IN (SELECT {c2} FROM {u}) LIMIT 100;\n",
        f"SELECT id, {c1} FROM {t} ORDER BY id LIMIT 20 OFFSET $1;\n",
    ]
    return f"-- name: {c1}_{rng.randint(0, 999)}\n" + rng.choice(kinds)


def migration(rng):
    t = rng.choice(WORDS) + "s"
    c = ident(rng)
    parts = [
        f"ALTER TABLE {t} ADD COLUMN {c} {rng.choice(TYPES)};\n",
        f"CREATE INDEX idx_{t}_{c} ON {t} ({c});\n",
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS idx2_{t}_{c} ON {t} ({c}, created_at);\n",
        f"ALTER TABLE {t} ADD CONSTRAINT fk_{t}_{c} FOREIGN KEY ({c}) REFERENCES {rng.choice(WORDS)}s (id);\n",
        f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;\n",
        f"UPDATE {t} SET {c} = 0 WHERE {c} IS NULL;\n",
        f"CREATE OR REPLACE FUNCTION touch_{t}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;\n",
        f"COMMENT ON COLUMN {t}.{c} IS 'Set by the {c} job';\n",
    ]
    return rng.choice(parts)


def generate(root, size_mb, seed=7):
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    total = 0
    n = 0
    while total < target:
        kind = n % 3
        if kind == 0:
            path = os.path.join(root, "app", "queries", f"q{n:05}.sql")
            body = "".join(query(rng) + "\n" for _ in range(rng.randint(20, 80)))
        elif kind == 1:
            path = os.path.join(root, "db", "migrations", f"{n:06}_change.sql")
            body = "".join(migration(rng) for _ in range(rng.randint(10, 60)))
        else:
            path = os.path.join(root, "schema", f"s{n:05}.sql")
            body = "\n".join(create_table(rng, f"{ident(rng)}_{n}_{i}") for i in range(rng.randint(5, 30)))
        total += write(path, body)
        n += 1
    return total, n


def sql_files(root):
    out = []
    for d, _, names in os.walk(root):
        out.extend(os.path.join(d, n) for n in names if n.endswith(".sql"))
    return sorted(out)


def run(cmd, env=None):
    """Wall seconds and peak RSS (MiB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024


def measure(name, cmd, runs, size, files, env=None):
    results = [run(cmd, env) for _ in range(runs)]
    wall = statistics.median(r[0] for r in results)
    rss = statistics.median(r[1] for r in results)
    print(f"{name:<28} {wall:8.3f} s {size / wall / 1e6:8.1f} MB/s {files / wall:9.0f} files/s {rss:8.1f} MiB")
    return wall


def write(path, body):
    """Writes a generated file, making its folder; returns its size in bytes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(body)
    return len(body.encode())


def tree_size(paths):
    """Total bytes and number of files under the given folders."""
    files = [os.path.join(d, f) for p in paths for d, _, fs in os.walk(p) for f in fs]
    return sum(os.path.getsize(f) for f in files), len(files)


def front_end_main(generate, size_mb, plain, pattern, prefix):
    """The command line of a front end's benchmark: builds querylint,
    generates the corpus with `generate(root, size_mb)` (or reuses the one in
    `--keep`), and runs `front_end_bench` with `plain`, the folders under
    the corpus's root that hold no database code."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size-mb", type=int, default=size_mb)
    ap.add_argument("--keep")
    ap.add_argument("--memory-sizes", help="also time querylint alone on corpora of these sizes "
                    "in MB (comma-separated), to show how its memory grows with the number of files")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    querylint = os.path.join(ROOT, "target", "release", "querylint")
    root = args.keep or tempfile.mkdtemp(prefix=prefix)
    if not os.path.isdir(os.path.join(root, "src")):
        generate(root, args.size_mb)
    front_end_bench(querylint, root, [os.path.join(root, *p) for p in plain], pattern, args.runs)
    if not args.keep:
        shutil.rmtree(root)
    if args.memory_sizes:
        print("querylint (all cores) on corpora of other sizes:")
        for mb in (int(m) for m in args.memory_sizes.split(",")):
            scaled = tempfile.mkdtemp(prefix=prefix)
            generate(scaled, mb)
            size, count = tree_size([scaled])
            measure(f"{count} files, {size / 1e6:.0f} MB", [querylint, "check", "--format", "json", scaled],
                    args.runs, size, count)
            shutil.rmtree(scaled)


def front_end_bench(querylint, root, plain, pattern, runs):
    """Times querylint (both cores, one core) and `rg -c PATTERN` over a
    generated tree, then both over `plain`, the folders without database
    code, which only querylint's prefilter reads. Prints medians."""
    size, count = tree_size([root])
    print(f"corpus: {root}: {count} files, {size / 1e6:.1f} MB; median of {runs} runs; {os.cpu_count()} cores")
    rg = shutil.which("rg")
    cmd = [querylint, "check", "--format", "json"]
    for label, paths, (size, count) in (("", [root], (size, count)),
                                        ("files without database code: ", plain, tree_size(plain))):
        if label:
            print(f"{label}{count} files, {size / 1e6:.1f} MB")
        q = measure("querylint (all cores)", cmd + paths, runs, size, count)
        if not label:
            measure("querylint (1 core)", cmd + paths, runs, size, count, dict(os.environ, RAYON_NUM_THREADS="1"))
        if rg:
            r = measure("rg -c (all cores)", [rg, "-c", pattern] + paths, runs, size, count)
            print(f"querylint takes {q / r:.1f}x the time of rg")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size-mb", type=int, default=24)
    ap.add_argument("--keep", help="generate the corpus in this folder and keep it")
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    querylint = os.path.join(ROOT, "target", "release", "querylint")
    squawk = shutil.which("squawk")
    if squawk:
        # pyenv puts a shell shim on PATH; time the real binary.
        real = subprocess.run(["pyenv", "which", "squawk"], capture_output=True, text=True)
        if real.returncode == 0 and real.stdout.strip():
            squawk = real.stdout.strip()

    root = args.keep or tempfile.mkdtemp(prefix="querylint-bench-")
    size, count = generate(root, args.size_mb)
    half = os.path.join(root, "app")
    files = sql_files(root)
    print(f"corpus: {root}: {count} files, {size / 1e6:.1f} MB; median of {args.runs} runs; {os.cpu_count()} cores")
    print(f"{'tool':<28} {'wall':>10} {'throughput':>13} {'':>15} {'peak RSS':>13}")
    one_core = dict(os.environ, RAYON_NUM_THREADS="1")
    q = measure("querylint (all cores)", [querylint, "check", "--format", "json", root], args.runs, size, count)
    measure("querylint (1 core)", [querylint, "check", "--format", "json", root], args.runs, size, count, one_core)
    app_files = len(sql_files(half))
    app_size = sum(os.path.getsize(f) for f in sql_files(half))
    measure("querylint, app/ only", [querylint, "check", "--format", "json", half], args.runs, app_size, app_files)
    if squawk:
        s = measure("squawk", [squawk] + files, args.runs, size, count)
        print(f"querylint (all cores) is {s / q:.1f}x as fast as squawk on the same files")
    else:
        print("squawk not found: pip install squawk-cli")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    sys.exit(main())
