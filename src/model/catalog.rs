//! What the project's own schema says that the application rules need: the
//! columns a trigram index serves, so a `LIKE '%term%'` on one of them is
//! not reported as a scan.
//!
//! It is read from every `.sql` file of the project, in path order (the
//! order migration tools name their files in), from its Prisma schemas and
//! from its Drizzle schema files:
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
//! Names are compared without case, quotes, schema or underscores, so a
//! column read as `user.fullName` in code matches `full_name` in SQL.

use std::collections::{BTreeMap, HashSet};

use sqlparser::ast::{Expr, ObjectName, Statement, visit_expressions};

use crate::parse::{Dialect, each_statement};

/// The project's trigram-indexed columns.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
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
        self.trigram.is_empty() && self.prisma.is_empty()
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

    /// Reads one `.sql` file's statements: trigram indexes created and
    /// indexes dropped. Files are to be read in the order they run.
    pub fn read_sql(&mut self, text: &str) {
        let creates = contains_ignore_case(text, "trgm_ops");
        let drops = contains_ignore_case(text, "drop index")
            && self
                .trigram
                .keys()
                .any(|name| contains_ignore_case(text, name));
        if !creates && !drops {
            return;
        }
        each_statement(text, Dialect::Postgres, |_, stmt| match &stmt.ast {
            Some(Statement::CreateIndex(index)) => {
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
            Some(Statement::Drop {
                object_type: sqlparser::ast::ObjectType::Index,
                names,
                ..
            }) => {
                for n in names {
                    self.trigram.remove(&index_key(n));
                }
            }
            _ => {}
        });
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
        if !text.contains("trgm_ops") {
            return;
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

    fn read_model(&mut self, model: &str, body: &str) {
        let mut table = None;
        let mut columns: Vec<(&str, Option<&str>)> = Vec::new();
        let mut indexes = Vec::new();
        for line in body.lines().map(str::trim) {
            if let Some(args) = line.strip_prefix("@@map(") {
                table = quoted(args);
            } else if line.starts_with("@@index(") && line.contains("trgm_ops") {
                indexes.push(line);
            } else if let Some(field) = line.split_whitespace().next()
                && !field.starts_with("//")
                && !field.starts_with('@')
            {
                let mapped = line.find("@map(").and_then(|at| quoted(&line[at + 5..]));
                columns.push((field, mapped));
            }
        }
        for line in indexes {
            let list = line.find('[').and_then(|open| {
                line[open + 1..]
                    .find(']')
                    .map(|n| &line[open + 1..open + 1 + n])
            });
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
                // `body: text("body_text")`: the column's name in SQL too.
                let declared = before[open..]
                    .find(&format!("{column}:"))
                    .map(|d| &before[open + d + column.len() + 1..])
                    .and_then(|rest| {
                        let end = rest.find([',', '\n', '}']).unwrap_or(rest.len());
                        quoted_any(&rest[..end])
                    });
                let columns = [Some(column), declared].into_iter().flatten().map(name_key);
                self.unnamed += 1;
                self.trigram.insert(
                    format!(" {}", self.unnamed),
                    (name_key(table), columns.collect()),
                );
            }
        }
    }
}

/// The last member of an expression: `t.title` gives `title`.
fn last_member(expr: &str) -> &str {
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

fn contains_ignore_case(text: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    text.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
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
        assert!(c.is_empty());
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
        assert!(c.is_empty());
        assert!(!c.searchable(None, "name"));
    }
}
