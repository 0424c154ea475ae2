//! `update-without-where`: an `UPDATE` that changes every row.

use sqlparser::ast::Statement;

use super::{Category, Rule, Scope, StatementContext, restricted_by_join};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "update-without-where",
    category: Category::Correctness,
    severity: Severity::Error,
    default_enabled: true,
    scope: Scope::Application,
    doc: include_str!("../../rules/update-without-where.md"),
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(Statement::Update(update)) = &ctx.stmt.ast else {
        return;
    };
    if update.selection.is_some() || update.limit.is_some() || restricted_by_join(&update.table) {
        return;
    }
    let (range, name) =
        ctx.keyword_through_table(update.update_token.0.span, Some(&update.table.relation));
    out.push(
        Diagnostic::new(range, format!("`UPDATE` without `WHERE` changes every row of {name}"))
            .help("Add a `WHERE` clause. If every row is meant, write `WHERE true` so the intent is explicit."),
    );
}
