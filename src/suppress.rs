//! Suppression comments: a finding the code's author has looked at and
//! accepted, with the reason written next to it.
//!
//! - SQL: `-- querylint-ignore <rule>[, <rule>]: <reason>` on the lines
//!   before a statement silences those rules for that statement;
//!   `-- querylint-ignore-file <rule>: <reason>` for the whole file.
//! - TypeScript, JavaScript, Rust: `// querylint-ignore-next-line <rule>:
//!   <reason>` for the next line of code, `// querylint-ignore-file <rule>:
//!   <reason>` for the whole file.
//! - After code on its line, `querylint-ignore` is about that line: its
//!   statement in SQL, the line itself elsewhere.
//! - A block comment that closes on its line (`/* querylint-ignore ... */`)
//!   reads like a line comment.
//!
//! `all` stands for every rule.

use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::discover::FileKind;

const MARKER: &str = "querylint-ignore";

/// What one suppression comment covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The comment itself.
    pub comment: Range<usize>,
    pub rules: Vec<String>,
    pub reason: Option<String>,
    /// The host text it covers: a statement, a line, or the whole file.
    pub covers: Range<usize>,
    pub whole_file: bool,
}

impl Suppression {
    fn silences(&self, diag: &Diagnostic) -> bool {
        let rule = self.rules.iter().any(|r| r == diag.rule || r == "all");
        rule && (self.whole_file || self.covers.contains(&diag.range.start))
    }
}

/// The comment syntax of a file kind: `--` for SQL, `//` otherwise.
fn comment_prefix(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Sql | FileKind::MigrationSql => "--",
        _ => "//",
    }
}

/// A comment that reads as a querylint directive.
struct Directive<'l> {
    /// Where the comment starts and ends in its line.
    at: usize,
    end: usize,
    /// Whether code comes before it on its line.
    trailing: bool,
    whole_file: bool,
    next_line: bool,
    /// What follows the marker: the rules, and the reason after a colon.
    rest: &'l str,
}

/// Whether a comment's text starts like a querylint directive, spelt
/// right or not: `querylint-ignore`, `querylint ignore`, `querylint_ignor`,
/// `QUERYLINT-DISABLE`...
fn looks_like_directive(body: &str) -> bool {
    let lower = body
        .get(..body.len().min(24))
        .unwrap_or(body)
        .to_ascii_lowercase();
    lower.strip_prefix("querylint").is_some_and(|after| {
        let word = after.trim_start_matches(['-', '_', ' ']);
        word.starts_with("ign") || word.starts_with("disable") || word.starts_with("noqa")
    })
}

/// The directive in a line's comment (a line comment, or a block comment
/// that closes on its line): `None` if no comment of the line reads like
/// one, `Err` with where it starts and what to write instead if it is
/// malformed.
fn directive<'l>(line: &'l str, prefix: &str) -> Option<Result<Directive<'l>, (usize, String)>> {
    let sql = prefix == "--";
    let code_end = line.trim_end_matches(['\n', '\r']).len();
    let (at, opener, body) = [prefix, "/*"]
        .into_iter()
        .filter_map(|opener| {
            let at = line.find(opener)?;
            let body = line[at + opener.len()..code_end].trim_start();
            looks_like_directive(body).then_some((at, opener, body))
        })
        .min_by_key(|(at, _, _)| *at)?;
    let fail = |why: String| Some(Err((at, why)));
    let Some(rest) = body.strip_prefix(MARKER) else {
        let near = [
            "querylint-ignore",
            "querylint-ignore-file",
            "querylint-ignore-next-line",
        ];
        let written = body.split_whitespace().next().unwrap_or(body);
        let near = crate::config::closest(written, near.into_iter()).unwrap_or("querylint-ignore");
        return fail(format!(
            "`{written}` is not a querylint directive; did you mean `{near}`?"
        ));
    };
    let (directive, rest) = if let Some(r) = rest.strip_prefix("-file") {
        ("-file", r)
    } else if let Some(r) = rest.strip_prefix("-next-line") {
        ("-next-line", r)
    } else {
        ("", rest)
    };
    if !rest.starts_with([' ', '\t']) {
        return fail(format!(
            "`querylint-ignore{directive}` must be followed by a space and the rules: `querylint-ignore{directive} <rule>: <reason>`"
        ));
    }
    // `rest` runs to the end of the line's text.
    let (rest, end) = if opener == "/*" {
        let Some(close) = rest.find("*/") else {
            return fail(
                "a block suppression must close on its line: `/* querylint-ignore <rule>: <reason> */`"
                    .to_owned(),
            );
        };
        (&rest[..close], code_end - rest.len() + close + 2)
    } else {
        (rest, code_end)
    };
    let trailing = !line[..at].trim().is_empty();
    if sql && directive == "-next-line" {
        return fail("in SQL, `-- querylint-ignore` on a line of its own silences the next statement: write `-- querylint-ignore <rule>: <reason>`".to_owned());
    }
    if !sql && directive.is_empty() && !trailing {
        return fail(format!(
            "on a line of its own, write `{prefix} querylint-ignore-next-line <rule>: <reason>`; a bare `querylint-ignore` is about the code before it on its line"
        ));
    }
    Some(Ok(Directive {
        at,
        end,
        trailing,
        whole_file: directive == "-file",
        next_line: directive == "-next-line",
        rest: rest.trim(),
    }))
}

/// Comments that look like suppressions but are not: a misspelt marker
/// (`querylint-ignor`, `querylint ignore`), a directive of the other
/// language (`-next-line` in SQL; a bare `// querylint-ignore` on a line of
/// its own, which would silence nothing), a marker glued to what follows
/// (`querylint-ignore:rule`), or a block comment that does not close on
/// its line. Each is the comment's range and what to write instead.
pub fn invalid(text: &str, kind: FileKind) -> Vec<(Range<usize>, String)> {
    if !text.contains("uerylint") && !text.contains("UERYLINT") {
        return Vec::new();
    }
    let prefix = comment_prefix(kind);
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if let Some(Err((at, why))) = directive(line, prefix) {
            let end = start + line.trim_end_matches(['\n', '\r']).len();
            out.push((start + at..end, why));
        }
    }
    out
}

/// The suppression comments of a file. `statements` gives the byte ranges
/// of a SQL file's statements (asked for only when the file has one).
pub fn suppressions(
    text: &str,
    kind: FileKind,
    statements: impl FnOnce() -> Vec<Range<usize>>,
) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let prefix = comment_prefix(kind);
    let sql = prefix == "--";
    let statements = if sql { statements() } else { Vec::new() };
    let mut out = Vec::new();
    let mut offset = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let start = offset;
        offset += line.len();
        let Some(Ok(d)) = directive(line, prefix) else {
            continue;
        };
        let (rules, reason) = match d.rest.split_once(':') {
            Some((rules, reason)) => (rules, Some(reason.trim().to_owned())),
            None => (d.rest, None),
        };
        let rules: Vec<String> = rules
            .split([',', ' '])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let comment = start + d.at..start + d.end;
        // After code on its line, a comment is about that line (or, in SQL,
        // the statement there); on a line of its own, about the next.
        let covers = if d.whole_file {
            0..text.len()
        } else if d.trailing && sql {
            // The statement the code before the comment belongs to.
            match statements.iter().rev().find(|s| s.start < comment.start) {
                Some(s) => s.clone(),
                None => continue,
            }
        } else if d.trailing && !d.next_line {
            start..offset
        } else if sql {
            // The next statement that starts after the comment.
            match statements.iter().find(|s| s.start >= comment.end) {
                Some(s) => s.clone(),
                None => continue,
            }
        } else {
            // The next line that is not itself a comment line.
            let mut next = offset;
            let mut j = i + 1;
            while let Some(l) = lines.get(j) {
                if !l.trim_start().starts_with("//") {
                    break;
                }
                next += l.len();
                j += 1;
            }
            match lines.get(j) {
                Some(l) => next..next + l.len(),
                None => continue,
            }
        };
        out.push(Suppression {
            comment,
            rules,
            reason: reason.filter(|r| !r.is_empty()),
            covers,
            whole_file: d.whole_file,
        });
    }
    out
}

/// Drops the findings the file's suppression comments silence, and says
/// of each comment whether it silenced any.
pub fn apply(diags: &mut Vec<Diagnostic>, suppressions: &[Suppression]) -> Vec<bool> {
    let mut used = vec![false; suppressions.len()];
    if suppressions.is_empty() {
        return used;
    }
    diags.retain(|d| {
        let mut silenced = false;
        for (i, s) in suppressions.iter().enumerate() {
            if s.silences(d) {
                used[i] = true;
                silenced = true;
            }
        }
        !silenced
    });
    used
}

/// The finding of a suppression comment that gives no reason.
pub fn without_reason(s: &Suppression) -> Diagnostic {
    Diagnostic::new(
        s.comment.clone(),
        "this suppression gives no reason: write why the finding is accepted after a colon",
    )
    .help(format!(
        "Write `{}: <why>`, for example `: the table holds 50 rows`; the next reader needs to know.",
        s.rules.join(", ")
    ))
}

/// The finding of a suppression comment that silenced nothing, if it is
/// stale: it names a rule that does not exist, or only rules that ran
/// (`enabled`) and found nothing where it points. A comment for a rule
/// that did not run may be meant for a run that selects it. Its fix
/// deletes the comment's line.
pub fn unused(text: &str, s: &Suppression, enabled: &dyn Fn(&str) -> bool) -> Option<Diagnostic> {
    let unknown: Vec<&String> = s
        .rules
        .iter()
        .filter(|r| *r != "all" && crate::rules::find(r).is_none())
        .collect();
    let message = if let Some(name) = unknown.first() {
        let near = crate::config::closest(name, crate::rules::RULES.iter().map(|r| r.id));
        match near {
            Some(near) => {
                format!("this suppression names no rule `{name}`; did you mean `{near}`?")
            }
            None => format!("this suppression names no rule `{name}`"),
        }
    } else if s.rules.iter().all(|r| r == "all" || enabled(r)) {
        let scope = if s.whole_file {
            "this file"
        } else {
            "the code it points at"
        };
        format!(
            "this suppression silences nothing: {} has no finding of {}",
            scope,
            s.rules.join(", ")
        )
    } else {
        return None;
    };
    // The whole line, when the comment is alone on it.
    let line_start = text[..s.comment.start].rfind('\n').map_or(0, |i| i + 1);
    let alone = text[line_start..s.comment.start].trim().is_empty();
    let line_end = text[s.comment.end..]
        .find('\n')
        .map_or(text.len(), |i| s.comment.end + i + 1);
    let delete = if alone {
        line_start..line_end
    } else {
        // With the blanks that separate it from the code before it.
        let code_end = text[..s.comment.start].trim_end_matches([' ', '\t']).len();
        code_end..s.comment.end
    };
    Some(
        Diagnostic::new(s.comment.clone(), message)
            .help("Remove the comment, or correct the rule name.")
            .fix(crate::diagnostic::Fix {
                title: "Remove the suppression".to_owned(),
                safety: crate::diagnostic::FixSafety::Safe,
                in_host: true,
                edits: vec![crate::diagnostic::Edit {
                    range: delete,
                    content: String::new(),
                }],
            }),
    )
}

/// The comment that silences `rule` on the line (or statement) at
/// `offset`, inserted before that line with its indentation and ended
/// with `newline` (the file's): what an editor's "ignore this finding"
/// action writes.
pub fn ignore_comment(
    text: &str,
    kind: FileKind,
    offset: usize,
    rule: &str,
    newline: &str,
) -> (usize, String) {
    let offset = crate::source::floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let marker = match comment_prefix(kind) {
        "--" => "-- querylint-ignore",
        _ => "// querylint-ignore-next-line",
    };
    (
        line_start,
        format!("{indent}{marker} {rule}: <reason>{newline}"),
    )
}

/// The comment that silences `rule` in the whole file, inserted at its
/// top (after a shebang line or a byte order mark).
pub fn ignore_file_comment(
    text: &str,
    kind: FileKind,
    rule: &str,
    newline: &str,
) -> (usize, String) {
    let mut at = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if text[at..].starts_with("#!") {
        at = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    }
    let prefix = comment_prefix(kind);
    (
        at,
        format!("{prefix} querylint-ignore-file {rule}: <reason>{newline}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(rule: &'static str, at: usize) -> Diagnostic {
        let mut d = Diagnostic::new(at..at + 1, "x");
        d.rule = rule;
        d
    }

    #[test]
    fn a_sql_comment_silences_its_rules_on_the_next_statement_only() {
        let text = "-- querylint-ignore unbounded-select, select-star: a lookup table\nSELECT *\nFROM countries;\nSELECT * FROM users;\n";
        let second = text.find("SELECT * FROM users").unwrap();
        let statements = || {
            vec![
                text.find("SELECT *\n").unwrap()..text.find(";\n").unwrap() + 1,
                second..text.len() - 1,
            ]
        };
        let found = suppressions(text, FileKind::Sql, statements);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rules, vec!["unbounded-select", "select-star"]);
        assert_eq!(found[0].reason.as_deref(), Some("a lookup table"));
        let first = text.find("FROM countries").unwrap();
        let mut diags = vec![
            diag("unbounded-select", first),
            diag("select-star", first),
            diag("not-in-subquery", first),
            diag("unbounded-select", second),
        ];
        apply(&mut diags, &found);
        let left: Vec<(&str, usize)> = diags.iter().map(|d| (d.rule, d.range.start)).collect();
        assert_eq!(
            left,
            vec![("not-in-subquery", first), ("unbounded-select", second)]
        );
    }

    #[test]
    fn a_next_line_comment_skips_further_comment_lines() {
        let text = "fn f() {\n    // querylint-ignore-next-line n-plus-one: ten items at most\n    // (checked in the handler)\n    run(q).await;\n    run(q).await;\n}\n";
        let found = suppressions(text, FileKind::Rust, Vec::new);
        let first = text.find("run(q)").unwrap();
        let second = text.rfind("run(q)").unwrap();
        let mut diags = vec![diag("n-plus-one", first), diag("n-plus-one", second)];
        apply(&mut diags, &found);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].range.start, second);
    }

    #[test]
    fn a_file_comment_silences_the_rule_everywhere() {
        let text = "// querylint-ignore-file interpolated-sql: admin-only tool\nconst a = 1;\n";
        let found = suppressions(text, FileKind::TypeScript, Vec::new);
        let mut diags = vec![diag("interpolated-sql", 20), diag("n-plus-one", 20)];
        apply(&mut diags, &found);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].rule, "n-plus-one");
    }

    #[test]
    fn the_comments_an_editor_inserts_keep_indentation_and_line_endings() {
        let text = "a\r\n    b = 1\r\n";
        let at = text.find('b').unwrap();
        assert_eq!(
            ignore_comment(text, FileKind::TypeScript, at, "n-plus-one", "\r\n"),
            (
                3,
                "    // querylint-ignore-next-line n-plus-one: <reason>\r\n".to_owned()
            )
        );
        assert_eq!(
            ignore_file_comment("#!/usr/bin/env node\nx", FileKind::TypeScript, "r", "\n"),
            (20, "// querylint-ignore-file r: <reason>\n".to_owned())
        );
    }
}
