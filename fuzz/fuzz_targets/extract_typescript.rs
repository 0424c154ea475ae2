//! The TypeScript and TSX extractor (tree-sitter, template literals, call
//! chains, loops) and every rule on what it finds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querylint::discover::FileKind;

#[path = "check.rs"]
mod check;

fuzz_target!(|data: &[u8]| {
    let Some((pick, text)) = check::pick_and_text(data) else {
        return;
    };
    let kind = if pick & 1 == 0 {
        FileKind::TypeScript
    } else {
        FileKind::Tsx
    };
    check::lint(text, kind);
});
