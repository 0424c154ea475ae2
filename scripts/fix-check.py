#!/usr/bin/env python3
"""Apply querylint's fixes to real repositories and check what they leave.

For each repository (a git checkout), in a scratch copy and for `--fix` and
`--fix --unsafe-fixes` in turn (with `--fix-applied`, so that every
migration is fixed): lint it, fix it, lint it again, and list every file
and rule whose warnings, errors or parse notes grew. A fix must never leave
any. The repository itself is never written.

    python3 scripts/fix-check.py REPO_DIR... [--binary PATH] [--select ALL]
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

KEEP = (".sql", ".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".rs",
        ".prisma", ".toml", ".json", ".yaml", ".yml", ".conf")
NAMES = (".gitignore", ".querylintignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def counts(binary, repo, select):
    out = subprocess.run(
        [binary, "check", "--format", "json", "--select", select, "."],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    report = json.loads(out.stdout)
    found = collections.Counter()
    for d in report["diagnostics"]:
        if d["severity"] != "info" or d["rule"] == "parse-error":
            found[(d["path"], d["rule"])] += 1
    return found


def check(binary, repo, select, fix_args):
    with tempfile.TemporaryDirectory() as scratch:
        copy = os.path.join(scratch, os.path.basename(os.path.abspath(repo)))
        # The tracked files querylint reads (`--fix-applied` needs no
        # history): sources, SQL and the files that describe a project.
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True
        ).stdout.decode().split("\0")
        os.makedirs(copy, exist_ok=True)
        for rel in filter(None, listed):
            src = os.path.join(repo, rel)
            if not os.path.isfile(src) or os.path.islink(src):
                continue
            if not rel.endswith(KEEP) and os.path.basename(rel) not in NAMES:
                continue
            dest = os.path.join(copy, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(src, dest)
        before = counts(binary, copy, select)
        fixed = subprocess.run(
            [binary, "check", "--select", select, "--fix-applied", *fix_args, "."],
            cwd=copy,
            capture_output=True,
            text=True,
        )
        summary = [l for l in fixed.stdout.splitlines() if l.startswith("Fixed")]
        after = counts(binary, copy, select)
        worse = {k: (before.get(k, 0), n) for k, n in after.items() if n > before.get(k, 0)}
        return summary, worse, fixed.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+")
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/querylint"))
    parser.add_argument("--select", default="ALL")
    args = parser.parse_args()
    bad = 0
    for repo in args.repos:
        for fix_args in (["--fix"], ["--fix", "--unsafe-fixes"]):
            summary, worse, stderr = check(args.binary, repo, args.select, fix_args)
            name = os.path.basename(os.path.abspath(repo))
            print(f"{name} {' '.join(fix_args)}: {summary[0] if summary else 'nothing fixed'}")
            for (path, rule), (b, a) in sorted(worse.items()):
                print(f"  {path}: {rule} {b} -> {a}")
                bad += 1
            for line in stderr.splitlines():
                if "unparseable" in line:
                    print(f"  {line}")
                    bad += 1
    print(f"{bad} problems")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
