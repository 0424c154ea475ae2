//! The engine: runs the enabled rules over every statement of every unit of
//! a file and maps their findings into the host file.

use std::path::Path;

use crate::diagnostic::{Diagnostic, FixSafety};
use crate::discover::{FileKind, dialect_hint};
use crate::extract::{SqlUnit, sql_file_unit};
use crate::parse::{Dialect, each_statement};
use crate::rules::{RULES, Rule, RuleOptions, StatementContext};

/// Which rules run, and how.
#[derive(Clone)]
pub struct Settings {
    pub rules: Vec<&'static Rule>,
    pub dialect: Dialect,
    pub options: RuleOptions,
}

impl Default for Settings {
    /// The rules that are on by default, PostgreSQL dialect.
    fn default() -> Self {
        Settings {
            rules: RULES
                .iter()
                .copied()
                .filter(|r| r.default_enabled)
                .collect(),
            dialect: Dialect::default(),
            options: RuleOptions::default(),
        }
    }
}

impl Settings {
    /// Settings that run exactly the given rules.
    pub fn only(rules: Vec<&'static Rule>) -> Self {
        Settings {
            rules,
            ..Settings::default()
        }
    }
}

/// The SQL units of a file of the given kind.
pub fn extract(text: &str, kind: FileKind) -> Vec<SqlUnit> {
    match kind {
        FileKind::Sql | FileKind::MigrationSql => vec![sql_file_unit(text, kind)],
        FileKind::TypeScript | FileKind::Rust => Vec::new(),
    }
}

/// Lints the text of the file at `path`, parsed in the dialect its name or
/// folder names (`x.mysql.sql`, `db/sqlite/`) if any, else in the settings'.
pub fn lint_file(path: &Path, text: &str, kind: FileKind, settings: &Settings) -> Vec<Diagnostic> {
    match dialect_hint(path) {
        Some(dialect) if dialect != settings.dialect => {
            let hinted = Settings {
                dialect,
                ..settings.clone()
            };
            lint_text(text, kind, &hinted)
        }
        _ => lint_text(text, kind, settings),
    }
}

/// Lints a file's text. Every range in the result is a byte range in `text`,
/// and the diagnostics are sorted by position.
pub fn lint_text(text: &str, kind: FileKind, settings: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for unit in extract(text, kind) {
        lint_unit(&unit, settings, &mut out);
    }
    out.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
    out
}

fn lint_unit(unit: &SqlUnit, settings: &Settings, out: &mut Vec<Diagnostic>) {
    if settings.rules.is_empty() {
        return;
    }
    let mut found = Vec::new();
    each_statement(&unit.text, settings.dialect, |parsed, stmt| {
        let stmt = &stmt;
        let ctx = StatementContext {
            unit,
            parsed,
            stmt,
            options: &settings.options,
        };
        for rule in &settings.rules {
            if !rule.scope.covers(unit.origin.kind, stmt) {
                continue;
            }
            (rule.check)(&ctx, &mut found);
            for diag in found.drain(..) {
                out.push(to_host(diag, rule, unit));
            }
        }
    });
}

/// Stamps a rule's finding with the rule and moves its ranges from unit
/// offsets to host offsets. Fixes to SQL assembled at run time are capped at
/// unsafe: the text the rule saw is not the text that runs.
fn to_host(mut diag: Diagnostic, rule: &Rule, unit: &SqlUnit) -> Diagnostic {
    diag.rule = rule.id;
    diag.severity = rule.severity;
    diag.range = unit.map.host_range(diag.range);
    for label in &mut diag.labels {
        label.range = unit.map.host_range(label.range.clone());
    }
    if let Some(fix) = &mut diag.fix {
        for edit in &mut fix.edits {
            edit.range = unit.map.host_range(edit.range.clone());
        }
        if unit.origin.assembled_at_runtime && fix.safety == FixSafety::Safe {
            fix.safety = FixSafety::Unsafe;
        }
    }
    diag
}

/// Why a file's bytes cannot be linted as text.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err("looks like a binary file (it contains NUL bytes), skipped".to_owned());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "is not valid UTF-8 (invalid byte at offset {}), skipped",
            e.utf8_error().valid_up_to()
        )
    })
}
