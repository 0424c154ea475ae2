#!/usr/bin/env python3
"""Benchmark the TypeScript front end on a generated corpus.

Generates at least 50 MB of TypeScript in which about one file in five talks
to a database (Prisma, pg, postgres.js, Drizzle, Kysely) and the rest is
ordinary application code (components, utilities, types, some of it with
react-query's `useQuery`), then times `querylint check --format json` on
both cores and on one, and `rg -c 'prisma|drizzle|sql|query'` over the same
tree, each several times, and prints medians; then the same on the files
without database code alone, which only the prefilter reads.

    python3 scripts/bench-ts.py [--runs 5] [--size-mb 52] [--keep DIR]
"""

import os
import random
import sys

from bench import front_end_main, write  # same folder

WORDS = ("user account order invoice payment product cart session event audit "
         "team project task comment tag label device token webhook plan").split()


def name(rng):
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    return a + b.capitalize()


def plain_function(rng):
    n = name(rng)
    return (
        f"export function format{n.capitalize()}(input: {{ id: string; label?: string }}, opts = {{}}) {{\n"
        f"  const parts = [input.id, input.label ?? 'none'];\n"
        f"  for (const p of parts) {{\n    if (p.length > {rng.randint(3, 40)}) {{\n"
        f"      console.debug('long part', p);\n    }}\n  }}\n"
        f"  return parts.map((p) => p.trim()).filter(Boolean).join(' / ');\n}}\n\n"
    )


def component(rng):
    n = name(rng).capitalize()
    hook = "useQuery" if rng.random() < 0.1 else "useMemo"
    return (
        f"export function {n}Card({{ item }}: {{ item: {{ id: string; title: string }} }}) {{\n"
        f"  const [open, setOpen] = useState(false);\n"
        f"  const value = {hook}(() => item.title.toUpperCase(), [item.title]);\n"
        f"  return (\n    <div className=\"card\" onClick={{() => setOpen(!open)}}>\n"
        f"      <h2>{{value}}</h2>\n      {{open && <p>{{item.id}}</p>}}\n    </div>\n  );\n}}\n\n"
    )


def types(rng):
    n = name(rng).capitalize()
    fields = "\n".join(f"  {rng.choice(WORDS)}{i}: {rng.choice(['string', 'number', 'boolean', 'Date'])};"
                       for i in range(rng.randint(3, 12)))
    return f"export interface {n} {{\n{fields}\n}}\n\n"


def database_code(rng):
    t = rng.choice(WORDS) + "s"
    n = name(rng)
    kinds = [
        f"export async function list{n}(take = 20) {{\n"
        f"  return prisma.{rng.choice(WORDS)}.findMany({{ where: {{ active: true }}, take }});\n}}\n\n",
        f"export async function get{n}(id: string) {{\n"
        f"  const rows = await prisma.$queryRaw<{{ id: string }}[]>`SELECT id, name FROM {t} WHERE id = ${{id}}`;\n"
        f"  return rows[0];\n}}\n\n",
        f"export async function search{n}(q: string) {{\n"
        f"  const res = await pool.query(`SELECT id FROM {t} WHERE name ILIKE '%' || $1 || '%' LIMIT 20`, [q]);\n"
        f"  return res.rows;\n}}\n\n",
        f"export async function recent{n}() {{\n"
        f"  return sql`SELECT id, created_at FROM {t} ORDER BY created_at DESC LIMIT 50`;\n}}\n\n",
        f"export async function unsafe{n}(col: string) {{\n"
        f"  return pool.query(`SELECT ${{col}} FROM {t} WHERE archived = NULL`);\n}}\n\n",
    ]
    return rng.choice(kinds)


HEADERS = {
    "db": "import { PrismaClient } from '@prisma/client';\nimport { Pool } from 'pg';\nimport postgres from 'postgres';\n\n"
          "const prisma = new PrismaClient();\nconst pool = new Pool();\nconst sql = postgres(process.env.DATABASE_URL!);\n\n",
    "tsx": "import { useMemo, useState } from 'react';\n\n",
    "ts": "import { z } from 'zod';\n\n",
}


def generate(root, size_mb, seed=11):
    rng = random.Random(seed)
    target = size_mb * 1024 * 1024
    total = n = 0
    while total < target:
        if n % 5 == 0:
            path = os.path.join(root, "src", "server", f"repo{n:05}.ts")
            body = HEADERS["db"] + "".join(database_code(rng) if rng.random() < 0.6 else plain_function(rng)
                                           for _ in range(rng.randint(20, 60)))
        elif n % 5 in (1, 2):
            path = os.path.join(root, "src", "components", f"C{n:05}.tsx")
            body = HEADERS["tsx"] + "".join(component(rng) for _ in range(rng.randint(20, 60)))
        else:
            path = os.path.join(root, "src", "lib", f"util{n:05}.ts")
            body = HEADERS["ts"] + "".join((plain_function if rng.random() < 0.6 else types)(rng)
                                           for _ in range(rng.randint(30, 90)))
        total += write(path, body)
        n += 1
    return total, n


def main():
    # The four files in five with no database code (components and
    # utilities) are what the one-pass prefilter alone reads.
    front_end_main(generate, 52, [("src", "components"), ("src", "lib")], "prisma|drizzle|sql|query",
                   "querylint-ts-bench-")


if __name__ == "__main__":
    sys.exit(main())
