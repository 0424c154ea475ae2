//! Building a [`SqlUnit`](crate::extract::SqlUnit)'s text from the pieces
//! of a string literal in a host language (JavaScript strings and templates,
//! Rust literals and `format!` strings), with the map back into the file.

use std::ops::Range;

use crate::extract::{Interpolation, Opaque, Segment};

/// Builds a unit's text and its map back into the host file.
#[derive(Default)]
pub(crate) struct UnitBuilder {
    pub(crate) text: String,
    pub(crate) segments: Vec<Segment>,
    pub(crate) opaque: Vec<Opaque>,
    pub(crate) interpolations: Vec<Interpolation>,
    pub(crate) parameters: usize,
}

/// Statement keywords: extracted text that starts otherwise is a fragment
/// (`` sql`lower(${x})` ``), not a statement, and is not linted.
const STATEMENT_STARTS: &[&str] = &[
    "select", "with", "insert", "update", "delete", "create", "alter", "drop", "set", "truncate",
    "merge", "call", "explain", "values", "lock", "grant", "revoke", "refresh", "copy", "do",
    "reindex", "vacuum", "comment", "reset", "begin", "commit", "rollback", "analyze",
];

/// The first word of SQL text after any comments, lower-cased: the
/// statement it starts (`select`, `drop`).
pub(crate) fn first_word(text: &str) -> String {
    let mut rest = text.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    rest.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase()
}

impl UnitBuilder {
    /// Whether the text built so far starts like a SQL statement, after
    /// any comments.
    pub(crate) fn is_statement(&self) -> bool {
        STATEMENT_STARTS.contains(&first_word(&self.text).as_str())
    }

    pub(crate) fn verbatim(&mut self, host: &str, range: Range<usize>) {
        let Some(piece) = host.get(range.clone()) else {
            return;
        };
        self.segments.push(Segment {
            unit_start: self.text.len(),
            host_start: range.start,
            len: piece.len(),
        });
        self.text.push_str(piece);
    }

    pub(crate) fn escape(&mut self, escape: &str, host: Range<usize>) {
        let decoded = match escape {
            "\\n" => "\n".to_owned(),
            "\\r" => "\r".to_owned(),
            "\\t" => "\t".to_owned(),
            "\\0" => " ".to_owned(),
            e if e.starts_with("\\\r\n") || e.starts_with("\\\n") => String::new(),
            e => e.chars().nth(1).map(String::from).unwrap_or_default(),
        };
        self.opaque(decoded, host);
    }

    /// A `${...}`. Where a value or a name is expected (after an operator,
    /// `(`, `,` or a keyword), `$N` if the tag binds it, else an identifier
    /// that parses as either; after a complete expression, where spliced
    /// text can only be more SQL (`WHERE a = 1 ${filters}`), a comment.
    /// A value in the SQL: bound as a parameter (`binds`) or pasted into
    /// the text, coming from `provenance`.
    pub(crate) fn placeholder(
        &mut self,
        host: Range<usize>,
        binds: bool,
        provenance: crate::model::Provenance,
    ) {
        self.parameters += 1;
        let before = self.before();
        let last_word = before
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        // The column list after a table name: `INSERT INTO t (${columns})`.
        let column_list = before.strip_suffix('(').is_some_and(|head| {
            let mut words = head
                .split(|c: char| !(c.is_alphanumeric() || "_\".$".contains(c)))
                .filter(|w| !w.is_empty())
                .rev();
            words.next().is_some() && words.next().is_some_and(|w| w.eq_ignore_ascii_case("into"))
        });
        // Where the statement names its table, quoted or not: `FROM ${t}`,
        // `UPDATE "${t}_log"`.
        let table_word = before
            .trim_end_matches('"')
            .trim_end()
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let names_table = ["from", "join", "into", "update", "table", "truncate"]
            .iter()
            .any(|w| table_word.eq_ignore_ascii_case(w));
        let in_name = matches!(
            last_word.as_str(),
            "from"
                | "join"
                | "into"
                | "update"
                | "table"
                | "truncate"
                | "index"
                | "using"
                | "exists"
        ) || before.ends_with('.')
            || column_list;
        let wants_operand = before.is_empty()
            || before.ends_with(|c: char| "=<>!(,+-*/|%:[&^~#@?".contains(c))
            || matches!(
                last_word.as_str(),
                "select"
                    | "where"
                    | "and"
                    | "or"
                    | "not"
                    | "in"
                    | "like"
                    | "ilike"
                    | "limit"
                    | "offset"
                    | "by"
                    | "then"
                    | "else"
                    | "when"
                    | "values"
                    | "set"
                    | "is"
                    | "any"
                    | "all"
                    | "between"
                    | "on"
                    | "as"
                    | "distinct"
                    | "returning"
                    | "having"
                    | "case"
                    | "interval"
                    | "to"
                    | "zone"
            )
            || in_name;
        // Text pasted where a clause can follow (`WHERE a = 1 ${filters}`)
        // is a fragment of SQL built elsewhere, not a value: composition,
        // which `interpolated-sql` leaves to where the fragment is built.
        let in_string = self.text.matches('\'').count() % 2 == 1;
        // Right after another pasted fragment, more of the same.
        let after_fragment = before.ends_with("*/");
        let clause = (after_fragment || !wants_operand) && !before.is_empty() && !in_string;
        let dangerous =
            !binds && !provenance.is_safe() && (!clause || provenance.source().is_some());
        let text = if clause {
            format!("/*{}*/", self.parameters)
        } else if binds && !in_name {
            format!("${}", self.parameters)
        } else {
            crate::mask::stand_in(self.parameters)
        };
        self.interpolate(text, host, dangerous, provenance, names_table);
    }

    /// A `${sql(x)}` in a postgres.js template: the tag's helper, which
    /// the driver expands by where it stands into bound values: columns and
    /// a row after `INSERT INTO t`, `a = $1, b = $2` after `SET`, a list
    /// after `IN` or `VALUES`, a name where the statement names a table or
    /// a column. The unit gets text of that shape, so the statement parses.
    pub(crate) fn helper(&mut self, host: Range<usize>) {
        self.parameters += 1;
        let n = self.parameters;
        let before = self.before();
        let mut words = before
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"' || c == '.'))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase);
        let last = if before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '"') {
            words.next().unwrap_or_default()
        } else {
            String::new()
        };
        let second = words.next().unwrap_or_default();
        let text = match last.as_str() {
            _ if second == "into" => format!("({}) VALUES (${n})", crate::mask::stand_in(n)),
            "set" => format!("{} = ${n}", crate::mask::stand_in(n)),
            "in" | "values" => format!("(${n})"),
            "select" | "returning" | "by" | "from" | "join" | "update" | "into" | "table" => {
                crate::mask::stand_in(n)
            }
            _ => format!("${n}"),
        };
        self.bound(text, host);
    }

    /// Whether the text ends where only a subquery can stand: `AS (`,
    /// `FROM (`, `JOIN (`, `EXISTS (`.
    pub(crate) fn opens_subquery(&self) -> bool {
        self.before()
            .strip_suffix('(')
            .map(str::trim_end)
            .and_then(|head| head.rsplit(|c: char| !c.is_ascii_alphabetic()).next())
            .is_some_and(|w| {
                ["as", "from", "join", "exists"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
            })
    }

    /// A query built elsewhere with the same tag, pasted whole where a
    /// subquery stands (`` WITH d AS (${dates}) ``): the driver sends its
    /// text and binds its values, and the unit reads it as a subquery.
    pub(crate) fn subquery(&mut self, host: Range<usize>) {
        self.parameters += 1;
        self.bound("SELECT 1".to_owned(), host);
    }

    /// Text the driver binds or expands itself, standing for `${...}`.
    fn bound(&mut self, text: String, host: Range<usize>) {
        self.interpolate(text, host, false, crate::model::Provenance::BOUND, false);
    }

    /// Appends `text` standing for the host's `${...}` at `host`, and the
    /// value's record.
    fn interpolate(
        &mut self,
        text: String,
        host: Range<usize>,
        spliced: bool,
        provenance: crate::model::Provenance,
        names_table: bool,
    ) {
        let start = self.text.len();
        self.opaque(text, host.clone());
        self.interpolations.push(Interpolation {
            unit_range: start..self.text.len(),
            host_range: host,
            spliced,
            provenance,
            names_table,
            caller: None,
        });
    }

    /// The SQL a value pasted next follows: the text so far, without
    /// trailing blanks or a `-- comment` that ends it.
    fn before(&self) -> &str {
        without_line_comment(self.text.trim_end())
    }

    pub(crate) fn opaque(&mut self, text: String, host: Range<usize>) {
        let start = self.text.len();
        self.text.push_str(&text);
        self.opaque.push(Opaque {
            unit: start..self.text.len(),
            host,
        });
    }
}

/// `text` without a `-- comment` that ends it, so what a pasted value
/// follows is the SQL before the comment: `f(${a}, -- the team\n ${b})`.
fn without_line_comment(text: &str) -> &str {
    let line_start = text.rfind('\n').map_or(0, |n| n + 1);
    let line = &text[line_start..];
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '-' if !quoted && line[i + 1..].starts_with('-') => {
                return without_line_comment(text[..line_start + i].trim_end());
            }
            _ => {}
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::UnitBuilder;
    use crate::model::Provenance;

    /// Whether the value pasted after `before` stands where the statement
    /// names its table.
    fn names_table(before: &str) -> bool {
        let mut unit = UnitBuilder::default();
        unit.verbatim(before, 0..before.len());
        unit.placeholder(before.len()..before.len() + 4, false, Provenance::Unknown);
        unit.interpolations[0].names_table
    }

    #[test]
    fn a_table_named_by_a_pasted_value_is_told_from_a_pasted_value() {
        assert!(names_table("SELECT * FROM \""));
        assert!(names_table("update "));
        assert!(names_table("SELECT a FROM t JOIN \""));
        assert!(names_table("INSERT INTO "));
        assert!(!names_table("SELECT * FROM history WHERE id = "));
        assert!(!names_table("SELECT * FROM history WHERE ref IN ("));
    }
}

/// Whether SQL text starts a statement that changes the schema or
/// maintains a table, rather than reading or writing rows.
pub(crate) fn changes_schema(text: &str) -> bool {
    matches!(
        first_word(text).as_str(),
        "create"
            | "alter"
            | "drop"
            | "truncate"
            | "comment"
            | "grant"
            | "revoke"
            | "vacuum"
            | "analyze"
            | "reindex"
            | "cluster"
            | "refresh"
    )
}

/// Whether SQL text reads the system catalog (`information_schema`,
/// `pg_catalog`) or takes an advisory lock: work on each object named,
/// which no batched query over rows replaces.
fn per_object(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    [
        "information_schema.",
        "pg_catalog.",
        "pg_advisory_",
        "pg_try_advisory_",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// Whether SQL text works on the objects it names (a table to drop, a
/// catalog row, a lock) rather than on rows: no batched query over rows
/// replaces one such statement per item.
pub(crate) fn works_on_objects(text: &str) -> bool {
    changes_schema(text) || per_object(text)
}
