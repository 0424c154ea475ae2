//! `set-not-null`: `ALTER COLUMN ... SET NOT NULL` on a column of a live
//! table, which scans the table under an exclusive lock.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::helpers::{alter_table, clause, column_is_new, shown};
use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::migrate::schema::ident_key;

pub static RULE: Rule = Rule {
    id: "set-not-null",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    scope: Scope::Migrations,
    doc: include_str!("../../rules/set-not-null.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((m, at)) = alter_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let AlterTableOperation::AlterColumn {
            column_name,
            op: AlterColumnOperation::SetNotNull,
        } = op
        else {
            continue;
        };
        if column_is_new(&m, &at.name, column_name) {
            continue;
        }
        let table = m.schema.table(&at.name);
        let column = ident_key(column_name);
        if table.is_some_and(|t| t.column(&column).is_some_and(|c| c.not_null)) {
            continue;
        }
        let proven = table.is_some_and(|t| t.has_validated_not_null_check(&column));
        if proven && m.postgres_at_least(12) {
            continue;
        }
        let help = if m.postgres_at_least(18) {
            format!(
                "Add `CONSTRAINT {column}_not_null NOT NULL {column} NOT VALID` (PostgreSQL 18), then `VALIDATE CONSTRAINT` it in a later transaction, which does not block writes."
            )
        } else if m.postgres_at_least(12) {
            format!(
                "First add `CONSTRAINT {column}_not_null CHECK ({column} IS NOT NULL) NOT VALID`, then `VALIDATE CONSTRAINT` it in a later transaction (that scan does not block writes); `SET NOT NULL` then uses the check instead of scanning, and the check can be dropped afterwards."
            )
        } else {
            "Before PostgreSQL 12 `SET NOT NULL` always scans the table; keep a validated `CHECK (col IS NOT NULL)` constraint instead of the `NOT NULL` attribute until you upgrade.".to_owned()
        };
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "`SET NOT NULL` on `{}` scans the whole table under an ACCESS EXCLUSIVE lock to check for NULLs: no reads or writes meanwhile",
                    shown(&at.name)
                ),
            )
            .help(help),
        );
    }
}
