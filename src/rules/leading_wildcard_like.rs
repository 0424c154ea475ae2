//! `leading-wildcard-like`: `LIKE '%term'` and friends.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SetExpr,
    TableFactor, Value, ValueWithSpan, Visit, Visitor, visit_expressions,
};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext, function_named};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Catalog, Orm, OrmCall, Property};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "leading-wildcard-like",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/leading-wildcard-like.md"),
    fix: None,
    check,
};

/// What serves a substring search in the statement's database.
fn help(ctx: &StatementContext<'_>) -> &'static str {
    use crate::parse::Dialect;
    match ctx.dialect {
        Dialect::Postgres | Dialect::Generic => {
            "Index the column with a trigram GIN index (`CREATE INDEX ... USING gin (col gin_trgm_ops)`, extension `pg_trgm`), or use full-text search."
        }
        Dialect::Cockroachdb => {
            "Index the column with a trigram inverted index (`CREATE INDEX ... USING GIN (col gin_trgm_ops)`), or match a prefix (`'term%'`)."
        }
        Dialect::Mysql => {
            "Search words with a `FULLTEXT` index and `MATCH (col) AGAINST (...)`, or match a prefix (`'term%'`), which an index serves."
        }
        Dialect::Sqlite => {
            "Search with an FTS5 virtual table (`MATCH`), or match a prefix (`'term%'`), which an index serves."
        }
        Dialect::Mssql => {
            "Search words with a full-text index and `CONTAINS`, or match a prefix (`'term%'`), which an index serves."
        }
        Dialect::Clickhouse => {
            "Add an `ngrambf_v1` or `tokenbf_v1` data-skipping index on the column, or match a prefix (`'term%'`)."
        }
    }
}

fn message(op: &str) -> String {
    format!(
        "`{op}` pattern starts with a wildcard, so no B-tree index can serve it and every row is scanned"
    )
}

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if pastes_its_ctes(ctx) {
        return;
    }
    match &ctx.stmt.ast {
        Some(ast) if narrowed_by_key_column(ast, ctx.catalog) => {}
        Some(ast) => {
            // A `LIKE` that picks a `CASE` branch computes a value for rows
            // already read; it filters nothing, so it scans nothing. The walk
            // meets a `CASE` before the expressions inside it.
            let mut cases = Vec::new();
            let tables = Tables::of(ast);
            // The catalog (`information_schema.tables`) holds a few rows per
            // table of the schema: a pattern over it scans little.
            if tables.1 {
                return;
            }
            let _ = visit_expressions(ast, |expr| {
                let (op, subject, pattern) = match expr {
                    Expr::Case { .. } => {
                        cases.extend(ctx.node(expr));
                        return ControlFlow::<()>::Continue(());
                    }
                    // A negated match (`NOT LIKE '%x%'`) keeps most rows,
                    // and no index serves it whatever its pattern: the
                    // scan is the negation's, not the wildcard's.
                    Expr::Like {
                        expr,
                        pattern,
                        negated: false,
                        any: false,
                        ..
                    } => ("LIKE", expr, pattern),
                    Expr::ILike {
                        expr,
                        pattern,
                        negated: false,
                        any: false,
                        ..
                    } => ("ILIKE", expr, pattern),
                    _ => return ControlFlow::<()>::Continue(()),
                };
                let bound = |v: &ValueWithSpan| match &v.value {
                    Value::Placeholder(p) => ctx.unit.origin.wildcard_values.contains(p),
                    _ => false,
                };
                // A pattern tried on a bound value or a literal
                // (`$4 LIKE '%/%'`) reads no column, so no index is lost.
                let column_free = matches!(super::helpers::uncast(subject), Expr::Value(_));
                if let Some(literal) = leading_literal(pattern)
                    && !column_free
                    && (starts_with_wildcard(&literal.value) || bound(literal))
                    && !ctx
                        .catalog
                        .is_some_and(|c| tables.trigram_indexed(c, subject))
                {
                    let range = ctx
                        .span(literal.span)
                        .or_else(|| ctx.node(pattern.as_ref()))
                        .unwrap_or_else(|| ctx.first_token());
                    if cases
                        .iter()
                        .any(|c| c.start <= range.start && range.end <= c.end)
                    {
                        return ControlFlow::Continue(());
                    }
                    out.push(Diagnostic::new(range, message(op)).help(help(ctx)));
                }
                ControlFlow::Continue(())
            });
        }
        None => check_tokens(ctx, out),
    }
}

/// Whether the statement's `WITH` starts with a fragment of SQL built
/// elsewhere (`` Prisma.sql`WITH ${filtered}, ...` ``): the rows its
/// patterns filter may come from a CTE narrowed there, which the rule
/// judges where the fragment is built.
fn pastes_its_ctes(ctx: &StatementContext<'_>) -> bool {
    let text = ctx.text(ctx.stmt.range.clone()).trim_start();
    let Some(rest) = text
        .get(..4)
        .filter(|w| w.eq_ignore_ascii_case("with"))
        .map(|_| text[4..].trim_start())
    else {
        return false;
    };
    let rest = match rest.get(..9) {
        Some(w) if w.eq_ignore_ascii_case("recursive") => rest[9..].trim_start(),
        _ => rest,
    };
    rest.starts_with("/*")
        && rest[2..]
            .split("*/")
            .next()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The tables a statement reads, by the names its columns are qualified
/// with: its alias if it has one, else its own name; and whether they are
/// all the database's catalog.
struct Tables(Vec<(String, String)>, bool);

impl Tables {
    fn of(ast: &sqlparser::ast::Statement) -> Tables {
        /// The tables read, the ones of them not in the catalog (by name
        /// when it has one part), and the names of the statement's CTEs.
        #[derive(Default)]
        struct Finder(Vec<(String, String)>, Vec<Option<String>>, Vec<String>);
        impl Visitor for Finder {
            type Break = ();
            fn pre_visit_query(&mut self, query: &sqlparser::ast::Query) -> ControlFlow<()> {
                for cte in query.with.iter().flat_map(|w| &w.cte_tables) {
                    self.2.push(cte.alias.name.value.to_lowercase());
                }
                ControlFlow::Continue(())
            }
            fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
                if let TableFactor::Table { name, alias, .. } = factor
                    && let Some(table) = name.0.last().and_then(|p| p.as_ident())
                {
                    let by = alias.as_ref().map_or(&table.value, |a| &a.name.value);
                    self.0.push((by.to_lowercase(), table.value.clone()));
                    if !super::helpers::is_catalog(name) {
                        self.1
                            .push((name.0.len() == 1).then(|| table.value.to_lowercase()));
                    }
                }
                ControlFlow::Continue(())
            }
        }
        let mut finder = Finder::default();
        let _ = ast.visit(&mut finder);
        // A CTE over the catalog is the catalog too: its own tables are
        // among those read.
        let catalog = !finder.0.is_empty()
            && finder
                .1
                .iter()
                .all(|t| t.as_ref().is_some_and(|t| finder.2.contains(t)));
        Tables(finder.0, catalog)
    }

    /// Whether a trigram index the project creates serves a pattern match
    /// on `subject`: a column (`name`, `u.name`), or an expression of
    /// columns (`lower(name)`, `title || body`) one of which is indexed.
    /// A column named without a table is of the statement's one table, or
    /// of any table when it reads several.
    fn trigram_indexed(&self, catalog: &Catalog, subject: &Expr) -> bool {
        let mut indexed = false;
        let _ = visit_expressions(subject, |e| {
            let (qualifier, column) = match e {
                Expr::Identifier(i) => (None, &i.value),
                Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                    [.., q, c] => (Some(q.value.to_lowercase()), &c.value),
                    _ => return ControlFlow::Continue(()),
                },
                _ => return ControlFlow::Continue(()),
            };
            let table = match qualifier {
                Some(q) => self
                    .0
                    .iter()
                    .find(|(by, _)| *by == q)
                    .map(|(_, t)| t.as_str()),
                None if self.0.len() == 1 => Some(self.0[0].1.as_str()),
                None => None,
            };
            indexed |= catalog.searchable(table, column);
            ControlFlow::<()>::Continue(())
        });
        indexed
    }
}

/// The string literal a pattern begins with: the pattern itself, the left
/// end of a `||` chain, or the first argument of `concat(...)`.
fn leading_literal(expr: &Expr) -> Option<&ValueWithSpan> {
    match expr {
        Expr::Value(v) => Some(v),
        Expr::Nested(inner) => leading_literal(inner),
        Expr::Cast { expr, .. } => leading_literal(expr),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            ..
        } => leading_literal(left),
        Expr::Function(f) if function_named(&f.name, &["concat", "concat_ws"]) => {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            // `concat_ws(sep, ...)` starts with its second argument.
            let skip = usize::from(function_named(&f.name, &["concat_ws"]));
            match list.args.get(skip)? {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => leading_literal(e),
                _ => None,
            }
        }
        _ => None,
    }
}

fn starts_with_wildcard(value: &Value) -> bool {
    match value {
        Value::SingleQuotedString(s)
        | Value::EscapedStringLiteral(s)
        | Value::NationalStringLiteral(s)
        | Value::DoubleQuotedString(s) => wildcard_first(s),
        Value::DollarQuotedString(d) => wildcard_first(&d.value),
        _ => false,
    }
}

/// Whether a pattern's text starts with `%` or `_`. A value pasted into
/// the start of the literal (`'${prefix}%'`, written `__ql1` in the unit)
/// is not known to: a prefix held in a constant is the common case.
fn wildcard_first(pattern: &str) -> bool {
    !crate::mask::starts_with_stand_in(pattern) && pattern.starts_with(['%', '_'])
}

fn check_tokens(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let toks = ctx.tokens();
    for (i, tok) in toks.iter().enumerate() {
        let op = match tok.kind {
            TokKind::Word(Keyword::LIKE) => "LIKE",
            TokKind::Word(Keyword::ILIKE) => "ILIKE",
            _ => continue,
        };
        let Some(next) = toks.get(i + 1).filter(|t| t.kind == TokKind::String) else {
            continue;
        };
        if i.checked_sub(1)
            .and_then(|p| toks.get(p))
            .is_some_and(|t| t.is_keyword(Keyword::NOT))
        {
            continue;
        }
        if wildcard_first(literal_body(ctx.text(next.range.clone()))) {
            out.push(Diagnostic::new(next.range.clone(), message(op)).help(help(ctx)));
        }
    }
}

/// The body of a quoted literal as written: `'%a'` and `E'%a'` give `%a'`.
fn literal_body(text: &str) -> &str {
    text.split_once('\'').map_or(text, |(_, body)| body)
}

/// Prisma `contains`/`endsWith` string filters (`LIKE '%x%'`, `'%x'`), and
/// Drizzle `like`/`ilike` with a pattern that starts with `%`.
pub fn check_orm(call: &OrmCall, ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    let indexed = |table: Option<&str>, column: &str| {
        ctx.catalog.is_some_and(|c| c.searchable(table, column))
    };
    match call.orm {
        Orm::Prisma => {
            if narrowed_by_key(call, ctx.catalog) {
                return;
            }
            for p in &call.properties {
                if p.path.starts_with("where")
                    && matches!(p.key.as_str(), "contains" | "endsWith")
                    && !p.path.split('.').any(|s| s == "NOT")
                    && !ctx.catalog.is_some_and(|catalog| {
                        prisma_field(call, catalog, &p.path, &p.key)
                            .is_some_and(|(t, c)| catalog.searchable(t.as_deref(), c))
                    })
                {
                    out.push(
                        Diagnostic::new(p.range.clone(), format!("`{}` becomes a `LIKE` pattern that starts with `%`: no B-tree index can serve it and every row is scanned", p.key))
                            .help("Use `startsWith` where a prefix will do, or full-text search (or a trigram index) for substring search."),
                    );
                }
                // where: { title: { search: q } }, not a column named `search`
                if p.key == "search"
                    && p.path.starts_with("where.")
                    && p.path.matches('.').count() >= 2
                {
                    out.push(
                        Diagnostic::new(p.range.clone(), "`search` compares `to_tsvector(column)` with the query for every row: no index Prisma can create serves it, and every row is scanned")
                            .help("Add a GIN index on the same `to_tsvector(...)` expression in a migration, or keep a generated `tsvector` column with a GIN index and query it with raw SQL."),
                    );
                }
            }
        }
        Orm::Drizzle => {
            for link in call.chain.iter().filter(|l| l.method == "where") {
                if link
                    .args
                    .iter()
                    .chain(&link.named_values)
                    .any(|a| drizzle_key_condition(a, ctx.catalog))
                {
                    continue;
                }
                let subjects: Vec<&str> = link
                    .args
                    .iter()
                    .chain(&link.named_values)
                    .flat_map(|a| pattern_subjects(a))
                    .collect();
                if !subjects.is_empty() && subjects.iter().all(|s| indexed(None, drizzle_column(s)))
                {
                    continue;
                }
                if link
                    .args
                    .iter()
                    .chain(&link.named_values)
                    .any(|a| leading_wildcard_call(a) || leading_wildcard_fragment(a))
                    || named_wildcard_pattern(&link.args, &link.named_values)
                {
                    out.push(
                        Diagnostic::new(link.range.clone(), "`like`/`ilike` pattern starts with `%`: no B-tree index can serve it and every row is scanned")
                            .help("Match a prefix (`'term%'`), or use full-text search or a trigram index (`pg_trgm`) for substring search."),
                    );
                }
            }
        }
        Orm::Kysely => {
            // A key compared in any `.where(...)` of the chain, also one
            // added before the builder was kept and continued
            // (`query = query.where(...)`): `.where('workspaceId', '=', id)`.
            let keyed = call.chain.iter().filter(|l| l.method == "where").any(|l| {
                let named = l.args.first().map_or("", |a| {
                    a.trim_matches(|c| c == '\'' || c == '"' || c == '`')
                });
                let (table, column) = match named.rsplit_once('.') {
                    Some((table, column)) => (Some(table), column),
                    None => (None, named),
                };
                let op = l.args.get(1).map_or(String::new(), |a| {
                    a.trim_matches(|c| c == '\'' || c == '"')
                        .to_ascii_lowercase()
                });
                let value = l.args.get(2).map_or("", String::as_str);
                matches!(op.as_str(), "=" | "in")
                    && (is_key(column)
                        || (!constant_text(value)
                            && ctx.catalog.is_some_and(|c| c.leads_through(table, column))))
            });
            if keyed {
                return;
            }
            // .where('name', 'like', '%term')
            for link in call.chain.iter().filter(|l| l.method == "where") {
                let op = link.args.get(1).map(|a| {
                    a.trim_matches(|c| c == '\'' || c == '"')
                        .to_ascii_lowercase()
                });
                let pattern = link.args.get(2).map(|a| a.trim_start());
                let column = link.args.first().map_or("", |a| {
                    drizzle_column(a.trim_matches(|c| c == '\'' || c == '"' || c == '`'))
                });
                if matches!(op.as_deref(), Some("like" | "ilike"))
                    && pattern.is_some_and(quoted_wildcard)
                    && !indexed(None, column)
                {
                    out.push(
                        Diagnostic::new(link.range.clone(), "`like`/`ilike` pattern starts with `%`: no B-tree index can serve it and every row is scanned")
                            .help("Match a prefix (`'term%'`), or use full-text search or a trigram index (`pg_trgm`) for substring search."),
                    );
                }
            }
        }
        Orm::Diesel => {
            // A key compared in a filter of the chain narrows the rows
            // first (`.filter(orders::tenant_id.eq(t))`); not one that is
            // only one branch of an `.or(..)`.
            let keyed = call
                .chain
                .iter()
                .filter(|l| l.method == "filter")
                .any(|l| l.args.iter().any(|a| diesel_key_filter(a)));
            if keyed {
                return;
            }
            // .filter(users::email.ilike(format!("%{q}%"))), or a local
            // holding that pattern: the front end gives a link the
            // patterns of its `.like(..)`s that start with a wildcard.
            for link in call
                .chain
                .iter()
                .filter(|l| matches!(l.method.as_str(), "filter" | "or_filter"))
            {
                if !link.named_values.is_empty() {
                    out.push(
                        Diagnostic::new(link.range.clone(), "`like`/`ilike` pattern starts with `%`: no B-tree index can serve it and every row is scanned")
                            .help("Match a prefix (`format!(\"{q}%\")`), or use full-text search or a trigram index (`pg_trgm`) for substring search."),
                    );
                }
            }
        }
        Orm::Sql | Orm::SeaOrm => {}
    }
}

/// Whether a diesel filter compares a key column to a value or a list
/// (`orders::tenant_id.eq(t)`, `id.eq_any(ids)`) outside any `.or(..)`.
fn diesel_key_filter(text: &str) -> bool {
    if text.contains(".or(") {
        return false;
    }
    [".eq(", ".eq_any("].iter().any(|call| {
        text.match_indices(call).any(|(at, _)| {
            let before = &text[..at];
            let column = before
                .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            is_key(column)
        })
    })
}

/// The model and the field a Prisma filter `key` at `path`
/// (`where.title.contains`, `where.OR.title.contains`) matches: the call's
/// model for a field of its own, the related model for one under a
/// relation (`where.owner.name.contains` reads the owner's `name`), no
/// model when the schemas do not say which.
fn prisma_field<'c>(
    call: &OrmCall,
    catalog: &Catalog,
    path: &'c str,
    key: &str,
) -> Option<(Option<String>, &'c str)> {
    let path = path
        .strip_suffix(key)
        .map_or(path, |p| p.trim_end_matches('.'));
    let fields: Vec<&str> = path
        .strip_prefix("where.")?
        .split('.')
        .filter(|s| {
            !matches!(
                *s,
                "OR" | "AND" | "NOT" | "some" | "every" | "none" | "is" | "isNot"
            ) && !s.chars().all(|c| c.is_ascii_digit())
        })
        .collect();
    let (field, relations) = fields.split_last()?;
    let model = call.receiver.rsplit('.').next()?;
    Some((catalog.prisma_model(model, relations), field))
}

/// The first arguments of the `like(...)`/`ilike(...)` calls in a Drizzle
/// condition, and the value pasted before `LIKE` in a `sql` fragment: the
/// columns the patterns are matched against.
fn pattern_subjects(text: &str) -> Vec<&str> {
    let mut subjects: Vec<&str> = calls_in(text, "like(")
        .into_iter()
        .map(|(_, column, _)| column.trim())
        .collect();
    let lower = text.to_ascii_lowercase();
    for op in [" like ", " ilike "] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(op).map(|n| from + n) {
            let before = text[..at].trim_end();
            if let Some(value) = before.strip_suffix('}')
                && let Some(open) = value.rfind("${")
            {
                subjects.push(&value[open + 2..]);
            }
            from = at + op.len();
        }
    }
    subjects
}

/// The column a Drizzle or Kysely expression names: `users.name` gives
/// `name`.
fn drizzle_column(text: &str) -> &str {
    text.trim().rsplit('.').next().unwrap_or(text).trim()
}

/// Whether a Prisma `where` also holds an equality on a key, which an index
/// serves and which leaves the pattern only a few rows to filter, compared
/// to a value or to a list (`{ in: ids }`). A key is a column the schema
/// starts an index with (`@@index([ownerId, ...])`, `@id`, `@unique`, a
/// `CREATE INDEX` or a code migration's index; compared to a value the code
/// computes, not a literal such as `status: "published"`), or by name
/// `id`, `uid`, or a name ending in `Id` or `_id` (`programId`,
/// `tenant_id`).
fn narrowed_by_key(call: &OrmCall, catalog: Option<&Catalog>) -> bool {
    let indexed = |p: &Property, field: &str| {
        !p.literal
            && !constant_text(&p.value)
            && catalog.is_some_and(|c| {
                let model = prisma_field(call, c, &p.path, "").and_then(|(m, _)| m);
                c.leads(model.as_deref(), field)
            })
    };
    // A key under a relation (`team: { members: { some: { userId } } }`)
    // narrows the rows to those related to one row.
    let keyed = |p: &Property, segments: &[&str]| match segments {
        [.., field, "in"] => is_key(field),
        [.., field, "equals"] => is_key(field) || indexed(p, field),
        // `planId: { contains: q }` is no equality on `planId`.
        [.., field] => {
            !p.value.trim_start().starts_with('{') && (is_key(field) || indexed(p, field))
        }
        [] => false,
    };
    narrowed_under(&call.properties, "where.", &keyed)
}

/// Whether the filter below `prefix` sets a key: outside any `OR`, or in
/// every branch of an `OR` (`OR: [{ accountId: id }, { note: { accountId:
/// id } }]`). A key under `NOT` narrows nothing.
fn narrowed_under(
    properties: &[Property],
    prefix: &str,
    keyed: &dyn Fn(&Property, &[&str]) -> bool,
) -> bool {
    properties.iter().any(|p| {
        let Some(rest) = p.path.strip_prefix(prefix) else {
            return false;
        };
        let segments: Vec<&str> = rest.split('.').collect();
        if segments.contains(&"NOT") {
            return false;
        }
        let Some(at) = segments.iter().position(|s| *s == "OR") else {
            return keyed(p, &segments);
        };
        let branches_at = format!("{prefix}{}.", segments[..=at].join("."));
        let branches: std::collections::BTreeSet<&str> = properties
            .iter()
            .filter_map(|q| q.path.strip_prefix(branches_at.as_str()))
            .filter_map(|r| r.split('.').next())
            .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
            .collect();
        !branches.is_empty()
            && branches
                .iter()
                .all(|b| narrowed_under(properties, &format!("{branches_at}{b}."), keyed))
    })
}

/// Whether a value's source text is a constant: a literal, or a member of
/// an enum or a constant object (`EnvelopeType.DOCUMENT`, `Role.admin`).
fn constant_text(value: &str) -> bool {
    let v = value.trim();
    literal_text(v)
        || v.split_once('.').is_some_and(|(object, member)| {
            object.starts_with(|c: char| c.is_ascii_uppercase())
                && object
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && member
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Whether a value's source text is a literal: a string, a number,
/// `true`, `false` or `null`.
fn literal_text(value: &str) -> bool {
    let v = value.trim();
    v.starts_with(['\'', '"'])
        || (v.starts_with('`') && !v.contains("${"))
        || v.parse::<f64>().is_ok()
        || matches!(v, "true" | "false" | "null" | "undefined")
}

/// Whether a name is a key's by the naming convention: `id`, `uid` or
/// `uuid`, or ending in `Id`, `ID`, `_id`, `Uid` or `_uid` (`teamId`,
/// `tenant_id`, `ownerUid`).
fn is_key(name: &str) -> bool {
    let name = name.trim_matches(|c| c == '"' || c == '`');
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "id" | "uid" | "uuid")
        || name.ends_with("Id")
        || name.ends_with("ID")
        || name.ends_with("Uid")
        || lower.ends_with("_id")
        || lower.ends_with("_uid")
}

/// Whether a query of the statement has a `WHERE` that compares a key
/// column to a value or a list in every branch (`team_id = $1 AND ...`,
/// `"teamID" = ${teamID}`, `id IN (...)`, `id = ANY($1)`): the key's index
/// picks the rows the pattern then filters. A comparison of two columns (a
/// join) does not count.
fn narrowed_by_key_column(ast: &sqlparser::ast::Statement, catalog: Option<&Catalog>) -> bool {
    struct Finder<'c>((Option<&'c Catalog>, Tables));
    impl Visitor for Finder<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if body_narrows(&query.body, &self.0) {
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let finder = (catalog, Tables::of(ast));
    // An `UPDATE` or `DELETE` filters in its own `WHERE`, outside any query.
    let own = match ast {
        sqlparser::ast::Statement::Update(u) => u.selection.as_ref(),
        sqlparser::ast::Statement::Delete(d) => d.selection.as_ref(),
        _ => None,
    };
    if own.is_some_and(|e| narrows(e, &finder)) {
        return true;
    }
    ast.visit(&mut Finder(finder)).is_break()
}

/// Whether a query body compares a key in its `WHERE`: a `SELECT` that
/// does, or a `UNION` (`INTERSECT`, `EXCEPT`) every branch of which does.
fn body_narrows(body: &SetExpr, finder: &(Option<&Catalog>, Tables)) -> bool {
    match body {
        SetExpr::Select(select) => select
            .selection
            .as_ref()
            .is_some_and(|e| narrows(e, finder)),
        SetExpr::SetOperation { left, right, .. } => {
            body_narrows(left, finder) && body_narrows(right, finder)
        }
        SetExpr::Query(query) => body_narrows(&query.body, finder),
        _ => false,
    }
}

/// Whether a condition holds a key compared to a value in every branch: a
/// column named as a key, or one an index of a table the statement reads
/// starts with.
fn narrows(expr: &Expr, (catalog, tables): &(Option<&Catalog>, Tables)) -> bool {
    // The tables a column qualified by `by` (any, unqualified) is of.
    let key = |by: Option<&str>, name: &str| {
        is_key(name)
            || catalog.is_some_and(|c| {
                tables
                    .0
                    .iter()
                    .filter(|(alias, _)| by.is_none_or(|b| b.eq_ignore_ascii_case(alias)))
                    .any(|(_, t)| c.leads(Some(t), name))
            })
    };
    let key_column = |e: &Expr| match e {
        Expr::Identifier(i) => key(None, &i.value),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., by, column] => key(Some(&by.value), &column.value),
            [column] => key(None, &column.value),
            [] => false,
        },
        _ => false,
    };
    super::helpers::keyed_in_every_branch(expr, &key_column)
}

/// Whether a Drizzle condition compares a key column to a value or a list:
/// `eq(t.teamId, teamId)`, `inArray(t.id, ids)`. Joins are written in
/// `join(...)`, so a `where` compares columns to values.
fn drizzle_key_condition(text: &str, catalog: Option<&Catalog>) -> bool {
    ["eq(", "inArray("].iter().any(|call| {
        calls_in(text, call)
            .into_iter()
            .any(|(before, column, value)| {
                before.is_none_or(|c| !c.is_ascii_alphanumeric())
                    && column
                        .trim()
                        .rsplit_once('.')
                        .is_some_and(|(table, field)| {
                            is_key(field)
                                || (!constant_text(value.split([')', ',']).next().unwrap_or(""))
                                    && catalog.is_some_and(|c| {
                                        c.leads_through(
                                            table.trim().rsplit(['.', '(']).next(),
                                            field,
                                        )
                                    }))
                        })
            })
    })
}

/// Whether source text holds a Drizzle `sql` fragment that matches a
/// pattern starting with `%`: `` sql`${t.name} ILIKE '%' || ${q} || '%'` ``.
fn leading_wildcard_fragment(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("sql`") {
        let body = &rest[at + 4..];
        let body = body.split('`').next().unwrap_or("");
        for op in ["like", "ilike"] {
            let mut search = body;
            while let Some(i) = search.find(op) {
                let before = search[..i].chars().next_back();
                let after = search[i + op.len()..].trim_start();
                if before.is_none_or(|c| !c.is_ascii_alphanumeric())
                    && (after.starts_with("'%") || after.starts_with("'_"))
                {
                    return true;
                }
                search = &search[i + op.len()..];
            }
        }
        rest = &rest[at + 4..];
    }
    false
}

/// Whether source text calls `like(col, pattern)` or `ilike(...)` with a
/// pattern that starts with `%`.
fn leading_wildcard_call(text: &str) -> bool {
    // `ilike(`, not Drizzle's negated `notIlike(`.
    calls_in(text, "like(")
        .into_iter()
        .any(|(before, _, pattern)| before != Some('I') && quoted_wildcard(pattern))
}

/// Each `call` written in source text (`like(`, `eq(`): the character
/// before it, its first argument and what follows the first comma.
fn calls_in<'t>(text: &'t str, call: &str) -> Vec<(Option<char>, &'t str, &'t str)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(call) {
        let after = &rest[at + call.len()..];
        if let Some((first, second)) = after.split_once(',') {
            found.push((rest[..at].chars().next_back(), first, second));
        }
        rest = after;
    }
    found
}

/// Whether source text starts with a string literal whose text starts with
/// `%`: `` `%${q}` ``, `'%a'`, `"%a"`.
fn quoted_wildcard(text: &str) -> bool {
    let text = text.trim_start();
    ["`%", "'%", "\"%"].iter().any(|q| text.starts_with(q))
}

/// Whether a `like(col, pattern)` or `ilike(...)` call takes its pattern
/// from a name whose value starts with `%`: `const pattern = `%${q}%``
/// declared first.
fn named_wildcard_pattern(args: &[String], named: &[String]) -> bool {
    let by_name = args.iter().chain(named).any(|a| {
        calls_in(a, "like(").into_iter().any(|(_, _, pattern)| {
            pattern
                .trim_start()
                .starts_with(|c: char| c.is_alphabetic() || c == '_')
        })
    });
    by_name && named.iter().any(|v| quoted_wildcard(v))
}
