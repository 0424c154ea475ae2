//! What every fuzz target asserts of what querylint reports: every range
//! lies inside the text and on character boundaries.

use querylint::diagnostic::Diagnostic;
use querylint::discover::FileKind;
use querylint::config::Settings;
use querylint::lint::{lint_text};
use querylint::rules::RULES;
use std::ops::Range;

pub fn range_in(text: &str, r: &Range<usize>, what: &str) {
    assert!(
        r.start <= r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end),
        "{what} at {r:?} in a text of {} bytes",
        text.len()
    );
}

pub fn diagnostics_in(text: &str, diags: &[Diagnostic]) {
    for d in diags {
        range_in(text, &d.range, d.rule);
        for l in &d.labels {
            range_in(text, &l.range, "a label");
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            range_in(text, &e.range, "a fix edit");
        }
    }
}

/// Every rule on, every finding checked.
#[allow(dead_code)] // not every target lints
pub fn lint(text: &str, kind: FileKind) -> Vec<Diagnostic> {
    let settings = Settings::only(RULES.to_vec());
    let diags = lint_text(text, kind, &settings);
    diagnostics_in(text, &diags);
    diags
}

/// The fuzz input as a leading byte that picks how to read the rest, and
/// the rest as text; `None` when it is empty or not UTF-8.
#[allow(dead_code)] // not every target picks
pub fn pick_and_text(data: &[u8]) -> Option<(u8, &str)> {
    let (&pick, rest) = data.split_first()?;
    Some((pick, std::str::from_utf8(rest).ok()?))
}
