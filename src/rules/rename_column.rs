//! `rename-column`: renaming a column the running application uses.

use sqlparser::ast::AlterTableOperation;

use super::helpers::{alter_table, clause, column_is_new, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "rename-column",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/rename-column.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((m, at)) = alter_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } = op
        else {
            continue;
        };
        if column_is_new(&m, &at.name, old_column_name) {
            continue;
        }
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "Renaming `{}.{old_column_name}` to `{new_column_name}` breaks every running copy of the application that still uses the old name",
                    shown(&at.name)
                ),
            )
            .help("Expand and contract: add the new column, write to both, backfill, move reads to the new column, and drop the old one once no deployed version uses it."),
        );
    }
}
