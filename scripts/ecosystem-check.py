#!/usr/bin/env python3
"""Run querylint over real repositories checked out locally and report.

For each repository: files linted and skipped (with the reasons), parse
failures by statement kind, the share of statements in migration files that
did not parse (PostgreSQL and other dialects apart; statements are counted
by a splitter of this script's own), findings per rule, run time and peak
memory.
Given a second binary (`--base`), also the findings that appeared or
disappeared between the two, which is how a change is checked for new false
positives before it lands.

    python3 scripts/ecosystem-check.py REPO_DIR... [--binary PATH] [--base PATH]
        [--report ecosystem.md]

REPO_DIR is a checkout (for example from `git clone`); the report is
markdown, printed and optionally written to a file.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, repo):
    """Lints a repository: the JSON report, the warnings, seconds, peak KiB."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", binary, "check", "--format", "json", "--select", "ALL", "."],
        cwd=repo, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = proc.stderr.strip().splitlines()
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    warnings = [l for l in lines[:-1] if l.startswith("warning: ")]
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{binary} failed on {repo} (exit {proc.returncode}):\n{proc.stderr}")
    return json.loads(proc.stdout), warnings, seconds, peak


def statement_kind(repo, diag):
    """The first two words of the statement a parse error is in: the text
    after the `;` before the error, comments skipped."""
    try:
        with open(os.path.join(repo, diag["path"]), encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError):
        return "?"
    line = diag["start"]["line"] - 1
    before = "\n".join(lines[:line] + [lines[line][:diag["start"]["column"] - 1]])
    statement = before[before.rfind(";") + 1:]
    statement = re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement, flags=re.S)
    words = re.findall(r"[A-Za-z_]+", statement)[:2]
    return " ".join(w.upper() for w in words) or "?"


NOT_POSTGRES = {"mysql", "mariadb", "maria", "singlestore", "sqlite", "sqlite3", "turso",
                "libsql", "mssql", "sqlserver", "clickhouse", "cockroach", "cockroachdb"}


def is_migration(path):
    """A `.sql` file in a migration layout, by its path (the report's
    measure of parse failures is taken over these)."""
    parts = path.lower().split("/")
    return path.endswith(".sql") and any(
        "migrat" in p or p in ("drizzle", "delta", "deltas") for p in parts[:-1])


def dialect_words(path):
    """The words of a path that may name a dialect, as querylint reads them:
    the file name's inner suffixes and each word of each folder."""
    parts = path.lower().split("/")
    name = parts[-1].split(".")
    words = name[1:-1]
    for folder in parts[:-1]:
        words += re.split(r"[-_]", folder)
    return set(words)


def configured_dialect(path):
    """The dialect a drizzle-kit journal or a Prisma lock file beside the
    migrations names, as a set of at most one word."""
    for folder in (os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
        try:
            with open(os.path.join(folder, "meta", "_journal.json"), encoding="utf-8") as f:
                return {json.load(f).get("dialect", "").lower()}
        except (OSError, ValueError):
            pass
        try:
            with open(os.path.join(folder, "migration_lock.toml"), encoding="utf-8") as f:
                m = re.search(r'provider\s*=\s*"(\w+)"', f.read())
                return {m.group(1).lower()} if m else set()
        except OSError:
            pass
    return set()


def count_statements(text):
    """Statements in SQL text: top-level semicolons outside strings, quoted
    names, dollar quotes and comments, plus a last one without a semicolon."""
    count, i, n, depth, pending = 0, 0, len(text), 0, False
    while i < n:
        c = text[i]
        if text.startswith("--", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 1
            i = j + 1
            pending = True
            continue
        if c == "$":
            m = re.match(r"\$[A-Za-z_]*\$", text[i:i + 64])
            if m:
                j = text.find(m.group(0), i + len(m.group(0)))
                i = n if j < 0 else j + len(m.group(0))
                pending = True
                continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif c == ";" and depth == 0:
            count += pending
            pending = False
        elif not c.isspace():
            pending = True
        i += 1
    return count + pending


def parse_rate(repo, report):
    """Statements and parse failures in the repository's migration files,
    PostgreSQL ones and others apart."""
    failures = collections.Counter(
        d["path"] for d in report["diagnostics"] if d["rule"] == "parse-error")
    totals = {"postgres": [0, 0], "other": [0, 0]}
    for root, dirs, files in os.walk(repo):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules", "target", "vendor")]
        for f in files:
            path = os.path.relpath(os.path.join(root, f), repo).replace(os.sep, "/")
            if not is_migration(path):
                continue
            try:
                with open(os.path.join(repo, path), encoding="utf-8") as fh:
                    statements = count_statements(fh.read())
            except (OSError, UnicodeDecodeError):
                continue
            words = dialect_words(path) | configured_dialect(os.path.join(repo, path))
            key = "other" if words & NOT_POSTGRES else "postgres"
            totals[key][0] += statements
            totals[key][1] += failures.get(path, 0)
    return totals


def rate(pair):
    statements, failed = pair
    share = 100.0 * failed / statements if statements else 0.0
    return f"{failed} of {statements} statements ({share:.2f}%)"


def skip_reason(warning):
    text = warning.removeprefix("warning: ")
    for reason in ("binary", "not valid UTF-8", "over the", "cannot be read", "not a file kind"):
        if reason in text:
            return reason
    return text.split(" ", 1)[-1][:60]


def keys(report):
    return collections.Counter(
        (d["path"], d["rule"], d["message"]) for d in report["diagnostics"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("repos", nargs="+")
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "querylint"))
    parser.add_argument("--base", help="another querylint to compare findings with")
    parser.add_argument("--report", help="also write the markdown report here")
    args = parser.parse_args()
    out = ["# querylint ecosystem check", ""]
    totals = collections.Counter()
    migration_totals = {"postgres": [0, 0], "other": [0, 0]}
    for repo in args.repos:
        name = os.path.basename(os.path.normpath(repo))
        report, warnings, seconds, peak = run(args.binary, repo)
        summary = report["summary"]
        by_rule = collections.Counter(d["rule"] for d in report["diagnostics"])
        parse = collections.Counter(statement_kind(repo, d) for d in report["diagnostics"]
                                    if d["rule"] == "parse-error")
        skipped = collections.Counter(skip_reason(w) for w in warnings if "skipped" in w)
        totals.update(by_rule)
        migrations = parse_rate(repo, report)
        for key, (statements, failed) in migrations.items():
            migration_totals[key][0] += statements
            migration_totals[key][1] += failed
        out += [f"## {name}", "",
                f"- {summary['files_linted']} files linted, {summary['files_skipped']} skipped"
                + (f" ({', '.join(f'{n} {r}' for r, n in skipped.most_common())})" if skipped else ""),
                f"- {seconds:.2f} s, peak {peak / 1024:.0f} MiB",
                f"- findings: {', '.join(f'{r} {n}' for r, n in by_rule.most_common()) or 'none'}",
                f"- parse failures by statement: {', '.join(f'{k} {n}' for k, n in parse.most_common()) or 'none'}",
                f"- parse failures in migration files: PostgreSQL {rate(migrations['postgres'])}, "
                f"other dialects {rate(migrations['other'])}"]
        if args.base:
            before, _, base_seconds, _ = run(args.base, repo)
            new, old = keys(report), keys(before)
            appeared = new - old
            gone = old - new
            out.append(f"- against the base ({base_seconds:.2f} s): {sum(appeared.values())} appeared, "
                       f"{sum(gone.values())} disappeared")
            for (path, rule, message), _ in sorted(appeared.items())[:50]:
                out.append(f"  - + `{rule}` {path}: {message[:100]}")
            for (path, rule, message), _ in sorted(gone.items())[:50]:
                out.append(f"  - - `{rule}` {path}: {message[:100]}")
        out.append("")
    out += ["## All repositories", "",
            ", ".join(f"{r} {n}" for r, n in totals.most_common()) or "no findings", "",
            f"Parse failures in migration files: PostgreSQL {rate(migration_totals['postgres'])}, "
            f"other dialects {rate(migration_totals['other'])}.", ""]
    text = "\n".join(out)
    print(text)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
