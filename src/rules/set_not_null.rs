//! `set-not-null`: `ALTER COLUMN ... SET NOT NULL` on a column of a live
//! table, which scans the table under an exclusive lock.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation};

use super::helpers::{alter_table, clause, column_is_new, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};
use crate::model::schema::ident_key;

pub static RULE: Rule = Rule {
    id: "set-not-null",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/set-not-null.md"),
    fix: Some(FixSafety::Unsafe),
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
        let mut diag = Diagnostic::new(
            clause(ctx, at, op),
            format!(
                "`SET NOT NULL` on `{}` scans the whole table under an ACCESS EXCLUSIVE lock to check for NULLs: no reads or writes meanwhile",
                shown(&at.name)
            ),
        )
        .help(help);
        if at.operations.len() == 1 && m.postgres_at_least(12) {
            diag = diag.fix(steps(ctx, &at.name, column_name));
        }
        out.push(diag);
    }
}

/// The statement rewritten as the four steps that set `NOT NULL` without a
/// scan under the exclusive lock: a `CHECK` added `NOT VALID`, validated,
/// then `SET NOT NULL` (which trusts the check) and the check dropped.
fn steps(
    ctx: &StatementContext<'_>,
    table: &sqlparser::ast::ObjectName,
    column: &sqlparser::ast::Ident,
) -> Fix {
    // Unquoted names are folded to lower case, as PostgreSQL does.
    let folded = |ident: &sqlparser::ast::Ident| match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    };
    let last = table
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(folded)
        .unwrap_or_default();
    let mut check = format!("{last}_{}_not_null", folded(column));
    if check.len() > 63 {
        // PostgreSQL's limit on names; keep the end, which names the column.
        let cut = check.len() - 63;
        let cut = (cut..check.len())
            .find(|&i| check.is_char_boundary(i))
            .unwrap_or(cut);
        check = check[cut..].to_owned();
    }
    let plain = check.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && check
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let check = if plain {
        sqlparser::ast::Ident::new(check)
    } else {
        sqlparser::ast::Ident::with_quote('"', check)
    };
    let range = ctx.stmt.range.clone();
    let terminated = ctx.unit.text[..range.end].ends_with(';');
    let text = format!(
        "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;\n\
         ALTER TABLE {table} VALIDATE CONSTRAINT {check};\n\
         ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;\n\
         ALTER TABLE {table} DROP CONSTRAINT {check}{}",
        if terminated { ";" } else { "" }
    );
    Fix {
        title: format!(
            "Set `NOT NULL` through a `CHECK ({column} IS NOT NULL)` validated first (four statements; run the validation in a later transaction if this one holds locks)"
        ),
        safety: FixSafety::Unsafe,
        in_host: false,
        edits: vec![Edit {
            range,
            content: text,
        }],
    }
}
