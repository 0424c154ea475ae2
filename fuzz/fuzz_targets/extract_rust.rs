//! The Rust extractor (syn, sqlx macros and functions, `format!`, query
//! builders, loops) and every rule on what it finds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querylint::discover::FileKind;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check::lint(text, FileKind::Rust);
    }
});
