//! `add-unique-constraint-without-index`: a `UNIQUE` or `PRIMARY KEY`
//! constraint whose index is built under the constraint's lock.

use sqlparser::ast::{AlterTableOperation, ColumnOption, TableConstraint};

use super::helpers::{alter_existing_table, clause, options, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "add-unique-constraint-without-index",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/add-unique-constraint-without-index.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((_, at)) = alter_existing_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let what = match op {
            AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::Unique(_) => "`UNIQUE` constraint",
                TableConstraint::PrimaryKey(_) => "primary key",
                _ => continue,
            },
            AlterTableOperation::AddColumn { column_def, .. } => {
                match options(column_def).find_map(|o| match o {
                    ColumnOption::Unique(_) => Some("`UNIQUE` column"),
                    ColumnOption::PrimaryKey(_) => Some("primary key column"),
                    _ => None,
                }) {
                    Some(w) => w,
                    None => continue,
                }
            }
            _ => continue,
        };
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "Adding a {what} builds its unique index on `{}` under an ACCESS EXCLUSIVE lock: no reads or writes until the build ends",
                    shown(&at.name)
                ),
            )
            .help("Build the index first with `CREATE UNIQUE INDEX CONCURRENTLY name ON ...`, then attach it: `ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX name` (or `PRIMARY KEY USING INDEX`), which takes the lock only briefly."),
        );
    }
}
