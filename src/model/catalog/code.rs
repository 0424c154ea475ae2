//! Migrations written in code (TypeScript or JavaScript): the indexes,
//! keys and trigram indexes they create, read into the [`Catalog`] from
//! the SQL in their strings and from Kysely's and knex's schema builders;
//! and the SQL a Rust service keeps in its strings to create its schema.

use super::{Catalog, last_member, name_key, quoted_any};

impl Catalog {
    /// Reads the SQL in a Rust file's string literals (`static MIGRATIONS:
    /// &[&str] = &["CREATE TABLE ..."]`, `const SCHEMA: &str = r#"..."#`):
    /// the tables, keys and indexes they create. A file that does not
    /// parse is skipped.
    pub fn read_rust_strings(&mut self, text: &str) {
        use syn::visit::Visit;
        struct Strings(Vec<String>);
        impl<'ast> Visit<'ast> for Strings {
            fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
                let value = s.value();
                let lower = value.to_ascii_lowercase();
                if ["create table", "alter table", "index", "drop table"]
                    .iter()
                    .any(|n| lower.contains(n))
                {
                    self.0.push(value);
                }
            }
        }
        let lower = text.to_ascii_lowercase();
        if !lower.contains("create table") && !lower.contains("index") {
            return;
        }
        let Ok(file) = syn::parse_file(text) else {
            return;
        };
        let mut strings = Strings(Vec::new());
        strings.visit_file(&file);
        for sql in strings.0 {
            self.read_sql(&sql);
        }
    }

    /// Reads a migration written in code (TypeScript or JavaScript): the
    /// SQL in its string literals (`` sql`CREATE INDEX ...` ``, TypeORM's
    /// `queryRunner.query(...)`, `knex.raw(...)`), Kysely's schema builder
    /// (`createIndex(...).on('t').column('c')`, `.expression(sql`"c"
    /// gin_trgm_ops`)`, `addColumn('c', ..., (col) => col.primaryKey())`,
    /// `addPrimaryKeyConstraint`, `addUniqueConstraint`) and knex's
    /// (`table.index(['a', 'b'])`, `table.string('email').unique()`,
    /// `table.primary([...])`, `table.increments('id')`).
    pub fn read_code_migration(&mut self, text: &str) {
        for literal in string_literals(text) {
            let lower = literal.to_ascii_lowercase();
            if [
                "index",
                "primary key",
                "unique",
                "drop table",
                "drop constraint",
            ]
            .iter()
            .any(|n| lower.contains(n))
            {
                self.read_sql(&literal);
            }
        }
        // Kysely: `createIndex('name').on('table').column('c')` up to
        // `.execute()`.
        for (at, _) in text.match_indices("createIndex(") {
            let chain = chain_from(&text[at..]);
            let Some(table) = call_args(chain, ".on(").and_then(quoted_any) else {
                continue;
            };
            let first = call_args(chain, ".column(")
                .or_else(|| call_args(chain, ".columns("))
                .and_then(quoted_any);
            if let Some(first) = first {
                self.leads.insert((name_key(table), name_key(first)));
            }
            if let Some(expr) = call_args(chain, ".expression(")
                && expr.contains("trgm_ops")
            {
                let columns: Vec<String> = expr
                    .split("trgm_ops")
                    .filter_map(|piece| {
                        let before = piece
                            .trim_end()
                            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
                        let column = before
                            .trim_end()
                            .trim_end_matches(')')
                            .trim_end_matches(['"', '`', '\\'])
                            .trim_end();
                        let name = last_member(column);
                        (!name.is_empty()).then(|| name_key(name))
                    })
                    .collect();
                if !columns.is_empty() {
                    self.unnamed += 1;
                    let name = call_args(chain, "")
                        .and_then(quoted_any)
                        .map(str::to_lowercase)
                        .unwrap_or_else(|| format!(" {}", self.unnamed));
                    self.trigram.insert(name, (name_key(table), columns));
                }
            }
        }
        // A table's block: Kysely's chain up to `.execute()`, knex's
        // callback.
        for opener in [
            "createTable(",
            "createTableIfNotExists(",
            "alterTable(",
            ".table(",
        ] {
            for (at, _) in text.match_indices(opener) {
                let start = at + opener.len();
                let Some(table) =
                    quoted_any(&text[start..start + text[start..].find(')').unwrap_or(0)])
                else {
                    continue;
                };
                let block = match balanced(&text[start - 1..]) {
                    Some(args) if args.contains("=>") || args.contains("function") => args,
                    _ => chain_from(&text[at..]),
                };
                for column in leading_columns(block) {
                    self.leads.insert((name_key(table), name_key(column)));
                }
            }
        }
    }
}

/// The columns a table block of a code migration starts an index, a
/// primary key or a unique constraint with.
fn leading_columns(block: &str) -> Vec<&str> {
    let mut out = Vec::new();
    // A list or a name as the argument: `.index(['a', 'b'])`,
    // `.unique('a')`, `.primary(['a'])`, and the second argument of
    // Kysely's constraints.
    for call in [
        ".index(",
        ".unique(",
        ".primary(",
        "addPrimaryKeyConstraint(",
        "addUniqueConstraint(",
    ] {
        for (at, _) in block.match_indices(call) {
            let Some(args) = balanced(&block[at + call.len() - 1..]) else {
                continue;
            };
            let args = if call.starts_with("add") {
                args.find('[').map_or("", |open| &args[open..])
            } else {
                args
            };
            if let Some(first) = quoted_any(args) {
                if !args.trim().is_empty() {
                    out.push(first);
                }
            }
        }
    }
    // A column made a key where it is declared: knex's
    // `table.string('email').unique()`, `t.uuid('id').primary()`,
    // `t.increments('id')`, Kysely's `.addColumn('id', 'uuid', (col) =>
    // col.primaryKey())`.
    for marker in [".unique()", ".primary()", ".primaryKey()", ".index()"] {
        for (at, _) in block.match_indices(marker) {
            let statement_start = block[..at].rfind([';', '\n']).map_or(0, |n| n + 1);
            let head = &block[statement_start..at];
            let head = head.rfind(".addColumn(").map_or(head, |n| &head[n..]);
            if let Some(column) = quoted_any(head) {
                out.push(column);
            }
        }
    }
    for call in [".increments(", ".bigIncrements("] {
        for (at, _) in block.match_indices(call) {
            let args = &block[at + call.len()..];
            let args = &args[..args.find(')').unwrap_or(0)];
            out.push(quoted_any(args).unwrap_or("id"));
        }
    }
    out
}

/// The text of a method chain that starts `text`: up to its `.execute()`
/// or the end of the statement.
fn chain_from(text: &str) -> &str {
    let end = text
        .find(".execute(")
        .into_iter()
        .chain(text.find(';'))
        .min()
        .unwrap_or(text.len());
    &text[..end]
}

/// The arguments of the first call of `method` in `chain` (`".on("`), or
/// of the chain's first call for `""`.
fn call_args<'t>(chain: &'t str, method: &str) -> Option<&'t str> {
    let at = if method.is_empty() {
        chain.find('(')?
    } else {
        chain.find(method)? + method.len() - 1
    };
    balanced(&chain[at..])
}

/// The text inside the parentheses `text` starts with, up to the one that
/// closes it.
fn balanced(text: &str) -> Option<&str> {
    if !text.starts_with('(') {
        return None;
    }
    let mut depth = 0usize;
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[1..i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The string literals of a TypeScript or JavaScript file, comments
/// skipped; a template's `${...}` becomes `x`.
fn string_literals(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4);
            }
            quote @ (b'\'' | b'"' | b'`') => {
                let mut literal = String::new();
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != quote {
                    if bytes[j] == b'\\' {
                        j += 2;
                        continue;
                    }
                    if quote == b'`' && bytes[j] == b'$' && bytes.get(j + 1) == Some(&b'{') {
                        let mut depth = 0usize;
                        while j < bytes.len() {
                            match bytes[j] {
                                b'{' => depth += 1,
                                b'}' => {
                                    depth -= 1;
                                    if depth == 0 {
                                        break;
                                    }
                                }
                                _ => {}
                            }
                            j += 1;
                        }
                        literal.push('x');
                        j += 1;
                        continue;
                    }
                    if quote != b'`' && bytes[j] == b'\n' {
                        break;
                    }
                    let len = text[j..].chars().next().map_or(1, char::len_utf8);
                    literal.push_str(&text[j..j + len]);
                    j += len;
                }
                out.push(literal);
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}
