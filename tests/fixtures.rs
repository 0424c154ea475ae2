//! Runs every fixture under `fixtures/<rule-id>/` with every rule enabled.
//!
//! A fixture states what it expects next to the code: `-- expect: rule-a,
//! rule-b` applies to the nearest line above it that is neither blank nor
//! another expectation, and a file meant to be clean says `-- expect-none`.
//! In TypeScript and Rust the comments start with `//` instead.
//! The diagnostics must match the expectations exactly, so a fixture for one
//! rule also catches false positives of every other rule.
//!
//! A `querylint.toml` in a fixture's folder (or a folder above it, inside
//! `fixtures/`) sets the rule options its fixtures run with, such as
//! `[rules.offset-pagination] page-numbers = true`; the rules are always
//! all of them.

use std::collections::BTreeMap;
use std::path::Path;

use querylint::config::Settings;
use querylint::discover::classify;
use querylint::lint::lint_file;
use querylint::rules::RULES;
use querylint::source::LineIndex;

mod common;
use common::{files_under, fixtures_dir};

const EXPECT: &str = "-- expect:";
const EXPECT_NONE: &str = "-- expect-none";

/// (line, rule) pairs a fixture expects, counted.
fn expectations(text: &str) -> Option<BTreeMap<(usize, String), usize>> {
    let mut expected = BTreeMap::new();
    let mut clean = false;
    let mut target = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        let trimmed = match trimmed.strip_prefix("// ") {
            Some(rest) => format!("-- {rest}"),
            None => trimmed.to_owned(),
        };
        let trimmed = trimmed.as_str();
        if trimmed.starts_with(EXPECT_NONE) {
            clean = true;
        } else if let Some(rules) = trimmed.strip_prefix(EXPECT) {
            let line_no = target.expect("an expectation needs a line of code above it");
            for rule in rules.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                *expected.entry((line_no, rule.to_owned())).or_insert(0) += 1;
            }
        } else if !trimmed.is_empty() {
            target = Some(i + 1);
        }
    }
    assert!(
        !clean || expected.is_empty(),
        "a fixture cannot both expect findings and say expect-none"
    );
    (clean || !expected.is_empty()).then_some(expected)
}

fn actual(path: &Path, text: &str) -> BTreeMap<(usize, String), usize> {
    let relative = path.strip_prefix(fixtures_dir()).unwrap();
    let kind = classify(relative).expect("fixture of a known file kind");
    let mut settings = Settings::only(RULES.to_vec());
    if let Some(config) = path
        .ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(fixtures_dir()) && *d != fixtures_dir())
        .map(|d| d.join("querylint.toml"))
        .find(|f| f.is_file())
    {
        settings.options = querylint::config::load(&config)
            .unwrap_or_else(|e| panic!("{}: {e:?}", config.display()))
            .settings()
            .options;
    }
    let index = LineIndex::new(text);
    let mut found = BTreeMap::new();
    // The full path, so a migration is linted after the ones before it in
    // its folder; the kind comes from the path inside `fixtures/`.
    for d in lint_file(path, text, kind, &settings) {
        let line = index.line_col(text, d.range.start).line;
        *found.entry((line, d.rule.to_owned())).or_insert(0) += 1;
    }
    found
}

#[test]
fn every_fixture_produces_exactly_what_it_expects() {
    let files = files_under(&fixtures_dir());
    let mut failures = Vec::new();
    let mut checked = 0;
    // Projects are run whole, in their context: see `tests/projects.rs`.
    let projects = fixtures_dir().join("projects");
    for path in files
        .iter()
        .filter(|p| classify(p).is_some() && !p.starts_with(&projects))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let Some(expected) = expectations(&text) else {
            if path.starts_with(fixtures_dir().join("demo")) {
                continue;
            }
            failures.push(format!(
                "{}: says neither `{EXPECT}` nor `{EXPECT_NONE}`",
                path.display()
            ));
            continue;
        };
        checked += 1;
        let found = actual(path, &text);
        if found != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  found    {found:?}",
                path.display()
            ));
        }
    }
    assert!(checked > 0, "no fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_fixture_that_fires_and_one_that_stays_clean() {
    for rule in RULES {
        let dir = fixtures_dir().join(rule.id);
        assert!(
            dir.is_dir(),
            "rule {} has no fixtures/{}/",
            rule.id,
            rule.id
        );
        let files: Vec<_> = files_under(&dir)
            .into_iter()
            .filter(|p| classify(p).is_some())
            .collect();
        let mut fires = false;
        let mut clean = false;
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap();
            match expectations(&text) {
                Some(e) if e.is_empty() => clean = true,
                Some(e) => fires |= e.keys().any(|(_, r)| r == rule.id),
                None => {}
            }
        }
        assert!(fires, "no fixture of {} expects {}", rule.id, rule.id);
        assert!(clean, "no fixture of {} is marked {EXPECT_NONE}", rule.id);
    }
}

#[test]
fn every_fixture_folder_belongs_to_a_rule() {
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "demo" || name == "projects" || RULES.iter().any(|r| r.id == name),
            "fixtures/{name} matches no rule"
        );
    }
}
