//! What the project's own schema says that the application rules need: the
//! columns a trigram index serves, so a `LIKE '%term%'` on one of them is
//! not reported as a scan; and the columns a primary key or a unique
//! constraint or index keeps unique, so the rows of a query that sets
//! each of them to one value are known to be one at most.
//!
//! It is read from every `.sql` file of the project, in path order (the
//! order migration tools name their files in), from its Prisma schemas,
//! from its Drizzle schema files, from migrations written in code and from
//! the strings of Rust files that keep a schema (`db.rs`, `schema.rs`,
//! `migrations.rs`, files in a migrations folder):
//!
//! - `CREATE INDEX ... USING gin|gist (col gin_trgm_ops, ...)` adds each
//!   column the index lists, the columns inside an expression too
//!   (`lower(name) gin_trgm_ops`);
//! - `DROP INDEX name` takes the columns of that index away again, until an
//!   index on them is created once more;
//! - Prisma's `@@index([title(ops: raw("gin_trgm_ops"))], type: Gin)`, by
//!   the model's table (`@@map`) and the field's column (`@map`) and by
//!   their names in code;
//! - Drizzle's `index(...).using("gin", t.title.op("gin_trgm_ops"))` in a
//!   TypeScript file with `schema` in its path, by the `pgTable` name and
//!   the column's name in code.
//!
//! Unique keys come from the same files: the statements of the `.sql` files
//! replayed into a [`Schema`] (`PRIMARY KEY`, `UNIQUE`, `CREATE UNIQUE
//! INDEX` without a `WHERE`, less what later statements drop), Prisma's
//! `@id`, `@unique`, `@@id` and `@@unique`, and Drizzle's `.primaryKey()`,
//! `.unique()`, `uniqueIndex(...).on(...)`, `unique(...).on(...)` and
//! `primaryKey({ columns: [...] })`, by the table's name in SQL and the
//! variable the code holds it in.
//!
//! Names are compared without case, quotes, schema or underscores, so a
//! column read as `user.fullName` in code matches `full_name` in SQL.

use std::collections::{BTreeMap, HashSet};

use sqlparser::ast::{Expr, ObjectName, Statement, visit_expressions};

use crate::model::schema::{Replay, Schema};
use crate::parse::{Dialect, each_statement};

mod code;

/// The project's trigram-indexed columns and unique keys.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    /// By index name (or a name made up for an index without one): the
    /// table and the columns it serves.
    trigram: BTreeMap<String, (String, Vec<String>)>,
    /// Tables and columns Prisma schemas index, with no name to drop.
    prisma: HashSet<(String, String)>,
    /// Prisma relation fields: the model and the field, to the model the
    /// field holds.
    relations: BTreeMap<(String, String), String>,
    unnamed: usize,
    /// The tables, keys and indexes the `.sql` files create.
    sql: Schema,
    /// Unique keys Prisma and Drizzle schemas declare: the table (by each
    /// of its names) and the columns.
    keys: Vec<(String, Vec<String>)>,
    /// Tables and columns an index of any kind starts with, as Prisma and
    /// Drizzle schemas and migrations written in code declare them (the
    /// `.sql` files' indexes are in `sql`).
    leads: HashSet<(String, String)>,
}

/// A name as the catalog compares it: the last part of a qualified name,
/// unquoted, lower case, without underscores.
pub fn name_key(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.chars()
        .filter(|c| !matches!(c, '"' | '`' | '_' | '[' | ']'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn object_key(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| name_key(&i.value))
        .unwrap_or_default()
}

/// An index's name as written in the statements that drop it: unquoted
/// and in lower case.
fn index_key(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_lowercase())
        .unwrap_or_default()
}

impl Catalog {
    pub fn is_empty(&self) -> bool {
        self.trigram.is_empty()
            && self.prisma.is_empty()
            && self.keys.is_empty()
            && self.leads.is_empty()
            && self.sql.tables().next().is_none()
    }

    /// Whether a filter that sets each of `columns` of `table` to one value
    /// reads one row at most: a primary key, a unique constraint or a
    /// unique index (not a partial one) covers some of them.
    pub fn unique(&self, table: &str, columns: &[String]) -> bool {
        let table = name_key(table);
        let columns: HashSet<String> = columns.iter().map(|c| name_key(c)).collect();
        let covered =
            |key: &[String]| !key.is_empty() && key.iter().all(|c| columns.contains(&name_key(c)));
        let declared = self.keys.iter().any(|(t, key)| *t == table && covered(key));
        declared
            || self
                .sql
                .tables()
                .filter(|(k, _)| name_key(k) == table)
                .flat_map(|(_, t)| &t.indexes)
                .any(|i| i.unique && !i.partial && covered(&i.columns))
    }

    /// What the project's `.sql` files declare of `column` of `table`
    /// (`column` as [`ident_key`] makes it): `Some(true)` when it is `NOT
    /// NULL` or part of the primary key, `Some(false)` when it may hold
    /// NULL, `None` when no file creates the table or the column.
    ///
    /// [`ident_key`]: crate::model::schema::ident_key
    ///
    /// A table whose schema code chooses at run time (`${schema}.jobs`) is
    /// any table of that name the files create, in whichever schema (a psql
    /// script's `:schema.jobs` too): the column is NOT NULL when every such
    /// table says so.
    pub fn not_null(&self, table: &sqlparser::ast::ObjectName, column: &str) -> Option<bool> {
        let not_null = |t: &crate::model::schema::Table| t.column(column).map(|c| c.not_null);
        if let Some(t) = self.sql.table(table) {
            return not_null(t);
        }
        let parts: Vec<&str> = table
            .0
            .iter()
            .filter_map(|p| p.as_ident())
            .map(|i| i.value.as_str())
            .collect();
        let [schema, name] = parts.as_slice() else {
            return None;
        };
        // The stand-in for a value pasted into code's SQL: a schema chosen
        // at run time.
        if !crate::mask::is_stand_in(schema) {
            return None;
        }
        let name = crate::model::schema::ident_key(&sqlparser::ast::Ident::new(*name));
        let said: Option<Vec<bool>> = self
            .sql
            .tables()
            .filter(|(k, _)| k.rsplit('.').next() == Some(name.as_str()))
            .map(|(_, t)| not_null(t))
            .collect();
        said.filter(|s| !s.is_empty()).map(|s| s.iter().all(|n| *n))
    }

    /// Whether the project's `.sql` files create any table: then a table
    /// none of them creates is made somewhere querylint does not read.
    pub fn knows_tables(&self) -> bool {
        self.sql.tables().next().is_some()
    }

    /// Whether an index of any kind (a primary key, a unique constraint, a
    /// plain B-tree index) starts with `column` of `table`, or with no
    /// table, of any table: an equality on the column is served by the
    /// index and picks the rows it names, not the whole table.
    pub fn leads(&self, table: Option<&str>, column: &str) -> bool {
        let column = name_key(column);
        let table = table.map(name_key);
        let of_table = |t: &str| table.as_ref().is_none_or(|k| *k == name_key(t));
        self.leads.iter().any(|(t, c)| *c == column && of_table(t))
            || self
                .sql
                .tables()
                .filter(|(k, _)| of_table(k))
                .any(|(_, t)| {
                    t.indexes.iter().any(|i| {
                        i.columns.first().is_some_and(|c| {
                            name_key(c) == column
                                && !t.column(c).is_some_and(|c| {
                                    matches!(
                                        c.data_type,
                                        Some(
                                            sqlparser::ast::DataType::Boolean
                                                | sqlparser::ast::DataType::Bool
                                        )
                                    )
                                })
                        })
                    })
                })
    }

    /// [`Catalog::leads`] for a column the code names through `qualifier`
    /// (`orders` in `orders.email`, a Drizzle table's variable or a
    /// table's name): of that table when the schema knows it by that
    /// name, else of any table (an alias).
    pub fn leads_through(&self, qualifier: Option<&str>, column: &str) -> bool {
        let known = qualifier.filter(|q| {
            let q = name_key(q);
            self.leads.iter().any(|(t, _)| *t == q)
                || self.keys.iter().any(|(t, _)| *t == q)
                || self.sql.tables().any(|(k, _)| name_key(k) == q)
        });
        self.leads(known, column)
    }

    /// Whether a trigram index serves a pattern match on `column` of
    /// `table`; with no table (the code does not say which), of any table
    /// with such a column.
    pub fn searchable(&self, table: Option<&str>, column: &str) -> bool {
        let column = name_key(column);
        let table = table.map(name_key);
        self.trigram
            .values()
            .flat_map(|(t, cs)| cs.iter().map(move |c| (t, c)))
            .chain(self.prisma.iter().map(|(t, c)| (t, c)))
            .any(|(t, c)| *c == column && table.as_ref().is_none_or(|k| k == t))
    }

    /// Reads a schema file by its name: a `.sql` file, a Prisma schema or a
    /// Drizzle schema in TypeScript. Files are to be read in path order.
    pub fn read(&mut self, name: &str, text: &str) {
        if name.ends_with(".sql") {
            self.read_sql(text);
        } else if name.ends_with(".prisma") {
            self.read_prisma(text);
        } else if name.ends_with(".ts") {
            self.read_drizzle(text);
        }
    }

    /// Reads one `.sql` file's statements: trigram indexes created, unique
    /// keys, and indexes dropped. Files are to be read in the order they
    /// run. Only the statements that may hold one of these are parsed.
    pub fn read_sql(&mut self, text: &str) {
        // psql variables (`:schema.jobs`) and other placeholders masked in
        // place, so offsets stay those of `text`.
        let (text, _) = crate::mask::mask_placeholders(text);
        let text = text.as_str();
        let lower = text.to_ascii_lowercase();
        let mut statements = BTreeMap::new();
        for needle in [
            "trgm_ops",
            "create index",
            "unique",
            "primary key",
            "drop index",
            "drop constraint",
            "drop table",
            "create table",
            "not null",
            "rename",
        ] {
            for (at, _) in lower.match_indices(needle) {
                let (start, end) = statement_around(text, at);
                statements.insert(start, end);
            }
        }
        let replay = Replay {
            tx: None,
            origin: (0, 0),
        };
        for (start, end) in statements {
            let statement = &text[start..end];
            // PostgreSQL never quotes a name with backticks: a project that
            // keeps a MySQL schema beside its PostgreSQL one.
            let dialect = if statement.contains('`') {
                Dialect::Mysql
            } else {
                Dialect::Postgres
            };
            each_statement(statement, dialect, |_, stmt| {
                let Some(ast) = &stmt.ast else { return };
                self.sql.apply(ast, replay);
                match ast {
                    Statement::CreateIndex(index) => self.trigram_index(index),
                    Statement::Drop {
                        object_type: sqlparser::ast::ObjectType::Index,
                        names,
                        ..
                    } => {
                        for n in names {
                            self.trigram.remove(&index_key(n));
                        }
                    }
                    _ => {}
                }
            });
        }
    }

    fn trigram_index(&mut self, index: &sqlparser::ast::CreateIndex) {
        let mut columns = Vec::new();
        for c in &index.columns {
            let trigram = c
                .operator_class
                .as_ref()
                .is_some_and(|o| object_key(o).contains("trgmops"));
            if trigram {
                columns.extend(columns_of(&c.column.expr));
            }
        }
        if columns.is_empty() {
            return;
        }
        let name = match &index.name {
            Some(n) => index_key(n),
            None => {
                self.unnamed += 1;
                format!(" {}", self.unnamed)
            }
        };
        self.trigram
            .insert(name, (object_key(&index.table_name), columns));
    }

    /// The model a Prisma filter under relation fields reads: `Document`
    /// with `["owner"]` is `User` when `owner` is a `User`. `None` when a
    /// field is not a relation the schemas name.
    pub fn prisma_model(&self, model: &str, relations: &[&str]) -> Option<String> {
        let mut model = name_key(model);
        for field in relations {
            model = self.relations.get(&(model, name_key(field)))?.clone();
        }
        Some(model)
    }

    /// Reads a Prisma schema's trigram indexes (`@@index([a(ops:
    /// raw("gin_trgm_ops"))], type: Gin)` in a model) and its relation
    /// fields.
    pub fn read_prisma(&mut self, text: &str) {
        for (model, field, relation) in prisma_relations(text) {
            self.relations.insert(
                (name_key(&model), name_key(&field)),
                name_key(&relation.target),
            );
        }
        let mut rest = text;
        while let Some(at) = find_word(rest, "model") {
            let after = &rest[at + 5..];
            let Some(open) = after.find('{') else { break };
            let model = after[..open].trim();
            let Some(close) = after[open..].find("\n}").map(|n| open + n) else {
                break;
            };
            self.read_model(model, &after[open + 1..close]);
            rest = &after[close..];
        }
    }

    fn read_model<'b>(&mut self, model: &'b str, body: &'b str) {
        let mut table = None;
        let mut columns: Vec<(&str, Option<&str>)> = Vec::new();
        let mut indexes = Vec::new();
        let mut keys: Vec<Vec<&str>> = Vec::new();
        let mut leading: Vec<&str> = Vec::new();
        let mut key_typed: Vec<&str> = Vec::new();
        for line in body.lines().map(str::trim) {
            if let Some(args) = line.strip_prefix("@@map(") {
                table = quoted(args);
            } else if line.starts_with("@@index(") {
                if line.contains("trgm_ops") {
                    indexes.push(line);
                }
                if let Some(first) = bracketed(line).and_then(|l| l.split([',', '(']).next()) {
                    leading.push(first.trim());
                }
            } else if line.starts_with("@@id(") || line.starts_with("@@unique(") {
                // `@@unique([teamId, userId], name: "...")`
                let list = bracketed(line);
                if let Some(list) = list {
                    keys.push(
                        list.split(',')
                            .map(|f| f.split('(').next().unwrap_or("").trim())
                            .filter(|f| !f.is_empty())
                            .collect(),
                    );
                }
            } else if let Some(field) = line.split_whitespace().next()
                && !field.starts_with("//")
                && !field.starts_with('@')
            {
                let code = line.split("//").next().unwrap_or(line);
                if code.contains("@id") || code.contains("@unique") {
                    keys.push(vec![field]);
                }
                let mapped = line.find("@map(").and_then(|at| quoted(&line[at + 5..]));
                columns.push((field, mapped));
                // A key's type: text or a number. A `Boolean` or an enum
                // has a few values, each naming many rows.
                let ty = line.split_whitespace().nth(1).unwrap_or("");
                if matches!(
                    ty.trim_end_matches('?'),
                    "String" | "Int" | "BigInt" | "Bytes"
                ) {
                    key_typed.push(field);
                }
            }
        }
        let mapped = |field: &'b str| -> &'b str {
            columns
                .iter()
                .find(|(f, _)| *f == field)
                .and_then(|(_, m)| *m)
                .unwrap_or(field)
        };
        leading.extend(keys.iter().filter_map(|k| k.first().copied()));
        for field in leading
            .into_iter()
            .filter(|f| !f.is_empty() && key_typed.contains(f))
        {
            for t in [Some(model), table].into_iter().flatten() {
                for c in [field, mapped(field)] {
                    self.leads.insert((name_key(t), name_key(c)));
                }
            }
        }
        for key in &keys {
            self.keys
                .push((name_key(model), key.iter().map(|f| name_key(f)).collect()));
            self.keys.push((
                name_key(table.unwrap_or(model)),
                key.iter().map(|f| name_key(mapped(f))).collect(),
            ));
        }
        for line in indexes {
            let list = bracketed(line);
            let Some(list) = list else { continue };
            // `[title(ops: raw("gin_trgm_ops")), body(ops: ...)]`: the
            // fields with a trigram operator class.
            let mut depth = 0;
            let mut start = 0;
            let mut parts = Vec::new();
            for (i, ch) in list.char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&list[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&list[start..]);
            for part in parts.iter().filter(|p| p.contains("trgm_ops")) {
                let field = part.split('(').next().unwrap_or("").trim();
                if field.is_empty() {
                    continue;
                }
                let mapped = columns
                    .iter()
                    .find(|(f, _)| *f == field)
                    .and_then(|(_, m)| *m);
                for t in [Some(model), table].into_iter().flatten() {
                    for c in [Some(field), mapped].into_iter().flatten() {
                        self.prisma.insert((name_key(t), name_key(c)));
                    }
                }
            }
        }
    }

    /// Reads a Drizzle schema's trigram indexes:
    /// `index("t_title_trgm").using("gin", t.title.op("gin_trgm_ops"))` or
    /// `` sql`${t.title} gin_trgm_ops` `` in the third argument of
    /// `pgTable("table", {...}, (t) => [...])`.
    pub fn read_drizzle(&mut self, text: &str) {
        self.read_drizzle_keys(text);
        let mut from = 0;
        while let Some(at) = text[from..].find("trgm_ops").map(|n| from + n) {
            from = at + 8;
            let before = &text[..at];
            let column =
                match before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    b if b.ends_with("op(\"") || b.ends_with("op('") || b.ends_with("op(`") => {
                        // `t.title.op("gin_trgm_ops")`
                        b[..b.len() - 4].strip_suffix('.').map(|e| last_member(e))
                    }
                    b => b
                        .trim_end()
                        .strip_suffix('}')
                        .and_then(|e| e.rfind("${").map(|open| last_member(&e[open + 2..]))),
                };
            let open = before.rfind("Table(");
            let table = open.and_then(|open| quoted_any(&before[open + 6..]));
            if let (Some(column), Some(table), Some(open)) =
                (column.filter(|c| !c.is_empty()), table, open)
            {
                let declared = declared_name(&before[open..], column);
                let columns = [Some(column), declared].into_iter().flatten().map(name_key);
                self.unnamed += 1;
                self.trigram.insert(
                    format!(" {}", self.unnamed),
                    (name_key(table), columns.collect()),
                );
            }
        }
    }

    /// Reads the unique keys of a Drizzle schema's tables: a column's
    /// `.primaryKey()` or `.unique()`, and `uniqueIndex(...).on(...)`,
    /// `unique(...).on(...)` or `primaryKey({ columns: [...] })` in the
    /// table's third argument. A unique index with `.where(...)` covers only
    /// some rows and is left out.
    fn read_drizzle_keys(&mut self, text: &str) {
        // `pgTable(`, `mysqlTable(`, `sqliteTable(`
        let starts: Vec<usize> = text
            .match_indices("Table(")
            .map(|(at, _)| at)
            .filter(|&at| {
                ["pg", "mysql", "sqlite"].iter().any(|d| {
                    text[..at].strip_suffix(d).is_some_and(|head| {
                        !head.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    })
                })
            })
            .collect();
        for (n, &at) in starts.iter().enumerate() {
            let block = &text[at..starts.get(n + 1).copied().unwrap_or(text.len())];
            let Some(sql_name) = quoted_any(&block[..block.find(['{', ',']).unwrap_or(0)]) else {
                continue;
            };
            // `export const users = pgTable(`: the name the code uses.
            let variable = text[..at]
                .rsplit_once('=')
                .map(|(head, _)| last_member(head.trim_end()))
                .filter(|v| !v.is_empty());
            let mut keys: Vec<Vec<&str>> = Vec::new();
            let mut keys_leading: Vec<&str> = Vec::new();
            for marker in [".primaryKey()", ".unique()"] {
                for (m, _) in block.match_indices(marker) {
                    if let Some(column) = column_at(&block[..m]) {
                        keys.push(vec![column]);
                    }
                }
            }
            for (m, _) in block.match_indices("unique") {
                let head = &block[..m];
                let rest = &block[m..];
                if head.ends_with(|c: char| c == '.' || c == '_' || c.is_ascii_alphanumeric()) {
                    continue;
                }
                // `unique("name").on(t.a, t.b)`, `uniqueIndex("name").on(t.a)`
                let Some(open) = rest
                    .strip_prefix("uniqueIndex(")
                    .or_else(|| rest.strip_prefix("unique("))
                else {
                    continue;
                };
                let Some(args) = open
                    .find(')')
                    .and_then(|close| open[close + 1..].strip_prefix(".on("))
                else {
                    continue;
                };
                let Some(close) = args.find(')') else {
                    continue;
                };
                if args[close + 1..].trim_start().starts_with(".where(") {
                    continue;
                }
                keys.push(
                    args[..close]
                        .split(',')
                        .map(last_member)
                        .filter(|a| !a.is_empty())
                        .collect(),
                );
            }
            for (m, _) in block.match_indices("primaryKey({") {
                let rest = &block[m..];
                let list = rest.find("columns:").and_then(|c| {
                    let open = rest[c..].find('[')? + c + 1;
                    let close = rest[open..].find(']')? + open;
                    Some(&rest[open..close])
                });
                if let Some(list) = list {
                    keys.push(
                        list.split(',')
                            .map(|a| last_member(a))
                            .filter(|a| !a.is_empty())
                            .collect(),
                    );
                }
            }
            // `index("name").on(t.a, t.b)`: a plain index, which only
            // leads.
            for (m, _) in block.match_indices("index(") {
                if block[..m].ends_with(|c: char| c == '.' || c == '_' || c.is_ascii_alphanumeric())
                {
                    continue;
                }
                let rest = &block[m + 6..];
                let first = rest
                    .find(')')
                    .and_then(|close| rest[close + 1..].strip_prefix(".on("))
                    .and_then(|args| args.split([',', ')']).next())
                    .map(last_member)
                    .filter(|c| !c.is_empty());
                if let Some(first) = first {
                    keys_leading.push(first);
                }
            }
            keys_leading.extend(keys.iter().filter_map(|k| k.first().copied()));
            for column in keys_leading.drain(..) {
                let declared = declared_name(block, column).unwrap_or(column);
                for table in [Some(sql_name), variable].into_iter().flatten() {
                    self.leads.insert((name_key(table), name_key(column)));
                    self.leads.insert((name_key(table), name_key(declared)));
                }
            }
            for key in keys.into_iter().filter(|k| !k.is_empty()) {
                let sql: Vec<String> = key
                    .iter()
                    .map(|c| name_key(declared_name(block, c).unwrap_or(c)))
                    .collect();
                let code: Vec<String> = key.iter().map(|c| name_key(c)).collect();
                for table in [Some(sql_name), variable].into_iter().flatten() {
                    self.keys.push((name_key(table), code.clone()));
                    self.keys.push((name_key(table), sql.clone()));
                }
            }
        }
    }
}

/// The bounds of the statement of `text` around byte `at`: from after the
/// `;` before it to the `;` after it, passing over a `;` in a `--` comment.
/// A `;` inside a string or a function body cuts the statement short, and
/// the piece then fails to parse: nothing is learnt from it.
fn statement_around(text: &str, at: usize) -> (usize, usize) {
    let in_comment = |i: usize| {
        let line = text[..i].rfind('\n').map_or(0, |n| n + 1);
        text[line..i].contains("--")
    };
    let start = text[..at]
        .rmatch_indices(';')
        .map(|(i, _)| i)
        .find(|&i| !in_comment(i))
        .map_or(0, |i| i + 1);
    let end = text[at..]
        .match_indices(';')
        .map(|(i, _)| at + i)
        .find(|&i| !in_comment(i))
        .map_or(text.len(), |i| i + 1);
    (start, end)
}

/// The column whose definition a Drizzle table's text ends inside: the
/// last `name:` at the start of a line, `userId` for the text before
/// `.unique()` in `userId: text("user_id").notNull().unique()`.
fn column_at(before: &str) -> Option<&str> {
    before.lines().rev().find_map(|line| {
        let (name, rest) = line.trim_start().split_once(':')?;
        let name = name.trim();
        (!name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && rest
                .trim_start()
                .starts_with(|c: char| c.is_ascii_alphabetic()))
        .then_some(name)
    })
}

/// A Drizzle column's name in SQL, as its definition in a table's text
/// declares it: `user_id` for `userId` in `userId: text("user_id")`.
fn declared_name<'t>(table: &'t str, column: &str) -> Option<&'t str> {
    let at = table.find(&format!("{column}:"))?;
    let rest = &table[at + column.len() + 1..];
    let end = rest.find([',', '\n', '}']).unwrap_or(rest.len());
    quoted_any(&rest[..end])
}

/// The last member of an expression: `t.title` gives `title`.
pub(super) fn last_member(expr: &str) -> &str {
    let expr = expr.trim();
    let start = expr
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    &expr[start..]
}

/// The first string literal in `text`, in any of TypeScript's quotes.
fn quoted_any(text: &str) -> Option<&str> {
    let start = text.find(['"', '\'', '`'])?;
    let quote = text[start..].chars().next()?;
    let len = text[start + 1..].find(quote)?;
    Some(&text[start + 1..start + 1 + len])
}

/// A relation field of a Prisma model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub many: bool,
    /// The related model, lower-cased.
    pub target: String,
}

/// The relation fields of a Prisma schema: `(model, field, relation)` for
/// each `field Model` or `field Model[]` inside a `model` block.
pub fn prisma_relations(schema: &str) -> Vec<(String, String, Relation)> {
    const SCALARS: &[&str] = &[
        "String",
        "Int",
        "BigInt",
        "Float",
        "Decimal",
        "Boolean",
        "DateTime",
        "Json",
        "Bytes",
        "Unsupported",
    ];
    let mut out = Vec::new();
    let mut model: Option<String> = None;
    for line in schema.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("model ")
            && line.ends_with('{')
        {
            model = rest.split_whitespace().next().map(lower_first);
        } else if line.starts_with('}') {
            model = None;
        } else if let Some(model) = &model {
            let mut words = line.split_whitespace();
            let (Some(field), Some(ty)) = (words.next(), words.next()) else {
                continue;
            };
            let many = ty.ends_with("[]");
            let element = ty.trim_end_matches("[]").trim_end_matches('?');
            if field.starts_with("//") || field.starts_with('@') || SCALARS.contains(&element) {
                continue;
            }
            if element.starts_with(|c: char| c.is_ascii_uppercase()) {
                out.push((
                    model.clone(),
                    field.to_owned(),
                    Relation {
                        many,
                        target: lower_first(element),
                    },
                ));
            }
        }
    }
    out
}

/// `UserProfile` as the client writes it: `userProfile`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The columns an index expression reads: `name`, `lower(name)`,
/// `(title || ' ' || body)`.
fn columns_of(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let _ = visit_expressions(expr, |e| {
        match e {
            Expr::Identifier(i) => out.push(name_key(&i.value)),
            Expr::CompoundIdentifier(parts) => {
                if let Some(last) = parts.last() {
                    out.push(name_key(&last.value));
                }
            }
            _ => {}
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

/// The text inside the first `[...]` of a line.
fn bracketed(line: &str) -> Option<&str> {
    let open = line.find('[')?;
    let close = line[open + 1..].find(']')?;
    Some(&line[open + 1..open + 1 + close])
}

fn quoted(args: &str) -> Option<&str> {
    let start = args.find('"')? + 1;
    let len = args[start..].find('"')?;
    Some(&args[start..start + len])
}

/// The first `word` in `text` that stands alone at the start of a line.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(n) = text[from..].find(word) {
        let at = from + n;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let after = text[at + word.len()..].chars().next();
        if text[line_start..at].trim().is_empty() && after.is_some_and(char::is_whitespace) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigram_indexes_in_sql_are_kept_until_dropped() {
        let mut c = Catalog::default();
        c.read_sql(
            r#"CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "Asset_title_description_idx" ON public."Asset" USING GIN ("title" gin_trgm_ops, "description" gin_trgm_ops);
CREATE INDEX users_name_idx ON users USING gist (lower(full_name) gist_trgm_ops);
CREATE INDEX plain_idx ON posts (title);"#,
        );
        assert!(c.searchable(Some("Asset"), "description"));
        assert!(c.searchable(Some("asset"), "title"));
        assert!(c.searchable(Some("users"), "fullName"));
        assert!(c.searchable(None, "full_name"));
        // The table has trigram indexes, not on this column.
        assert!(!c.searchable(Some("Asset"), "full_name"));
        assert!(!c.searchable(Some("posts"), "full_name"));
        // A B-tree index serves no substring match.
        assert!(!c.searchable(Some("posts"), "title"));
        c.read_sql("DROP INDEX IF EXISTS \"Asset_title_description_idx\";");
        assert!(!c.searchable(Some("Asset"), "title"));
        assert!(c.searchable(Some("users"), "full_name"));
        c.read_sql("drop index users_name_idx;");
        assert!(!c.searchable(None, "full_name"));
    }

    #[test]
    fn a_table_in_a_schema_chosen_at_run_time_is_found_by_its_name() {
        let name = |n: &str| {
            ObjectName::from(
                n.split('.')
                    .map(sqlparser::ast::Ident::new)
                    .collect::<Vec<_>>(),
            )
        };
        let mut c = Catalog::default();
        c.read_sql(
            "create table :app_schema.jobs (id bigint primary key, task_id int not null, retry_of bigint);\n\
             alter table :app_schema.jobs rename to _jobs;\n\
             CREATE TABLE `settings` (`owner_id` INT NOT NULL, `note` TEXT);",
        );
        // The psql script's own name for it.
        assert_eq!(
            c.not_null(&name("_app_schema._jobs"), "task_id"),
            Some(true)
        );
        // Code's `${schema}._jobs`, read as `__ql1._jobs`.
        assert_eq!(c.not_null(&name("__ql1._jobs"), "task_id"), Some(true));
        assert_eq!(c.not_null(&name("__ql1._jobs"), "retry_of"), Some(false));
        assert_eq!(c.not_null(&name("__ql1._jobs"), "no_such_column"), None);
        // The name before the rename is gone; a real schema is not a stand-in.
        assert_eq!(c.not_null(&name("__ql1.jobs"), "task_id"), None);
        assert_eq!(c.not_null(&name("billing._jobs"), "task_id"), None);
        // A MySQL table beside the PostgreSQL ones.
        assert_eq!(c.not_null(&name("settings"), "owner_id"), Some(true));
        assert_eq!(c.not_null(&name("settings"), "note"), Some(false));
        // Two tables of one name in different schemas must agree.
        c.read_sql("create table audit._jobs (id bigint primary key, task_id int);");
        assert_eq!(c.not_null(&name("__ql1._jobs"), "task_id"), Some(false));
    }

    #[test]
    fn prisma_trigram_indexes_are_read_by_model_and_table() {
        let mut c = Catalog::default();
        c.read_prisma(
            r#"model Post {
  id        String @id
  title     String
  bodyText  String @map("body_text")
  createdAt DateTime

  @@index([title(ops: raw("gin_trgm_ops")), bodyText(ops: raw("gin_trgm_ops"))], type: Gin)
  @@index([createdAt])
  @@map("posts")
}

model Tag {
  name String
  post Post?   @relation(fields: [postId], references: [id])
  postId String?
  users User[]
}
"#,
        );
        assert_eq!(c.prisma_model("tag", &["post"]).as_deref(), Some("post"));
        assert_eq!(c.prisma_model("tag", &[]).as_deref(), Some("tag"));
        assert_eq!(c.prisma_model("tag", &["name"]), None);
        assert!(c.searchable(Some("post"), "title"));
        assert!(c.searchable(Some("posts"), "body_text"));
        assert!(c.searchable(Some("Post"), "bodyText"));
        assert!(!c.searchable(Some("Post"), "createdAt"));
        assert!(!c.searchable(Some("Tag"), "id"));
    }

    #[test]
    fn drizzle_trigram_indexes_are_read_by_table_and_column() {
        let mut c = Catalog::default();
        c.read_drizzle(
            r#"export const chats = pgTable(
  "chat",
  { id: text("id").primaryKey(), title: text("title"), body: text("body_text") },
  (t) => [
    index("chat_title_trgm").using("gin", t.title.op("gin_trgm_ops")),
    index("chat_body_trgm").using("gin", sql`${t.body} gin_trgm_ops`),
  ],
);
export const tags = pgTable("tags", { name: text("name") }, (t) => [index("tags_name").on(t.name)]);
"#,
        );
        assert!(c.searchable(Some("chat"), "title"));
        assert!(c.searchable(None, "body"));
        assert!(c.searchable(Some("chat"), "body_text"));
        assert!(!c.searchable(Some("tags"), "name"));
        assert!(!c.searchable(None, "name"));
    }

    #[test]
    fn a_schema_without_trigram_indexes_serves_nothing() {
        let mut c = Catalog::default();
        c.read_sql("CREATE INDEX a ON t (name); DROP INDEX a;");
        c.read_prisma("model A {\n  name String\n  @@index([name])\n}\n");
        assert!(!c.searchable(None, "name"));
        // The plain B-tree index still leads with its column.
        assert!(c.leads(Some("A"), "name"));
    }

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn sql_unique_keys_are_kept_until_dropped_and_partial_ones_do_not_count() {
        let mut c = Catalog::default();
        c.read_sql(
            r#"-- a comment; with a semicolon
CREATE TABLE "memberships" ("id" TEXT PRIMARY KEY, "user_id" TEXT NOT NULL, "team_id" TEXT);
CREATE UNIQUE INDEX "memberships_user_id_key" ON "memberships"("user_id");
CREATE TABLE seats (team_id int, slot int, CONSTRAINT seats_slot UNIQUE (team_id, slot));
CREATE UNIQUE INDEX invites_open ON invites (email) WHERE NOT revoked;
INSERT INTO notes VALUES ('unique; but data');"#,
        );
        assert!(c.unique("memberships", &cols(&["userId"])));
        assert!(c.unique("Memberships", &cols(&["id", "teamId"])));
        assert!(!c.unique("memberships", &cols(&["teamId"])));
        assert!(c.unique("seats", &cols(&["teamId", "slot"])));
        assert!(!c.unique("seats", &cols(&["slot"])));
        assert!(!c.unique("invites", &cols(&["email"])));
        c.read_sql("DROP INDEX \"memberships_user_id_key\";");
        assert!(!c.unique("memberships", &cols(&["userId"])));
        c.read_sql("ALTER TABLE seats DROP CONSTRAINT seats_slot;");
        assert!(!c.unique("seats", &cols(&["teamId", "slot"])));
    }

    #[test]
    fn prisma_keys_are_read_by_model_and_by_table() {
        let mut c = Catalog::default();
        c.read_prisma(
            r#"model Membership {
  id     String @id @default(cuid())
  userId String @unique @map("user_id") // one team per user
  teamId String
  note   String // not @unique
  @@map("memberships")
}

model Seat {
  teamId String
  slot   Int
  @@unique([teamId, slot], name: "seat_slot")
}
"#,
        );
        assert!(c.unique("membership", &cols(&["userId"])));
        assert!(c.unique("memberships", &cols(&["user_id"])));
        assert!(c.unique("membership", &cols(&["id"])));
        assert!(!c.unique("membership", &cols(&["teamId", "note"])));
        assert!(c.unique("seat", &cols(&["slot", "teamId"])));
        assert!(!c.unique("seat", &cols(&["teamId"])));
    }

    #[test]
    fn drizzle_keys_are_read_by_variable_and_by_table() {
        let mut c = Catalog::default();
        c.read_drizzle(
            r#"export const members = pgTable(
  "team_members",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .unique(),
    teamId: text("team_id").notNull(),
    role: text("role"),
  },
  (t) => [
    uniqueIndex("members_team_role").on(t.teamId, t.role),
    uniqueIndex("members_open").on(t.role).where(sql`open`),
  ],
);
export const links = pgTable("links", { a: text("a"), b: text("b") }, (t) => [
  primaryKey({ columns: [t.a, t.b] }),
]);
"#,
        );
        assert!(c.unique("members", &cols(&["userId"])));
        assert!(c.unique("team_members", &cols(&["user_id"])));
        assert!(c.unique("members", &cols(&["id"])));
        assert!(c.unique("members", &cols(&["teamId", "role"])));
        assert!(!c.unique("members", &cols(&["role"])));
        assert!(!c.unique("members", &cols(&["teamId"])));
        assert!(c.unique("links", &cols(&["a", "b"])));
        assert!(!c.unique("links", &cols(&["a"])));
    }

    #[test]
    fn indexes_lead_with_their_first_column() {
        let mut c = Catalog::default();
        c.read_prisma(
            r#"model Board {
  pk          String @id
  ownerHandle String @map("owner_handle")
  updatedAt   DateTime
  @@index([ownerHandle, updatedAt])
}"#,
        );
        c.read_sql("CREATE INDEX t_a ON t (a, b);");
        c.read_drizzle(
            r#"export const posts = pgTable("posts", { authorRef: text("author_ref") }, (t) => [
  index("posts_author").on(t.authorRef, t.id),
]);"#,
        );
        assert!(c.leads(Some("Board"), "ownerHandle"));
        assert!(c.leads(Some("Board"), "owner_handle"));
        assert!(c.leads(Some("board"), "pk"));
        assert!(!c.leads(Some("Board"), "updatedAt"));
        assert!(c.leads(Some("t"), "a"));
        assert!(!c.leads(Some("t"), "b"));
        assert!(c.leads(None, "a"));
        assert!(c.leads(Some("posts"), "author_ref"));
        assert!(c.leads(Some("posts"), "authorRef"));
    }

    #[test]
    fn code_migrations_give_indexes_keys_and_trigram_indexes() {
        let mut c = Catalog::default();
        c.read_code_migration(
            r#"
await db.schema.createTable('event')
  .addColumn('serial', 'bigserial', (col) => col.primaryKey())
  .addColumn('subjectRef', 'varchar')
  .addUniqueConstraint('event_uri_unique', ['uri', 'serial'])
  .execute();
await db.schema.createIndex('event_subject_idx').on('event').column('subjectRef').execute();
await db.schema.createIndex('actor_handle_trgm').on('actor').using('gist')
  .expression(sql`"handle" gist_trgm_ops`).execute();
// CREATE INDEX commented_out ON event (ignored);
await queryRunner.query(`CREATE INDEX "IDX_1" ON "ticket" ("queueRef")`);
knex.schema.createTable('post', (table) => {
  table.increments();
  table.string('slug').unique();
  table.index(['authorRef', 'createdAt']);
});
"#,
        );
        for (table, column) in [
            ("event", "serial"),
            ("event", "subjectRef"),
            ("event", "uri"),
            ("ticket", "queueRef"),
            ("post", "id"),
            ("post", "slug"),
            ("post", "authorRef"),
        ] {
            assert!(c.leads(Some(table), column), "{table}.{column}");
        }
        assert!(!c.leads(Some("post"), "createdAt"));
        assert!(!c.leads(Some("event"), "ignored"));
        assert!(c.searchable(Some("actor"), "handle"));
        assert!(!c.searchable(Some("actor"), "name"));
    }
}
