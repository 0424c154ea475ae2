//! `--format github`: GitHub Actions workflow commands, which GitHub shows
//! as annotations on the pull request's changed lines.

use super::FileReport;
use crate::diagnostic::Severity;

/// Escapes a command's message as GitHub's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`), where `:` and `,` end it.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error file=...::message` line per finding.
pub fn render(files: &[FileReport]) -> String {
    let mut out = String::new();
    for file in files {
        for located in &file.diagnostics {
            let d = &located.diag;
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let message = d.message_with_help("\n");
            out.push_str(&format!(
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                escape_property(&file.path.replace('\\', "/")),
                located.start.line,
                located.start.column,
                located.end.line,
                located.end.column,
                escape_property(&format!("querylint ({})", d.rule)),
                escape_data(&message),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped() {
        assert_eq!(escape_data("50% off\nnow"), "50%25 off%0Anow");
        assert_eq!(escape_property("a,b: c"), "a%2Cb%3A c");
    }
}
