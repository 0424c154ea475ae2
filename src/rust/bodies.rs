//! The function bodies `syn` need not read.
//!
//! Most of a file that talks to a database is code that does not: types,
//! parsing, arithmetic. Before `syn` parses a file, a token scan finds the
//! bodies of its functions and methods, and blanks (with spaces, keeping
//! line breaks and byte offsets) each body that holds no database sign and
//! no link to one that does. Signatures stay, so every function is still
//! known by name, owner and arity; spans stay, as the blanked text has the
//! same length.
//!
//! A body is kept when it holds a database sign, names a kept function (it
//! calls one, and may pass it request data), or is the body of a function
//! a kept body names (a helper that builds or quotes SQL), until nothing
//! changes. Bodies inside another function or inside a macro call are read
//! with what holds them.

use foldhash::HashSet;
use std::ops::Range;

/// Text that makes a body worth reading beyond the database signs: SQL
/// written in a string.
const SQL_SIGNS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "select ", "insert ", "delete ",
];

static SQL: std::sync::LazyLock<aho_corasick::AhoCorasick> =
    std::sync::LazyLock::new(|| aho_corasick::AhoCorasick::new(SQL_SIGNS).expect("valid patterns"));

/// A function body the token scan found.
struct Body<'t> {
    /// The function's name.
    name: &'t str,
    /// Between its braces.
    inner: Range<usize>,
    /// The identifiers it holds.
    words: HashSet<&'t str>,
    keep: bool,
}

/// `text` with the bodies nothing links to a database blanked, and the
/// blanked ranges; `None` when nothing is blanked or the text does not
/// scan (an unclosed bracket or literal: `syn` then reads it all, and says
/// why it fails). `sign` says whether a body's text holds a database sign;
/// `linked` whether one of its identifiers names something the caller
/// needs read (a wrapper).
pub fn blank(
    text: &str,
    sign: &dyn Fn(&str) -> bool,
    linked: &dyn Fn(&str) -> bool,
) -> Option<(String, Vec<Range<usize>>)> {
    let mut bodies = bodies(text)?;
    for b in &mut bodies {
        let inner = &text[b.inner.clone()];
        b.keep = sign(inner) || SQL.is_match(inner) || b.words.iter().any(|w| linked(w));
    }
    let mut kept_names: HashSet<&str> = HashSet::default();
    let mut kept_words: HashSet<&str> = HashSet::default();
    for b in bodies.iter().filter(|b| b.keep) {
        kept_names.insert(b.name);
        kept_words.extend(b.words.iter().copied());
    }
    loop {
        let mut changed = false;
        for b in bodies.iter_mut().filter(|b| !b.keep) {
            if kept_words.contains(b.name) || b.words.iter().any(|w| kept_names.contains(w)) {
                b.keep = true;
                changed = true;
                kept_names.insert(b.name);
                kept_words.extend(b.words.iter().copied());
            }
        }
        if !changed {
            break;
        }
    }
    let blanked: Vec<Range<usize>> = bodies
        .into_iter()
        .filter(|b| !b.keep && !b.inner.is_empty())
        .map(|b| b.inner)
        .collect();
    if blanked.is_empty() {
        return None;
    }
    let mut out = text.as_bytes().to_vec();
    for r in &blanked {
        for byte in &mut out[r.clone()] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    // Whole UTF-8 sequences were replaced by ASCII spaces.
    String::from_utf8(out).ok().map(|masked| (masked, blanked))
}

/// The blanked text with each blanked body's spaces dropped, but for
/// its line breaks and the spaces of its last line: for syn, which skips
/// whitespace a character at a time, a cheaper text that puts every token
/// at the same line and column. Spans read from it are located in the
/// blanked text (whose bytes are the original's) by line and column.
pub fn compact(masked: &str, blanked: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(masked.len());
    let mut at = 0;
    for r in blanked {
        out.push_str(&masked[at..r.start]);
        let body = &masked[r.clone()];
        match body.rfind('\n') {
            Some(last) => {
                out.extend(std::iter::repeat_n('\n', body.matches('\n').count()));
                out.push_str(&body[last + 1..]);
            }
            None => out.push_str(body),
        }
        at = r.end;
    }
    out.push_str(&masked[at..]);
    out
}

/// A token of the scan.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Ident,
    Open(u8),
    Close(u8),
    Punct(u8),
    Literal,
}

/// What an open bracket holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Plain,
    /// The body of the function at this index of the list.
    Body(usize),
    /// A macro call's or definition's tokens.
    Macro,
}

/// The bodies of the functions and methods of `text` that lie in no other
/// function's body and no macro call.
fn bodies(text: &str) -> Option<Vec<Body<'_>>> {
    let mut lexer = Lexer {
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut found: Vec<Body> = Vec::new();
    let mut frames: Vec<(u8, Frame)> = Vec::new();
    // Frames that are a body or a macro: inside one, nothing is looked for.
    let mut closed = 0usize;
    // The body being read, if any (the innermost `Body` frame).
    let mut current: Option<usize> = None;
    // `fn` seen, then its name and the depth its body opens at.
    let mut saw_fn = false;
    let mut named: Option<(&str, usize)> = None;
    // An identifier then `!` (then perhaps a name): a macro's brackets follow.
    let mut bang = 0u8;
    let mut last = Tok::Punct(b' ');
    while let Some(next) = lexer.next() {
        let (tok, range) = next?;
        let word = &text[range.clone()];
        match tok {
            Tok::Ident => {
                if let Some(i) = current {
                    found[i].words.insert(word.trim_start_matches("r#"));
                }
                if closed == 0 {
                    if saw_fn {
                        named = Some((word, frames.len()));
                        saw_fn = false;
                    } else {
                        saw_fn = word == "fn";
                    }
                }
                bang = if bang == 1 { 2 } else { 0 };
            }
            Tok::Punct(b'!') => {
                saw_fn = false;
                bang = u8::from(closed == 0 && last == Tok::Ident);
            }
            Tok::Punct(c) => {
                saw_fn = false;
                bang = 0;
                if c == b';' && named.is_some_and(|(_, depth)| depth == frames.len()) {
                    named = None;
                }
            }
            Tok::Literal => {
                saw_fn = false;
                bang = 0;
            }
            Tok::Open(c) => {
                saw_fn = false;
                let frame = if bang > 0 {
                    Frame::Macro
                } else if closed == 0
                    && c == b'{'
                    && named.is_some_and(|(_, depth)| depth == frames.len())
                {
                    let (name, _) = named.take().expect("checked");
                    found.push(Body {
                        name,
                        inner: range.end..range.end,
                        words: HashSet::default(),
                        keep: false,
                    });
                    current = Some(found.len() - 1);
                    Frame::Body(found.len() - 1)
                } else {
                    Frame::Plain
                };
                bang = 0;
                if frame != Frame::Plain {
                    closed += 1;
                }
                frames.push((closing(c), frame));
            }
            Tok::Close(c) => {
                saw_fn = false;
                bang = 0;
                let (expected, frame) = frames.pop()?;
                if expected != c {
                    return None;
                }
                match frame {
                    Frame::Plain => {}
                    Frame::Body(i) => {
                        found[i].inner.end = range.start;
                        closed -= 1;
                        current = None;
                    }
                    Frame::Macro => closed -= 1,
                }
                if named.is_some_and(|(_, depth)| depth > frames.len()) {
                    named = None;
                }
            }
        }
        last = tok;
    }
    frames.is_empty().then_some(found)
}

fn closing(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// Rust's tokens, as far as brackets, identifiers and literals go.
struct Lexer<'t> {
    bytes: &'t [u8],
    at: usize,
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    /// The next token; `Some(None)` when the text does not lex.
    fn next(&mut self) -> Option<Option<(Tok, Range<usize>)>> {
        self.skip_space()?;
        let start = self.at;
        let b = self.peek(0)?;
        let tok = if ident_start(b) {
            return Some(self.word(start));
        } else if b.is_ascii_digit() {
            while self.peek(0).is_some_and(|c| {
                ident_continue(c) || (c == b'.' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
            }) {
                self.at += 1;
            }
            Tok::Literal
        } else if b == b'"' {
            self.at += 1;
            if !self.quoted(b'"') {
                return Some(None);
            }
            Tok::Literal
        } else if b == b'\'' {
            return Some(self.quote(start));
        } else {
            self.at += 1;
            match b {
                b'(' | b'[' | b'{' => Tok::Open(b),
                b')' | b']' | b'}' => Tok::Close(b),
                _ => Tok::Punct(b),
            }
        };
        Some(Some((tok, start..self.at)))
    }

    /// Skips white space and comments; `None` at the end of the text or
    /// in an unclosed block comment.
    fn skip_space(&mut self) -> Option<()> {
        loop {
            match (self.peek(0)?, self.peek(1)) {
                (b'/', Some(b'/')) => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.at += 1;
                    }
                }
                (b'/', Some(b'*')) => {
                    self.at += 2;
                    let mut depth = 1;
                    while depth > 0 {
                        match (self.peek(0)?, self.peek(1)) {
                            (b'/', Some(b'*')) => {
                                depth += 1;
                                self.at += 2;
                            }
                            (b'*', Some(b'/')) => {
                                depth -= 1;
                                self.at += 2;
                            }
                            _ => self.at += 1,
                        }
                    }
                }
                (c, _) if c.is_ascii_whitespace() => self.at += 1,
                _ => return Some(()),
            }
        }
    }

    /// An identifier, a keyword, or a literal with a prefix (`b"..."`,
    /// `r#"..."#`, `b'x'`, `c"..."`).
    fn word(&mut self, start: usize) -> Option<(Tok, Range<usize>)> {
        while self.peek(0).is_some_and(ident_continue) {
            self.at += 1;
        }
        let word = &self.bytes[start..self.at];
        let raw = matches!(word, b"r" | b"br" | b"cr");
        match self.peek(0) {
            Some(b'"') if matches!(word, b"b" | b"c") || raw => {
                self.at += 1;
                let ok = if raw { self.raw(0) } else { self.quoted(b'"') };
                ok.then_some((Tok::Literal, start..self.at))
            }
            Some(b'#') if raw => {
                let mut hashes = 0;
                while self.peek(hashes) == Some(b'#') {
                    hashes += 1;
                }
                if self.peek(hashes) == Some(b'"') {
                    self.at += hashes + 1;
                    self.raw(hashes).then_some((Tok::Literal, start..self.at))
                } else if word == b"r" && self.peek(1).is_some_and(ident_start) {
                    // A raw identifier: `r#type`.
                    self.at += 1;
                    while self.peek(0).is_some_and(ident_continue) {
                        self.at += 1;
                    }
                    Some((Tok::Ident, start..self.at))
                } else {
                    Some((Tok::Ident, start..self.at))
                }
            }
            Some(b'\'') if word == b"b" => {
                self.at += 1;
                self.quoted(b'\'').then_some((Tok::Literal, start..self.at))
            }
            _ => Some((Tok::Ident, start..self.at)),
        }
    }

    /// Reads up to the unescaped `end`, past the opening quote.
    fn quoted(&mut self, end: u8) -> bool {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == b'\\' {
                self.at += 1;
            } else if c == end {
                return true;
            }
        }
        false
    }

    /// Reads a raw string's text up to `"` and `hashes` `#`.
    fn raw(&mut self, hashes: usize) -> bool {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            if c == b'"' && (0..hashes).all(|i| self.peek(i) == Some(b'#')) {
                self.at += hashes;
                return true;
            }
        }
        false
    }

    /// A character literal (`'x'`, `'\n'`, `'é'`), or a lifetime or label
    /// (`'a`), at `start`.
    fn quote(&mut self, start: usize) -> Option<(Tok, Range<usize>)> {
        self.at += 1;
        if self.peek(0) == Some(b'\\') {
            return self.quoted(b'\'').then_some((Tok::Literal, start..self.at));
        }
        // One character, however many bytes it takes.
        let width = match self.peek(0)? {
            c if c < 0x80 => 1,
            c if c >= 0xf0 => 4,
            c if c >= 0xe0 => 3,
            _ => 2,
        };
        if self.peek(width) == Some(b'\'') {
            self.at += width + 1;
            return Some((Tok::Literal, start..self.at));
        }
        // A lifetime: its name is read as the next token.
        Some((Tok::Punct(b'\''), start..self.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(body: &str) -> bool {
        body.contains("sqlx")
    }

    fn kept(text: &str) -> String {
        match blank(text, &database, &|_| false) {
            Some((masked, _)) => masked,
            None => text.to_owned(),
        }
    }

    #[test]
    fn blanks_a_body_with_no_database_code_and_keeps_its_signature() {
        let text = "pub fn score(x: u8) -> u8 {\n    x * 2\n}\npub async fn load(p: &PgPool) { sqlx::query(\"SELECT 1\").execute(p).await; }\n";
        let masked = kept(text);
        assert_eq!(masked.len(), text.len());
        assert!(masked.starts_with("pub fn score(x: u8) -> u8 {\n         \n}\n"));
        assert!(masked.contains("sqlx::query(\"SELECT 1\")"));
        syn::parse_file(&masked).expect("the blanked text parses");
    }

    #[test]
    fn keeps_the_helpers_a_kept_body_calls_and_the_functions_that_call_it() {
        let text = "fn quote(s: &str) -> String { format!(\"'{s}'\") }\n\
                    fn handler(q: Query<F>) { run(&q.sort) }\n\
                    fn run(s: &str) { sqlx::query(&quote(s)); }\n\
                    fn unrelated() { let x = 1; }\n";
        let masked = kept(text);
        assert!(masked.contains("format!"));
        assert!(masked.contains("run(&q.sort)"));
        assert!(!masked.contains("let x = 1"));
    }

    #[test]
    fn reads_methods_and_leaves_nested_functions_and_macros_to_what_holds_them() {
        let text = "impl Repo {\n    fn plain(&self) -> u8 { fn inner() {} 1 }\n    async fn find(&self) { sqlx::query!(\"SELECT 1\"); }\n}\n\
                    macro_rules! m { () => { fn made() { let y = 2; } } }\n\
                    trait T { fn declared(&self); fn given(&self) { let z = 3; } }\n";
        let masked = kept(text);
        assert!(!masked.contains("fn inner"));
        assert!(masked.contains("fn plain(&self) -> u8 {"));
        assert!(masked.contains("let y = 2"));
        assert!(!masked.contains("let z = 3"));
        assert!(masked.contains("fn declared(&self);"));
        syn::parse_file(&masked).expect("the blanked text parses");
    }

    #[test]
    fn literals_and_comments_do_not_confuse_the_brackets() {
        let text = "fn a() -> char { let _s = r#\"}\"#; let _b = b\"{\"; /* } /* { */ */ '}' }\n\
                    fn b<'x>(v: &'x str) -> &'x str { // }\n v }\n\
                    fn c() { let _ = \"\\\"}\"; let _ = 'é'; }\n\
                    fn d() { sqlx::query(\"SELECT 1\"); }\n";
        let masked = kept(text);
        assert_eq!(masked.len(), text.len());
        syn::parse_file(&masked).expect("the blanked text parses");
        assert!(!masked.contains("'é'"));
        assert!(masked.contains("sqlx::query"));
    }

    #[test]
    fn text_that_does_not_scan_is_left_whole() {
        assert!(blank("fn a() { let s = \"open; }", &database, &|_| false).is_none());
        assert!(blank("fn a() { ( }", &database, &|_| false).is_none());
    }
}
