//! The terminal report: miette's graphical rendering of each finding with
//! the code underlined, then a summary line.

use std::ops::Range;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::{Located, Summary};
use crate::diagnostic::{FixSafety, Severity};
use crate::source::{LineIndex, floor_char_boundary};

/// How far a snippet reaches left and right of the code it shows, in bytes,
/// when the line is longer than that.
const CLIP: usize = 160;
/// Labels further than this from the primary range are left out of the
/// snippet, and ranges longer than this are shown shortened.
const MAX_SPAN: usize = 4096;

/// The part of a file one finding shows, handed to miette as its source.
///
/// miette finds line numbers by scanning its source from the start, and
/// fails on columns past 65535; giving it only the few lines (or, on a long
/// line, the few hundred bytes) around the finding keeps rendering linear in
/// the number of findings and safe on minified SQL. Line numbers and columns
/// stay those of the whole file.
struct Excerpt {
    name: String,
    text: String,
    /// Where `text` starts in the file: byte offset, 0-based line, and
    /// 0-based column in characters.
    offset: usize,
    line: usize,
    column: usize,
}

impl Excerpt {
    fn new(name: &str, file: &str, index: &LineIndex, window: Range<usize>) -> Self {
        let start = floor_char_boundary(file, window.start);
        let mut end = window.end.min(file.len());
        while !file.is_char_boundary(end) {
            end += 1;
        }
        let at = index.line_col(file, start);
        Excerpt {
            name: name.to_owned(),
            text: file[start..end].to_owned(),
            offset: start,
            line: at.line - 1,
            column: at.column - 1,
        }
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let local = SourceSpan::new(span.offset().saturating_sub(self.offset).into(), span.len());
        let inner = self.text.as_str().read_span(&local, before, after)?;
        let data = inner.data();
        let data_start = inner.span().offset();
        // miette counts columns in bytes; report characters, as JSON does.
        let line_start = self.text[..data_start.min(self.text.len())]
            .rfind(['\n', '\r'])
            .map_or(0, |i| i + 1);
        let chars = self
            .text
            .get(line_start..data_start)
            .map_or(0, |s| s.chars().count());
        let column = if inner.line() == 0 {
            self.column + chars
        } else {
            chars
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            SourceSpan::new((data_start + self.offset).into(), inner.span().len()),
            inner.line() + self.line,
            column,
            inner.line_count(),
        )))
    }
}

/// The byte window of a file a finding's snippet shows: its lines, one line
/// of context each side, clipped to [`CLIP`] bytes beyond the ranges.
fn window(file: &str, index: &LineIndex, ranges: &[Range<usize>]) -> Range<usize> {
    let lo = ranges.iter().map(|r| r.start).min().unwrap_or(0);
    let hi = ranges.iter().map(|r| r.end).max().unwrap_or(0);
    let first = index.line_col(file, lo).line;
    let last = index.line_col(file, hi).line;
    let start = index
        .line_range(file, first.saturating_sub(1).max(1))
        .map_or(0, |r| r.start);
    let end = index
        .line_range(file, last + 1)
        .or_else(|| index.line_range(file, last))
        .map_or(file.len(), |r| r.end);
    start.max(lo.saturating_sub(CLIP))..end.min(hi + CLIP)
}

/// Shortens a range to at most [`MAX_SPAN`] bytes, for display.
fn shortened(file: &str, r: &Range<usize>) -> Range<usize> {
    r.start..floor_char_boundary(file, r.end.min(r.start + MAX_SPAN)).max(r.start)
}

/// The lines a fix changes, before and after, when they are few: what to
/// write instead, shown under the finding.
fn preview(text: &str, fix: &crate::diagnostic::Fix) -> Option<String> {
    const MAX_LINES: usize = 6;
    let lo = fix.edits.iter().map(|e| e.range.start).min()?;
    let hi = fix.edits.iter().map(|e| e.range.end).max()?;
    if hi > text.len() || !text.is_char_boundary(lo) || !text.is_char_boundary(hi) {
        return None;
    }
    let start = text[..lo].rfind('\n').map_or(0, |i| i + 1);
    let end = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
    let before = &text[start..end];
    let shifted: Vec<crate::diagnostic::Edit> = fix
        .edits
        .iter()
        .map(|e| crate::diagnostic::Edit {
            range: e.range.start - start..e.range.end - start,
            content: e.content.clone(),
        })
        .collect();
    let shifted = crate::diagnostic::Fix {
        edits: shifted,
        ..fix.clone()
    };
    let (after, _) = crate::fix::apply(before, std::iter::once(&shifted), false);
    let before_lines: Vec<&str> = before.lines().collect();
    let after_lines: Vec<&str> = after.lines().collect();
    if before_lines.len() + after_lines.len() > MAX_LINES * 2 || before == after {
        return None;
    }
    let mut out = String::new();
    for line in before_lines {
        out.push_str(&format!("\n  - {}", line.trim_end()));
    }
    for line in after_lines {
        out.push_str(&format!("\n  + {}", line.trim_end()));
    }
    Some(out)
}

/// Renders the findings of one file.
pub fn render_file(path: &str, text: &str, diags: &[Located], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100);
    let index = LineIndex::new(text);
    let mut out = String::new();
    for located in diags {
        let d = &located.diag;
        let mut help = d.help.clone().unwrap_or_default();
        if let Some(fix) = &d.fix {
            let kind = match fix.safety {
                FixSafety::Safe => "fix",
                FixSafety::Unsafe => "unsafe fix",
                FixSafety::DisplayOnly => "suggestion",
            };
            help.push_str(&format!("\n{kind}: {}", fix.title));
            if let Some(preview) = preview(text, fix) {
                help.push_str(&preview);
            }
        }
        help.push_str(&format!("\nrun `querylint explain {}` for details", d.rule));
        let primary = shortened(text, &d.range);
        let near = |r: &Range<usize>| {
            r.start + MAX_SPAN >= primary.start && r.end <= primary.end + MAX_SPAN
        };
        let labels: Vec<(Range<usize>, &str)> = d
            .labels
            .iter()
            .filter(|l| near(&l.range))
            .map(|l| (shortened(text, &l.range), l.message.as_str()))
            .collect();
        let mut ranges: Vec<Range<usize>> = labels.iter().map(|(r, _)| r.clone()).collect();
        ranges.push(primary.clone());
        let source = Excerpt::new(path, text, &index, window(text, &index, &ranges));
        let labels = std::iter::once(LabeledSpan::new_primary_with_span(None, primary)).chain(
            labels
                .into_iter()
                .map(|(r, m)| LabeledSpan::at(r, m.to_owned())),
        );
        let diagnostic = MietteDiagnostic::new(d.message.clone())
            .with_code(d.rule)
            .with_severity(match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            })
            .with_help(help)
            .with_labels(labels);
        let report = miette::Report::new(diagnostic).with_source_code(source);
        let _ = handler.render_report(&mut out, report.as_ref());
        out.push('\n');
    }
    out
}

/// The closing line of a human report.
pub fn render_summary(summary: &Summary) -> String {
    let mut out = String::new();
    if summary.fixed > 0 {
        out.push_str(&format!(
            "Fixed {}; {} remaining.\n",
            plural(summary.fixed, "finding"),
            summary.total()
        ));
    }
    out.push_str(&render_counts(summary));
    if summary.baselined > 0 {
        out.push_str(&format!(
            "{} in the baseline not shown.\n",
            plural(summary.baselined, "finding")
        ));
    }
    if summary.fixable > 0 {
        out.push_str(&format!(
            "{} can be fixed with `--fix`.\n",
            plural(summary.fixable, "finding")
        ));
    }
    if summary.unsafe_fixable > 0 {
        let more = if summary.fixable > 0 { " more" } else { "" };
        out.push_str(&format!(
            "{}{more} can be fixed with `--fix --unsafe-fixes` (review each change: such fixes can change what the code does).\n",
            plural(summary.unsafe_fixable, "finding")
        ));
    }
    out
}

fn render_counts(summary: &Summary) -> String {
    let files = plural(summary.files_linted, "file");
    let skipped = if summary.files_skipped > 0 {
        format!(
            "; {} skipped (see the warnings above)",
            plural(summary.files_skipped, "file")
        )
    } else {
        String::new()
    };
    if summary.total() == 0 {
        if summary.files_linted == 0 && summary.files_skipped > 0 {
            return format!(
                "Nothing was checked: {} skipped (see the warnings above).\n",
                plural(summary.files_skipped, "file")
            );
        }
        return format!("All checks passed: no problems in {files}{skipped}.\n");
    }
    let mut parts = Vec::new();
    if summary.errors > 0 {
        parts.push(plural(summary.errors, "error"));
    }
    if summary.warnings > 0 {
        parts.push(plural(summary.warnings, "warning"));
    }
    if summary.infos > 0 {
        parts.push(plural(summary.infos, "note"));
    }
    format!(
        "Found {} ({}) in {} of {files} checked{skipped}.\n",
        plural(summary.total(), "problem"),
        parts.join(", "),
        summary.files_with_findings,
    )
}

/// One line a finding, as compilers and ruff's `concise` print them:
/// `path:line:col: severity[rule] message`, with the summary after.
pub fn render_concise(files: &[super::FileReport], summary: &Summary) -> String {
    let mut out = String::new();
    for file in files {
        for d in &file.diagnostics {
            out.push_str(&format!(
                "{}:{}:{}: {}[{}] {}\n",
                file.path,
                d.start.line,
                d.start.column,
                d.diag.severity.as_str(),
                d.diag.rule,
                d.diag.message
            ));
        }
    }
    out.push_str(&render_counts(summary));
    out
}

/// The count of findings per rule, most first (`--statistics`).
pub fn render_statistics(summary: &Summary) -> String {
    let mut rows: Vec<(&&str, &usize)> = summary.by_rule.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    rows.iter()
        .map(|(rule, n)| format!("{n:>6}  {rule}\n"))
        .collect()
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
