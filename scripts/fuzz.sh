#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a while, one after another, each from
# a corpus seeded with the fixtures. Needs cargo-fuzz (`cargo install
# cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets it use the stable toolchain.
#
#     scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# A crash or a hang (over 10 s on one input) stops that target and leaves
# the input in fuzz/artifacts/<target>/; turn it into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sql_split extract_typescript extract_rust fix lsp)
export RUSTC_BOOTSTRAP=1

# Seeds: each fixture, with the leading byte that picks how a target reads it.
seed() { # target prefix-byte file
    local name
    name=$(basename "$3")
    mkdir -p "corpus/$1"
    { printf "\\x$(printf %02x "$2")"; cat "$3"; } > "corpus/$1/$2-$name"
}
while IFS= read -r -d '' f; do
    case "$f" in
        *.sql) seed sql_split 0 "$f"; seed sql_split 128 "$f"; seed fix 1 "$f" ;;
        *.ts|*.js|*.mjs) seed extract_typescript 0 "$f"; seed fix 2 "$f" ;;
        *.tsx|*.jsx) seed extract_typescript 1 "$f"; seed fix 3 "$f" ;;
        *.rs) mkdir -p corpus/extract_rust; cp "$f" "corpus/extract_rust/$(basename "$f")"; seed fix 4 "$f" ;;
    esac
done < <(find ../fixtures -type f -print0)
mkdir -p corpus/lsp
python3 - <<'PY'
import json
def body(m): return json.dumps(dict(jsonrpc="2.0", **m)).encode()
uri = "file:///tmp/querylint-fuzz/q.sql"
session = [
    dict(method="initialized", params={}),
    dict(method="textDocument/didOpen", params=dict(textDocument=dict(uri=uri, languageId="sql", version=1, text="SELECT * FROM t WHERE id NOT IN (SELECT x FROM u);\nCREATE INDEX i ON t (a);\n"))),
    dict(method="textDocument/didChange", params=dict(textDocument=dict(uri=uri, version=2), contentChanges=[dict(range=dict(start=dict(line=0, character=7), end=dict(line=0, character=8)), text="id")])),
    dict(id=1, method="textDocument/codeAction", params=dict(textDocument=dict(uri=uri), range=dict(start=dict(line=0, character=0), end=dict(line=1, character=0)), context=dict(diagnostics=[]))),
    dict(id=2, method="textDocument/hover", params=dict(textDocument=dict(uri=uri), position=dict(line=1, character=3))),
    dict(method="textDocument/didSave", params=dict(textDocument=dict(uri=uri))),
    dict(method="textDocument/didClose", params=dict(textDocument=dict(uri=uri))),
]
open("corpus/lsp/session", "wb").write(b"\0\0".join(body(m) for m in session))
open("corpus/lsp/raw", "wb").write(b"raw:Content-Length: 5\r\n\r\n{}{}}\0\0" + body(session[1]))
PY
# Built once, so editing the code while they run changes nothing.
cargo fuzz build
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release
for t in "${targets[@]}"; do
    start=$(date +%s)
    status=0
    mkdir -p "artifacts/$t"
    "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=4096 > "fuzz-$t.log" 2>&1 || status=$?
    echo "$t: $(( $(date +%s) - start )) s, exit $status, $(grep -o 'Done [0-9]* runs' "fuzz-$t.log" | tail -1)"
done
