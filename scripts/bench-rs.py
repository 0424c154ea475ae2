#!/usr/bin/env python3
"""Benchmark the Rust front end on a generated corpus.

Generates at least 30 MB of Rust in which about one file in five uses sqlx
(macros, functions, format!-built SQL, loops) and the rest is ordinary
service code (types, parsing, arithmetic), then times `querylint check
--format json` on both cores and on one, and `rg -c 'sqlx|query'` over the
same tree, each several times, and prints medians; then the same on the
files without database code alone, which only the prefilter reads.

    python3 scripts/bench-rs.py [--runs 5] [--size-mb 32] [--keep DIR]
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

from bench import measure  # same folder: median wall time, MB/s, files/s, peak RSS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ("user account order invoice payment product cart session event audit "
         "team project task comment tag label device token webhook plan").split()


def name(rng):
    return f"{rng.choice(WORDS)}_{rng.choice(WORDS)}"


def plain(rng):
    n = name(rng)
    t = "".join(w.capitalize() for w in n.split("_"))
    return (
        f"#[derive(Debug, Clone, PartialEq)]\npub struct {t}{rng.randint(0, 9999)} {{\n"
        f"    pub id: u64,\n    pub label: String,\n    pub weight: f64,\n}}\n\n"
        f"pub fn score_{n}(items: &[(u64, f64)], bias: f64) -> f64 {{\n"
        f"    let mut total = 0.0;\n    for (i, (id, w)) in items.iter().enumerate() {{\n"
        f"        if *id % {rng.randint(2, 9)} == 0 {{\n            total += w * bias / (i as f64 + 1.0);\n        }}\n    }}\n"
        f"    items.iter().map(|(_, w)| w.abs()).fold(total, f64::max)\n}}\n\n"
    )


def database(rng):
    n = name(rng)
    table = n + "s"
    return rng.choice([
        f"pub async fn list_{n}(pool: &PgPool) -> sqlx::Result<Vec<(i64, String)>> {{\n"
        f"    sqlx::query_as(\"SELECT id, label FROM {table} WHERE archived = false\")\n"
        f"        .fetch_all(pool)\n        .await\n}}\n\n",
        f"pub async fn get_{n}(pool: &PgPool, id: i64) -> sqlx::Result<Option<(i64,)>> {{\n"
        f"    sqlx::query_as!(Row, r#\"SELECT id AS \"id!\" FROM {table} WHERE id = $1\"#, id)\n"
        f"        .fetch_optional(pool)\n        .await\n}}\n\n",
        f"pub async fn touch_{n}(pool: &PgPool, ids: &[i64]) -> sqlx::Result<()> {{\n"
        f"    for id in ids {{\n        sqlx::query(\"UPDATE {table} SET seen_at = now() WHERE id = $1\")\n"
        f"            .bind(id)\n            .execute(pool)\n            .await?;\n    }}\n    Ok(())\n}}\n\n",
        f"pub async fn sort_{n}(pool: &PgPool, column: &str) -> sqlx::Result<Vec<(i64,)>> {{\n"
        f"    let sql = format!(\"SELECT id FROM {table} ORDER BY {{column}} LIMIT 50\");\n"
        f"    sqlx::query_as(&sql).fetch_all(pool).await\n}}\n\n",
    ])


def generate(root, size_mb):
    rng = random.Random(7)
    target = size_mb * 1_000_000
    total = n = 0
    while total < target:
        if n % 5 == 0:
            path = os.path.join(root, "src", "db", f"repo{n:05}.rs")
            body = "use sqlx::PgPool;\n\n" + "".join(
                database(rng) if rng.random() < 0.6 else plain(rng) for _ in range(rng.randint(20, 60)))
        else:
            path = os.path.join(root, "src", "domain", f"model{n:05}.rs")
            body = "use std::collections::HashMap;\n\n" + "".join(
                plain(rng) for _ in range(rng.randint(20, 60)))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(body)
        total += len(body.encode())
        n += 1
    return total, n


def tree_size(paths):
    files = [os.path.join(d, f) for p in paths for d, _, fs in os.walk(p) for f in fs]
    return sum(os.path.getsize(f) for f in files), len(files)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size-mb", type=int, default=32)
    ap.add_argument("--keep")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    querylint = os.path.join(ROOT, "target", "release", "querylint")
    root = args.keep or tempfile.mkdtemp(prefix="querylint-rs-bench-")
    if not os.path.isdir(os.path.join(root, "src")):
        generate(root, args.size_mb)
    size, count = tree_size([root])
    print(f"corpus: {root}: {count} files, {size / 1e6:.1f} MB; median of {args.runs} runs; {os.cpu_count()} cores")
    rg = shutil.which("rg")
    cmd = [querylint, "check", "--format", "json"]
    q = measure("querylint (all cores)", cmd + [root], args.runs, size, count)
    measure("querylint (1 core)", cmd + [root], args.runs, size, count, dict(os.environ, RAYON_NUM_THREADS="1"))
    if rg:
        r = measure("rg -c (all cores)", [rg, "-c", "sqlx|query", root], args.runs, size, count)
        print(f"querylint takes {q / r:.1f}x the time of rg")
    plain_dir = [os.path.join(root, "src", "domain")]
    psize, pcount = tree_size(plain_dir)
    print(f"files without database code: {pcount} files, {psize / 1e6:.1f} MB")
    q = measure("querylint (all cores)", cmd + plain_dir, args.runs, psize, pcount)
    if rg:
        r = measure("rg -c (all cores)", [rg, "-c", "sqlx|query"] + plain_dir, args.runs, psize, pcount)
        print(f"querylint takes {q / r:.1f}x the time of rg")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    sys.exit(main())
