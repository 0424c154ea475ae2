#!/usr/bin/env python3
"""Cross-checks querylint's migration rules against squawk.

Usage: scripts/squawk-compare.py QUERYLINT_BINARY DIR [DIR ...]

Runs squawk (`squawk-cli` from PyPI, found on PATH or through pyenv) and
querylint over the PostgreSQL migrations under each DIR, maps squawk's rules
to querylint's for the concepts both cover, and prints, per concept, how
many squawk findings querylint also reports and a sample of the ones it does
not, so each difference can be judged. Files whose name or folder names
another database (`.mysql.`, `.sqlite3.`, `cockroach`, `clickhouse`) are
left out, as querylint does not apply PostgreSQL rules to them.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict

# squawk rule -> querylint rules that report the same problem.
CONCEPTS = {
    "require-concurrent-index-creation": {"create-index-non-concurrently"},
    "require-concurrent-index-deletion": {"drop-index-non-concurrently"},
    "ban-concurrent-index-creation-in-transaction": {"concurrently-in-transaction"},
    "adding-field-with-default": {"add-column-volatile-default"},
    "adding-required-field": {"add-column-not-null-without-default"},
    "adding-not-nullable-field": {"set-not-null"},
    "adding-foreign-key-constraint": {"add-foreign-key-without-not-valid"},
    "constraint-missing-not-valid": {"add-foreign-key-without-not-valid", "add-check-without-not-valid"},
    "disallowed-unique-constraint": {"add-unique-constraint-without-index"},
    "adding-serial-primary-key-field": {"add-unique-constraint-without-index", "add-column-volatile-default"},
    "changing-column-type": {"change-column-type"},
    "renaming-column": {"rename-column"},
    "renaming-table": {"rename-table"},
    "ban-drop-column": {"drop-column"},
    "ban-drop-table": {"drop-table"},
    "require-lock-timeout": {"missing-lock-timeout"},
}
# Reported once per migration by querylint: compared per file.
PER_FILE = {"require-lock-timeout"}
OTHER_DB = re.compile(r"(\.|/)(mysql|mariadb|sqlite3?|cockroach|clickhouse|mssql)(\.|/)")


def squawk_binary():
    found = shutil.which("squawk")
    if found:
        return found
    out = subprocess.run(["pyenv", "which", "squawk"], capture_output=True, text=True)
    return out.stdout.strip() or sys.exit("squawk not found: pip install squawk-cli")


def migration_files(querylint, dirs):
    """The files querylint lints as PostgreSQL up migrations."""
    out = subprocess.run(
        [querylint, "check", "--format", "json", "--select", "create-index-non-concurrently", *dirs],
        capture_output=True, text=True,
    )
    files = []
    for d in dirs:
        for root, _, names in os.walk(d):
            for n in names:
                p = os.path.join(root, n)
                low = p.lower()
                if not low.endswith(".sql") or OTHER_DB.search(low) or ".down." in low or n == "down.sql":
                    continue
                if "migrat" in low or "/delta" in low or "drizzle" in low:
                    files.append(p)
    return sorted(files)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    querylint, dirs = sys.argv[1], sys.argv[2:]
    files = migration_files(querylint, dirs)
    squawk = squawk_binary()
    s_found = []
    for i in range(0, len(files), 200):
        chunk = files[i : i + 200]
        out = subprocess.run([squawk, "--reporter", "json", *chunk], capture_output=True, text=True)
        try:
            s_found += json.loads(out.stdout or "[]")
        except json.JSONDecodeError:
            print("squawk output not JSON:", out.stdout[:200], out.stderr[:200], file=sys.stderr)
    q = subprocess.run([querylint, "check", "--format", "json", *dirs], capture_output=True, text=True)
    q_found = json.loads(q.stdout)["diagnostics"]
    by_file = defaultdict(list)
    for d in q_found:
        by_file[os.path.abspath(d["path"])].append(d)

    total, matched = Counter(), Counter()
    misses = defaultdict(list)
    seen_files = set()
    for s in s_found:
        rule = s["rule_name"]
        if rule not in CONCEPTS:
            continue
        path = os.path.abspath(s["file"])
        line = s["line"] + 1  # squawk counts lines from 0
        if rule in PER_FILE:
            if (rule, path) in seen_files:
                continue
            seen_files.add((rule, path))
        total[rule] += 1
        ours = [d for d in by_file[path] if d["rule"] in CONCEPTS[rule]]
        if rule in PER_FILE:
            hit = bool(ours)
        else:
            hit = any(line - 8 <= d["start"]["line"] <= s["line_end"] + 1 for d in ours)
        if hit:
            matched[rule] += 1
        else:
            misses[rule].append(f"{path}:{line}: {s['message'][:100]}")

    print(f"{len(files)} migration files; squawk findings in shared concepts: {sum(total.values())}")
    for rule in sorted(total):
        print(f"{rule:45} {matched[rule]:5}/{total[rule]:<5} also reported by querylint")
        for m in misses[rule][:8]:
            print("    missed:", m)


if __name__ == "__main__":
    main()
