//! Building a [`SqlUnit`](crate::extract::SqlUnit)'s text from the pieces
//! of a JavaScript string or template, with the map back into the file.

use std::ops::Range;

use crate::extract::{Interpolation, Opaque, Segment};

/// Builds a unit's text and its map back into the host file.
#[derive(Default)]
pub(super) struct UnitBuilder {
    pub(super) text: String,
    pub(super) segments: Vec<Segment>,
    pub(super) opaque: Vec<Opaque>,
    pub(super) interpolations: Vec<Interpolation>,
    pub(super) parameters: usize,
}

impl UnitBuilder {
    pub(super) fn verbatim(&mut self, host: &str, range: Range<usize>) {
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

    pub(super) fn escape(&mut self, escape: &str, host: Range<usize>) {
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
    pub(super) fn placeholder(&mut self, host: Range<usize>, binds: bool, dangerous: bool) {
        self.parameters += 1;
        let before = self.text.trim_end();
        let last_word = before
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let in_name = matches!(
            last_word.as_str(),
            "from" | "join" | "into" | "update" | "table"
        ) || before.ends_with('.');
        let wants_operand = before.is_empty()
            || before.ends_with(|c: char| "=<>!(,+-*/|%:[".contains(c))
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
            )
            || in_name;
        // Text pasted where a clause can follow (`WHERE a = 1 ${filters}`)
        // is a fragment of SQL built elsewhere, not a value: composition,
        // which `interpolated-sql` leaves to where the fragment is built.
        let in_string = self.text.matches('\'').count() % 2 == 1;
        // Right after another pasted fragment, more of the same.
        let after_fragment = before.ends_with("*/");
        let clause = (after_fragment || !wants_operand) && !before.is_empty() && !in_string;
        let dangerous = dangerous && !clause;
        let text = if clause {
            format!("/*{}*/", self.parameters)
        } else if binds && !in_name {
            format!("${}", self.parameters)
        } else {
            format!("__ql{}", self.parameters)
        };
        let start = self.text.len();
        self.opaque(text, host.clone());
        self.interpolations.push(Interpolation {
            unit_range: start..self.text.len(),
            host_range: host,
            spliced: dangerous,
        });
    }

    fn opaque(&mut self, text: String, host: Range<usize>) {
        let start = self.text.len();
        self.text.push_str(&text);
        self.opaque.push(Opaque {
            unit: start..self.text.len(),
            host,
        });
    }
}
