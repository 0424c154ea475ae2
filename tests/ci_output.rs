//! The outputs for CI: SARIF for code scanning (checked against the SARIF
//! 2.1.0 schema), GitHub workflow commands, and `--output`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

mod common;

fn querylint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_querylint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("querylint runs")
}

/// A small project: a query with a fix, a migration with a label and a
/// fix, and a TypeScript N+1.
fn project() -> tempfile::TempDir {
    common::tree(&[
        ("queries/users.sql", "-- Active users, by a nullable column.\nSELECT id FROM users WHERE deleted_at = NULL AND name <> 'Zoë, \"Z\"' LIMIT 5;\n".as_bytes()),
        ("migrations/0001_users.sql", b"CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"),
        ("migrations/0002_email.sql", b"SET lock_timeout = '5s';\nCREATE INDEX users_email ON users (email);\n"),
        ("querylint.toml", b"extend-select = [\"n-plus-one\"]\n"),
        (
            "src/sync.ts",
            b"import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport async function sync(req: { body: { ids: string[] } }) {\n  for (const id of req.body.ids) {\n    await prisma.user.findUnique({ where: { id } });\n  }\n}\n",
        ),
    ])
}

fn sarif(dir: &Path) -> Value {
    let out = querylint(dir, &["check", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1));
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let dir = project();
    let log = sarif(dir.path());
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(schema_path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.add_resource("sarif.json", schema).unwrap();
    let index = compiler.compile("sarif.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(&log, index) {
        panic!("not valid SARIF 2.1.0: {e:#}");
    }
    // The schema does catch a broken log.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(schemas.validate(&broken, index).is_err());
    // And a log with no results is valid too.
    let clean = common::tree(&[("q.sql", b"SELECT 1;\n")]);
    let out = querylint(clean.path(), &["check", "--format", "sarif"]);
    let empty: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schemas.validate(&empty, index).is_ok());
    assert_eq!(empty["runs"][0]["results"], json!([]));
}

#[test]
fn sarif_results_name_the_rule_the_place_and_the_fix() {
    let dir = project();
    let log = sarif(dir.path());
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "querylint");
    let rules = driver["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    // Every result's rule index points at its rule's descriptor.
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let summary: Vec<(String, String, u64, u64)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                loc["region"]["startLine"].as_u64().unwrap(),
                loc["region"]["startColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "create-index-non-concurrently".to_owned(),
                "migrations/0002_email.sql".to_owned(),
                2,
                1
            ),
            (
                "null-comparison".to_owned(),
                "queries/users.sql".to_owned(),
                2,
                39
            ),
            ("n-plus-one".to_owned(), "src/sync.ts".to_owned(), 5, 23),
        ]
    );
    let null = &results[1];
    assert_eq!(null["level"], "error");
    assert_eq!(
        null["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
        "%SRCROOT%"
    );
    let fix = &null["fixes"][0];
    assert_eq!(
        fix["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "IS NULL"
    );
    assert_eq!(
        fix["artifactChanges"][0]["replacements"][0]["deletedRegion"]["startColumn"],
        39
    );
    assert!(null["partialFingerprints"]["querylint/v1"].is_string());
    let rule = &rules[null["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["name"], "NullComparison");
    assert!(
        rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .starts_with("# null-comparison")
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
}

#[test]
fn fingerprints_survive_lines_inserted_above_and_follow_the_code() {
    let dir = project();
    let before = sarif(dir.path());
    let print = |log: &Value, rule: &str| {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == rule)
            .map(|r| r["partialFingerprints"]["querylint/v1"].clone())
            .unwrap()
    };
    let path = dir.path().join("queries/users.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("-- Reviewed in March.\n\n{text}")).unwrap();
    let after = sarif(dir.path());
    assert_eq!(
        print(&before, "null-comparison"),
        print(&after, "null-comparison")
    );
    // Another comparison is another finding.
    std::fs::write(&path, text.replace("deleted_at", "archived_at")).unwrap();
    let changed = sarif(dir.path());
    assert_ne!(
        print(&before, "null-comparison"),
        print(&changed, "null-comparison")
    );
}

#[test]
fn github_annotations_are_escaped_workflow_commands() {
    let dir = project();
    let out = querylint(dir.path(), &["check", "--format", "github"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "::warning file=migrations/0002_email.sql,line=2,col=1,endLine=2,endColumn="
        ),
        "{text}"
    );
    assert!(
        lines[1].starts_with("::error file=queries/users.sql,line=2,col=39,endLine=2,endColumn=45,title=querylint (null-comparison)::`= NULL` is never true"),
        "{text}"
    );
    // The help follows on a new line, escaped as %0A.
    assert!(lines[1].contains("NULL%0AWrite `IS NULL`"), "{text}");
}

#[test]
fn output_writes_the_report_to_a_file() {
    let dir = project();
    let out = querylint(
        dir.path(),
        &["check", "--format", "sarif", "--output", "report.sarif"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let log: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.sarif")).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
}

/// Compares an output with its snapshot under `tests/snapshots/`;
/// `QUERYLINT_UPDATE_SNAPSHOTS=1` writes it instead.
fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var("QUERYLINT_UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from its snapshot (QUERYLINT_UPDATE_SNAPSHOTS=1 writes it):\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn snapshots_of_the_sarif_results_and_the_github_annotations() {
    let dir = project();
    let out = querylint(dir.path(), &["check", "--format", "github"]);
    snapshot(
        "project.github.txt",
        &String::from_utf8(out.stdout).unwrap(),
    );
    // The results; the rule table follows the docs and has its own test.
    let log = sarif(dir.path());
    let mut results = serde_json::to_string_pretty(&log["runs"][0]["results"]).unwrap();
    results.push('\n');
    snapshot("project.sarif-results.json", &results);
}
