//! `add-column-not-null-without-default`: a `NOT NULL` column added to a
//! table that has rows, with nothing to put in them.

use sqlparser::ast::{AlterTableOperation, ColumnOption};

use super::helpers::{alter_existing_table, clause, options, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::schema::is_serial;

pub static RULE: Rule = Rule {
    id: "add-column-not-null-without-default",
    category: Category::Migration,
    severity: Severity::Error,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/add-column-not-null-without-default.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((_, at)) = alter_existing_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let AlterTableOperation::AddColumn { column_def, .. } = op else {
            continue;
        };
        let not_null = options(column_def)
            .any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)));
        let filled = is_serial(&column_def.data_type)
            || options(column_def).any(|o| {
                matches!(
                    o,
                    ColumnOption::Default(_)
                        | ColumnOption::Identity(_)
                        | ColumnOption::Generated { .. }
                )
            });
        if !not_null || filled {
            continue;
        }
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "Adding `NOT NULL` column `{}` without a default fails as soon as `{}` has a row",
                    column_def.name,
                    shown(&at.name)
                ),
            )
            .help("Give the column a constant `DEFAULT` (instant from PostgreSQL 11), or add it nullable, backfill it, and then add the `NOT NULL` constraint."),
        );
    }
}
