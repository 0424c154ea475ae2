//! `select-star`: `SELECT *` in application SQL.

use sqlparser::ast::{SelectItem, SetExpr, Statement};

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "select-star",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: false,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/select-star.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(Statement::Query(query)) = &ctx.stmt.ast {
        visit_body(ctx, &query.body, out);
    }
}

/// Only the result columns of the statement itself: `*` inside `EXISTS`, a
/// CTE or a derived table does not reach the application.
fn visit_body(ctx: &StatementContext<'_>, body: &SetExpr, out: &mut Vec<Diagnostic>) {
    match body {
        SetExpr::Select(select) => {
            for item in &select.projection {
                let options = match item {
                    SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => o,
                    _ => continue,
                };
                let star = ctx.span(options.wildcard_token.0.span);
                let range = match item {
                    SelectItem::QualifiedWildcard(..) => ctx.node(item).or(star),
                    _ => star,
                }
                .unwrap_or_else(|| ctx.first_token());
                out.push(
                    Diagnostic::new(range, "`SELECT *` returns whatever columns the table has today")
                        .help("List the columns the code uses: the query keeps working when columns are added, and reads less."),
                );
            }
        }
        SetExpr::Query(q) => visit_body(ctx, &q.body, out),
        SetExpr::SetOperation { left, right, .. } => {
            visit_body(ctx, left, out);
            visit_body(ctx, right, out);
        }
        _ => {}
    }
}
