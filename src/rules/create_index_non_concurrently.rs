//! `create-index-non-concurrently`: building an index on a live table
//! without `CONCURRENTLY`.

use sqlparser::ast::Statement;

use super::helpers::{concurrently_fix, shown, without_transaction};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, FixSafety, Severity};

pub static RULE: Rule = Rule {
    id: "create-index-non-concurrently",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/create-index-non-concurrently.md"),
    fix: Some(FixSafety::Safe),
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(m), Some(Statement::CreateIndex(ci))) = (ctx.migration, &ctx.stmt.ast) else {
        return;
    };
    if ci.concurrently
        || m.is_new_table(&ci.table_name)
        || crate::parse::index_on_only(ctx.tokens()).is_some()
    {
        return;
    }
    let range = super::helpers::head(ctx, &ci.table_name);
    let unique = if ci.unique { "UNIQUE " } else { "" };
    let diag = Diagnostic::new(
        range,
        format!(
            "`CREATE {unique}INDEX` on `{}` blocks every write to the table (SHARE lock) until the index is built",
            shown(&ci.table_name)
        ),
    )
    .help(format!(
        "Use `CREATE {unique}INDEX CONCURRENTLY`, which lets writes go on. It cannot run inside a transaction: {}.",
        without_transaction(m.file.tool)
    ))
    .fix(concurrently_fix(ctx, &m, &format!("CREATE {unique}INDEX")));
    out.push(diag);
}
