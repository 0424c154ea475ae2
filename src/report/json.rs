//! `--format json`: one object with every diagnostic and a summary. The
//! shape is documented in the README and versioned by its `version` field.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{FileReport, Summary};
use crate::diagnostic::{FixSafety, Severity};
use crate::source::LineCol;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
}

impl From<LineCol> for Position {
    fn from(p: LineCol) -> Self {
        Position {
            line: p.line,
            column: p.column,
        }
    }
}

#[derive(Serialize)]
struct Label<'a> {
    start: Position,
    end: Position,
    message: &'a str,
}

#[derive(Serialize)]
struct Edit<'a> {
    start: Position,
    end: Position,
    content: &'a str,
}

#[derive(Serialize)]
struct Fix<'a> {
    title: &'a str,
    safety: FixSafety,
    edits: Vec<Edit<'a>>,
}

#[derive(Serialize)]
struct Diagnostic<'a> {
    rule: &'a str,
    severity: Severity,
    path: &'a str,
    start: Position,
    end: Position,
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<Label<'a>>,
    fix: Option<Fix<'a>>,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    files_linted: usize,
    files_skipped: usize,
    diagnostics: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    by_rule: &'a BTreeMap<&'static str, usize>,
    /// Findings `--fix` fixed in this run.
    fixed: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    diagnostics: Vec<Diagnostic<'a>>,
    summary: JsonSummary<'a>,
}

pub fn render(files: &[FileReport], summary: &Summary) -> String {
    let mut diagnostics = Vec::new();
    for file in files {
        for located in &file.diagnostics {
            let d = &located.diag;
            let labels = d
                .labels
                .iter()
                .zip(&located.label_positions)
                .map(|(l, &(start, end))| Label {
                    start: start.into(),
                    end: end.into(),
                    message: &l.message,
                })
                .collect();
            let fix = d.fix.as_ref().map(|fix| Fix {
                title: &fix.title,
                safety: fix.safety,
                edits: fix
                    .edits
                    .iter()
                    .zip(&located.edit_positions)
                    .map(|(e, &(start, end))| Edit {
                        start: start.into(),
                        end: end.into(),
                        content: &e.content,
                    })
                    .collect(),
            });
            diagnostics.push(Diagnostic {
                rule: d.rule,
                severity: d.severity,
                path: &file.path,
                start: located.start.into(),
                end: located.end.into(),
                message: &d.message,
                help: d.help.as_deref(),
                labels,
                fix,
            });
        }
    }
    let doc = Document {
        version: VERSION,
        diagnostics,
        summary: JsonSummary {
            files_linted: summary.files_linted,
            files_skipped: summary.files_skipped,
            diagnostics: summary.total(),
            errors: summary.errors,
            warnings: summary.warnings,
            infos: summary.infos,
            by_rule: &summary.by_rule,
            fixed: summary.fixed,
        },
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
