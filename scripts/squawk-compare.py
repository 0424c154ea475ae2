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


UNEXPLAINED = "no reason found (read these)"
IDENT = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'
NAME = rf"({IDENT}(?:\.{IDENT})?)"


def norm(name):
    name = name.split(".")[-1]
    return name[1:-1] if name.startswith('"') else name.lower()


def statement_at(text, line):
    """The statement that holds 1-based `line`, by semicolons (roughly)."""
    lines = text.split("\n")
    start = sum(len(l) + 1 for l in lines[: line - 1])
    begin = text.rfind(";", 0, start) + 1
    end = text.find(";", start)
    return text[begin : end if end >= 0 else len(text)], begin


def why_not(rule, path, line):
    """A reason querylint is right not to report a squawk finding, guessed
    from the migration's text, or UNEXPLAINED."""
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return UNEXPLAINED
    # Comments blanked out, line breaks kept, so lines still count.
    plain = re.sub(r"/\*.*?\*/|--[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    stmt, at = statement_at(plain, line)
    lines = text.split("\n")
    line_text = lines[line - 1] if line <= len(lines) else ""
    before = plain[:at]
    line_start = sum(len(l) + 1 for l in lines[: line - 1])
    if re.search(r"^\s*--\s*(\+goose\s+down|migrate:down)", text[:line_start], re.I | re.M):
        return "in a down section, which gets the query rules only"
    created = {
        norm(m)
        for m in re.findall(
            rf"CREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{NAME}", before, re.I
        )
    }
    for old, new in re.findall(rf"ALTER\s+TABLE\s+{NAME}\s+RENAME\s+TO\s+{NAME}", before, re.I):
        if norm(old) in created:
            created.add(norm(new))
    added = {norm(m) for m in re.findall(rf"ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?{NAME}", before, re.I)}
    table = re.search(
        rf"(?:ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?|\bON\s+(?:ONLY\s+)?|DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?){NAME}",
        stmt,
        re.I,
    )
    if table and norm(table.group(1)) in created:
        return "table created earlier in the same migration"
    column_re = rf"(?:ALTER|DROP)\s+COLUMN\s+(?:IF\s+EXISTS\s+)?{NAME}"
    column = re.search(column_re, line_text, re.I) or re.search(column_re, stmt, re.I)
    if column and norm(column.group(1)) in added:
        return "column added earlier in the same migration"
    if rule == "adding-field-with-default" and re.search(r"DEFAULT\s+-\d", stmt, re.I):
        return "a negative constant default (`-1`) is a constant: no rewrite from PostgreSQL 11"
    if rule == "constraint-missing-not-valid" and re.search(r"PRIMARY\s+KEY|UNIQUE", line_text + stmt, re.I):
        return "a primary key or unique constraint cannot be NOT VALID: reported as add-unique-constraint-without-index"
    if rule == "adding-required-field" and re.search(r"serial", line_text, re.I):
        return "a serial column is filled from its sequence: reported as add-column-volatile-default"
    if re.search(r"\bON\s+ONLY\b", stmt, re.I):
        return "CREATE INDEX ON ONLY a partitioned table builds nothing until partitions are attached"
    if rule == "require-lock-timeout":
        if re.search(r"SET\s+(?:LOCAL\s+)?lock_timeout", before, re.I):
            return "lock_timeout set earlier in the migration"
        if re.search(r"\bCONCURRENTLY\b", stmt, re.I):
            return "a concurrent index build takes a lock that lets reads and writes go on"
        if re.match(r"\s*ALTER\s+TYPE", stmt, re.I):
            return "ALTER TYPE ... ADD VALUE locks no table"
        if re.match(r"\s*(CREATE\s+(TABLE|TYPE|SEQUENCE|EXTENSION|SCHEMA|VIEW|FUNCTION|OR)|COMMENT|INSERT|UPDATE|DELETE|SELECT|DROP\s+(FUNCTION|TRIGGER|TYPE|SEQUENCE))", stmt, re.I):
            return "the statement takes no lock that blocks reads or writes of an existing table"
    if rule == "adding-not-nullable-field":
        return "the column is NOT NULL already (a no-op), as the replayed schema knows"
    if rule == "changing-column-type":
        return "no rewrite: the chain knows the old type (same type, a wider varchar/numeric, or varchar to text)"
    return UNEXPLAINED


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
    reasons = defaultdict(Counter)
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
            reason = why_not(rule, path, line)
            reasons[rule][reason] += 1
            misses[(rule, reason)].append(f"{path}:{line}: {s['message'][:100]}")

    print(f"{len(files)} migration files; squawk findings in shared concepts: {sum(total.values())}")
    for rule in sorted(total):
        print(f"{rule:45} {matched[rule]:5}/{total[rule]:<5} also reported by querylint")
        for reason, n in reasons[rule].most_common():
            print(f"    {n:5}  not reported: {reason}")
            if reason == UNEXPLAINED or "-v" in os.environ.get("COMPARE", ""):
                for m in misses[(rule, reason)][:10]:
                    print("           ", m)


if __name__ == "__main__":
    main()
