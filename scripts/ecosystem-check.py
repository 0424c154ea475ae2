#!/usr/bin/env python3
"""Run querylint over real repositories checked out locally and report.

For each repository: files linted and skipped (with the reasons), parse
failures by statement kind, findings per rule, run time and peak memory.
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
    for repo in args.repos:
        name = os.path.basename(os.path.normpath(repo))
        report, warnings, seconds, peak = run(args.binary, repo)
        summary = report["summary"]
        by_rule = collections.Counter(d["rule"] for d in report["diagnostics"])
        parse = collections.Counter(statement_kind(repo, d) for d in report["diagnostics"]
                                    if d["rule"] == "parse-error")
        skipped = collections.Counter(skip_reason(w) for w in warnings if "skipped" in w)
        totals.update(by_rule)
        out += [f"## {name}", "",
                f"- {summary['files_linted']} files linted, {summary['files_skipped']} skipped"
                + (f" ({', '.join(f'{n} {r}' for r, n in skipped.most_common())})" if skipped else ""),
                f"- {seconds:.2f} s, peak {peak / 1024:.0f} MiB",
                f"- findings: {', '.join(f'{r} {n}' for r, n in by_rule.most_common()) or 'none'}",
                f"- parse failures by statement: {', '.join(f'{k} {n}' for k, n in parse.most_common()) or 'none'}"]
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
            ", ".join(f"{r} {n}" for r, n in totals.most_common()) or "no findings", ""]
    text = "\n".join(out)
    print(text)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
