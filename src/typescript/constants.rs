//! The names a module exports as constants that cannot carry SQL, read
//! from its text: `export const EVENTS = 'events'`, `export const LIMITS =
//! { page: 50 } as const`, `export enum Table { Users = 'users' }`. A file
//! that imports one and pastes it into SQL text pastes a constant.
//!
//! Read without parsing, as every file of the project is: a value counts
//! when it is made of literals alone (strings without `${`, numbers,
//! `true`, `false`, `null`, and objects and arrays of them, their keys
//! included), and an enum when its members call nothing.

/// Every `export const|let|var NAME = value` and `export [const] enum
/// NAME`, each with whether its value is made of literals alone.
pub fn exported_constants(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("export ") {
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        if !text[line_start..at].trim().is_empty() {
            continue;
        }
        let rest = &text[at + "export ".len()..];
        let rest = rest.trim_start();
        let rest = rest.strip_prefix("declare ").unwrap_or(rest);
        if let Some(enum_rest) = rest
            .strip_prefix("const enum ")
            .or_else(|| rest.strip_prefix("enum "))
        {
            let (name, body) = split_name(enum_rest);
            let Some(open) = body.find('{') else {
                continue;
            };
            let Some(close) = body[open..].find('}') else {
                continue;
            };
            let members = &body[open + 1..open + close];
            out.push((
                name.to_owned(),
                !members.contains('(') && !members.contains("${"),
            ));
            continue;
        }
        let Some((keyword, rest)) = ["const ", "let ", "var "]
            .iter()
            .find_map(|k| rest.strip_prefix(k).map(|r| (*k, r)))
        else {
            continue;
        };
        let (name, rest) = split_name(rest.trim_start());
        if name.is_empty() {
            continue;
        }
        let rest = rest.trim_start();
        // A type annotation says nothing of the value: `const A: string = 'a'`.
        let value = match rest.strip_prefix(':') {
            Some(typed) => typed.find('=').map(|i| &typed[i + 1..]),
            None => rest.strip_prefix('='),
        };
        let Some(value) = value else {
            continue;
        };
        let constant = value_end(value).is_some_and(|end| only_literals(&value[..end]));
        // `let` can be reassigned: only `const` is known.
        out.push((name.to_owned(), constant && keyword == "const "));
    }
    out
}

fn split_name(text: &str) -> (&str, &str) {
    let len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    text.split_at(len)
}

/// Where a declaration's value ends: the first `;`, or line break, outside
/// brackets and strings; `None` when it does not end within a few thousand
/// bytes.
fn value_end(value: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut seen = false;
    for (i, c) in value.char_indices() {
        if i > 8192 {
            return None;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                seen = true;
            }
            '(' | '[' | '{' => {
                depth += 1;
                seen = true;
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => return Some(i),
            '\n' if depth == 0 && seen => {
                // A value continued on the next line (`as const`, an
                // operator) is not ended by the break.
                let next = value[i + 1..].trim_start();
                if next.starts_with("as ") || next.starts_with("satisfies ") {
                    continue;
                }
                return Some(i);
            }
            c if !c.is_whitespace() => seen = true,
            _ => {}
        }
    }
    Some(value.len())
}

/// Whether a value is made of literals alone: strings without
/// substitutions, numbers, `true`/`false`/`null`, objects and arrays of
/// them, with `as const` or `satisfies T` after.
fn only_literals(value: &str) -> bool {
    let mut value = value.trim();
    for suffix in [" as const", "as const"] {
        value = value.strip_suffix(suffix).unwrap_or(value).trim_end();
    }
    if let Some(at) = value.rfind(" satisfies ") {
        value = value[..at].trim_end();
    }
    if value.is_empty() {
        return false;
    }
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != c {
                    if chars[j] == '\\' {
                        j += 1;
                    } else if c == '`' && chars[j] == '$' && chars.get(j + 1) == Some(&'{') {
                        return false;
                    }
                    j += 1;
                }
                i = j + 1;
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let key = chars[i..]
                    .iter()
                    .find(|c| !c.is_whitespace())
                    .is_some_and(|c| *c == ':');
                if !key && !matches!(word.as_str(), "true" | "false" | "null" | "undefined") {
                    return false;
                }
            }
            '(' => return false,
            '.' if chars.get(i + 1) == Some(&'.') => return false,
            _ => i += 1,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constants(text: &str) -> Vec<(&'static str, bool)> {
        exported_constants(text)
            .into_iter()
            .map(|(n, c)| (&*Box::leak(n.into_boxed_str()), c))
            .collect()
    }

    #[test]
    fn literal_values_are_constants_and_computed_ones_are_not() {
        let text = r#"
export const EVENTS = "events";
export const LIMIT: number = 50;
export const RETENTION = {
  days: 30,
  "table": 'event_log',
  kinds: ["a", "b"],
} as const;
export enum Table { Users = "users", Posts = "posts" }
export const enum Level { Low, High }
export const NOW = Date.now();
export const PREFIX = `${process.env.PREFIX}_`;
export const MIXED = { table: TABLE_NAME };
export const SPREAD = [...OTHER];
export let mutable = "x";
export function make() { return "f"; }
export enum Dynamic { A = compute(), B = 2 }
"#;
        assert_eq!(
            constants(text),
            vec![
                ("EVENTS", true),
                ("LIMIT", true),
                ("RETENTION", true),
                ("Table", true),
                ("Level", true),
                ("NOW", false),
                ("PREFIX", false),
                ("MIXED", false),
                ("SPREAD", false),
                ("mutable", false),
                ("Dynamic", false),
            ]
        );
    }
}
