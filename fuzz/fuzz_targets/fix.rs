//! The fix engine, unsafe fixes included, on any kind of file: it ends, it
//! reports ranges inside the fixed text, and it never leaves more syntax
//! errors than it found.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querylint::discover::FileKind;
use querylint::fix::{Mode, fix};
use querylint::config::Settings;
use querylint::lint::{lint_text, syntax_errors};
use querylint::rules::RULES;

#[path = "check.rs"]
mod check;

const KINDS: &[FileKind] = FileKind::LINTED;

fuzz_target!(|data: &[u8]| {
    let Some((pick, text)) = check::pick_and_text(data) else {
        return;
    };
    let kind = KINDS[usize::from(pick) % KINDS.len()];
    let settings = Settings::only(RULES.to_vec());
    let path = std::path::Path::new("");
    let before = syntax_errors(path, text, kind, &settings);
    let fixed = fix(
        text,
        Mode::Unsafe,
        |t| lint_text(t, kind, &settings),
        |t| syntax_errors(path, t, kind, &settings),
    );
    check::diagnostics_in(&fixed.text, &fixed.remaining);
    assert!(
        syntax_errors(path, &fixed.text, kind, &settings) <= before,
        "a fix added a syntax error"
    );
});
