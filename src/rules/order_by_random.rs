//! `order-by-random`: `ORDER BY random()`.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, OrderByExpr, Visit, Visitor};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext, function_named};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Fix, FixSafety, Severity};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "order-by-random",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/order-by-random.md"),
    fix: Some(FixSafety::DisplayOnly),
    check,
};

const RANDOM_FUNCTIONS: &[&str] = &["random", "rand", "newid"];
/// The finding at `range`, the call as written (`random()`, `RAND()`),
/// with advice for the statement's database.
fn diagnostic(ctx: &StatementContext<'_>, range: std::ops::Range<usize>) -> Diagnostic {
    use crate::parse::Dialect;
    let call = ctx.text(range.clone());
    let (help, suggestion) = match ctx.dialect {
        Dialect::Postgres | Dialect::Cockroachdb | Dialect::Generic => (
            "Pick random rows by key instead (a random id range, or `TABLESAMPLE SYSTEM_ROWS(n)` from `tsm_system_rows`).",
            "Pick rows from a random key on: `WHERE id >= (SELECT floor(random() * max(id)) FROM t) ORDER BY id LIMIT n`",
        ),
        Dialect::Mysql => (
            "Pick random rows by key instead: a random id range, computed once.",
            "Pick rows from a random key on: `WHERE id >= (SELECT FLOOR(RAND() * MAX(id)) FROM t) ORDER BY id LIMIT n`",
        ),
        Dialect::Sqlite => (
            "Pick random rows by key instead: a random id range, computed once.",
            "Pick rows from a random key on: `WHERE id >= (SELECT abs(random()) % max(id) FROM t) ORDER BY id LIMIT n`",
        ),
        Dialect::Mssql | Dialect::Clickhouse => (
            "Pick random rows by key instead: a random id range, computed once, or the table's own sampling (`TABLESAMPLE`, `SAMPLE`).",
            "Pick rows from a random key on: `WHERE id >= <a random number up to the largest id> ORDER BY id`, with the first n rows",
        ),
    };
    Diagnostic::new(
        range,
        format!("`ORDER BY {call}` reads and sorts every row to return a few of them"),
    )
    .help(help)
    .fix(Fix::suggestion(suggestion, Vec::new()))
}

struct Finder<'c, 'a> {
    ctx: &'c StatementContext<'a>,
    out: &'c mut Vec<Diagnostic>,
    /// The `ORDER BY` items of queries that return every row they sort
    /// (no `LIMIT`, `FETCH` or `TOP`), by address: a shuffle of the whole
    /// result, not a sample of it.
    shuffles: Vec<*const OrderByExpr>,
}

impl Visitor for Finder<'_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &sqlparser::ast::Query) -> ControlFlow<()> {
        let top = matches!(&*query.body, sqlparser::ast::SetExpr::Select(s) if s.top.is_some());
        if query.limit_clause.is_none()
            && query.fetch.is_none()
            && !top
            && let Some(order) = &query.order_by
            && let sqlparser::ast::OrderByKind::Expressions(items) = &order.kind
        {
            self.shuffles.extend(items.iter().map(std::ptr::from_ref));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_order_by_expr(&mut self, order: &OrderByExpr) -> ControlFlow<()> {
        if let Expr::Function(f) = &order.expr
            && function_named(&f.name, RANDOM_FUNCTIONS)
            && !self.shuffles.contains(&std::ptr::from_ref(order))
        {
            let range = self
                .ctx
                .node(&f.name)
                .map(|name| self.ctx.with_call_parens(name))
                .unwrap_or_else(|| self.ctx.first_token());
            self.out.push(diagnostic(self.ctx, range));
        }
        ControlFlow::Continue(())
    }
}

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    match &ctx.stmt.ast {
        Some(ast) => {
            let _ = ast.visit(&mut Finder {
                ctx,
                out,
                shuffles: Vec::new(),
            });
        }
        None => {
            let toks = ctx.tokens();
            // With no `LIMIT`, `FETCH` or `TOP`, every row is returned: a
            // shuffle, not a sample.
            let sampled = toks.iter().any(|t| {
                [Keyword::LIMIT, Keyword::FETCH, Keyword::TOP]
                    .iter()
                    .any(|k| t.is_keyword(*k))
            });
            if !sampled {
                return;
            }
            for i in 2..toks.len() {
                let is_random = matches!(toks[i].kind, TokKind::Word(_))
                    && RANDOM_FUNCTIONS
                        .iter()
                        .any(|f| ctx.text(toks[i].range.clone()).eq_ignore_ascii_case(f));
                if is_random
                    && toks[i - 2].is_keyword(Keyword::ORDER)
                    && toks[i - 1].is_keyword(Keyword::BY)
                    && toks.get(i + 1).is_some_and(|t| t.kind == TokKind::LParen)
                {
                    let range = ctx.with_call_parens(toks[i].range.clone());
                    out.push(diagnostic(ctx, range));
                }
            }
        }
    }
}
