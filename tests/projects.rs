//! Runs each project under `fixtures/projects/` as a user would, with
//! `querylint check` on the whole folder: its files are read in the
//! context of their project (tool configurations, migration chains,
//! `package.json` scripts). Every file states what it expects as in
//! `tests/fixtures.rs` (`-- expect: rule` under the line, `-- expect-none`),
//! and the findings of the run must match them exactly.

use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::{files_under, fixtures_dir};

/// (path, line, rule) triples a project's files expect, counted.
fn expected(project: &Path) -> BTreeMap<(String, usize, String), usize> {
    let mut out = BTreeMap::new();
    for path in files_under(project) {
        if querylint::discover::classify(&path).is_none() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path.strip_prefix(project).unwrap().display().to_string();
        let mut target = None;
        let mut said = false;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            let t = t
                .strip_prefix("// ")
                .map_or(t.to_owned(), |r| format!("-- {r}"));
            if t.starts_with("-- expect-none") {
                said = true;
            } else if let Some(rules) = t.strip_prefix("-- expect:") {
                said = true;
                for rule in rules.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    let line = target.expect("an expectation needs a line above it");
                    *out.entry((rel.clone(), line, rule.to_owned())).or_insert(0) += 1;
                }
            } else if !t.is_empty() {
                target = Some(i + 1);
            }
        }
        assert!(said, "{rel} says neither `-- expect:` nor `-- expect-none`");
    }
    out
}

fn found(project: &Path) -> BTreeMap<(String, usize, String), usize> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(["check", "--select", "ALL", "--format", "json", "."])
        .current_dir(project)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut found = BTreeMap::new();
    for d in report["diagnostics"].as_array().unwrap() {
        let key = (
            d["path"].as_str().unwrap().to_owned(),
            d["start"]["line"].as_u64().unwrap() as usize,
            d["rule"].as_str().unwrap().to_owned(),
        );
        *found.entry(key).or_insert(0) += 1;
    }
    found
}

#[test]
fn every_project_produces_exactly_what_its_files_expect() {
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir().join("projects")).unwrap() {
        let project = entry.unwrap().path();
        let (expected, found) = (expected(&project), found(&project));
        if expected != found {
            let missing: Vec<_> = expected
                .keys()
                .filter(|k| !found.contains_key(*k))
                .collect();
            let extra: Vec<_> = found
                .keys()
                .filter(|k| !expected.contains_key(*k))
                .collect();
            failures.push(format!(
                "{}:\n  expected, not found: {missing:?}\n  found, not expected: {extra:?}",
                project.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `querylint files --format json` in a project: each file's facts.
fn files(project: &Path, args: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_querylint"))
        .arg("files")
        .args(args)
        .args(["--format", "json"])
        .current_dir(project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fact<'v>(report: &'v serde_json::Value, path: &str, name: &str) -> (&'v str, &'v str) {
    let file = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not listed: {report}"));
    (
        file[name]["value"].as_str().unwrap_or_default(),
        file[name]["evidence"].as_str().unwrap_or_default(),
    )
}

#[test]
fn files_shows_each_fact_with_its_evidence() {
    let project = fixtures_dir().join("projects").join("dialects");
    let report = files(&project, &[]);
    // Evidence names files below the project's root.
    let (dialect, evidence) = fact(&report, "db/queries/keys.sql", "dialect");
    assert_eq!(dialect, "mysql");
    assert!(
        evidence.ends_with("dialects/db/sqlc.yaml: engine: mysql"),
        "{evidence}"
    );
    assert_eq!(
        fact(&report, "drizzle/0000_first.sql", "dialect").0,
        "mysql"
    );
    assert_eq!(
        fact(&report, "drizzle/0000_first.sql", "tool"),
        ("drizzle-kit", "meta/_journal.json lists it")
    );
    assert_eq!(
        fact(&report, "drizzle/0000_first.sql", "transactions").0,
        "wrapped"
    );
    assert_eq!(
        fact(&report, "pg-drizzle/0001_owner_index_by_hand.sql", "tool").0,
        "plain"
    );
    assert_eq!(
        fact(
            &report,
            "pg-drizzle/0001_owner_index_by_hand.sql",
            "transactions"
        )
        .0,
        "none"
    );
    assert_eq!(
        fact(&report, "store/migrations/0001_items.sql", "dialect"),
        ("sqlite", "the text has `AUTOINCREMENT`")
    );
    assert_eq!(
        fact(&report, "analytics/clickhouse/001_events.sql", "dialect").0,
        "clickhouse"
    );
    assert_eq!(report["dialects"]["mysql"], 3, "{}", report["dialects"]);

    let roles = files(&fixtures_dir().join("projects").join("roles"), &[]);
    for (path, role) in [
        ("src/routes/users.ts", "application"),
        ("scripts/backfill.ts", "script"),
        ("tools/copy-tables.sql", "script"),
        ("playwright/setup.ts", "e2e-test"),
        ("examples/post-search/search.ts", "example"),
        ("src/generated/client-ext.ts", "generated"),
        (
            "packages/db/migration/20240101_move_plans/migration.ts",
            "data-migration",
        ),
    ] {
        assert_eq!(fact(&roles, path, "role").0, role, "{path}");
    }
    let (role, evidence) = fact(&roles, "db/fill-seed.ts", "role");
    assert_eq!(role, "seed");
    assert!(
        evidence.ends_with("roles/package.json: script `db:seed`"),
        "{evidence}"
    );
}

#[test]
fn overrides_say_what_files_are() {
    let dir = common::tree(&[
        (
            "querylint.toml",
            b"[[overrides]]\nfiles = [\"scripts/**\"]\nrole = \"application\"\n\n[[overrides]]\nfiles = [\"legacy/**\"]\ndialect = \"mysql\"\nmigration-tool = \"plain\"\ntransactions = \"always\"\n",
        ),
        (
            "scripts/touch.ts",
            b"import { prisma } from './db';\nexport async function f(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) {\n    await prisma.user.delete({ where: { id } });\n  }\n}\n",
        ),
        ("legacy/migrations/001_init.sql", b"CREATE TABLE `t` (`id` int);\n"),
    ]);
    let report = files(dir.path(), &[]);
    assert_eq!(
        fact(&report, "scripts/touch.ts", "role"),
        ("application", "`[[overrides]]` in the configuration")
    );
    let legacy = "legacy/migrations/001_init.sql";
    assert_eq!(fact(&report, legacy, "dialect").0, "mysql");
    assert_eq!(fact(&report, legacy, "tool").0, "plain");
    assert_eq!(fact(&report, legacy, "transactions").0, "wrapped");
    // The role brings the application's rules back.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args([
            "check",
            "--format",
            "concise",
            "--extend-select",
            "n-plus-one",
            "scripts",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("n-plus-one"));
    // `config --show` says so too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(["config", "--show", "legacy/migrations/001_init.sql"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("dialect = \"mysql\""), "{shown}");
    assert!(shown.contains("migration-tool = \"plain\""), "{shown}");
    assert!(
        shown.contains("migration-transactions = \"always\""),
        "{shown}"
    );
}

#[test]
fn a_bad_role_in_an_override_is_a_configuration_error() {
    let dir = common::tree(&[(
        "querylint.toml",
        b"[[overrides]]\nfiles = [\"x/**\"]\nrole = \"scripts\"\n",
    )]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(["check", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown role `scripts`"), "{err}");
}

/// The JSON report of `querylint check` on one file of the `pasted`
/// project, run from the project's folder.
fn check_pasted(file: &str) -> serde_json::Value {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects/pasted");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(["check", "--format", "json", file])
        .current_dir(&project)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn of_rule<'r>(
    report: &'r serde_json::Value,
    rule: &'r str,
) -> impl Iterator<Item = &'r serde_json::Value> + 'r {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(move |d| d["rule"] == rule)
}

#[test]
fn a_pasted_parameter_names_the_call_that_passes_request_data() {
    let report = check_pasted("src/db/introspect.ts");
    let messages: Vec<&str> = of_rule(&report, "interpolated-sql")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with(
            "Request data (`req.query.sort`), passed to `listSorted` at src/routes/reports.ts:24,"
        )),
        "{messages:?}"
    );
    // Checking one file still reads the project: the helpers every call
    // passes literals to stay silent.
    assert_eq!(messages.len(), 4, "{messages:?}");
}

#[test]
fn a_set_helper_is_reported_only_for_the_call_that_passes_request_data() {
    let report = check_pasted("src/db/tenant.ts");
    let sets: Vec<(u64, &str)> = of_rule(&report, "interpolated-set")
        .map(|d| {
            (
                d["start"]["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    // `actAs` gets fixed names from every call; `actForTenant` a header.
    assert_eq!(sets.len(), 1, "{sets:?}");
    assert_eq!(sets[0].0, 12);
    assert!(
        sets[0].1.starts_with(
            "`SET app.tenant` pastes its value, passed to `actForTenant` at src/routes/reports.ts:29,"
        ),
        "{sets:?}"
    );
}
