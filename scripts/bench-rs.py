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

import os
import random
import sys

from bench import front_end_main, write  # same folder

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
        total += write(path, body)
        n += 1
    return total, n


def main():
    front_end_main(generate, 32, [("src", "domain")], "sqlx|query", "querylint-rs-bench-")


if __name__ == "__main__":
    sys.exit(main())
