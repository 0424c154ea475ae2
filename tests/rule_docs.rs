//! The rule docs are tests: every `sql` block under `## Example` must give
//! exactly one diagnostic of its rule, every block under `## Use instead`
//! none. The docs must also have the fixed headings.

use std::path::Path;

use querylint::config::Settings;
use querylint::context::Role;
use querylint::diagnostic::FixSafety;
use querylint::discover::FileKind;
use querylint::lint::lint_text;
use querylint::rules::{RULES, Rule};

const HEADINGS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## References",
];

/// The `sql` code blocks of the section under `heading`.
/// The code blocks under `heading`: SQL, or TypeScript (` ```ts `) kept
/// with a leading marker line so [`run`] lints it as TypeScript.
fn blocks(doc: &str, heading: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_section = false;
    let mut current: Option<String> = None;
    for line in doc.lines() {
        if let Some(block) = &mut current {
            if line.starts_with("```") {
                out.push(current.take().unwrap());
            } else {
                block.push_str(line);
                block.push('\n');
            }
            continue;
        }
        if line.starts_with("## ") {
            in_section = line.trim() == heading;
        } else if in_section && line.trim() == "```sql" {
            current = Some(String::new());
        } else if in_section && matches!(line.trim(), "```ts" | "```typescript") {
            current = Some(TS_MARKER.to_owned());
        }
    }
    out
}

const TS_MARKER: &str = "// typescript\n";

/// Lints a doc example as the rule expects to see it: TypeScript blocks as
/// TypeScript, migration rules on a migration, the others on a plain `.sql`
/// file.
fn run(rule: &'static Rule, sql: &str) -> Vec<querylint::diagnostic::Diagnostic> {
    let kind = if sql.starts_with(TS_MARKER) {
        FileKind::TypeScript
    } else if !rule.roles.contains(Role::Application) && rule.roles.contains(Role::SchemaMigration)
    {
        FileKind::MigrationSql
    } else {
        FileKind::Sql
    };
    lint_text(sql, kind, &Settings::only(vec![rule]))
}

#[test]
fn doc_examples_fire_and_alternatives_do_not() {
    for rule in RULES {
        let bad = blocks(rule.doc, "## Example");
        let good = blocks(rule.doc, "## Use instead");
        assert!(
            !bad.is_empty(),
            "{}: no sql or ts block under ## Example",
            rule.id
        );
        assert!(
            !good.is_empty(),
            "{}: no sql or ts block under ## Use instead",
            rule.id
        );
        for sql in &bad {
            let found = run(rule, sql);
            assert_eq!(
                found.len(),
                1,
                "{}: example should give one finding:\n{sql}\n{found:?}",
                rule.id
            );
            assert_eq!(found[0].rule, rule.id);
        }
        for sql in &good {
            let found = run(rule, sql);
            assert!(
                found.is_empty(),
                "{}: alternative should be clean:\n{sql}\n{found:?}",
                rule.id
            );
        }
    }
}

#[test]
fn docs_have_the_fixed_headings_in_order() {
    for rule in RULES {
        let doc = rule.doc;
        assert!(
            doc.starts_with(&format!("# {}\n", rule.id)),
            "{}: title",
            rule.id
        );
        assert!(!rule.summary().is_empty(), "{}: one-line summary", rule.id);
        let mut last = 0;
        for heading in HEADINGS {
            let at = doc
                .find(&format!("\n{heading}\n"))
                .unwrap_or_else(|| panic!("{}: missing `{heading}`", rule.id));
            assert!(at > last, "{}: `{heading}` out of order", rule.id);
            last = at;
        }
    }
}

#[test]
fn a_rule_whose_fix_is_not_safe_documents_its_safety() {
    for rule in RULES {
        let unsafe_fix = blocks(rule.doc, "## Example").iter().any(|sql| {
            run(rule, sql)
                .iter()
                .any(|d| d.fix.as_ref().is_some_and(|f| f.safety != FixSafety::Safe))
        });
        if unsafe_fix {
            assert!(
                rule.doc.contains("\n## Fix safety\n"),
                "{}: needs ## Fix safety",
                rule.id
            );
        }
        for fix in blocks(rule.doc, "## Example")
            .iter()
            .flat_map(|sql| run(rule, sql))
            .filter_map(|d| d.fix)
        {
            let first = fix.title.chars().next().unwrap_or(' ');
            assert!(
                first.is_uppercase(),
                "{}: fix title `{}` should be an imperative sentence",
                rule.id,
                fix.title
            );
        }
    }
}

#[test]
fn every_doc_file_belongs_to_a_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let id = name
            .strip_suffix(".md")
            .expect("only markdown under rules/");
        assert!(
            RULES.iter().any(|r| r.id == id),
            "rules/{name} documents no rule"
        );
    }
}
