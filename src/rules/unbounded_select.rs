//! `unbounded-select`: a top-level `SELECT` that can return every row of a
//! table.
//!
//! The rule errs towards silence: it reports only a query that reads a real
//! table and has nothing that bounds its result (a `LIMIT` or `FETCH`, a
//! lone aggregate, an equality on a key).

use sqlparser::ast::{
    Expr, LimitClause, ObjectName, Query, Select, SetExpr, Statement, TableFactor, TableWithJoins,
};

use super::helpers::{aggregates, is_catalog, no_group_by};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};
use crate::model::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "unbounded-select",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: false,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/unbounded-select.md"),
    fix: Some(FixSafety::DisplayOnly),
    check,
};

/// Columns taken to be unique keys when compared for equality.
const KEY_COLUMNS: &[&str] = &["id"];

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(Statement::Query(query)) = &ctx.stmt.ast else {
        return;
    };
    if ctx.unit.origin.one_row || returns_one_row_by_annotation(ctx) {
        return;
    }
    let Some(select) = unbounded_branch(query, &Ctes::default()) else {
        return;
    };
    let range = ctx
        .span(select.select_token.0.span)
        .unwrap_or_else(|| ctx.first_token());
    let table = first_table(&select.from);
    let mut diag = Diagnostic::new(
        range,
        "this `SELECT` has no `LIMIT` and can return every row of the table",
    )
    .help("Add `LIMIT` and paginate by key, or filter on a unique key. If the table stays small by design, ignore this finding.");
    if let Some(name) = table
        && let Some(r) = ctx.node(name)
    {
        diag = diag.label(r, "rows come from this table");
    }
    // Where the statement is that one `SELECT`, ordered (a `LIMIT` on rows
    // in no order returns any of them), show the `LIMIT` at its end.
    let whole = matches!(query.body.as_ref(), sqlparser::ast::SetExpr::Select(s) if std::ptr::eq(s.as_ref(), select))
        && query.order_by.is_some();
    let edits = if whole {
        let text = &ctx.unit.text[..ctx.stmt.range.end];
        let end = text.trim_end_matches(';').trim_end().len();
        vec![Edit {
            range: end..end,
            content: " LIMIT 100".to_owned(),
        }]
    } else {
        Vec::new()
    };
    diag = diag.fix(Fix::suggestion(
        "Return one page: `LIMIT n`, and the next page from the last row's key",
        edits,
    ));
    out.push(diag);
}

/// sqlc's `-- name: GetUser :one` (and `:exec`, which returns nothing): the
/// generated code reads at most one row.
fn returns_one_row_by_annotation(ctx: &StatementContext<'_>) -> bool {
    ctx.leading_comments().any(|c| {
        let body = c.trim_start_matches(['-', '/', '*', ' ']).trim_start();
        body.starts_with("name:")
            && body.split_whitespace().any(|w| {
                matches!(
                    w.trim_end_matches("*/"),
                    ":one" | ":exec" | ":execrows" | ":execresult" | ":execlastid"
                )
            })
    })
}

/// CTE names in scope and whether each one's result is bounded.
#[derive(Default, Clone)]
struct Ctes<'q> {
    names: Vec<(&'q str, bool)>,
}

impl<'q> Ctes<'q> {
    fn with(&self, query: &'q Query) -> Ctes<'q> {
        let mut ctes = self.clone();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let bounded = !with.recursive && unbounded_branch(&cte.query, &ctes).is_none();
                ctes.names.push((cte.alias.name.value.as_str(), bounded));
            }
        }
        ctes
    }

    fn lookup(&self, name: &ObjectName) -> Option<bool> {
        if name.0.len() != 1 {
            return None;
        }
        let ident = name.0[0].as_ident()?;
        self.names
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(&ident.value))
            .map(|&(_, bounded)| bounded)
    }
}

/// The `SELECT` that makes `query` unbounded, if any.
fn unbounded_branch<'q>(query: &'q Query, outer: &Ctes<'q>) -> Option<&'q Select> {
    let limited = match &query.limit_clause {
        Some(LimitClause::LimitOffset { limit, .. }) => limit.as_ref().is_some_and(|l| !is_null(l)),
        Some(LimitClause::OffsetCommaLimit { .. }) => true,
        None => false,
    };
    if limited || query.fetch.is_some() {
        return None;
    }
    let ctes = outer.with(query);
    unbounded_body(&query.body, &ctes)
}

fn is_null(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if v.value == sqlparser::ast::Value::Null)
}

fn unbounded_body<'q>(body: &'q SetExpr, ctes: &Ctes<'q>) -> Option<&'q Select> {
    match body {
        SetExpr::Select(select) => (!select_bounded(select, ctes)).then_some(select.as_ref()),
        SetExpr::Query(q) => unbounded_branch(q, ctes),
        SetExpr::SetOperation { left, right, .. } => {
            unbounded_body(left, ctes).or_else(|| unbounded_body(right, ctes))
        }
        _ => None,
    }
}

fn select_bounded(select: &Select, ctes: &Ctes<'_>) -> bool {
    // `SELECT ... INTO new_table` creates a table; nothing comes back.
    select.into.is_some()
        || !select.from.iter().any(|t| reads_table(t, ctes))
        || (no_group_by(select) && select.projection.iter().any(aggregates))
        || select.selection.as_ref().is_some_and(bounds_rows)
}

fn reads_table(twj: &TableWithJoins, ctes: &Ctes<'_>) -> bool {
    factor_reads_table(&twj.relation, ctes)
        || twj
            .joins
            .iter()
            .any(|j| factor_reads_table(&j.relation, ctes))
}

fn factor_reads_table(factor: &TableFactor, ctes: &Ctes<'_>) -> bool {
    match factor {
        TableFactor::Table { name, args, .. } => {
            if args.is_some() {
                return false; // A table function such as generate_series(...).
            }
            if let Some(bounded) = ctes.lookup(name) {
                return !bounded;
            }
            !is_catalog(name)
        }
        TableFactor::Derived { subquery, .. } => unbounded_branch(subquery, ctes).is_some(),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => reads_table(table_with_joins, ctes),
        _ => false,
    }
}

fn first_table(from: &[TableWithJoins]) -> Option<&ObjectName> {
    from.iter().find_map(|t| match &t.relation {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    })
}

/// Whether a `WHERE` condition limits the result to a known handful of rows:
/// an equality (or `IN` list, or `= ANY`) on a unique key column against a
/// value, in every branch that matters.
fn bounds_rows(expr: &Expr) -> bool {
    super::helpers::keyed_in_every_branch(expr, &is_key)
}

fn is_key(expr: &Expr) -> bool {
    let ident = match expr {
        Expr::Identifier(i) => i,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(i) => i,
            None => return false,
        },
        Expr::Nested(e) => return is_key(e),
        _ => return false,
    };
    KEY_COLUMNS
        .iter()
        .any(|k| ident.value.eq_ignore_ascii_case(k))
}

/// Prisma `findMany` without `take`, Drizzle `db.query.t.findMany` without
/// `limit`, and a Drizzle `select()...from(t)` chain run without `.limit()`.
/// A query filtered by its key (`where: { id }`, `eq(t.id, x)`) is bounded.
pub fn check_orm(call: &OrmCall, ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    for relation in &call.unbounded_relations {
        out.push(
            Diagnostic::new(
                relation.range.clone(),
                format!("`{}` loads every related row: it is a to-many relation and has no `take`", relation.key),
            )
            .help("Give the nested read a `take` (and an `orderBy`), or load the relation separately with paging."),
        );
    }
    let by_key = |text: &str| {
        let t = text.replace(' ', "");
        t.contains(".id,") || t.starts_with("{id") || t.contains("{id:") || t.contains(",id:")
    };
    // A filter that sets a unique key to one value reads one row at most.
    if let (Some(rows), Some(catalog)) = (call.equalities(), ctx.catalog)
        && catalog.unique(&rows.table, &rows.columns)
    {
        return;
    }
    let (missing, what) = match (call.orm, call.method.as_str()) {
        (Orm::Prisma, "findMany") => {
            let keyed = call.property("where.id").is_some();
            (call.property("take").is_none() && !keyed, "`take`")
        }
        (Orm::Drizzle, "findMany") => {
            let keyed = call.property("where").is_some_and(|w| by_key(&w.value));
            (call.property("limit").is_none() && !keyed, "`limit`")
        }
        (Orm::Kysely, "selectFrom") => {
            let one = call
                .chain
                .iter()
                .any(|l| l.method.starts_with("executeTakeFirst"));
            let runs = call.chain.iter().any(|l| l.method.starts_with("execute"));
            let keyed = call.chain.iter().any(|l| {
                l.method == "where"
                    && l.args
                        .first()
                        .is_some_and(|a| a.trim_matches(|c| c == '\'' || c == '"').ends_with("id"))
                    && l.args.get(1).is_some_and(|op| op.contains('='))
            });
            (
                call.executed && runs && !one && call.link("limit").is_none() && !keyed,
                "`.limit()`",
            )
        }
        (Orm::Drizzle, "select" | "selectDistinct") => {
            let keyed = call
                .link("where")
                .is_some_and(|w| w.args.iter().any(|a| by_key(a)));
            // `select({ n: sql`count(*)` })` without `groupBy` is one row;
            // `.get()` takes the first.
            let aggregate = call.link("groupBy").is_none()
                && call.properties.iter().any(|p| {
                    let v = p.value.to_ascii_lowercase();
                    ["count(", "sum(", "avg(", "min(", "max("]
                        .iter()
                        .any(|f| v.contains(f))
                });
            let keyed = keyed || aggregate || call.link("get").is_some();
            (
                call.executed
                    && call.link("from").is_some()
                    && call.link("limit").is_none()
                    && !keyed,
                "`.limit()`",
            )
        }
        _ => return,
    };
    if !missing {
        return;
    }
    out.push(
        Diagnostic::new(
            call.method_name.clone(),
            format!(
                "`{}` has no {what} and can return every row of the table",
                call.name()
            ),
        )
        .help("Add a bound (`take`/`limit`) and page with a cursor, or filter by a unique key."),
    );
}
