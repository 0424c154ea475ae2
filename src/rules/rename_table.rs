//! `rename-table`: renaming a table the running application uses.

use sqlparser::ast::AlterTableOperation;

use super::helpers::{alter_existing_table, clause, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "rename-table",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/rename-table.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((_, at)) = alter_existing_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let AlterTableOperation::RenameTable { .. } = op else {
            continue;
        };
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "Renaming table `{}` breaks every running copy of the application that still uses the old name",
                    shown(&at.name)
                ),
            )
            .help("Expand and contract: create the new table (or a view with the new name over the old table), move the application over, and drop the old name once no deployed version uses it."),
        );
    }
}
