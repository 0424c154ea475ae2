//! Property tests: damaged and random input goes through every front end,
//! every rule and every fix without a panic, and every range querylint
//! reports lies inside the text, on character boundaries.
//!
//! Inputs are the fixtures, cut, duplicated, spliced with quotes, dollar
//! quotes, template-literal and comment openers and non-ASCII text; and
//! arbitrary bytes. The case counts keep the suite fast; `PROPTEST_CASES`
//! runs more.

use proptest::prelude::*;
use querylint::config::Settings;
use querylint::diagnostic::{Diagnostic, Severity};
use querylint::discover::{FileKind, classify};
use querylint::fix::{Linted, Mode, fix};
use querylint::lint::{lint_text, syntax_errors};
use querylint::rules::RULES;
use querylint::source::decode;

mod common;

const KINDS: &[FileKind] = FileKind::LINTED;

/// Pieces that unbalance a text in the ways parsers find hardest.
const SPLICES: &[&str] = &[
    "'",
    "\"",
    "`",
    "$$",
    "$tag$",
    "${",
    "}",
    "/*",
    "*/",
    "--",
    "//",
    "(",
    ")",
    "[",
    "{",
    "\\",
    "\n",
    "\r\n",
    "é",
    "😀",
    "\u{feff}",
    "r#\"",
    "format!(\"",
    "sql`",
    ";",
    "NOT IN (SELECT",
    "= NULL",
    "for (const x of xs) {",
    "loop {",
    "\t",
];

fn fixtures() -> Vec<(String, FileKind)> {
    common::files_under(&common::fixtures_dir())
        .into_iter()
        .filter_map(|p| {
            let kind = classify(&p)?;
            Some((std::fs::read_to_string(&p).ok()?, kind))
        })
        .collect()
}

/// Applies a mutation at a position given as a fraction of the text.
fn mutate(text: &str, op: usize, at: f64, len: f64, splice: &str) -> String {
    let boundary = |f: f64| {
        let mut i = ((text.len() as f64) * f) as usize;
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = boundary(at);
    let end = boundary((at + len).min(1.0)).max(start);
    match op % 4 {
        0 => text[..start].to_owned(),
        1 => format!("{}{}{}", &text[..end], &text[start..end], &text[end..]),
        2 => format!("{}{}", &text[..start], &text[end..]),
        _ => format!("{}{splice}{}", &text[..start], &text[start..]),
    }
}

fn check_ranges(text: &str, diags: &[Diagnostic]) -> Result<(), TestCaseError> {
    let ok = |r: &std::ops::Range<usize>| {
        r.start <= r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end)
    };
    for d in diags {
        prop_assert!(
            ok(&d.range),
            "{} at {:?} in a text of {}",
            d.rule,
            d.range,
            text.len()
        );
        for l in &d.labels {
            prop_assert!(ok(&l.range), "label of {} at {:?}", d.rule, l.range);
        }
        for e in d.fix.iter().flat_map(|f| &f.edits) {
            prop_assert!(ok(&e.range), "fix of {} at {:?}", d.rule, e.range);
        }
    }
    Ok(())
}

fn lint_and_fix(text: &str, kind: FileKind) -> Result<(), TestCaseError> {
    let settings = Settings::only(RULES.to_vec());
    let diags = lint_text(text, kind, &settings);
    check_ranges(text, &diags)?;
    let path = std::path::Path::new("");
    let fixed = fix(text, Mode::Unsafe, |t| Linted {
        syntax_errors: syntax_errors(path, t, kind, &settings),
        findings: lint_text(t, kind, &settings),
    });
    check_ranges(&fixed.text, &fixed.remaining)?;
    // Fixing never leaves a warning or an error the text did not have.
    let count = |diags: &[Diagnostic], rule: &str| {
        diags
            .iter()
            .filter(|d| d.rule == rule && d.severity <= Severity::Warning)
            .count()
    };
    for d in &fixed.remaining {
        prop_assert!(
            d.severity > Severity::Warning
                || count(&fixed.remaining, d.rule) <= count(&diags, d.rule),
            "fixing left a new `{}`: {:?}\n{}",
            d.rule,
            d.message,
            fixed.text
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn damaged_fixtures_lint_and_fix_without_a_panic(
        pick in any::<prop::sample::Index>(),
        ops in prop::collection::vec((0usize..4, 0.0f64..1.0, 0.0f64..0.3, any::<prop::sample::Index>()), 1..4),
        as_kind in any::<prop::sample::Index>(),
    ) {
        let all = fixtures();
        let (text, kind) = &all[pick.index(all.len())];
        let mut text = text.clone();
        for (op, at, len, splice) in ops {
            text = mutate(&text, op, at, len, SPLICES[splice.index(SPLICES.len())]);
        }
        lint_and_fix(&text, *kind)?;
        // The same text read as another kind of file.
        lint_and_fix(&text, KINDS[as_kind.index(KINDS.len())])?;
    }

    #[test]
    fn arbitrary_bytes_are_refused_or_linted(bytes in prop::collection::vec(any::<u8>(), 0..600), kind in any::<prop::sample::Index>()) {
        if let Ok(text) = decode(bytes) {
            lint_and_fix(&text, KINDS[kind.index(KINDS.len())])?;
        }
    }

    #[test]
    fn arbitrary_text_lints_without_a_panic(text in "\\PC{0,300}", kind in any::<prop::sample::Index>()) {
        lint_and_fix(&text, KINDS[kind.index(KINDS.len())])?;
    }
}
