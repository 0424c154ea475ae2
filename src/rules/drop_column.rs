//! `drop-column`: dropping a column the running application may use.

use sqlparser::ast::AlterTableOperation;

use super::helpers::{alter_table, clause, column_is_new, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "drop-column",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/drop-column.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((m, at)) = alter_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let AlterTableOperation::DropColumn { column_names, .. } = op else {
            continue;
        };
        let old: Vec<String> = column_names
            .iter()
            .filter(|c| !column_is_new(&m, &at.name, c))
            .map(|c| format!("`{c}`"))
            .collect();
        if old.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "Dropping {} from `{}` breaks every running copy of the application that still reads or writes it",
                    old.join(", "),
                    shown(&at.name)
                ),
            )
            .help("Stop using the column in the application first (and tell the ORM to ignore it), deploy, and drop it in a later migration."),
        );
    }
}
