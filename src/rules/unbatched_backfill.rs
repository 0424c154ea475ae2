//! `unbatched-backfill`: rewriting the rows of a live table in one
//! statement inside a schema migration.

use sqlparser::ast::{FromTable, Statement, TableFactor};

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "unbatched-backfill",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::MIGRATIONS,
    doc: include_str!("../../rules/unbatched-backfill.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(m) = ctx.migration else {
        return;
    };
    if !m.file.changes_schema {
        return;
    }
    let (verb, span, relation) = match &ctx.stmt.ast {
        Some(Statement::Update(u)) => ("UPDATE", u.update_token.0.span, Some(&u.table.relation)),
        Some(Statement::Delete(d)) => {
            let tables = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            (
                "DELETE",
                d.delete_token.0.span,
                tables.first().map(|t| &t.relation),
            )
        }
        _ => return,
    };
    if let Some(TableFactor::Table { name, .. }) = relation
        && (m.is_new_table(name) || super::helpers::is_catalog(name))
    {
        return;
    }
    let (range, name) = ctx.keyword_through_table(span, relation);
    let where_ = if m.in_transaction() {
        ", inside the migration's transaction, so every lock the migration took is held as long"
    } else {
        ""
    };
    out.push(
        Diagnostic::new(
            range,
            format!(
                "`{verb}` of {name} in a schema migration changes all matching rows in one statement: it locks each of them until the migration ends{where_}, and a large table makes a long migration"
            ),
        )
        .help("Move the backfill out of the schema migration: run it in batches of a few thousand rows (by key range), each in its own transaction, from a script or a separate data migration."),
    );
}
