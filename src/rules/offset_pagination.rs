//! `offset-pagination`: `OFFSET $1`, or a large literal offset.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, LimitClause, OrderByKind, OrderBySort, Query, Select, SelectItem, SetExpr, TableFactor,
    Value, Visit, Visitor,
};
use sqlparser::keywords::Keyword;

use super::helpers::{aggregates, no_group_by};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Fix, FixSafety, Severity};
use crate::model::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "offset-pagination",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/offset-pagination.md"),
    fix: Some(FixSafety::DisplayOnly),
    check,
};

/// The keyset query that replaces a query's offset: `WHERE` and
/// `ORDER BY` on the query's own sort columns, in its dialect's
/// placeholders; none when the sort is not plain columns in one direction.
fn keyset(ctx: &StatementContext<'_>, query: &Query) -> Option<String> {
    use crate::parse::Dialect;
    let OrderByKind::Expressions(exprs) = &query.order_by.as_ref()?.kind else {
        return None;
    };
    let mut keys = Vec::new();
    let mut descending = None;
    for e in exprs {
        if !matches!(e.expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            return None;
        }
        let desc = match &e.options.sort {
            None | Some(OrderBySort::Asc) => false,
            Some(OrderBySort::Desc) => true,
            Some(OrderBySort::Using(_)) => return None,
        };
        if descending.is_some_and(|d| d != desc) {
            return None;
        }
        descending = Some(desc);
        keys.push(ctx.text(ctx.node(&e.expr)?).to_owned());
    }
    let desc = descending?;
    let marks: Vec<String> = (1..=keys.len())
        .map(|i| match ctx.dialect {
            Dialect::Mysql | Dialect::Sqlite => "?".to_owned(),
            Dialect::Mssql => format!("@p{i}"),
            _ => format!("${i}"),
        })
        .collect();
    let (op, dir) = if desc { ("<", " DESC") } else { (">", "") };
    let order = keys
        .iter()
        .map(|k| format!("{k}{dir}"))
        .collect::<Vec<_>>()
        .join(", ");
    let condition = if keys.len() == 1 {
        format!("{} {op} {}", keys[0], marks[0])
    } else {
        format!("({}) {op} ({})", keys.join(", "), marks.join(", "))
    };
    Some(format!("WHERE {condition} ORDER BY {order}"))
}

/// The help and the suggestion for a query, naming its own sort key.
fn advice(ctx: &StatementContext<'_>, query: &Query) -> (String, String) {
    match keyset(ctx, query) {
        Some(keyset) => (
            format!(
                "Paginate by key instead: remember the last row's sort key and ask for `{keyset} LIMIT n`; the sort must end in a unique column (such as the primary key), or rows that tie are skipped or repeated."
            ),
            format!("Page by key: `{keyset} LIMIT n`, with the last row's key from the page before"),
        ),
        None => (
            "Paginate by key instead: sort by columns that end in a unique one (such as the primary key), remember the last row's values of them, and ask for the rows after them (`WHERE key > <last key> ORDER BY key LIMIT n`).".to_owned(),
            "Page by key: `WHERE key > <last key> ORDER BY key LIMIT n`, with the last row's key from the page before".to_owned(),
        ),
    }
}

/// What an `OFFSET` value is, as far as the text tells.
enum OffsetValue {
    Constant(u64),
    /// A parameter, a column or an expression: a page number from outside.
    Variable,
    Unknown,
}

fn classify(expr: &Expr) -> OffsetValue {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n
                .parse::<u64>()
                .map(OffsetValue::Constant)
                .unwrap_or(OffsetValue::Unknown),
            Value::Placeholder(_) => OffsetValue::Variable,
            _ => OffsetValue::Unknown,
        },
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => classify(e),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => OffsetValue::Variable,
        Expr::BinaryOp { left, right, .. } => match (classify(left), classify(right)) {
            (OffsetValue::Variable, _) | (_, OffsetValue::Variable) => OffsetValue::Variable,
            _ => OffsetValue::Unknown,
        },
        _ => OffsetValue::Unknown,
    }
}

/// Whether the rows a query pages are groups: it groups them itself (also
/// `DISTINCT`), sorts by an aggregate, or reads a subquery or CTE that
/// groups. The database
/// builds every group before it can sort and page them, so remembering the
/// last group's key saves no reading.
fn pages_groups(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let sorts_by_aggregate = query.order_by.as_ref().is_some_and(|o| match &o.kind {
        OrderByKind::Expressions(exprs) => exprs
            .iter()
            .any(|e| aggregates(&e.expr) || aliases_aggregate(select, &e.expr)),
        OrderByKind::All(_) => false,
    });
    let grouped = |q: &Query| matches!(q.body.as_ref(), SetExpr::Select(s) if !no_group_by(s));
    let reads_groups = select.from.iter().any(|t| match &t.relation {
        TableFactor::Derived { subquery, .. } => grouped(subquery),
        TableFactor::Table { name, .. } => query.with.as_ref().is_some_and(|with| {
            with.cte_tables.iter().any(|cte| {
                name.0.len() == 1
                    && name.0[0]
                        .as_ident()
                        .is_some_and(|i| i.value.eq_ignore_ascii_case(&cte.alias.name.value))
                    && grouped(&cte.query)
            })
        }),
        _ => false,
    });
    // `DISTINCT` and `DISTINCT ON` build the whole de-duplicated set too.
    !no_group_by(select) || select.distinct.is_some() || sorts_by_aggregate || reads_groups
}

/// `ORDER BY visitors` where the select list says `count(*) AS visitors`.
fn aliases_aggregate(select: &Select, sort: &Expr) -> bool {
    let Expr::Identifier(name) = sort else {
        return false;
    };
    select.projection.iter().any(|item| {
        matches!(item, SelectItem::ExprWithAlias { expr, alias }
            if alias.value.eq_ignore_ascii_case(&name.value) && aggregates(expr))
    })
}

/// What a finding says of an offset a loop advances page by page.
const GROWS: &str = "grows with each pass of a loop: walking a table by offset re-reads every earlier page, so N pages read about N²/2 pages' rows";

struct Finder<'c, 'a> {
    ctx: &'c StatementContext<'a>,
    out: &'c mut Vec<Diagnostic>,
}

impl Visitor for Finder<'_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let offset = match &query.limit_clause {
            Some(LimitClause::LimitOffset {
                offset: Some(offset),
                ..
            }) => &offset.value,
            Some(LimitClause::OffsetCommaLimit { offset, .. }) => offset,
            _ => return ControlFlow::Continue(()),
        };
        if pages_groups(query) {
            return ControlFlow::Continue(());
        }
        let ctx = self.ctx;
        let walked_by = ctx.unit.origin.walked_by.clone();
        let message = match classify(offset) {
            OffsetValue::Variable if walked_by.is_some() => format!("`OFFSET` {GROWS}"),
            OffsetValue::Variable if ctx.options.offset_page_numbers => {
                "`OFFSET` taken from a parameter: every page reads and throws away all the rows before it".to_owned()
            }
            OffsetValue::Constant(n) if n > ctx.options.offset_threshold => format!(
                "`OFFSET {n}` reads and throws away {n} rows before returning any"
            ),
            _ => return ControlFlow::Continue(()),
        };
        let range = ctx
            .node(offset)
            .map(|value| {
                let start = ctx
                    .keyword_before(value.start, Keyword::OFFSET, 3)
                    .map_or(value.start, |kw| kw.start);
                start..value.end
            })
            .unwrap_or_else(|| ctx.first_token());
        let (help, suggestion) = advice(ctx, query);
        let mut diagnostic = Diagnostic::new(range, message)
            .help(help)
            .fix(Fix::suggestion(suggestion, Vec::new()));
        if let Some(head) = walked_by.filter(|_| matches!(classify(offset), OffsetValue::Variable))
        {
            diagnostic = diagnostic.host_label(head, "the loop that asks for page after page");
        }
        self.out.push(diagnostic);
        ControlFlow::Continue(())
    }
}

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(ast) = &ctx.stmt.ast {
        let _ = ast.visit(&mut Finder { ctx, out });
    }
}

/// `after ? 1 : 0`: skipping the cursor's own row or nothing, Prisma's
/// cursor idiom.
fn skips_the_cursor(value: &str) -> bool {
    value.split_once('?').is_some_and(|(_, branches)| {
        branches
            .split(':')
            .all(|b| matches!(b.trim(), "0" | "1" | "undefined"))
    })
}

/// Prisma `groupBy`, or a sort by an aggregate (`orderBy: { _count: ... }`,
/// `orderBy: { posts: { _count: 'desc' } }`); a Drizzle or Kysely chain
/// with `.groupBy(...)`: the rows paged are groups (see [`pages_groups`]).
fn orm_pages_groups(call: &OrmCall) -> bool {
    match call.orm {
        Orm::Prisma => {
            call.query_method() == "groupBy"
                || call.property("distinct").is_some()
                || call.properties.iter().any(|p| {
                    p.path.starts_with("orderBy.")
                        && matches!(p.key.as_str(), "_count" | "_sum" | "_avg" | "_min" | "_max")
                })
        }
        Orm::Drizzle | Orm::Kysely => call.link("groupBy").is_some(),
        Orm::Diesel | Orm::SeaOrm => call.link("group_by").is_some(),
        Orm::Sql => false,
    }
}

/// Prisma `skip` and Drizzle or Kysely `.offset(x)`: a value a loop
/// advances page by page (the call in the loop, or in a function the loop
/// calls), a literal above the threshold, and with `page-numbers` any
/// other value. Not Prisma's cursor idiom (`skip: 1` with `cursor`, or
/// `skip: after ? 1 : 0`); conditional spreads count.
pub fn check_orm(call: &OrmCall, ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    let options = ctx.options;
    if orm_pages_groups(call) {
        return;
    }
    let found = match call.orm {
        Orm::Prisma => call
            .property("skip")
            .filter(|skip| call.property("cursor").is_none() && !skips_the_cursor(&skip.value))
            .map(|skip| {
                let literal = skip
                    .literal
                    .then(|| skip.value.parse::<u64>().ok())
                    .flatten();
                (
                    skip.range.clone(),
                    format!("`skip: {}`", skip.value),
                    literal,
                    skip.literal,
                )
            }),
        // A sea-orm paginator's `fetch_page(n)` and `fetch_and_next()`
        // read by offset too (the Rust front end keeps `fetch_and_next`
        // only where a loop calls it).
        Orm::Drizzle | Orm::Kysely | Orm::Diesel | Orm::SeaOrm => call
            .link("offset")
            .or_else(|| call.link("fetch_page"))
            .or_else(|| call.link("fetch_and_next"))
            .map(|o| {
                let arg = o.args.first().map_or("", String::as_str);
                // `50_000`: digit separators, in Rust and JavaScript alike.
                let digits = arg.replace('_', "");
                let literal = digits.parse::<u64>().ok();
                let constant = digits.parse::<f64>().is_ok();
                (
                    o.range.clone(),
                    if o.method == "fetch_and_next" {
                        "The offset of `.fetch_and_next()`".to_owned()
                    } else {
                        format!("`.{}({arg})`", o.method)
                    },
                    literal,
                    constant,
                )
            }),
        Orm::Sql => None,
    };
    let Some((range, what, literal, constant)) = found else {
        return;
    };
    let walked_by = call
        .in_loop
        .as_ref()
        .filter(|each| each.walks())
        .map(|each| each.head.clone())
        .or_else(|| call.walked_by.clone());
    let message = match (literal, &walked_by) {
        (Some(n), _) if n > options.offset_threshold => {
            format!("{what} reads and throws away {n} rows before returning any")
        }
        _ if constant => return,
        (_, Some(_)) => format!("{what} {GROWS}"),
        _ if options.offset_page_numbers => format!(
            "{what} pages by offset: every page reads and throws away all the rows before it"
        ),
        _ => return,
    };
    let help = match call.orm {
        Orm::Diesel => {
            "Page by key instead: remember the last row's key and ask for the rows after it (`.filter(id.gt(last_id)).order(id).limit(n)`)."
        }
        Orm::SeaOrm => {
            "Page by key instead: remember the last row's key and ask for the rows after it (`.filter(Column::Id.gt(last_id)).order_by_asc(Column::Id).limit(n)`, or `cursor_by`)."
        }
        _ => {
            "Page by key instead: remember the last row's key and ask for the rows after it (Prisma `cursor` with `skip: 1`, or `where(gt(t.id, lastId))`)."
        }
    };
    let mut diagnostic = Diagnostic::new(range, message).help(help);
    if let Some(head) = walked_by.filter(|_| !constant) {
        diagnostic = diagnostic.label(head, "the loop that asks for page after page");
    }
    out.push(diagnostic);
}
