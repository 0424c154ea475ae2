//! Runs the fixes of every rule over its fix fixtures.
//!
//! A fix fixture is a file under `fixtures/<rule-id>/fix/` (also checked
//! for its `expect` comments like every fixture) with, beside it, the text
//! that fixing it must give: `<name>.fixed` with every fix of the rule
//! applied (`--fix --unsafe-fixes`; no such file: fixing changes nothing),
//! and, where the safe fixes alone give something else, `<name>.safe-fixed`
//! (`--fix`). Fixing must settle: a
//! second run changes nothing, and the fixed text has no syntax error the
//! original did not have.

use std::path::{Path, PathBuf};

use querylint::config::Settings;
use querylint::diagnostic::FixSafety;
use querylint::discover::classify;
use querylint::fix::{Linted, Mode, fix};
use querylint::lint::{lint_file, syntax_errors};
use querylint::rules::{RULES, Rule};

mod common;
use common::{files_under, fixtures_dir};

/// The fix fixtures of a rule: the files under its `fix/` folder that
/// querylint lints.
fn fix_fixtures(rule: &Rule) -> Vec<PathBuf> {
    let mut files = files_under(&fixtures_dir().join(rule.id).join("fix"));
    files.retain(|p| classify(p).is_some());
    files
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Fixes `text` as the file at `path`, with only `rule`'s fixes.
fn fixed(rule: &'static Rule, path: &Path, text: &str, mode: Mode) -> querylint::fix::Fixed {
    let kind = classify(path).unwrap();
    let only = Settings::only(vec![rule]);
    let all = Settings::only(RULES.to_vec());
    fix(text, mode, |t| Linted {
        syntax_errors: syntax_errors(path, t, kind, &all),
        findings: lint_file(path, t, kind, &only),
    })
}

#[test]
fn every_fix_fixture_fixes_to_its_expected_text_and_settles() {
    let mut failures = Vec::new();
    for rule in RULES.iter().copied() {
        for path in fix_fixtures(rule) {
            let text = std::fs::read_to_string(&path).unwrap();
            let kind = classify(&path).unwrap();
            for (mode, suffix) in [(Mode::Unsafe, ".fixed"), (Mode::Safe, ".safe-fixed")] {
                let expected_path = with_suffix(&path, suffix);
                let expected = match std::fs::read_to_string(&expected_path) {
                    Ok(e) => e,
                    Err(_) if mode == Mode::Safe => continue,
                    // Fixing leaves it as it is.
                    Err(_) => text.clone(),
                };
                let out = fixed(rule, &path, &text, mode);
                if out.text != expected {
                    failures.push(format!(
                        "{} ({suffix}):\n--- expected\n{expected}\n--- got\n{}",
                        path.display(),
                        out.text
                    ));
                    continue;
                }
                assert!(
                    out.withdrawn.is_empty(),
                    "{}: {:?}",
                    path.display(),
                    out.withdrawn
                );
                let again = fixed(rule, &path, &out.text, mode);
                if again.applied != 0 || again.text != out.text {
                    failures.push(format!("{}: fixing twice changes it again", path.display()));
                }
                let all = Settings::only(RULES.to_vec());
                assert!(
                    syntax_errors(&path, &out.text, kind, &all)
                        <= syntax_errors(&path, &text, kind, &all),
                    "{}: the fixed text has new syntax errors",
                    path.display()
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_rule_that_declares_a_fix_has_a_fix_fixture_that_uses_it() {
    for rule in RULES.iter().copied() {
        let Some(safety) = rule.fix else { continue };
        if safety == FixSafety::DisplayOnly {
            // A suggestion is never applied: a fixture shows it in a finding.
            let shown = all_fixtures(rule).iter().any(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                lint_file(
                    path,
                    &text,
                    classify(path).unwrap(),
                    &Settings::only(vec![rule]),
                )
                .iter()
                .any(|d| {
                    d.fix
                        .as_ref()
                        .is_some_and(|f| f.safety == FixSafety::DisplayOnly)
                })
            });
            assert!(shown, "no fixture of {} shows its suggestion", rule.id);
            continue;
        }
        let mut applied = false;
        for path in fix_fixtures(rule) {
            let text = std::fs::read_to_string(&path).unwrap();
            let mode = if safety == FixSafety::Safe {
                Mode::Safe
            } else {
                Mode::Unsafe
            };
            applied |= fixed(rule, &path, &text, mode).applied > 0;
        }
        assert!(
            applied,
            "{} declares a {safety:?} fix but no file under fixtures/{}/fix/ gets one",
            rule.id, rule.id
        );
    }
}

fn all_fixtures(rule: &Rule) -> Vec<PathBuf> {
    let mut files = files_under(&fixtures_dir().join(rule.id));
    files.retain(|p| classify(p).is_some());
    files
}

#[test]
fn a_rule_without_a_declared_fix_offers_none() {
    for rule in RULES.iter().copied() {
        for path in all_fixtures(rule) {
            let text = std::fs::read_to_string(&path).unwrap();
            let kind = classify(&path).unwrap();
            for d in lint_file(&path, &text, kind, &Settings::only(RULES.to_vec())) {
                let declared = RULES.iter().find(|r| r.id == d.rule).unwrap().fix;
                if let Some(f) = &d.fix {
                    assert!(
                        declared.is_some_and(|best| best <= f.safety),
                        "{}: {} offers a {:?} fix but declares {declared:?}",
                        path.display(),
                        d.rule,
                        f.safety
                    );
                }
            }
        }
    }
}
