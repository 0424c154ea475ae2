//! Output formats. Each is an adapter over [`Diagnostic`]; nothing else in
//! querylint knows how a report looks.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

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
    /// What the finding is about, the same wherever the lines around it
    /// move: see [`fingerprint`].
    pub fingerprint: String,
}

/// A digest of a finding that does not depend on where it is: its rule,
/// the lines of code it points at (runs of whitespace read as one space),
/// and how many findings of the rule on the same code come before it in
/// the file. FNV-1a, so the value is the same on every build and
/// platform, as SARIF fingerprints and baselines need.
pub fn fingerprint(rule: &str, code: &str, occurrence: usize) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(rule.as_bytes());
    eat(&[0]);
    let mut first = true;
    for word in code.split_whitespace() {
        if !first {
            eat(b" ");
        }
        first = false;
        eat(word.as_bytes());
    }
    eat(&[0]);
    eat(occurrence.to_string().as_bytes());
    format!("{hash:016x}")
}

/// The code a finding points at, for its fingerprint: the whole lines its
/// range covers, at most the first 1,000 bytes of them.
fn pointed_at<'t>(text: &'t str, range: &std::ops::Range<usize>) -> &'t str {
    let start = crate::source::floor_char_boundary(text, range.start);
    let end = crate::source::floor_char_boundary(text, range.end).max(start);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let cut = crate::source::floor_char_boundary(text, line_end.min(line_start + 1000));
    &text[line_start..cut]
}

/// Resolves every position of `diags` in `text`.
pub fn locate(text: &str, diags: Vec<Diagnostic>) -> Vec<Located> {
    if diags.is_empty() {
        return Vec::new();
    }
    let mut locator = Locator::new(text);
    let mut pos = |r: &std::ops::Range<usize>| (locator.line_col(r.start), locator.line_col(r.end));
    let mut out = Vec::with_capacity(diags.len());
    let mut seen: std::collections::HashMap<(&'static str, &str), usize> = Default::default();
    for diag in diags {
        let code = pointed_at(text, &diag.range);
        let occurrence = seen.entry((diag.rule, code)).or_default();
        let fingerprint = fingerprint(diag.rule, code, *occurrence);
        *occurrence += 1;
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
            fingerprint,
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
    /// Findings the baseline held back.
    pub baselined: usize,
    /// Files with at least one finding.
    pub files_with_findings: usize,
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
