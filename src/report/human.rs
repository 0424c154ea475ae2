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

/// How wide a snippet or a fix preview is at most, in characters: a longer
/// line is cropped to a window around the code, with `…` where it was cut.
const WIDTH: usize = 120;
/// How much of a long range on one line is underlined, in characters.
const UNDERLINE: usize = 80;
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
    /// The window's text, with `…` before it and after it where it cuts a
    /// line.
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
        // A line cut at the start gets a mark before the window; offsets
        // and columns count it as the (three-byte, one-column) text before
        // the cut, so they stay the file's. The window cuts only where
        // three bytes of the line stand before it.
        let cut_start = start >= 3 && !matches!(file.as_bytes()[start - 1], b'\n' | b'\r');
        let cut_end = end < file.len() && !matches!(file.as_bytes()[end], b'\n' | b'\r');
        let mut text = String::with_capacity(end - start + 8);
        let (offset, column) = if cut_start {
            text.push('…');
            (start - '…'.len_utf8(), at.column - 2)
        } else {
            (start, at.column - 1)
        };
        text.push_str(&file[start..end]);
        if cut_end {
            text.push('…');
        }
        Excerpt {
            name: name.to_owned(),
            text,
            offset,
            line: at.line - 1,
            column,
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
/// of context each side. A first or last line wider than [`WIDTH`] is
/// cropped to a window around the ranges, at a space where one is near.
fn window(file: &str, index: &LineIndex, ranges: &[Range<usize>]) -> Range<usize> {
    let lo = ranges.iter().map(|r| r.start).min().unwrap_or(0);
    let hi = ranges.iter().map(|r| r.end).max().unwrap_or(0);
    let first = index.line_col(file, lo).line;
    let last = index.line_col(file, hi).line;
    let mut start = index
        .line_range(file, first.saturating_sub(1).max(1))
        .map_or(0, |r| r.start);
    let mut end = index
        .line_range(file, last + 1)
        .or_else(|| index.line_range(file, last))
        .map_or(file.len(), |r| r.end);
    let Some(first_line) = index.line_range(file, first) else {
        return start..end;
    };
    let last_line = index.line_range(file, last).unwrap_or(first_line.clone());
    let wide = |line: &Range<usize>| file[line.clone()].chars().nth(WIDTH).is_some();
    // What the code takes of the first line, and the room left either side.
    let shown = file[lo..hi.min(first_line.end).max(lo)].chars().count();
    let margin = (WIDTH.saturating_sub(shown) / 2).max(16);
    if wide(&first_line) {
        let cut = back_chars(file, lo, margin);
        let cut = word_start(file, cut, lo);
        if cut >= first_line.start + 3 {
            start = cut;
        }
    }
    if wide(&last_line) {
        let cut = ahead_chars(file, hi, margin).min(last_line.end);
        let cut = word_end(file, cut, hi);
        if cut < last_line.end {
            end = cut;
        }
    }
    start..end
}

/// The offset `n` characters before `at` (or the start of the text).
fn back_chars(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

/// The offset `n` characters after `at` (or the end of the text).
fn ahead_chars(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

/// A window start at `cut`, moved on to the start of a word when one
/// starts within a few characters (never past `limit`).
fn word_start(text: &str, cut: usize, limit: usize) -> usize {
    text[cut..limit]
        .char_indices()
        .take(12)
        .find(|(_, c)| c.is_whitespace())
        .map_or(cut, |(i, c)| cut + i + c.len_utf8())
}

/// A window end at `cut`, moved back to the end of a word when one ends
/// within a few characters (never before `limit`).
fn word_end(text: &str, cut: usize, limit: usize) -> usize {
    text[limit..cut]
        .char_indices()
        .rev()
        .take(12)
        .find(|(_, c)| c.is_whitespace())
        .map_or(cut, |(i, _)| limit + i)
}

/// Shortens a range for display: to [`UNDERLINE`] characters on one line,
/// and to [`MAX_SPAN`] bytes over several.
fn shortened(file: &str, r: &Range<usize>) -> Range<usize> {
    let end = r.end.min(file.len()).max(r.start);
    let text = &file[r.start.min(end)..end];
    if !text.contains(['\n', '\r']) {
        return r.start..ahead_chars(file, r.start, UNDERLINE).min(end);
    }
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
    // Long lines are cropped to the same columns before and after: a
    // window from a little before the first change.
    let changed = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len(), |((i, _), _)| i);
    let line_start = before[..changed].rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..changed].chars().count();
    let from = column.saturating_sub(WIDTH / 3);
    let crop = |line: &str| -> String {
        let line = line.trim_end();
        if line.chars().nth(WIDTH).is_none() {
            return line.to_owned();
        }
        let mut out = String::new();
        if from > 0 {
            out.push('…');
        }
        out.extend(line.chars().skip(from).take(WIDTH));
        if line.chars().count() > from + WIDTH {
            out.push('…');
        }
        out
    };
    let mut out = String::new();
    for line in before_lines {
        out.push_str(&format!("\n          - {}", crop(line)));
    }
    for line in after_lines {
        out.push_str(&format!("\n          + {}", crop(line)));
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
        }
        // The preview is code: it goes under the help as it is, never
        // wrapped to the help's width.
        let preview = d.fix.as_ref().and_then(|fix| preview(text, fix));
        let explain = format!("run `querylint explain {}` for details", d.rule);
        let primary = shortened(text, &d.range);
        // Labels near the finding; on its own line, only those that fit
        // in the snippet's width.
        let line_of = |at: usize| index.line_col(text, at).line;
        let near = |r: &Range<usize>| {
            let close = r.start + MAX_SPAN >= primary.start && r.end <= primary.end + MAX_SPAN;
            let same_line = line_of(r.start) == line_of(primary.start);
            close && (!same_line || r.start.abs_diff(primary.start) < WIDTH / 2)
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
            .with_help(if help.is_empty() {
                explain.clone()
            } else {
                help.clone()
            })
            .with_labels(labels);
        let report = miette::Report::new(diagnostic).with_source_code(source);
        let mut rendered = String::new();
        let _ = handler.render_report(&mut rendered, report.as_ref());
        out.push_str(rendered.trim_end());
        if let Some(preview) = preview {
            out.push_str(&preview);
        }
        if !help.is_empty() {
            out.push_str(&format!("\n        {explain}"));
        }
        out.push_str("\n\n");
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
