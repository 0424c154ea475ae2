//! Output formats. Each is an adapter over [`Diagnostic`]; nothing else in
//! querylint knows how a report looks.

pub mod human;
pub mod json;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{LineCol, Locator};

/// A diagnostic with its positions resolved to lines and columns.
#[derive(Debug, Clone)]
pub struct Located {
    pub diag: Diagnostic,
    pub start: LineCol,
    pub end: LineCol,
    /// Start and end of each label, then of each fix edit, in order.
    pub label_positions: Vec<(LineCol, LineCol)>,
    pub edit_positions: Vec<(LineCol, LineCol)>,
}

/// Resolves every position of `diags` in `text`.
pub fn locate(text: &str, diags: Vec<Diagnostic>) -> Vec<Located> {
    if diags.is_empty() {
        return Vec::new();
    }
    let mut locator = Locator::new(text);
    let mut pos = |r: &std::ops::Range<usize>| (locator.line_col(r.start), locator.line_col(r.end));
    let mut out = Vec::with_capacity(diags.len());
    for diag in diags {
        let (start, end) = pos(&diag.range);
        let label_positions = diag.labels.iter().map(|l| pos(&l.range)).collect();
        let mut edit_positions = Vec::new();
        for edit in diag.fix.iter().flat_map(|f| &f.edits) {
            edit_positions.push(pos(&edit.range));
        }
        out.push(Located {
            diag,
            start,
            end,
            label_positions,
            edit_positions,
        });
    }
    out
}

/// The findings of one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// As shown to the user: relative to the working directory when under it.
    pub path: String,
    pub diagnostics: Vec<Located>,
    /// The human rendering, made while the file's text was at hand.
    pub rendered: Option<String>,
}

/// Counts over a whole run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files_linted: usize,
    pub files_skipped: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub by_rule: BTreeMap<&'static str, usize>,
    /// Findings that `--fix` fixed.
    pub fixed: usize,
    /// Findings that remain with a fix `--fix` would apply, and with one
    /// only `--unsafe-fixes` would.
    pub fixable: usize,
    pub unsafe_fixable: usize,
}

impl Summary {
    pub fn add(&mut self, diag: &Diagnostic) {
        match diag.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => self.infos += 1,
        }
        *self.by_rule.entry(diag.rule).or_default() += 1;
        match diag.fix.as_ref().map(|f| f.safety) {
            Some(crate::diagnostic::FixSafety::Safe) => self.fixable += 1,
            Some(crate::diagnostic::FixSafety::Unsafe) => self.unsafe_fixable += 1,
            _ => {}
        }
    }

    pub fn total(&self) -> usize {
        self.errors + self.warnings + self.infos
    }

    /// Whether the run found something at error or warning level.
    pub fn failed(&self) -> bool {
        self.errors + self.warnings > 0
    }
}
