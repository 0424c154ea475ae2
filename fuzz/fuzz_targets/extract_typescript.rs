//! The TypeScript and TSX extractor (tree-sitter, template literals, call
//! chains, loops) and every rule on what it finds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querylint::discover::FileKind;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = if pick & 1 == 0 {
        FileKind::TypeScript
    } else {
        FileKind::Tsx
    };
    check::lint(text, kind);
});
