//! `update-without-where`: an `UPDATE` that changes every row.

use sqlparser::ast::Statement;

use super::{Category, Rule, StatementContext, restricted_by_join};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "update-without-where",
    category: Category::Correctness,
    severity: Severity::Error,
    default_enabled: false,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/update-without-where.md"),
    fix: None,
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

/// Prisma `updateMany` without a `where` (or with an empty one), and a
/// Drizzle `update(t).set(...)` run without `.where(...)`.
pub fn check_orm(call: &OrmCall, _ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(range) = missing_where(call, "updateMany", "update") {
        out.push(
            Diagnostic::new(range, format!("`{}` without a `where` changes every row", call.name()))
                .help("Add a `where`. If every row is meant, say so with a condition that is always true, so the intent is explicit."),
        );
    }
}

/// Where a write call without a filter starts, if it is one: Prisma's
/// `prisma_method` with no or an empty `where`, or Drizzle's
/// `drizzle_method` chain run with no `.where(...)`.
pub fn missing_where(
    call: &OrmCall,
    prisma_method: &str,
    drizzle_method: &str,
) -> Option<std::ops::Range<usize>> {
    let missing = match call.orm {
        Orm::Prisma if call.method == prisma_method && call.argument_known => {
            call.property("where").is_none_or(|w| {
                w.value
                    .trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                    .is_empty()
            })
        }
        // Kysely: updateTable(t).set(...).execute(), deleteFrom(t).execute()
        Orm::Kysely
            if call.method == kysely_method(drizzle_method)
                && call.chain.iter().any(|l| l.method.starts_with("execute")) =>
        {
            call.executed && call.link("where").is_none()
        }
        Orm::Drizzle if call.method == drizzle_method => {
            call.executed && call.link("where").is_none()
        }
        _ => false,
    };
    missing.then(|| call.method_name.clone())
}

/// Kysely's name for a Drizzle write builder.
fn kysely_method(drizzle_method: &str) -> &'static str {
    match drizzle_method {
        "update" => "updateTable",
        "delete" => "deleteFrom",
        _ => "",
    }
}
