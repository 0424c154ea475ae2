//! An application's own placeholders in query files, masked in place so
//! the statements parse and every offset stays that of the file; and the
//! name querylint writes in a unit for a value its host pastes in.

use std::ops::Range;

/// What a unit holds where its host pastes a value that SQL reads as a
/// name or an operand: `__ql2` for the second value of the unit.
pub fn stand_in(n: usize) -> String {
    format!("__ql{n}")
}

/// Whether `text` starts with a [`stand_in`] (`__ql1%`, a pattern whose
/// start is pasted in).
pub fn starts_with_stand_in(text: &str) -> bool {
    text.strip_prefix("__ql")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether `name` is a [`stand_in`], whole.
pub fn is_stand_in(name: &str) -> bool {
    name.strip_prefix("__ql")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Whether a name in a statement is one only known at run time: a value
/// the host pastes in (a [`stand_in`]) or a template's placeholder, which
/// masking leaves as underscores (`{{ this }}`).
pub fn is_pasted_name(name: &str) -> bool {
    is_stand_in(name) || (!name.is_empty() && name.bytes().all(|b| b == b'_'))
}

/// Masks, without moving a byte, the placeholders query files hold for
/// their application to fill, so their statements parse and the rules
/// see them:
/// - sqlc's `sqlc.arg(name)`, `sqlc.narg(name)` and `sqlc.slice(name)`,
///   and named parameters `:name`, become a bind parameter `$1` padded
///   with spaces;
/// - `%name%` and `{name}` (a value pasted in by the application, such
///   as a sort order or a schema) become an identifier of underscores;
/// - drizzle-kit's `--> statement-breakpoint` becomes a comment in every
///   dialect (MySQL needs a space after `--`);
/// - MySQL's `BINARY` attribute after a character type (`VARCHAR(255)
///   BINARY`, a binary collation the parser does not know) becomes spaces;
/// - a psql meta-command on a line of its own (`\echo text`, `\set n 1`)
///   becomes a comment to the end of its line;
/// - a psql variable that stands for a name (`:schema.jobs`, `FROM :tbl`)
///   becomes that name with an underscore for the colon (`_schema.jobs`),
///   and `:'var'` and `:"var"` lose the colon (a string, a quoted name).
///
/// Strings, quoted names, comments and dollar-quoted bodies are left as
/// they are. Returns the text and the ranges masked.
pub fn mask_placeholders(text: &str) -> (String, Vec<Range<usize>>) {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut masked = Vec::new();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Every byte matched below is ASCII, so a char boundary.
        if !b.is_ascii() {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        match b {
            b'\'' | b'"' | b'`' => {
                let close = bytes[i + 1..]
                    .iter()
                    .position(|c| *c == b)
                    .map_or(bytes.len(), |n| i + 1 + n);
                i = close + 1;
            }
            b'-' if rest.starts_with("--") => {
                if rest.starts_with("--> statement-breakpoint") {
                    out[i..i + 24].copy_from_slice(b"-- >statement-breakpoint");
                    masked.push(i..i + 24);
                }
                i = rest.find('\n').map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if rest.starts_with("/*") => {
                i = rest.find("*/").map_or(bytes.len(), |n| i + n + 2);
            }
            b'$' if i == 0 || !word(bytes[i - 1]) => {
                // A dollar-quoted body: `$$ ... $$`, `$fn$ ... $fn$`.
                let tag_len = rest[1..].bytes().take_while(|c| word(*c)).count();
                if rest.as_bytes().get(1 + tag_len) == Some(&b'$')
                    && !rest[1..].starts_with(|c: char| c.is_ascii_digit())
                {
                    let tag = &rest[..tag_len + 2];
                    i = rest[tag.len()..]
                        .find(tag)
                        .map_or(bytes.len(), |n| i + tag.len() + n + tag.len());
                } else {
                    i += 1;
                }
            }
            b's' | b'S'
                if (i == 0 || !word(bytes[i - 1]))
                    && rest.len() > 5
                    && rest.as_bytes()[..5].eq_ignore_ascii_case(b"sqlc.") =>
            {
                let after = &rest.as_bytes()[5..];
                let call = ["arg(", "narg(", "slice("].iter().find(|f| {
                    after.len() >= f.len() && after[..f.len()].eq_ignore_ascii_case(f.as_bytes())
                });
                match (call, rest.find(')')) {
                    (Some(_), Some(close)) if !rest[..close].contains('\n') => {
                        let end = i + close + 1;
                        out[i..end].fill(b' ');
                        out[i..i + 2].copy_from_slice(b"$1");
                        masked.push(i..end);
                        i = end;
                    }
                    _ => i += 1,
                }
            }
            b':' if (i == 0 || !(word(bytes[i - 1]) || bytes[i - 1] == b':'))
                && bytes
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                let len = 1 + rest[1..].bytes().take_while(|c| word(*c)).count();
                if names_object(text, i, len) {
                    // psql's `:schema.table`, `CREATE SCHEMA :name`: a name,
                    // masked as one (`_schema.table`).
                    out[i] = b'_';
                } else {
                    out[i..i + len].fill(b' ');
                    out[i] = b'$';
                    out[i + 1] = b'1';
                }
                masked.push(i..i + len);
                i += len;
            }
            // psql's `:'name'` (the variable as a string literal) and
            // `:"name"` (as a quoted name): without the colon, a string and
            // a quoted name.
            b':' if (i == 0 || !(word(bytes[i - 1]) || bytes[i - 1] == b':'))
                && matches!(bytes.get(i + 1), Some(b'\'' | b'"')) =>
            {
                out[i] = b' ';
                masked.push(i..i + 1);
                i += 1;
            }
            // A psql meta-command (`\echo ...`, `\set x 1`, `\i file`)
            // runs in the client to the end of its line: read as a comment.
            b'\\'
                if text[..i]
                    .rsplit('\n')
                    .next()
                    .is_some_and(|line| line.trim().is_empty())
                    && bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) =>
            {
                out[i..i + 2].copy_from_slice(b"--");
                let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
                masked.push(i..end);
                i = end;
            }
            b'b' | b'B' if binary_attribute(text, i) => {
                out[i..i + 6].fill(b' ');
                masked.push(i..i + 6);
                i += 6;
            }
            // `{name}`, a name the application fills in with `replace` or
            // `format!` (`CREATE SCHEMA {schema}`): an identifier of
            // underscores.
            b'{' if bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                let len = 1 + rest[1..].bytes().take_while(|c| word(*c)).count();
                if bytes.get(i + len) == Some(&b'}') {
                    out[i..i + len + 1].fill(b'_');
                    masked.push(i..i + len + 1);
                    i += len + 1;
                } else {
                    i += len;
                }
            }
            b'%' if bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_') =>
            {
                let len = 1 + rest[1..].bytes().take_while(|c| word(*c)).count();
                // `$%name%$` is another runner's placeholder: underscores
                // there would make a dollar quote.
                let dollar =
                    (i > 0 && bytes[i - 1] == b'$') || bytes.get(i + len + 1) == Some(&b'$');
                if bytes.get(i + len) == Some(&b'%') && !dollar {
                    out[i..i + len + 1].fill(b'_');
                    masked.push(i..i + len + 1);
                    i += len + 1;
                } else {
                    i += len;
                }
            }
            _ => i += 1,
        }
    }
    if masked.is_empty() {
        return (text.to_owned(), masked);
    }
    // Only ASCII bytes were replaced, each by an ASCII byte.
    (
        String::from_utf8(out).unwrap_or_else(|_| text.to_owned()),
        masked,
    )
}

/// Whether the psql variable of `len` bytes at `at` stands for a name, not
/// a value: it qualifies one (`:schema.jobs`), or follows a word that
/// names an object (`FROM :tbl`, `CREATE SCHEMA :name`, `SET search_path
/// TO :schema`).
fn names_object(text: &str, at: usize, len: usize) -> bool {
    if text.as_bytes().get(at + len) == Some(&b'.') {
        return true;
    }
    let before = text[..at].trim_end();
    let word = before
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "from"
            | "join"
            | "into"
            | "update"
            | "table"
            | "schema"
            | "index"
            | "view"
            | "sequence"
            | "function"
            | "type"
            | "trigger"
            | "exists"
    ) && !before.ends_with(['=', '(', ','])
}

/// Whether the word at `at` is MySQL's `BINARY` column attribute: the
/// whole word, following a character type such as `VARCHAR(255)` or `TEXT`.
fn binary_attribute(text: &str, at: usize) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let rest = &text[at..];
    if rest.len() < 6
        || !rest.as_bytes()[..6].eq_ignore_ascii_case(b"BINARY")
        || rest[6..].starts_with(word)
        || text[..at].ends_with(word)
    {
        return false;
    }
    let mut before = text[..at].trim_end();
    if let Some(open) = before.strip_suffix(')').and_then(|b| b.rfind('(')) {
        if !before[open + 1..before.len() - 1]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace())
        {
            return false;
        }
        before = before[..open].trim_end();
    }
    let start = before.rfind(|c: char| !word(c)).map_or(0, |n| n + 1);
    let ty = &before[start..];
    [
        "CHAR",
        "VARCHAR",
        "TEXT",
        "TINYTEXT",
        "MEDIUMTEXT",
        "LONGTEXT",
    ]
    .iter()
    .any(|t| ty.eq_ignore_ascii_case(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_placeholders_are_masked_in_place() {
        assert_eq!(
            mask_placeholders("SELECT 'ẽ' || sqlc.ẽ").0,
            "SELECT 'ẽ' || sqlc.ẽ"
        );
        let sql = "SELECT a FROM t WHERE id = sqlc.arg(id) AND s = :state AND x::text = 'a:b' ORDER BY %order% LIMIT sqlc.narg('lim');\n--> statement-breakpoint\nSELECT ':not' -- :no\n";
        let (out, masked) = mask_placeholders(sql);
        assert_eq!(out.len(), sql.len());
        let param = |len: usize| format!("$1{}", " ".repeat(len - 2));
        assert_eq!(
            out,
            format!(
                "SELECT a FROM t WHERE id = {} AND s = {} AND x::text = 'a:b' ORDER BY _______ LIMIT {};\n-- >statement-breakpoint\nSELECT ':not' -- :no\n",
                param("sqlc.arg(id)".len()),
                param(":state".len()),
                param("sqlc.narg('lim')".len())
            )
        );
        assert_eq!(masked.len(), 5);
        let runner = "CREATE TABLE t (id $%ID_TYPE%$);";
        assert_eq!(mask_placeholders(runner).0, runner);
        let body = "CREATE FUNCTION f() RETURNS int AS $$ BEGIN x := :y; END $$ LANGUAGE plpgsql;";
        assert_eq!(mask_placeholders(body).0, body);
        let (out, masked) = mask_placeholders(
            "ALTER TABLE t MODIFY COLUMN a VARCHAR(255) binary, ADD b text BINARY NOT NULL;",
        );
        assert_eq!(
            out,
            "ALTER TABLE t MODIFY COLUMN a VARCHAR(255)       , ADD b text        NOT NULL;"
        );
        assert_eq!(masked, vec![43..49, 62..68]);
        for kept in [
            "SELECT BINARY 'a'",
            "CAST(x AS BINARY)",
            "SELECT f(1) BINARY",
            "a BINARY_X",
        ] {
            assert_eq!(mask_placeholders(kept).0, kept);
        }
    }

    #[test]
    fn braced_names_are_masked_outside_strings() {
        let sql = "CREATE SCHEMA IF NOT EXISTS {tenant};\nCREATE TABLE {tenant}.users (tags text[] DEFAULT '{a}', doc jsonb DEFAULT '{\"k\": 1}');";
        let (out, masked) = mask_placeholders(sql);
        assert_eq!(out.len(), sql.len());
        assert_eq!(
            out,
            "CREATE SCHEMA IF NOT EXISTS ________;\nCREATE TABLE ________.users (tags text[] DEFAULT '{a}', doc jsonb DEFAULT '{\"k\": 1}');"
        );
        assert_eq!(masked.len(), 2);
        // Not a name alone between braces: left as it is.
        for kept in [
            "SELECT {fn now()}",
            "SELECT {d '2024-01-01'}",
            "SELECT {a b}",
        ] {
            assert_eq!(mask_placeholders(kept).0, kept);
        }
    }

    #[test]
    fn psql_variables_that_name_objects_are_masked_as_names() {
        let sql = "create table :WORKER_SCHEMA.jobs (id int);\nselect * from :tbl where id = :id;\ncreate schema :\"s\";\nselect :'label';\n";
        let (out, masked) = mask_placeholders(sql);
        assert_eq!(out.len(), sql.len());
        assert_eq!(
            out,
            "create table _WORKER_SCHEMA.jobs (id int);\nselect * from _tbl where id = $1 ;\ncreate schema  \"s\";\nselect  'label';\n"
        );
        assert_eq!(masked.len(), 5);
        let parsed = crate::parse::parse_all(&out, crate::parse::Dialect::Postgres);
        assert_eq!(parsed.len(), 4);
        assert!(
            parsed.iter().all(|s| s.ast.is_some()),
            "every statement parses once masked: {out}"
        );
    }
}
