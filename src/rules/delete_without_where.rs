//! `delete-without-where`: a `DELETE` that removes every row.

use sqlparser::ast::{FromTable, Statement};

use super::{Category, Rule, StatementContext, restricted_by_join};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::OrmCall;

pub static RULE: Rule = Rule {
    id: "delete-without-where",
    category: Category::Correctness,
    severity: Severity::Error,
    default_enabled: false,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/delete-without-where.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(Statement::Delete(delete)) = &ctx.stmt.ast else {
        return;
    };
    if delete.selection.is_some() || delete.limit.is_some() {
        return;
    }
    let tables = match &delete.from {
        FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
    };
    if tables.iter().any(restricted_by_join) {
        return;
    }
    let (range, name) = ctx.keyword_through_table(
        delete.delete_token.0.span,
        tables.first().map(|t| &t.relation),
    );
    out.push(
        Diagnostic::new(range, format!("`DELETE` without `WHERE` removes every row of {name}"))
            .help("Add a `WHERE` clause. To empty the table on purpose, use `TRUNCATE`, or write `WHERE true` so the intent is explicit."),
    );
}

/// Prisma `deleteMany` without a `where` (or with an empty one), and a
/// Drizzle `delete(t)` run without `.where(...)`.
pub fn check_orm(call: &OrmCall, _ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(range) = super::update_without_where::missing_where(call, "deleteMany", "delete") {
        out.push(
            Diagnostic::new(range, format!("`{}` without a `where` removes every row", call.name()))
                .help("Add a `where`. To empty the table on purpose, use `TRUNCATE` through a raw query, so the intent is explicit."),
        );
    }
}
