//! The plain SQL statements inside an anonymous `DO` block.
//!
//! drizzle-kit wraps every foreign key it adds in
//! `DO $$ BEGIN ALTER TABLE ... ; EXCEPTION WHEN duplicate_object THEN null;
//! END $$;`, and hand-written migrations guard DDL with
//! `IF NOT EXISTS (...) THEN ... END IF;`. The body is PL/pgSQL, which no
//! SQL parser reads; but the statements that matter to a migration linter
//! are plain SQL statements that start where a PL/pgSQL statement starts.
//! This module keeps those and blanks out everything else, byte for byte,
//! so offsets in the result are offsets in the body.

use std::ops::Range;

use sqlparser::keywords::Keyword;

use crate::parse::{Dialect, TokKind, significant_tokens};

/// Keywords that open a plain SQL statement worth linting.
const STATEMENT_STARTS: &[Keyword] = &[
    Keyword::ALTER,
    Keyword::CREATE,
    Keyword::DROP,
    Keyword::UPDATE,
    Keyword::DELETE,
    Keyword::INSERT,
    Keyword::TRUNCATE,
    Keyword::COMMENT,
    Keyword::GRANT,
    Keyword::REVOKE,
    Keyword::SET,
    Keyword::REINDEX,
    Keyword::CLUSTER,
    Keyword::VACUUM,
    Keyword::LOCK,
];

/// Keywords after which a new PL/pgSQL statement starts, besides `LOOP`,
/// which the tokenizer does not know as a keyword.
const BOUNDARIES: &[Keyword] = &[Keyword::BEGIN, Keyword::THEN, Keyword::ELSE];

/// The range of the body inside the text of a `DO` block's string literal:
/// what lies between the dollar quotes. Single-quoted bodies, whose quotes
/// are doubled inside, are not read.
pub fn body_range(literal: &str) -> Option<Range<usize>> {
    let rest = literal.strip_prefix('$')?;
    let tag_len = rest.find('$')?;
    let open = tag_len + 2;
    let close = literal.len().checked_sub(open)?;
    (open <= close && literal[close..] == literal[..open]).then_some(open..close)
}

/// A copy of `body` in which only the plain SQL statements remain; every
/// other byte is a space, except line breaks, which stay.
pub fn plain_statements(body: &str) -> String {
    let toks = significant_tokens(body, Dialect::Postgres);
    let mut keep: Vec<Range<usize>> = Vec::new();
    let mut boundary = true;
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i];
        let starts = matches!(tok.kind, TokKind::Word(kw) if STATEMENT_STARTS.contains(&kw));
        if boundary && starts {
            let mut depth = 0usize;
            let mut j = i;
            while j < toks.len() {
                match toks[j].kind {
                    TokKind::LParen => depth += 1,
                    TokKind::RParen => depth = depth.saturating_sub(1),
                    TokKind::SemiColon if depth == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            let end = toks[j.min(toks.len() - 1)].range.end;
            keep.push(tok.range.start..end);
            i = j + 1;
            boundary = true;
            continue;
        }
        boundary = match tok.kind {
            TokKind::SemiColon => true,
            TokKind::Word(kw) => {
                BOUNDARIES.contains(&kw) || body[tok.range.clone()].eq_ignore_ascii_case("loop")
            }
            _ => false,
        };
        i += 1;
    }
    let mut out = body.as_bytes().to_vec();
    let mut kept = keep.iter().peekable();
    let mut pos = 0;
    while pos < out.len() {
        if let Some(r) = kept.peek() {
            if pos >= r.end {
                kept.next();
                continue;
            }
            if pos >= r.start {
                pos = r.end;
                continue;
            }
        }
        if out[pos] != b'\n' {
            out[pos] = b' ';
        }
        pos += 1;
    }
    // Only whole characters were replaced, byte by byte, with spaces.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_statements_of_a_guarded_block() {
        let body = " BEGIN\n ALTER TABLE \"a\" ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b(id);\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND ";
        let plain = plain_statements(body);
        assert_eq!(plain.len(), body.len());
        assert_eq!(
            plain.split_whitespace().collect::<Vec<_>>().join(" "),
            "ALTER TABLE \"a\" ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b(id);"
        );
        let body = "BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'é') THEN CREATE TYPE mood AS ENUM ('a'); END IF; END";
        let plain = plain_statements(body);
        assert_eq!(plain.trim(), "CREATE TYPE mood AS ENUM ('a');");
    }

    #[test]
    fn finds_the_body_between_dollar_quotes() {
        assert_eq!(body_range("$$ x $$"), Some(2..5));
        assert_eq!(body_range("$fk$BEGIN END$fk$"), Some(4..13));
        assert_eq!(body_range("'BEGIN END'"), None);
    }
}
