#!/usr/bin/env python3
"""Run querylint over real repositories checked out locally and report.

For each repository: files linted and skipped (with the reasons), files by
role (`querylint files`), parse failures by statement kind, the share of
statements in `.sql` files that did not parse, by the dialect querylint
reads each file in (statements are counted by a splitter of this script's
own), findings per rule, run time and peak memory.
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


def files(binary, repo):
    """What querylint reads each file as (`querylint files`): the files by
    path, and the count of each role."""
    proc = subprocess.run([binary, "files", "--format", "json", "."], cwd=repo,
                          capture_output=True, text=True)
    report = json.loads(proc.stdout)
    return {f["path"]: f for f in report["files"]}, report["roles"]


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


UNLINTABLE = "which querylint does not lint"


def parse_rate(repo, report, described):
    """Statements and parse notes in the repository's `.sql` files, by the
    dialect querylint reads each in; files in a dialect it does not lint
    (one note each) are counted apart, by statements."""
    notes = collections.Counter(
        d["path"] for d in report["diagnostics"]
        if d["rule"] == "parse-error" and UNLINTABLE not in d["message"])
    totals = collections.defaultdict(lambda: [0, 0])
    for path, f in described.items():
        if not path.endswith(".sql"):
            continue
        try:
            with open(os.path.join(repo, path), encoding="utf-8") as fh:
                statements = count_statements(fh.read())
        except (OSError, UnicodeDecodeError):
            continue
        dialect = f["dialect"]["value"]
        totals[dialect][0] += statements
        totals[dialect][1] += notes.get(path, 0)
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
    sql_totals = collections.defaultdict(lambda: [0, 0])
    role_totals = collections.Counter()
    for repo in args.repos:
        name = os.path.basename(os.path.normpath(repo))
        report, warnings, seconds, peak = run(args.binary, repo)
        summary = report["summary"]
        by_rule = collections.Counter(d["rule"] for d in report["diagnostics"])
        parse = collections.Counter(statement_kind(repo, d) for d in report["diagnostics"]
                                    if d["rule"] == "parse-error")
        skipped = collections.Counter(skip_reason(w) for w in warnings if "skipped" in w)
        totals.update(by_rule)
        described, roles = files(args.binary, repo)
        role_totals.update(roles)
        sql = parse_rate(repo, report, described)
        for key, (statements, failed) in sql.items():
            sql_totals[key][0] += statements
            sql_totals[key][1] += failed
        out += [f"## {name}", "",
                f"- {summary['files_linted']} files linted, {summary['files_skipped']} skipped"
                + (f" ({', '.join(f'{n} {r}' for r, n in skipped.most_common())})" if skipped else ""),
                f"- {seconds:.2f} s, peak {peak / 1024:.0f} MiB",
                f"- findings: {', '.join(f'{r} {n}' for r, n in by_rule.most_common()) or 'none'}",
                f"- parse failures by statement: {', '.join(f'{k} {n}' for k, n in parse.most_common()) or 'none'}",
                f"- files by role: {', '.join(f'{n} {r}' for r, n in sorted(roles.items()))}",
                f"- parse notes in `.sql` files by dialect: "
                + ("; ".join(f"{d} {rate(pair)}" for d, pair in sorted(sql.items())) or "none")]
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
            f"Files by role: {', '.join(f'{n} {r}' for r, n in sorted(role_totals.items()))}.", "",
            "Parse notes in `.sql` files by dialect (files querylint does not lint, such as "
            "ClickHouse, get one note each and are not counted): "
            + "; ".join(f"{d} {rate(pair)}" for d, pair in sorted(sql_totals.items())) + ".", ""]
    text = "\n".join(out)
    print(text)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
