//! `offset-pagination`: `OFFSET $1`, or a large literal offset.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, LimitClause, Query, Value, Visit, Visitor};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, Fix, FixSafety, Severity};
use crate::typescript::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "offset-pagination",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: true,
    scope: Scope::Application,
    doc: include_str!("../../rules/offset-pagination.md"),
    fix: Some(FixSafety::DisplayOnly),
    check,
};

const HELP: &str = "Paginate by key instead: remember the last row's sort key and ask for `WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT n`.";

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
        let message = match classify(offset) {
            OffsetValue::Variable => {
                "`OFFSET` taken from a parameter: every page reads and throws away all the rows before it".to_owned()
            }
            OffsetValue::Constant(n) if n > self.ctx.options.offset_threshold => format!(
                "`OFFSET {n}` reads and throws away {n} rows before returning any"
            ),
            _ => return ControlFlow::Continue(()),
        };
        let ctx = self.ctx;
        let range = ctx
            .node(offset)
            .map(|value| {
                let start = ctx
                    .keyword_before(value.start, Keyword::OFFSET, 3)
                    .map_or(value.start, |kw| kw.start);
                start..value.end
            })
            .unwrap_or_else(|| ctx.first_token());
        self.out.push(
            Diagnostic::new(range, message)
                .help(HELP)
                .fix(Fix::suggestion(
                    "Page by key: `WHERE id > $last_id ORDER BY id LIMIT n`, with the last row's key from the page before",
                    Vec::new(),
                )),
        );
        ControlFlow::Continue(())
    }
}

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(ast) = &ctx.stmt.ast {
        let _ = ast.visit(&mut Finder { ctx, out });
    }
}

/// Prisma `skip` taken from a variable (not the cursor idiom, `skip: 1`
/// with `cursor`), and Drizzle `.offset(x)` with a non-literal `x`.
pub fn check_orm(call: &OrmCall, out: &mut Vec<Diagnostic>) {
    let found = match call.orm {
        Orm::Prisma => call
            .property("skip")
            .filter(|skip| !skip.literal && call.property("cursor").is_none())
            .map(|skip| (skip.range.clone(), format!("`skip: {}`", skip.value))),
        Orm::Drizzle | Orm::Kysely => call
            .link("offset")
            .filter(|o| o.args.first().is_some_and(|a| a.parse::<f64>().is_err()))
            .map(|o| (o.range.clone(), "`.offset(...)`".to_owned())),
        Orm::Sql => None,
    };
    if let Some((range, what)) = found {
        out.push(
            Diagnostic::new(range, format!("{what} pages by offset: every page reads and throws away all the rows before it"))
                .help("Page by key instead: remember the last row's key and ask for the rows after it (Prisma `cursor` with `skip: 1`, or `where(gt(t.id, lastId))`)."),
        );
    }
}
