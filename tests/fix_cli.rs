//! `querylint check --fix`, `--unsafe-fixes` and `--diff` on real files:
//! what is written, what is left alone, and what the user is told.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{files_under as files, tree};

fn querylint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("querylint runs")
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// A plain migration (run outside a transaction) with a safe fix, after
/// the migration that creates its table.
const TABLES: &[u8] = b"CREATE TABLE users (id bigint PRIMARY KEY, email text);\n";
const INDEX: &[u8] = b"SET lock_timeout = '5s';\nCREATE INDEX users_email ON users (email);\n";
const FIXED_INDEX: &[u8] =
    b"SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n";

/// The two migrations, the second with a safe fix.
fn index_migration() -> tempfile::TempDir {
    tree(&[
        ("migrations/0001_users.sql", TABLES),
        ("migrations/0002_email.sql", INDEX),
    ])
}

#[test]
fn fix_writes_the_safe_fix_and_reports_what_remains() {
    let dir = tree(&[
        ("migrations/0001_users.sql", TABLES),
        ("migrations/0002_email.sql", INDEX),
        // An unsafe fix waits for --unsafe-fixes.
        (
            "queries/q.sql",
            b"SELECT id FROM users WHERE email = NULL LIMIT 1;\n",
        ),
    ]);
    let out = querylint(dir.path(), &["check", "--fix"]);
    assert_eq!(read(dir.path(), "migrations/0002_email.sql"), FIXED_INDEX);
    assert_eq!(
        read(dir.path(), "queries/q.sql"),
        b"SELECT id FROM users WHERE email = NULL LIMIT 1;\n"
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Fixed 1 finding; 1 remaining."), "{stdout}");
    assert!(
        stdout.contains("1 finding can be fixed with `--fix --unsafe-fixes`"),
        "{stdout}"
    );
    // The fixed finding is not reported; the other one still fails the run.
    assert!(
        !stdout.contains("create-index-non-concurrently"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));

    let out = querylint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(
        read(dir.path(), "queries/q.sql"),
        b"SELECT id FROM users WHERE email IS NULL LIMIT 1;\n"
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn diff_prints_the_change_and_writes_nothing() {
    let dir = index_migration();
    let out = querylint(dir.path(), &["check", "--diff"]);
    assert_eq!(read(dir.path(), "migrations/0002_email.sql"), INDEX);
    let diff = text(&out.stdout);
    assert!(
        diff.starts_with("--- a/migrations/0002_email.sql\n+++ b/migrations/0002_email.sql\n"),
        "{diff}"
    );
    assert!(diff.contains("\n-CREATE INDEX users_email ON users (email);\n+CREATE INDEX CONCURRENTLY users_email ON users (email);\n"), "{diff}");
    assert_eq!(out.status.code(), Some(1));
    // Nothing to change: no diff, exit 0.
    std::fs::write(dir.path().join("migrations/0002_email.sql"), FIXED_INDEX).unwrap();
    let out = querylint(dir.path(), &["check", "--diff"]);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn line_endings_and_a_byte_order_mark_are_kept() {
    let crlf = b"\xef\xbb\xbfSELECT id FROM t WHERE a = NULL LIMIT 1;\r\nSELECT id FROM t\r\nWHERE b <> NULL LIMIT 1;\r\n";
    let dir = tree(&[("q.sql", crlf)]);
    querylint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(
        read(dir.path(), "q.sql"),
        b"\xef\xbb\xbfSELECT id FROM t WHERE a IS NULL LIMIT 1;\r\nSELECT id FROM t\r\nWHERE b IS NOT NULL LIMIT 1;\r\n"
    );
}

#[test]
fn a_fix_that_inserts_lines_writes_the_file_s_line_endings() {
    let dir = tree(&[
        ("migrations/0001_users.sql", TABLES),
        (
            "migrations/0002_email.sql",
            b"ALTER TABLE users ADD COLUMN age int;\r\n",
        ),
    ]);
    querylint(
        dir.path(),
        &[
            "check",
            "--fix",
            "--select",
            "missing-lock-timeout",
            "--lock-timeout",
            "3s",
        ],
    );
    assert_eq!(
        read(dir.path(), "migrations/0002_email.sql"),
        b"SET lock_timeout = '3s';\r\nALTER TABLE users ADD COLUMN age int;\r\n"
    );
}

#[cfg(unix)]
#[test]
fn a_read_only_file_is_left_alone_with_a_clear_message() {
    use std::os::unix::fs::PermissionsExt;
    let dir = index_migration();
    let path = dir.path().join("migrations/0002_email.sql");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let out = querylint(dir.path(), &["check", "--fix"]);
    assert_eq!(std::fs::read(&path).unwrap(), INDEX);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("migrations/0002_email.sql is read-only, so its fixes were not written"),
        "{stderr}"
    );
    // Still reported, since it was not fixed.
    assert!(text(&out.stdout).contains("create-index-non-concurrently"));
    assert_eq!(out.status.code(), Some(1));
}

#[cfg(unix)]
#[test]
fn a_fixed_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = index_migration();
    let path = dir.path().join("migrations/0002_email.sql");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    querylint(dir.path(), &["check", "--fix"]);
    assert_eq!(std::fs::read(&path).unwrap(), FIXED_INDEX);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn diff_then_fix_give_the_same_text_over_every_fixture() {
    // Every fixture folder, copied twice: one copy is diffed, the other
    // fixed; the diff must describe exactly what the fix wrote.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    copy_tree(&fixtures, a.path());
    copy_tree(&fixtures, b.path());
    let args = [
        "check",
        "--unsafe-fixes",
        "--fix-applied",
        "--select",
        "ALL",
    ];
    let diff = querylint(a.path(), &[&args[..], &["--diff"]].concat());
    let fixed = querylint(b.path(), &[&args[..], &["--fix"]].concat());
    assert!(fixed.status.code().is_some(), "{}", text(&fixed.stderr));
    // No fix of any rule broke a fixture.
    assert!(
        !text(&fixed.stderr).contains("unparseable"),
        "{}",
        text(&fixed.stderr)
    );
    let mut expected = String::new();
    let mut changed = 0;
    for file in files(a.path()) {
        let rel = file.strip_prefix(a.path()).unwrap();
        let before = std::fs::read_to_string(&file).unwrap();
        let after = std::fs::read_to_string(b.path().join(rel)).unwrap();
        if before != after {
            changed += 1;
            let shown = rel.to_string_lossy();
            let mut d = similar::TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
                .to_string();
            if !d.ends_with('\n') {
                d.push('\n');
            }
            expected.push_str(&d);
        }
    }
    assert!(changed >= 5, "only {changed} fixture files changed");
    assert_eq!(text(&diff.stdout), expected);
    // Fixing again changes nothing.
    let again = querylint(b.path(), &[&args[..], &["--diff"]].concat());
    assert_eq!(text(&again.stdout), "");
}

#[test]
fn fix_on_standard_input_prints_the_fixed_text() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args([
            "check",
            "--fix",
            "--unsafe-fixes",
            "--stdin-filename",
            "q.sql",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT 1 FROM t WHERE a = NULL LIMIT 1;\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        text(&out.stdout),
        "SELECT 1 FROM t WHERE a IS NULL LIMIT 1;\n"
    );
    assert!(text(&out.stderr).contains("Fixed 1 finding; 0 remaining."));
    assert_eq!(out.status.code(), Some(0));
}

/// The warnings and errors of a run's JSON report, and its parse notes, by
/// file and rule.
fn counts(report: &[u8]) -> std::collections::BTreeMap<(String, String), usize> {
    let report: serde_json::Value = serde_json::from_slice(report).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let rule = d["rule"].as_str().unwrap();
        if d["severity"] != "info" || rule == "parse-error" {
            let path = d["path"].as_str().unwrap().to_owned();
            *out.entry((path, rule.to_owned())).or_default() += 1;
        }
    }
    out
}

#[test]
fn fixing_every_fixture_leaves_no_new_warning_or_parse_error() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let report = ["check", "--select", "ALL", "--format", "json"];
    for fix in [&["--fix"][..], &["--fix", "--unsafe-fixes"]] {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&fixtures, dir.path());
        let before = counts(&querylint(dir.path(), &report).stdout);
        let args = [&["check", "--select", "ALL", "--fix-applied"][..], fix].concat();
        let fixed = querylint(dir.path(), &args);
        assert!(fixed.status.code().is_some(), "{}", text(&fixed.stderr));
        let after = counts(&querylint(dir.path(), &report).stdout);
        let worse: Vec<String> = after
            .iter()
            .filter(|(k, n)| before.get(*k).is_none_or(|b| *n > b))
            .map(|((path, rule), n)| {
                let b = before.get(&(path.clone(), rule.clone())).unwrap_or(&0);
                format!("{path}: {rule} {b} -> {n}")
            })
            .collect();
        assert!(worse.is_empty(), "{fix:?} left:\n{}", worse.join("\n"));
    }
}

#[test]
fn fixes_that_are_fine_alone_are_not_applied_together_when_the_result_is_worse() {
    // A lone `CREATE INDEX CONCURRENTLY` is the one statement a Prisma
    // migration runs outside a transaction: `SET lock_timeout` before it
    // would put it in one.
    let migration = "prisma/migrations/20240201000000_email/migration.sql";
    let dir = tree(&[
        (
            "prisma/migrations/20240101000000_init/migration.sql",
            b"CREATE TABLE \"User\" (\"id\" bigint PRIMARY KEY, \"email\" text);\n",
        ),
        (
            migration,
            b"CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\n",
        ),
        (
            "prisma/migrations/migration_lock.toml",
            b"provider = \"postgresql\"\n",
        ),
    ]);
    let out = querylint(dir.path(), &["check", "--fix"]);
    assert_eq!(
        text(&read(dir.path(), migration)),
        "CREATE INDEX CONCURRENTLY \"User_email_idx\" ON \"User\"(\"email\");\n",
        "{}",
        text(&out.stdout)
    );
    let again = querylint(dir.path(), &["check", "--format", "concise"]);
    assert!(
        !text(&again.stdout).contains("concurrently-in-transaction"),
        "{}",
        text(&again.stdout)
    );
    // With a second statement, `CONCURRENTLY` would fail in the migration's
    // transaction: the unsafe fix is withdrawn and shown with the reason.
    let two = "CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\nALTER TABLE \"User\" ADD COLUMN \"name\" text;\n";
    std::fs::write(dir.path().join(migration), two).unwrap();
    let out = querylint(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    let fixed = text(&read(dir.path(), migration));
    assert!(!fixed.contains("CONCURRENTLY"), "{fixed}");
    let stdout = text(&out.stdout).replace("\n        ", " ");
    assert!(
        stdout.contains(
            "not applied: the result would have a new `concurrently-in-transaction` error"
        ),
        "{stdout}"
    );
}

/// A Prisma project in git: one migration on `main`, one added on a
/// branch, and one not yet committed; each has a safe fix.
fn prisma_history() -> tempfile::TempDir {
    let index = |name: &str| format!("CREATE INDEX \"{name}\" ON \"User\"(\"email\");\n");
    let dir = tree(&[
        (
            "prisma/migrations/1_init/migration.sql",
            b"CREATE TABLE \"User\" (\"id\" bigint PRIMARY KEY, \"email\" text);\n",
        ),
        ("prisma/migrations/2_a/migration.sql", index("a").as_bytes()),
    ]);
    let git = |args: &[&str]| common::git(dir.path(), args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "init"]);
    git(&["checkout", "-q", "-b", "feature"]);
    let add = |name: &str| {
        let path = dir
            .path()
            .join(format!("prisma/migrations/{name}/migration.sql"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, index(name)).unwrap();
    };
    add("3_b");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "b"]);
    add("4_c");
    dir
}

fn concurrent(dir: &Path, name: &str) -> bool {
    text(&read(
        dir,
        &format!("prisma/migrations/{name}/migration.sql"),
    ))
    .contains("CONCURRENTLY")
}

#[test]
fn fix_leaves_migrations_that_already_ran_alone() {
    let dir = prisma_history();
    let out = querylint(dir.path(), &["check", "--fix"]);
    // On `main` already: applied somewhere, its checksum recorded.
    assert!(!concurrent(dir.path(), "2_a"));
    // Added on this branch, or not committed yet: new.
    assert!(concurrent(dir.path(), "3_b"));
    assert!(concurrent(dir.path(), "4_c"));
    let stdout = text(&out.stdout).replace("\n        ", " ");
    assert!(
        stdout.contains("not applied: this migration is already in the merge-base with `main`, and Prisma Migrate keeps a checksum of each applied migration (`--fix-applied` writes it anyway)"),
        "{stdout}"
    );
    // `--fix-since` moves the base; a revision git does not know is an
    // error that writes nothing.
    let dir = prisma_history();
    let out = querylint(dir.path(), &["check", "--fix", "--fix-since", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--fix-since nowhere"));
    assert!(!concurrent(dir.path(), "4_c"));
    querylint(dir.path(), &["check", "--fix", "--fix-since", "HEAD"]);
    assert!(!concurrent(dir.path(), "3_b"));
    assert!(concurrent(dir.path(), "4_c"));
    // `--fix-applied` lifts the guard.
    querylint(dir.path(), &["check", "--fix", "--fix-applied"]);
    assert!(concurrent(dir.path(), "2_a"));
    assert!(concurrent(dir.path(), "3_b"));
}

#[test]
fn outside_git_only_the_newest_migration_of_a_folder_is_fixed() {
    let dir = prisma_history();
    std::fs::remove_dir_all(dir.path().join(".git")).unwrap();
    let out = querylint(dir.path(), &["check", "--fix"]);
    assert!(!concurrent(dir.path(), "2_a"));
    assert!(!concurrent(dir.path(), "3_b"));
    assert!(concurrent(dir.path(), "4_c"));
    assert!(
        text(&out.stdout)
            .replace("\n        ", " ")
            .contains("outside git, only the newest migration of a folder is fixed")
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for file in files(from) {
        let rel = file.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&file, dest).unwrap();
    }
}

/// A rewrite that would copy a value the code pastes into its SQL (the
/// schema in `${schema}.runs`) is not offered: querylint reads that value
/// as a stand-in and would write the stand-in. The same rewrite on plain
/// text is applied.
#[test]
fn a_fix_that_would_copy_a_pasted_value_is_not_offered() {
    let pasted: &[u8] = b"import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function open(schema: string) {\n  return pool.query(`select id from ${schema}.runs r where r.id not in (select s.parent from ${schema}.runs s) limit 10`);\n}\n";
    let plain: &[u8] = b"import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function open() {\n  return pool.query(`select id from runs r where r.id not in (select s.parent from runs s) limit 10`);\n}\n";
    let dir = tree(&[
        (
            "package.json",
            b"{ \"dependencies\": { \"pg\": \"^8\" } }\n",
        ),
        ("src/pasted.ts", pasted),
        ("src/plain.ts", plain),
    ]);
    let out = querylint(
        dir.path(),
        &["check", "--select", "not-in-subquery", "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixes: Vec<(String, bool)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap().to_owned(), !d["fix"].is_null()))
        .collect();
    assert_eq!(
        fixes,
        vec![
            ("src/pasted.ts".to_owned(), false),
            ("src/plain.ts".to_owned(), true)
        ]
    );
    querylint(
        dir.path(),
        &[
            "check",
            "--select",
            "not-in-subquery",
            "--fix",
            "--unsafe-fixes",
        ],
    );
    assert_eq!(read(dir.path(), "src/pasted.ts"), pasted);
    assert!(
        text(&read(dir.path(), "src/plain.ts")).contains("NOT EXISTS (SELECT 1 FROM runs s WHERE")
    );
}
