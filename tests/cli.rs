//! Runs the `querylint` binary the way users do and checks what they see:
//! exit codes, the JSON report, rule selection, standard input, and bad
//! input of every kind.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{tree, with_stdin};

fn querylint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("querylint runs")
}

fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = querylint(dir, &all);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), value)
}

fn rules_of(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn lines_of(report: &Value) -> Vec<u64> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["start"]["line"].as_u64().unwrap())
        .collect()
}

fn paths_of(report: &Value) -> Vec<&str> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const BAD: &[u8] = b"SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM bans) LIMIT 5;\n";
const CLEAN: &[u8] = b"SELECT id FROM users WHERE id = $1;\n";

#[test]
fn exit_codes_say_clean_findings_or_error() {
    let dir = tree(&[("clean/a.sql", CLEAN), ("bad/b.sql", BAD)]);
    assert_eq!(
        querylint(dir.path(), &["check", "clean"]).status.code(),
        Some(0)
    );
    assert_eq!(
        querylint(dir.path(), &["check", "bad"]).status.code(),
        Some(1)
    );
    let missing = querylint(dir.path(), &["check", "nowhere"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("nowhere"), "{}", stderr(&missing));
    let unknown = querylint(dir.path(), &["check", "--select", "no-such-rule", "bad"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no-such-rule"));
    assert_eq!(
        querylint(dir.path(), &["check", "--format", "xml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = tree(&[("q.sql", BAD)]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["version"], 1);
    let d = &report["diagnostics"][0];
    assert_eq!(d["rule"], "not-in-subquery");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "q.sql");
    // `id NOT IN` starts at column 28 and ends before column 37.
    assert_eq!(d["start"], serde_json::json!({"line": 1, "column": 28}));
    assert_eq!(d["end"], serde_json::json!({"line": 1, "column": 37}));
    assert!(d["message"].as_str().unwrap().contains("NULL"));
    assert!(d["help"].as_str().unwrap().contains("NOT EXISTS"));
    assert_eq!(d["fix"]["safety"], "unsafe");
    assert_eq!(d["fix"]["edits"][0]["start"]["column"], 28);
    assert!(
        d["fix"]["edits"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("NOT EXISTS (SELECT 1 FROM bans WHERE bans.user_id = users.id)")
    );
    assert_eq!(d["labels"][0]["start"]["column"], 39);
    let summary = &report["summary"];
    assert_eq!(summary["files_linted"], 1);
    assert_eq!(summary["diagnostics"], 1);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["by_rule"]["not-in-subquery"], 1);
}

#[test]
fn an_injection_is_reported_by_default_and_names_where_the_value_comes_from() {
    // The issue's new-user case: `?? ''` keeps the request's value, and the
    // value reaches the sink through a helper of the file.
    let dir = tree(&[(
        "app/search/route.ts",
        b"import { PrismaClient } from '@prisma/client';\n\
const prisma = new PrismaClient();\n\
async function search(term: string, sort: string) {\n\
  return prisma.$queryRawUnsafe(`SELECT id FROM items WHERE name ILIKE '%${term}%' ORDER BY ${sort} LIMIT 20`);\n\
}\n\
export async function GET(request: Request) {\n\
  const searchParams = new URL(request.url).searchParams;\n\
  const q = searchParams.get('q') ?? '';\n\
  return Response.json(await search(q, 'name'));\n\
}\n",
    )]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    let found: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "interpolated-sql")
        .collect();
    // `term` is request data; `sort` is only ever the literal 'name'.
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["start"]["line"], 4);
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Request data")
    );
    let labels: Vec<&str> = found[0]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        labels.iter().any(|l| l.contains("searchParams.get('q')")),
        "{labels:?}"
    );
}

#[test]
fn a_fix_is_carried_in_json_with_its_safety_and_edits() {
    let dir = tree(&[("q.sql", b"SELECT id FROM t WHERE a = NULL AND id = 1;\n")]);
    let (_, report) = json(dir.path(), &[]);
    let fix = &report["diagnostics"][0]["fix"];
    assert_eq!(fix["safety"], "unsafe");
    assert_eq!(fix["edits"][0]["content"], "IS NULL");
    assert_eq!(fix["edits"][0]["start"]["column"], 26);
    assert_eq!(fix["edits"][0]["end"]["column"], 32);
}

#[test]
fn select_extend_select_and_ignore_choose_the_rules() {
    let sql = b"SELECT * FROM users WHERE name LIKE '%a' ORDER BY random() LIMIT 5;\n";
    let dir = tree(&[("q.sql", sql)]);
    let (_, all_default) = json(dir.path(), &[]);
    let mut rules = rules_of(&all_default);
    rules.sort();
    assert_eq!(
        rules,
        ["leading-wildcard-like", "order-by-random"],
        "unbounded-select is off by default"
    );
    let (_, only) = json(dir.path(), &["--select", "order-by-random"]);
    assert_eq!(rules_of(&only), ["order-by-random"]);
    let (_, by_category) = json(
        dir.path(),
        &["--select", "performance", "--ignore", "unbounded-select"],
    );
    assert_eq!(
        rules_of(&by_category),
        ["leading-wildcard-like", "order-by-random"]
    );
    let (_, extended) = json(
        dir.path(),
        &["--extend-select", "select-star", "--ignore", "performance"],
    );
    assert_eq!(rules_of(&extended), ["select-star"]);
    let (code, none) = json(dir.path(), &["--ignore", "ALL"]);
    assert_eq!((code, rules_of(&none).len()), (0, 0));
}

#[test]
fn stdin_is_linted_under_the_given_name() {
    let dir = tree(&[]);
    let out = with_stdin(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "queries/report.sql",
            "--format",
            "json",
        ],
        BAD,
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["diagnostics"][0]["path"], "queries/report.sql");
    // Under a migrations folder the name makes it a migration.
    let out = with_stdin(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "migrations/1.sql",
            "--format",
            "json",
        ],
        b"DELETE FROM sessions;",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn binary_non_utf8_and_oversized_files_are_skipped_with_a_warning() {
    let dir = tree(&[
        ("a_binary.sql", b"SELECT \0\x01\x02"),
        ("b_latin1.sql", b"SELECT 'caf\xe9' FROM t;"),
        ("c_bad.sql", BAD),
        ("d_big.sql", &[b' '; 4096]),
    ]);
    let out = querylint(
        dir.path(),
        &["check", "--max-file-size", "1000", "--format", "json", "."],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the run goes on after skipped files"
    );
    let err = stderr(&out);
    assert!(
        err.contains("a_binary.sql") && err.contains("binary"),
        "{err}"
    );
    assert!(
        err.contains("b_latin1.sql") && err.contains("UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("d_big.sql") && err.contains("--max-file-size"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 3, "one line per skipped file: {err}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["files_skipped"], 3);
    assert_eq!(report["summary"]["files_linted"], 1);
}

#[test]
fn test_code_gets_no_rules_for_the_sql_an_application_runs_unless_asked() {
    let app = b"export const all = (db) => db.query(`SELECT id FROM users`);\n\
export const none = (db) => db.query(`SELECT id FROM users WHERE team_id = NULL LIMIT 5`);\n";
    let dir = tree(&[
        ("src/users.ts", app),
        ("src/users.test.ts", app),
        ("src/__tests__/users.ts", app),
        // A harness the tests drive.
        ("src/testing/harness.ts", app),
        ("src/test-utils/instance.ts", app),
        ("e2e/users.spec.ts", app),
        // A folder that names a dialect too.
        ("tests/mysql/users.test.ts", app),
    ]);
    let rules_by_file = |args: &[&str]| {
        let out = querylint(dir.path(), args);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut found: Vec<(String, String)> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["path"].as_str().unwrap().replace('\\', "/"),
                    d["rule"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let found = rules_by_file(&[
        "check",
        "--extend-select",
        "unbounded-select",
        "--format",
        "json",
        ".",
    ]);
    // Correctness rules too stay out of tests: a test compares with NULL
    // and empties tables to check what the application does with them.
    let expected: Vec<(String, String)> = [
        ("src/users.ts", "null-comparison"),
        ("src/users.ts", "unbounded-select"),
    ]
    .iter()
    .map(|(p, r)| (p.to_string(), r.to_string()))
    .collect();
    assert_eq!(found, expected);
    let all = rules_by_file(&[
        "check",
        "--extend-select",
        "unbounded-select",
        "--lint-tests",
        "--format",
        "json",
        ".",
    ]);
    assert_eq!(
        all.iter().filter(|(_, r)| r == "unbounded-select").count(),
        7,
        "{all:?}"
    );
    std::fs::write(
        dir.path().join("querylint.toml"),
        "extend-select = [\"unbounded-select\"]\nlint-tests = true\n",
    )
    .unwrap();
    assert_eq!(rules_by_file(&["check", "--format", "json", "."]), all);
}

#[test]
fn files_over_the_time_budget_are_skipped_and_left_unfixed() {
    let index = b"CREATE INDEX users_email ON users (email);\n";
    let dir = tree(&[
        ("queries.sql", b"SELECT * FROM users WHERE id NOT IN (SELECT user_id FROM bans);"),
        ("migrations/0001_index.sql", index),
        ("src/app.ts", b"export const q = (db) => db.query(`SELECT * FROM users`);\n"),
        ("src/main.rs", b"async fn f(p: &sqlx::PgPool) { sqlx::query(\"DELETE FROM users\").execute(p).await; }\n"),
    ]);
    // A microsecond: no file with SQL in it is done in time.
    let out = querylint(
        dir.path(),
        &[
            "check",
            "--file-timeout",
            "0.000001",
            "--fix",
            "--format",
            "json",
            ".",
        ],
    );
    let err = stderr(&out);
    for file in ["queries.sql", "0001_index.sql", "app.ts", "main.rs"] {
        assert!(
            err.lines()
                .any(|l| l.contains(file) && l.contains("--file-timeout")),
            "{file}: {err}"
        );
    }
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["files_skipped"], 4, "{report}");
    assert_eq!(report["summary"]["fixed"], 0);
    assert_eq!(
        std::fs::read(dir.path().join("migrations/0001_index.sql")).unwrap(),
        index
    );
    // The flag is checked; the configuration takes it too.
    let out = querylint(dir.path(), &["check", "--file-timeout", "-1", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("querylint.toml"),
        "file-timeout = 0.000001\n",
    )
    .unwrap();
    let out = querylint(dir.path(), &["check", "--format", "json", "."]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["files_skipped"], 4, "{report}");
}

#[test]
fn broken_sql_gives_notes_and_never_a_crash() {
    let deep = format!("SELECT {}1{};\n", "(".repeat(20_000), ")".repeat(20_000));
    let deep_subquery = format!(
        "SELECT {} 1 {};\n",
        "(SELECT".repeat(3_000),
        ")".repeat(3_000)
    );
    let dir = tree(&[
        ("empty.sql", b""),
        ("deep.sql", deep.as_bytes()),
        ("deep_subquery.sql", deep_subquery.as_bytes()),
        ("string.sql", b"SELECT 1;\nSELECT 'never closed FROM t;\n"),
        (
            "dollar.sql",
            b"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1;\n",
        ),
        ("comment.sql", b"SELECT 1; /* never closed"),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 0, "notes do not fail the run: {report}");
    let diags = report["diagnostics"].as_array().unwrap();
    let mut paths: Vec<&str> = diags.iter().map(|d| d["path"].as_str().unwrap()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "comment.sql",
            "deep.sql",
            "deep_subquery.sql",
            "dollar.sql",
            "string.sql"
        ]
    );
    assert!(
        diags
            .iter()
            .all(|d| d["rule"] == "parse-error" && d["severity"] == "info")
    );
    let string = diags.iter().find(|d| d["path"] == "string.sql").unwrap();
    assert_eq!(string["start"]["line"], 2);
    assert_eq!(report["summary"]["files_linted"], 6);
}

#[test]
fn deeply_nested_rust_and_typescript_are_a_note_or_linted_never_a_crash() {
    let rust = |body: &str| {
        format!(
            "async fn f(p: &sqlx::PgPool) {{ sqlx::query(\"SELECT 1\").execute(p).await; let x = {body}; }}\n"
        )
    };
    let brackets = rust(&format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000)));
    let chain = rust(&format!("a{}", ".f()".repeat(50_000)));
    let unary = rust(&format!("{}1", "-".repeat(50_000)));
    let ts = format!(
        "const q = sql`SELECT 1`;\nconst x = {}1{};\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let dir = tree(&[
        ("src/brackets.rs", brackets.as_bytes()),
        ("src/chain.rs", chain.as_bytes()),
        ("src/unary.rs", unary.as_bytes()),
        ("src/deep.ts", ts.as_bytes()),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["files_linted"], 4, "{report}");
    let notes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "parse-error")
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    for file in ["src/brackets.rs", "src/chain.rs", "src/unary.rs"] {
        assert!(notes.contains(&file), "{file}: {report}");
    }
}

#[test]
fn columns_are_right_with_crlf_and_non_ascii_text() {
    let sql = "-- é\r\nSELECT \"prénom\", 'ü' FROM clients WHERE nom LIKE '%é' LIMIT 3;\r\n";
    let dir = tree(&[("q.sql", sql.as_bytes())]);
    let (_, report) = json(dir.path(), &[]);
    let d = &report["diagnostics"][0];
    assert_eq!(d["rule"], "leading-wildcard-like");
    // Counted in characters: `'%é'` starts at column 50 of line 2.
    assert_eq!(d["start"], serde_json::json!({"line": 2, "column": 50}));
    assert_eq!(d["end"], serde_json::json!({"line": 2, "column": 54}));
    // A lone CR ends a line too.
    let dir = tree(&[("q.sql", b"SELECT 1;\rSELECT a FROM t WHERE b = NULL;\r")]);
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(
        report["diagnostics"][0]["start"],
        serde_json::json!({"line": 2, "column": 25})
    );
}

#[test]
fn human_report_underlines_the_code_and_points_to_explain() {
    let dir = tree(&[("q.sql", BAD)]);
    let out = querylint(dir.path(), &["check", "--no-color"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not-in-subquery"), "{text}");
    assert!(text.contains("q.sql:1:28"), "{text}");
    assert!(text.contains("─────────"), "underline: {text}");
    assert!(text.contains("querylint explain not-in-subquery"), "{text}");
    assert!(
        text.contains("Found 1 problem (1 error) in 1 of 1 file checked."),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no color codes with --no-color");
    let clean = tree(&[("q.sql", CLEAN)]);
    let out = querylint(clean.path(), &["check"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no problems in 1 file"));
}

#[test]
fn walk_respects_gitignore_hidden_files_and_excludes_and_is_sorted() {
    let dir = tree(&[
        (".gitignore", b"generated/\n"),
        ("generated/x.sql", BAD),
        (".hidden/y.sql", BAD),
        ("node_modules/pkg/z.sql", BAD),
        ("skip_me/w.sql", BAD),
        ("b/2.sql", BAD),
        ("a/1.sql", BAD),
        ("notes.txt", BAD),
    ]);
    let (_, report) = json(dir.path(), &["--exclude", "skip_me"]);
    let paths = paths_of(&report);
    assert_eq!(paths, ["a/1.sql", "b/2.sql"]);
    // A file named on the command line is linted even if ignored.
    let (_, report) = json(dir.path(), &["generated/x.sql"]);
    assert_eq!(report["summary"]["files_linted"], 1);
}

#[test]
fn checking_writes_nothing() {
    let dir = tree(&[("q.sql", BAD), ("sub/r.sql", CLEAN)]);
    let snapshot = |p: &Path| {
        let mut v = Vec::new();
        for e in std::fs::read_dir(p).unwrap() {
            let e = e.unwrap();
            v.push((e.path(), e.metadata().unwrap().modified().unwrap()));
        }
        v.sort();
        v
    };
    let before = (snapshot(dir.path()), snapshot(&dir.path().join("sub")));
    querylint(dir.path(), &["check"]);
    querylint(dir.path(), &["check", "--format", "json"]);
    assert_eq!(
        before,
        (snapshot(dir.path()), snapshot(&dir.path().join("sub")))
    );
    assert_eq!(std::fs::read(dir.path().join("q.sql")).unwrap(), BAD);
}

#[test]
fn rules_and_explain_describe_every_rule() {
    let dir = tree(&[]);
    let out = querylint(dir.path(), &["rules"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for rule in querylint::rules::RULES {
        let line = text.lines().find(|l| l.starts_with(rule.id)).unwrap();
        assert!(line.contains(rule.category.as_str()) && line.contains(rule.summary()));
        assert!(line.contains(if rule.default_enabled {
            " on "
        } else {
            " off "
        }));
    }
    let out = querylint(dir.path(), &["explain", "unbounded-select"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("## Why is this bad?"));
    assert_eq!(
        querylint(dir.path(), &["explain", "nope"]).status.code(),
        Some(2)
    );
}

#[test]
fn a_finding_far_along_one_long_line_is_shown_with_its_real_column() {
    // Minified SQL: one line, the finding past column 70,000.
    let mut sql = "SELECT 1;".repeat(8_000);
    let col = sql.chars().count() + 1;
    sql.push_str("DELETE FROM carts;");
    sql.push_str(&" SELECT 2;".repeat(100));
    let dir = tree(&[("q.sql", sql.as_bytes())]);
    let out = querylint(
        dir.path(),
        &[
            "check",
            "--no-color",
            "--extend-select",
            "delete-without-where",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("q.sql:1:{col}")),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(text.contains("DELETE FROM carts"));
    assert!(
        text.lines().all(|l| l.chars().count() < 1000),
        "the snippet is clipped"
    );
}

#[test]
fn human_columns_count_characters_like_json() {
    let dir = tree(&[(
        "q.sql",
        "SELECT é, ü FROM t WHERE a = NULL AND id = 1;\n".as_bytes(),
    )]);
    let out = querylint(dir.path(), &["check", "--no-color"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("q.sql:1:28"));
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(report["diagnostics"][0]["start"]["column"], 28);
}

#[test]
fn the_postgres_version_changes_what_a_default_costs() {
    let dir = tree(&[(
        "migrations/0001_add.sql",
        b"ALTER TABLE orders ADD COLUMN plan text NOT NULL DEFAULT 'free';\n",
    )]);
    let select = ["--select", "add-column-volatile-default"];
    let (_, modern) = json(dir.path(), &select);
    assert!(rules_of(&modern).is_empty());
    let mut old = select.to_vec();
    old.extend(["--postgres-version", "10"]);
    let (code, old) = json(dir.path(), &old);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&old), vec!["add-column-volatile-default"]);
    let out = querylint(dir.path(), &["check", "--postgres-version", "abc"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_transaction_mode_can_be_overridden() {
    let dir = tree(&[(
        "migrations/0001_index.sql",
        b"CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a);\n",
    )]);
    let select = ["--select", "concurrently-in-transaction"];
    let (_, plain) = json(dir.path(), &select);
    assert!(
        rules_of(&plain).is_empty(),
        "a plain folder runs without a transaction"
    );
    let mut always = select.to_vec();
    always.extend(["--migration-transactions", "always"]);
    let (_, wrapped) = json(dir.path(), &always);
    assert_eq!(rules_of(&wrapped), vec!["concurrently-in-transaction"]);
}

#[test]
fn a_migration_given_alone_or_on_stdin_is_linted_after_its_history() {
    let dir = tree(&[
        (
            "migrations/0001_init.sql",
            b"CREATE TABLE orders (id bigint PRIMARY KEY, note text);\n",
        ),
        (
            "migrations/0002_index.sql",
            b"CREATE TABLE items (id bigint PRIMARY KEY);\nCREATE INDEX items_id_idx ON items (id);\nCREATE INDEX orders_note_idx ON orders (note);\n",
        ),
    ]);
    let select = ["--select", "create-index-non-concurrently"];
    let mut alone = select.to_vec();
    alone.push("migrations/0002_index.sql");
    let (_, report) = json(dir.path(), &alone);
    let lines = lines_of(&report);
    assert_eq!(lines, vec![3], "only the index on the older table");

    // An editor sends the unsaved text of a new migration.
    let out = with_stdin(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--select",
            "create-index-non-concurrently,drop-table",
            "--stdin-filename",
            "migrations/0003_new.sql",
        ],
        b"DROP TABLE items;\n",
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules_of(&report), vec!["drop-table"]);
    assert_eq!(report["diagnostics"][0]["path"], "migrations/0003_new.sql");
}

#[test]
fn migrations_for_another_database_get_no_postgres_lock_rules() {
    let dir = tree(&[
        (
            "m/migrations/20190101000000_users.mysql.up.sql",
            b"ALTER TABLE users ADD COLUMN name varchar(20) NOT NULL;\n",
        ),
        (
            "m/migrations/20190101000000_users.postgres.up.sql",
            b"ALTER TABLE users ADD COLUMN name text NOT NULL;\n",
        ),
        (
            "prisma/migrations/migration_lock.toml",
            b"provider = \"sqlite\"\n",
        ),
        (
            "prisma/migrations/20240101_init/migration.sql",
            b"CREATE INDEX \"User_name_idx\" ON \"User\"(\"name\");\n",
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "migration"]);
    let paths = paths_of(&report);
    assert!(paths.iter().all(|p| p.contains(".postgres.")), "{paths:?}");
    assert!(!paths.is_empty());
}

#[test]
fn diesel_flyway_and_popx_say_when_a_migration_runs_without_a_transaction() {
    let index = b"CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n".as_slice();
    let dir = tree(&[
        ("diesel/migrations/2024-01-01-000000_wrapped/up.sql", index),
        ("diesel/migrations/2024-01-02-000000_bare/up.sql", index),
        (
            "diesel/migrations/2024-01-02-000000_bare/metadata.toml",
            b"run_in_transaction = false\n",
        ),
        // Flyway runs a migration with a concurrent build outside a
        // transaction by itself.
        ("flyway/sql/V1__index.sql", index),
        ("popx/migrations/20240101000000_a.postgres.up.sql", index),
        (
            "popx/migrations/20240102000000_b.postgres.autocommit.up.sql",
            index,
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "concurrently-in-transaction"]);
    let paths = paths_of(&report);
    assert_eq!(
        paths,
        vec![
            "diesel/migrations/2024-01-01-000000_wrapped/up.sql",
            "popx/migrations/20240101000000_a.postgres.up.sql"
        ]
    );
}

#[test]
fn set_not_null_uses_a_validated_check_only_from_postgres_12() {
    let dir = tree(&[(
        "migrations/0001_nn.sql",
        b"ALTER TABLE orders ADD CONSTRAINT c CHECK (note IS NOT NULL) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n",
    )]);
    let (_, modern) = json(dir.path(), &["--select", "set-not-null"]);
    assert!(rules_of(&modern).is_empty());
    let (_, old) = json(
        dir.path(),
        &["--select", "set-not-null", "--postgres-version", "11"],
    );
    assert_eq!(rules_of(&old), vec!["set-not-null"]);
}

#[test]
fn findings_in_typescript_templates_land_on_the_right_line_and_column() {
    // CRLF line endings and multi-byte characters before the finding, both
    // in the host file and inside the template.
    let src = "// Café de l'été\r\nimport { sql } from '@vercel/postgres';\r\nconst ünï = 1;\r\nexport const q = () => sql`\r\n  SELECT id FROM orders -- 😀 é\r\n  WHERE status NOT IN (SELECT s FROM bad) LIMIT ${ünï}`;\r\n";
    let dir = tree(&[("src/orders.ts", src.as_bytes())]);
    let (code, report) = json(dir.path(), &["--select", "not-in-subquery"]);
    assert_eq!(code, 1);
    let d = &report["diagnostics"][0];
    assert_eq!(d["rule"], "not-in-subquery");
    assert_eq!(d["start"]["line"], 6);
    // The finding starts at `status`; columns count characters from 1.
    assert_eq!(d["start"]["column"], 9);
    assert_eq!(d["end"]["line"], 6);
}

#[test]
fn typescript_and_javascript_files_are_linted_and_other_files_cost_nothing() {
    let dir = tree(&[
        (
            "app/db.mjs",
            b"import postgres from 'postgres';\nconst sql = postgres(process.env.DB);\nexport const all = () => sql`SELECT * FROM users WHERE deleted_at = NULL`;\n",
        ),
        ("app/math.ts", b"export const add = (a: number, b: number) => a + b;\n"),
        // A syntax error further down leaves the sound part linted.
        (
            "app/broken.ts",
            b"const x = await db.query(`SELECT 1 FROM t WHERE a = NULL`);\nfunction (\n{{ <<\n",
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "null-comparison"]);
    let paths = paths_of(&report);
    assert_eq!(paths, vec!["app/broken.ts", "app/db.mjs"]);
    assert_eq!(report["summary"]["files_linted"], 3);
}

#[test]
fn deeply_nested_typescript_is_linted_without_a_crash() {
    let depth = 20_000;
    let src = format!(
        "import {{ Pool }} from 'pg';\nconst pool = new Pool();\nexport const x = {}1{};\nexport const y = pool.query(`SELECT a FROM t WHERE b = NULL AND c = ${{{}d{}}}`);\n",
        "(".repeat(depth),
        ")".repeat(depth),
        "e ? ".repeat(depth),
        " : f".repeat(depth),
    );
    let dir = tree(&[("src/deep.ts", src.as_bytes())]);
    let (code, report) = json(dir.path(), &["--select", "null-comparison"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(rules_of(&report), vec!["null-comparison"]);
}

#[test]
fn a_client_exported_by_one_module_is_a_client_where_it_is_imported() {
    let dir = tree(&[
        (
            "src/lib/store.ts",
            b"import { drizzle } from 'drizzle-orm/node-postgres';\nexport const store = drizzle(process.env.DATABASE_URL!);\n",
        ),
        (
            "src/routes/purge.ts",
            b"import { store } from '../lib/store';\nexport const purge = () => store.execute('DELETE FROM sessions');\n",
        ),
        (
            "src/routes/cache.ts",
            b"import { cache } from '../lib/cache';\nexport const purge = () => cache.execute('DELETE FROM sessions');\n",
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "delete-without-where"]);
    assert_eq!(paths_of(&report), vec!["src/routes/purge.ts"]);
}

#[test]
fn a_nested_to_many_read_without_take_is_unbounded() {
    let dir = tree(&[
        (
            "prisma/schema.prisma",
            b"model User {\n  id    String @id\n  posts Post[]\n  team  Team?  @relation(fields: [teamId], references: [id])\n  teamId String?\n}\n",
        ),
        (
            "src/users.ts",
            b"import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport const a = () => prisma.user.findMany({ take: 10, include: { posts: true, team: true } });\nexport const b = () => prisma.user.findMany({ take: 10, include: { posts: { take: 5 } } });\n",
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "unbounded-select"]);
    let lines = lines_of(&report);
    assert_eq!(lines, vec![3], "{report}");
    assert!(
        report["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`posts`")
    );
}

#[test]
fn a_query_function_of_another_file_called_in_a_loop_is_n_plus_one() {
    let dir = tree(&[
        (
            "src/lib/db.ts",
            b"import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        ),
        (
            "src/lib/orders.ts",
            b"import { prisma } from './db';\n\nexport async function ordersOf(customerId: string) {\n  return prisma.order.findMany({ where: { customerId }, take: 50 });\n}\n\nexport const formatTotal = (cents: number) => `${cents / 100} EUR`;\n",
        ),
        // A barrel that re-exports the module, and a default export.
        ("src/lib/index.ts", b"export * from './orders';\n"),
        (
            "src/lib/invoice.ts",
            b"import { prisma } from './db';\nexport default async function invoiceFor(id: string) {\n  return prisma.invoice.findUnique({ where: { id } });\n}\n",
        ),
        // No word here says "database": the calls are what matter.
        (
            "src/pages/report.tsx",
            "import { ordersOf, formatTotal } from '../lib';\nimport * as orders from '@/lib/orders';\nimport invoiceFor from '../lib/invoice.js';\n\n// Résumé des clients\nexport async function Report({ searchParams }: { searchParams: { customers: string[] } }) {\n  const customers = searchParams.customers;\n  for (const c of customers) {\n    await ordersOf(c);\n    formatTotal(3);\n  }\n  await Promise.all(customers.map((c) => orders.ordersOf(c)));\n  const ids = customers.map((c) => invoiceFor(c));\n  return ids.length;\n}\n"
                .as_bytes(),
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "n-plus-one"]);
    assert_eq!(
        paths_of(&report),
        vec!["src/pages/report.tsx"; 3],
        "{report}"
    );
    assert_eq!(lines_of(&report), vec![9, 12, 13]);
    let messages: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].starts_with("`ordersOf` runs `prisma.order.findMany`"));
    assert!(messages[1].starts_with("`orders.ordersOf` runs `prisma.order.findMany`"));
    assert!(messages[2].starts_with("`invoiceFor` runs `prisma.invoice.findUnique`"));
    // The finding underlines the callee, columns counted in characters.
    assert_eq!(
        report["diagnostics"][0]["start"],
        serde_json::json!({"line": 9, "column": 11})
    );
}

#[test]
fn a_function_that_runs_no_query_is_not_n_plus_one_in_a_loop() {
    let dir = tree(&[
        (
            "src/lib/orders.ts",
            b"import { prisma } from './db';\nexport function cacheKey(id: string) {\n  return `orders:${id}`;\n}\nexport async function ordersOf(id: string) {\n  for (const x of [1]) { await prisma.order.findMany({ where: { id }, take: 1 }); }\n}\n",
        ),
        (
            "src/jobs/warm.ts",
            b"import { cacheKey } from '../lib/orders';\nimport { ordersOf } from 'some-package/orders';\nexport function warm(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) { cacheKey(id); ordersOf(id); }\n}\n",
        ),
    ]);
    let (code, report) = json(dir.path(), &["--select", "n-plus-one"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn clients_re_exported_under_another_name_resolve() {
    let dir = tree(&[
        (
            "src/server/db/client.ts",
            b"import postgres from 'postgres';\nimport { drizzle } from 'drizzle-orm/postgres-js';\nconst conn = postgres(process.env.URL!);\nexport const store = drizzle(conn);\n",
        ),
        (
            "src/server/db/index.ts",
            b"export { store as warehouse } from './client';\n",
        ),
        (
            "src/routes/purge.ts",
            b"import { warehouse } from '../server/db';\nexport const purge = () => warehouse.execute('DELETE FROM sessions');\n",
        ),
    ]);
    let (_, report) = json(dir.path(), &["--select", "delete-without-where"]);
    assert_eq!(paths_of(&report), vec!["src/routes/purge.ts"], "{report}");
}

#[test]
fn a_folder_named_by_sqlx_migrate_holds_migrations() {
    let files: &[(&str, &[u8])] = &[
        ("Cargo.toml", b"[package]\nname = \"api\"\n"),
        (
            "src/main.rs",
            b"#[tokio::main]\nasync fn main() {\n    let pool = sqlx::PgPool::connect(\"postgres://\").await.unwrap();\n    sqlx::migrate!(\"./db/schema\").run(&pool).await.unwrap();\n}\n",
        ),
        ("db/schema/1_init.sql", b"CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n"),
        ("db/schema/2_index.sql", b"CREATE INDEX notes_body ON notes (body);\n"),
        // The same files where no `migrate!` names the folder: plain SQL.
        ("other/1_init.sql", b"CREATE TABLE notes (id bigint PRIMARY KEY, body text);\n"),
        ("other/2_index.sql", b"CREATE INDEX notes_body ON notes (body);\n"),
    ];
    let dir = tree(files);
    let (_, report) = json(dir.path(), &["--select", "create-index-non-concurrently"]);
    assert_eq!(paths_of(&report), vec!["db/schema/2_index.sql"], "{report}");
}

#[test]
fn sql_run_by_query_file_is_linted_in_its_file_as_the_calls_fetch_it() {
    let files: &[(&str, &[u8])] = &[
        ("Cargo.toml", b"[package]\nname = \"api\"\n"),
        (
            "src/reports.rs",
            b"pub async fn totals(pool: &sqlx::PgPool) -> sqlx::Result<Vec<Total>> {\n    sqlx::query_file_as!(Total, \"queries/totals.sql\").fetch_all(pool).await\n}\n\npub async fn latest(pool: &sqlx::PgPool) -> sqlx::Result<Invoice> {\n    sqlx::query_file_as!(Invoice, \"queries/latest.sql\").fetch_one(pool).await\n}\n\npub async fn refresh(pool: &sqlx::PgPool, ids: &[i64]) -> sqlx::Result<()> {\n    for id in ids {\n        sqlx::query_file!(\"queries/touch.sql\", id).execute(pool).await?;\n    }\n    Ok(())\n}\n",
        ),
        // Read with `fetch_all`: every invoice comes back.
        ("queries/totals.sql", b"SELECT customer_id, amount\nFROM invoices;\n"),
        // Read with `fetch_one`: one row, whatever the query says.
        ("queries/latest.sql", b"SELECT id, amount FROM invoices ORDER BY id DESC;\n"),
        ("queries/touch.sql", b"UPDATE invoices SET seen = now() WHERE id = $1;\n"),
    ];
    let dir = tree(files);
    let (_, report) = json(dir.path(), &["--select", "unbounded-select,n-plus-one"]);
    let found: Vec<(String, String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = d["path"].as_str().unwrap().to_owned();
            let rule = d["rule"].as_str().unwrap().to_owned();
            (path, rule, d["start"]["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "queries/totals.sql".to_owned(),
                "unbounded-select".to_owned(),
                1
            ),
            ("src/reports.rs".to_owned(), "n-plus-one".to_owned(), 11),
        ],
        "{report}"
    );

    // Linting only the Rust file still lints the files it runs.
    let (_, report) = json(
        dir.path(),
        &["--select", "unbounded-select", "src/reports.rs"],
    );
    assert_eq!(paths_of(&report), vec!["queries/totals.sql"], "{report}");
    // A query file the walk excludes stays excluded.
    let (_, report) = json(
        dir.path(),
        &["--select", "unbounded-select", "--exclude", "queries/"],
    );
    assert_eq!(paths_of(&report), Vec::<&str>::new(), "{report}");
}

#[test]
fn a_loop_calling_a_query_function_of_another_file_of_the_crate_is_n_plus_one() {
    let files: &[(&str, &[u8])] = &[
        ("Cargo.toml", b"[package]\nname = \"shop\"\n"),
        (
            "src/repo.rs",
            b"pub async fn customer_by_id(pool: &sqlx::PgPool, id: i64) -> sqlx::Result<Customer> {\n    sqlx::query_as!(Customer, \"SELECT id, name FROM customers WHERE id = $1\", id)\n        .fetch_one(pool)\n        .await\n}\n\npub struct Orders { pool: sqlx::PgPool }\n\nimpl Orders {\n    pub async fn lines_of(&self, order: i64) -> sqlx::Result<Vec<Line>> {\n        sqlx::query_as!(Line, \"SELECT sku FROM order_lines WHERE order_id = $1\", order)\n            .fetch_all(&self.pool)\n            .await\n    }\n}\n\npub fn label(id: i64) -> String {\n    format!(\"customer {id}\")\n}\n",
        ),
        // Nothing here mentions a database: the queries are in `repo.rs`.
        (
            "src/jobs/invoices.rs",
            b"use crate::repo::{self, Orders};\n\npub async fn send_all(state: &State, orders: &Orders, ids: &[i64]) {\n    for id in ids {\n        let customer = repo::customer_by_id(&state.pool, *id).await;\n        let lines = orders.lines_of(*id).await;\n        let name = repo::label(*id);\n        let seen = state.seen.get(id);\n        // A setter a derive made, not the query function of that name.\n        let draft = Draft::builder().lines_of(*id).build();\n        mail(customer, lines, name, seen, draft);\n    }\n}\n",
        ),
        // A crate of its own, with a function of the same name that runs
        // no query.
        ("tools/Cargo.toml", b"[package]\nname = \"tools\"\n"),
        (
            "tools/src/main.rs",
            b"fn customer_by_id(id: i64) -> i64 { id }\n\nfn main() {\n    for id in [1, 2, 3].iter() {\n        println!(\"{}\", customer_by_id(*id));\n    }\n}\n",
        ),
    ];
    let dir = tree(files);
    let (_, report) = json(dir.path(), &["--select", "n-plus-one"]);
    let found: Vec<(&str, u64, &str)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap(),
                d["start"]["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{report}");
    assert_eq!(found[0].0, "src/jobs/invoices.rs");
    assert_eq!(found[0].1, 5);
    assert!(
        found[0]
            .2
            .contains("`customer_by_id` runs `sqlx::query_as!`"),
        "{}",
        found[0].2
    );
    assert_eq!(found[1].1, 6);
    assert!(found[1].2.contains("`lines_of`"), "{}", found[1].2);
    let help = report["diagnostics"][0]["help"].as_str().unwrap();
    assert!(help.contains("ANY($1)"), "{help}");
}

#[test]
fn suppression_comments_silence_findings_in_each_language() {
    let files: &[(&str, &[u8])] = &[
        (
            "queries/report.sql",
            b"-- querylint-ignore unbounded-select: the table holds the 50 states\nSELECT code FROM states\nORDER BY code;\nSELECT id FROM users ORDER BY id;\n",
        ),
        (
            "migrations/0001_t.sql",
            b"CREATE TABLE t (id bigint PRIMARY KEY, a int);\n",
        ),
        (
            "migrations/0002_i.sql",
            b"-- querylint-ignore-file create-index-non-concurrently: the table is empty in every deploy\nSET lock_timeout = '5s';\nCREATE INDEX t_a ON t (a);\n",
        ),
        (
            "src/sync.ts",
            b"import { db } from './db';\nexport async function sync(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) {\n    // querylint-ignore-next-line n-plus-one: at most three ids\n    await db.user.findUnique({ where: { id } });\n    await db.team.findUnique({ where: { id } });\n  }\n}\n",
        ),
    ];
    let dir = tree(files);
    let (_, report) = json(
        dir.path(),
        &["--extend-select", "unbounded-select,n-plus-one"],
    );
    let found: Vec<(String, u64, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["start"]["line"].as_u64().unwrap(),
                d["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (
                "queries/report.sql".to_owned(),
                4,
                "unbounded-select".to_owned()
            ),
            ("src/sync.ts".to_owned(), 6, "n-plus-one".to_owned()),
        ],
        "{report}"
    );
    // A silenced finding is not fixed either.
    let out = querylint(dir.path(), &["check", "--fix"]);
    assert!(out.status.code().is_some());
    let migration = std::fs::read_to_string(dir.path().join("migrations/0002_i.sql")).unwrap();
    assert!(
        migration.contains("CREATE INDEX t_a ON t (a);"),
        "{migration}"
    );
}

#[test]
fn querylint_toml_is_read_from_the_folder_upward_and_flags_override_it() {
    let files: &[(&str, &[u8])] = &[
        (
            "querylint.toml",
            b"# Lookups stay small here.\nignore = [\"unbounded-select\"]\nextend-select = [\"select-star\"]\n",
        ),
        ("app/queries/q.sql", b"SELECT * FROM users ORDER BY id;\n"),
    ];
    let dir = tree(files);
    let app = dir.path().join("app");
    let (_, report) = json(&app, &[]);
    assert_eq!(rules_of(&report), vec!["select-star"], "{report}");
    // `--select` replaces the file's choice of rules.
    let (_, report) = json(&app, &["--select", "unbounded-select"]);
    assert_eq!(rules_of(&report), vec!["unbounded-select"], "{report}");
    // `--isolated` reads no file: the defaults, which leave both off.
    let (_, report) = json(&app, &["--isolated"]);
    assert!(rules_of(&report).is_empty(), "{report}");
    // `--config` names another file.
    std::fs::write(dir.path().join("strict.toml"), "select = [\"ALL\"]\n").unwrap();
    let (_, report) = json(&app, &["--config", "../strict.toml"]);
    assert_eq!(
        rules_of(&report),
        vec!["unbounded-select", "select-star"],
        "{report}"
    );
}

#[test]
fn a_mistake_in_querylint_toml_stops_the_run_with_its_line_and_a_suggestion() {
    let dir = tree(&[
        (
            "querylint.toml",
            b"dialect = \"postgres\"\nignroe = [\"select-star\"]\n",
        ),
        ("q.sql", b"SELECT 1;\n"),
    ]);
    let out = querylint(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("querylint.toml:2: unknown key `ignroe`; did you mean `ignore`?"),
        "{err}"
    );
}

#[test]
fn a_baseline_holds_back_old_findings_even_after_lines_move() {
    let dir = tree(&[
        ("querylint.toml", b"extend-select = [\"unbounded-select\"]\n"),
        (
            "queries/report.sql",
            b"SELECT id FROM users WHERE deleted_at = NULL LIMIT 5;\nSELECT id FROM users ORDER BY id;\n",
        ),
    ]);
    let out = querylint(
        dir.path(),
        &["check", "--write-baseline", "querylint-baseline.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("Wrote 2 findings to querylint-baseline.json"));
    // Lines above the old findings, and a new finding.
    std::fs::write(
        dir.path().join("queries/report.sql"),
        "-- Reports.\n\nSELECT id FROM users WHERE deleted_at = NULL LIMIT 5;\nSELECT id FROM users ORDER BY id;\nSELECT id FROM teams WHERE owner_id <> NULL LIMIT 5;\n",
    )
    .unwrap();
    let (code, report) = json(dir.path(), &["--baseline", "querylint-baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&report), vec!["null-comparison"], "{report}");
    assert_eq!(lines_of(&report), vec![5]);
    let human = querylint(
        dir.path(),
        &["check", "--baseline", "querylint-baseline.json"],
    );
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("2 findings in the baseline not shown.")
    );
    // Fixed findings leave the baseline when it is written again.
    std::fs::write(
        dir.path().join("queries/report.sql"),
        "SELECT id FROM users ORDER BY id;\n",
    )
    .unwrap();
    querylint(
        dir.path(),
        &["check", "--write-baseline", "querylint-baseline.json"],
    );
    let written = std::fs::read_to_string(dir.path().join("querylint-baseline.json")).unwrap();
    let baseline: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        baseline["findings"].as_array().unwrap().len(),
        1,
        "{written}"
    );
    assert_eq!(baseline["findings"][0]["rule"], "unbounded-select");
    // A file that is not a baseline is an error, not an empty baseline.
    std::fs::write(dir.path().join("bad.json"), "{}").unwrap();
    let out = querylint(dir.path(), &["check", "--baseline", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.json is not a querylint baseline"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_rule_table_in_querylint_toml_sets_the_rule_s_severity_and_options() {
    let dir = tree(&[
        (
            "querylint.toml",
            b"extend-select = [\"unbounded-select\"]\n\n[rules.unbounded-select]\nseverity = \"info\"\n\n[rules.offset-pagination]\nthreshold = 100\n",
        ),
        ("q.sql", b"SELECT id FROM users ORDER BY id;\nSELECT id FROM users ORDER BY id LIMIT 10 OFFSET 500;\n"),
    ]);
    let (code, report) = json(dir.path(), &[]);
    let found: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("unbounded-select".to_owned(), "info".to_owned()),
            ("offset-pagination".to_owned(), "warning".to_owned()),
        ],
        "{report}"
    );
    assert_eq!(code, 1);
}

#[test]
fn config_show_prints_the_effective_settings_as_a_file_that_reads_back() {
    let dir = tree(&[
        ("querylint.toml", b"ignore = [\"migration\"]\npostgres-version = 16\n\n[rules.n-plus-one]\nseverity = \"error\"\n\n[rules.offset-pagination]\npage-numbers = true\n"),
        ("src/app.ts", b"export const x = 1;\n"),
    ]);
    let out = querylint(dir.path(), &["config", "--show", "src/app.ts"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("postgres-version = 16\n"), "{shown}");
    assert!(
        shown.contains("[rules.n-plus-one]\nseverity = \"error\"\n"),
        "{shown}"
    );
    assert!(
        shown.contains("[rules.offset-pagination]\npage-numbers = true\n"),
        "{shown}"
    );
    assert!(
        !shown.contains("\"create-index-non-concurrently\""),
        "{shown}"
    );
    // What it prints is a configuration that gives the same settings.
    std::fs::create_dir_all(dir.path().join("copy")).unwrap();
    std::fs::write(dir.path().join("copy/querylint.toml"), &shown).unwrap();
    let again = querylint(dir.path(), &["config", "--show", "copy"]);
    let again = String::from_utf8(again.stdout).unwrap();
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&again), body(&shown));
}

#[test]
fn the_shipped_json_schema_is_current_and_accepts_the_readme_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = querylint(root, &["config", "--schema"]);
    let generated = String::from_utf8(out.stdout).unwrap();
    let shipped = std::fs::read_to_string(root.join("querylint.schema.json")).unwrap();
    assert!(
        generated == shipped,
        "querylint.schema.json is out of date: run `querylint config --schema > querylint.schema.json`"
    );
    let schema: Value = serde_json::from_str(&shipped).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("schema.json", schema).unwrap();
    let index = compiler.compile("schema.json", &mut schemas).unwrap();
    // The README's example configuration, read as TOML.
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let example = readme
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let as_json: Value = serde_json::to_value(example.parse::<toml::Table>().unwrap()).unwrap();
    assert!(schemas.validate(&as_json, index).is_ok(), "{as_json}");
    let wrong = serde_json::json!({ "selct": ["ALL"] });
    assert!(schemas.validate(&wrong, index).is_err());
    let wrong = serde_json::json!({ "rules": { "select-star": { "severity": "fatal" } } });
    assert!(schemas.validate(&wrong, index).is_err());
}

#[test]
fn overrides_change_the_rules_and_severities_of_the_files_they_match() {
    let dir = tree(&[
        (
            "querylint.toml",
            b"extend-select = [\"unbounded-select\"]\n\n[[overrides]]\nfiles = [\"scripts/**\", \"migrations/0002_*.sql\"]\nignore = [\"unbounded-select\", \"create-index-non-concurrently\"]\nextend-select = [\"select-star\"]\n\n[overrides.rules.null-comparison]\nseverity = \"info\"\n",
        ),
        ("app/q.sql", b"SELECT id FROM users ORDER BY id;\nSELECT id FROM users WHERE a = NULL LIMIT 1;\n"),
        ("scripts/q.sql", b"SELECT * FROM users ORDER BY id;\nSELECT id FROM users WHERE a = NULL LIMIT 1;\n"),
        ("scripts/report.ts", b"import { Pool } from 'pg';\nconst pool = new Pool();\nexport const all = () => pool.query('SELECT id FROM users ORDER BY id');\n"),
        ("migrations/0001_t.sql", b"CREATE TABLE t (id bigint PRIMARY KEY, a int);\n"),
        ("migrations/0002_i.sql", b"SET lock_timeout = '5s';\nCREATE INDEX t_a ON t (a);\n"),
    ]);
    let (_, report) = json(dir.path(), &[]);
    let found: Vec<(String, String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["rule"].as_str().unwrap().to_owned(),
                d["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let s = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        found,
        vec![
            s("app/q.sql", "unbounded-select", "warning"),
            s("app/q.sql", "null-comparison", "error"),
            s("scripts/q.sql", "select-star", "warning"),
            s("scripts/q.sql", "null-comparison", "info"),
        ],
        "{report}"
    );
}

#[test]
fn migrations_globs_make_sql_files_migrations() {
    let files: &[(&str, &[u8])] = &[
        ("querylint.toml", b"migrations = [\"db/changes/*.sql\"]\n"),
        (
            "db/changes/a-users.sql",
            b"CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
        ),
        (
            "db/changes/b-email.sql",
            b"SET lock_timeout = '5s';\nCREATE INDEX users_email ON users (email);\n",
        ),
    ];
    let dir = tree(files);
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(
        rules_of(&report),
        vec!["create-index-non-concurrently"],
        "{report}"
    );
    assert_eq!(paths_of(&report), vec!["db/changes/b-email.sql"]);
    // Without the setting they are plain SQL files: no migration rules.
    let (_, report) = json(dir.path(), &["--isolated"]);
    assert_eq!(rules_of(&report), Vec::<String>::new(), "{report}");
}

#[test]
fn a_folder_per_migration_file_given_from_its_own_folder_has_its_history() {
    let dir = tree(&[
        (
            "prisma/migrations/20240101000000_init/migration.sql",
            b"CREATE TABLE \"Order\" (\"id\" BIGSERIAL PRIMARY KEY, \"status\" TEXT NOT NULL);\n",
        ),
        (
            "prisma/migrations/20240201000000_idx/migration.sql",
            b"CREATE INDEX \"Order_status_idx\" ON \"Order\"(\"status\");\n",
        ),
    ]);
    let inside = dir.path().join("prisma/migrations/20240201000000_idx");
    let select = "create-index-non-concurrently";
    for args in [
        vec!["--select", select, "migration.sql"],
        vec!["--select", select, "./migration.sql"],
        vec!["--select", select, "../20240201000000_idx/migration.sql"],
    ] {
        let (_, report) = json(&inside, &args);
        assert_eq!(rules_of(&report), vec![select], "{args:?}: {report}");
    }
    let text = std::fs::read(inside.join("migration.sql")).unwrap();
    let out = with_stdin(
        &inside,
        &[
            "check",
            "--format",
            "json",
            "--select",
            select,
            "--stdin-filename",
            "migration.sql",
        ],
        &text,
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules_of(&report), vec![select], "{report}");
    assert_eq!(report["diagnostics"][0]["path"], "migration.sql");
}

#[test]
fn each_file_gets_the_nearest_configuration_however_it_is_linted() {
    let dir = tree(&[
        (".git/HEAD", b"ref: refs/heads/main\n"),
        ("src/querylint.toml", b"extend-select = [\"select-star\"]\n"),
        ("src/q.sql", b"SELECT * FROM t WHERE id = 1;\n"),
        ("other/q.sql", b"SELECT * FROM t WHERE id = 1;\n"),
        ("other/../x.sql", b"SELECT 1;\n"),
    ]);
    let (_, whole) = json(dir.path(), &[]);
    let rules_at = |report: &Value, path: &str| -> Vec<String> {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["path"] == path)
            .map(|d| d["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        rules_at(&whole, "src/q.sql"),
        vec!["select-star"],
        "{whole}"
    );
    assert!(rules_at(&whole, "other/q.sql").is_empty(), "{whole}");
    let (_, alone) = json(dir.path(), &["src/q.sql", "other/q.sql"]);
    assert_eq!(rules_at(&alone, "src/q.sql"), vec!["select-star"]);
    assert!(rules_at(&alone, "other/q.sql").is_empty());
    // From inside `other`, the file in `src` still gets its own file's
    // settings; a path with `..` is reported as one path.
    let (_, from_other) = json(
        &dir.path().join("other"),
        &["../src/./q.sql", "../src/q.sql"],
    );
    assert_eq!(paths_of(&from_other), vec!["../src/q.sql"], "{from_other}");
    assert_eq!(rules_of(&from_other), vec!["select-star"]);
    let out = with_stdin(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "./src/q.sql",
        ],
        b"SELECT * FROM t WHERE id = 1;\n",
    );
    let stdin: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rules_at(&stdin, "src/q.sql"),
        vec!["select-star"],
        "{stdin}"
    );
}

#[test]
fn a_file_named_on_the_command_line_and_skipped_is_an_error_not_an_all_clear() {
    let dir = tree(&[("big.sql", &[b' '; 4096]), ("ok.sql", b"SELECT 1;\n")]);
    let args = ["check", "--max-file-size", "1000"];
    let named = querylint(dir.path(), &[&args[..], &["big.sql"]].concat());
    assert_eq!(named.status.code(), Some(2), "{}", stderr(&named));
    let out = String::from_utf8_lossy(&named.stdout).into_owned();
    assert!(out.contains("Nothing was checked: 1 file skipped"), "{out}");
    assert!(!out.contains("All checks passed"), "{out}");
    // Found by a walk, it is a warning, and the summary says so.
    let walked = querylint(dir.path(), &[&args[..], &["."]].concat());
    assert_eq!(walked.status.code(), Some(0), "{}", stderr(&walked));
    let out = String::from_utf8_lossy(&walked.stdout).into_owned();
    assert!(
        out.contains("no problems in 1 file; 1 file skipped"),
        "{out}"
    );
    // Standard input that cannot be read as text is an error too.
    let binary = with_stdin(
        dir.path(),
        &["check", "--stdin-filename", "q.sql"],
        b"SELECT \0\x01",
    );
    assert_eq!(binary.status.code(), Some(2), "{}", stderr(&binary));
}

#[test]
fn usage_mistakes_are_said_with_the_way_out() {
    let dir = tree(&[("q.sql", b"SELECT 1;\n")]);
    let out = querylint(dir.path(), &["explain", "not-in-subqery"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `not-in-subquery`?"),
        "{}",
        stderr(&out)
    );
    // Standard input stands for one file: paths beside it are a mistake.
    let out = with_stdin(
        dir.path(),
        &["check", "--stdin-filename", "a.sql", "missing.sql"],
        b"SELECT 1;\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    // `--unsafe-fixes` does nothing without `--fix` or `--diff`.
    let out = querylint(dir.path(), &["check", "--unsafe-fixes", "q.sql"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--fix|--diff"), "{}", stderr(&out));
}

#[test]
fn the_action_fails_the_job_on_warnings_by_default() {
    // Most migration hazards (a blocking index, a missing lock_timeout) are
    // warnings: a gate on errors alone lets them merge.
    let action =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let input = action.split("  fail-on:").nth(1).expect("a fail-on input");
    let default = input
        .lines()
        .find_map(|l| l.trim().strip_prefix("default:"))
        .map(str::trim);
    assert_eq!(default, Some("warning"), "{input}");
}

#[test]
fn a_trailing_or_block_suppression_silences_its_own_line_and_statement() {
    let dir = tree(&[
        (
            "q.sql",
            b"SELECT id FROM t WHERE a = NULL LIMIT 1; -- querylint-ignore null-comparison: legacy rows\nSELECT id FROM t WHERE b = NULL LIMIT 1;\n/* querylint-ignore null-comparison: the next one */\nSELECT id FROM t WHERE c = NULL LIMIT 1;\nSELECT id FROM t WHERE d = NULL LIMIT 1; /* querylint-ignore null-comparison: this one */\n",
        ),
        (
            "a.ts",
            b"export async function f(pool: any) {\n  await pool.query(`SELECT id FROM t WHERE a = NULL LIMIT 1`); // querylint-ignore null-comparison: this line\n  await pool.query(`SELECT id FROM t WHERE b = NULL LIMIT 1`);\n}\n",
        ),
    ]);
    let (_, report) = json(
        dir.path(),
        &["--select", "null-comparison,unused-suppression"],
    );
    let found: Vec<(&str, u64)> = paths_of(&report)
        .into_iter()
        .zip(lines_of(&report))
        .collect();
    // Line 1's own statement is silenced, not line 2's; the block comment
    // on its own line silences line 4, the trailing one line 5.
    assert_eq!(found, vec![("a.ts", 3), ("q.sql", 2)], "{report}");
}

#[test]
fn concise_output_is_a_line_a_finding_and_the_summary_counts_files_with_findings() {
    let dir = tree(&[
        ("a.sql", b"SELECT id FROM t WHERE a = NULL LIMIT 1;\n"),
        ("b.sql", b"SELECT id FROM t WHERE id = 1;\n"),
    ]);
    let out = querylint(
        dir.path(),
        &[
            "check",
            "--format",
            "concise",
            "--statistics",
            "--select",
            "null-comparison",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "a.sql:1:26: error[null-comparison] `= NULL` is never true: any comparison with NULL yields NULL",
        "{text}"
    );
    assert_eq!(
        lines[1],
        "Found 1 problem (1 error) in 1 of 2 files checked."
    );
    assert_eq!(lines[2], "     1  null-comparison");
    assert_eq!(lines.len(), 3, "{text}");
}

#[test]
fn a_finding_on_a_very_long_line_is_cropped_around_its_code() {
    // One statement on a line of about 90,000 characters.
    let conditions: Vec<String> = (0..6000).map(|i| format!("c{i} = {i}")).collect();
    let line = format!(
        "SELECT id FROM t WHERE note = 'a literal with several words in it' AND a = NULL AND {} LIMIT 1;\n",
        conditions.join(" AND ")
    );
    assert!(line.len() > 90_000);
    let dir = tree(&[("wide.sql", line.as_bytes())]);
    let out = querylint(dir.path(), &["check", "--no-color", "wide.sql"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.lines().count() < 20, "{stdout}");
    // Every line fits a terminal; the cuts are marked.
    assert!(stdout.lines().all(|l| l.chars().count() <= 140), "{stdout}");
    assert!(stdout.contains("…"), "{stdout}");
    // The code and its fix are in the window, the column is the file's.
    assert!(stdout.contains("wide.sql:1:"), "{stdout}");
    let column = line.find("= NULL").unwrap() + 1;
    assert!(
        stdout.contains(&format!("wide.sql:1:{column}]")),
        "{stdout}"
    );
    assert!(stdout.contains("a IS NULL AND"), "{stdout}");
}

#[test]
fn a_fix_preview_is_never_wrapped_inside_its_code() {
    // A line of 110 characters: under the crop, over the help's width.
    let sql = "SELECT id FROM accounts WHERE display_name = 'somebody with a rather long name here' AND deleted_at = NULL LIMIT 1;\n";
    let dir = tree(&[("q.sql", sql.as_bytes())]);
    let out = querylint(dir.path(), &["check", "--no-color", "q.sql"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let before = format!("- {}", sql.trim_end());
    assert!(stdout.lines().any(|l| l.trim_start() == before), "{stdout}");
}

#[test]
fn advice_fits_the_query_and_its_database() {
    let dir = tree(&[
        (
            "pages.sql",
            b"SELECT id FROM posts ORDER BY published_at DESC, id DESC LIMIT 20 OFFSET 5000;\n" as &[u8],
        ),
        (
            "mysql/search.sql",
            b"SELECT id FROM users WHERE name LIKE '%son' LIMIT 10;\nSELECT id FROM users ORDER BY RAND() LIMIT 1;\n",
        ),
    ]);
    let out = querylint(
        dir.path(),
        &["check", "--no-color", "--select", "ALL", "--format", "json"],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let help = |rule: &str| -> String {
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["rule"] == rule)
            .map(|d| format!("{} {}", d["message"], d["help"]))
            .unwrap_or_else(|| panic!("no {rule}"))
    };
    // The query's own sort key, not a column it does not have.
    let offset = help("offset-pagination");
    assert!(
        offset.contains("WHERE (published_at, id) < ($1, $2) ORDER BY published_at DESC, id DESC"),
        "{offset}"
    );
    assert!(!offset.contains("created_at"), "{offset}");
    // MySQL has no pg_trgm and no TABLESAMPLE SYSTEM_ROWS.
    let like = help("leading-wildcard-like");
    assert!(
        like.contains("FULLTEXT") && !like.contains("pg_trgm"),
        "{like}"
    );
    let random = help("order-by-random");
    assert!(
        random.contains("ORDER BY RAND()") && !random.contains("tsm_system_rows"),
        "{random}"
    );
}

#[test]
fn a_baseline_works_from_any_folder() {
    let dir = tree(&[(
        "app/queries/report.sql",
        b"SELECT id FROM users WHERE deleted_at = NULL LIMIT 5;\n" as &[u8],
    )]);
    // Written from the project's top, used from a subfolder and back.
    let out = querylint(
        dir.path(),
        &[
            "check",
            "--write-baseline",
            "querylint-baseline.json",
            "app",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(dir.path().join("querylint-baseline.json")).unwrap();
    assert!(written.contains("\"app/queries/report.sql\""), "{written}");
    let sub = dir.path().join("app");
    let out = querylint(
        &sub,
        &[
            "check",
            "--baseline",
            "../querylint-baseline.json",
            "queries",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Written from the subfolder, the paths are still the baseline's own.
    let out = querylint(
        &sub,
        &[
            "check",
            "--write-baseline",
            "../querylint-baseline.json",
            ".",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("querylint-baseline.json")).unwrap(),
        written
    );
    let out = querylint(
        dir.path(),
        &["check", "--baseline", "querylint-baseline.json"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
