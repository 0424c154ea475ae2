//! The terminal report: miette's graphical rendering of each finding with
//! the code underlined, then a summary line.

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use super::{Located, Summary};
use crate::diagnostic::{FixSafety, Severity};

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
    let source = std::sync::Arc::new(NamedSource::new(path, text.to_owned()));
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
        help.push_str(&format!("\nrun `querylint explain {}` for details", d.rule));
        let primary = LabeledSpan::new_primary_with_span(None, d.range.start..d.range.end);
        let labels = std::iter::once(primary).chain(
            d.labels
                .iter()
                .map(|l| LabeledSpan::at(l.range.start..l.range.end, l.message.clone())),
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
        let report = miette::Report::new(diagnostic).with_source_code(source.clone());
        let _ = handler.render_report(&mut out, report.as_ref());
        out.push('\n');
    }
    out
}

/// The closing line of a human report.
pub fn render_summary(summary: &Summary) -> String {
    let files = plural(summary.files_linted, "file");
    if summary.total() == 0 {
        return format!("All checks passed: no problems in {files}.\n");
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
        "Found {} ({}) in {files}.\n",
        plural(summary.total(), "problem"),
        parts.join(", ")
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
