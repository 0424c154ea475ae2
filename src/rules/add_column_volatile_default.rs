//! `add-column-volatile-default`: adding a column whose values must be
//! computed row by row, which rewrites the table.

use sqlparser::ast::{
    AlterTableOperation, ColumnOption, Expr, GeneratedExpressionMode, visit_expressions,
};
use std::ops::ControlFlow;

use super::helpers::{alter_existing_table, clause, options, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::schema::is_serial;

pub static RULE: Rule = Rule {
    id: "add-column-volatile-default",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/add-column-volatile-default.md"),
    fix: None,
    check,
};

/// Functions that are known to be volatile: PostgreSQL calls them once per
/// row, so a default that uses one is written into every row.
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "gen_random_bytes",
    "txid_current",
];

/// Built-in functions that are stable or immutable, the usual ones in
/// defaults: evaluated once when the column is added.
const NOT_VOLATILE: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "session_user",
    "current_setting",
    "lower",
    "upper",
    "coalesce",
    "concat",
    "array",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "make_interval",
    "to_timestamp",
    "to_date",
    "timezone",
    "date_trunc",
    "to_tsvector",
];

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some((m, at)) = alter_existing_table(ctx) else {
        return;
    };
    for op in &at.operations {
        let AlterTableOperation::AddColumn { column_def, .. } = op else {
            continue;
        };
        let why = if is_serial(&column_def.data_type) {
            Some(format!(
                "a `{}` column is filled from a sequence, one value per row",
                column_def.data_type
            ))
        } else {
            options(column_def).find_map(|o| match o {
                ColumnOption::Identity(_)
                | ColumnOption::Generated {
                    generation_expr: None,
                    ..
                } => Some("an identity column is filled from a sequence, one value per row".to_owned()),
                ColumnOption::Generated {
                    generation_expr: Some(_),
                    generation_expr_mode,
                    ..
                } if *generation_expr_mode != Some(GeneratedExpressionMode::Virtual) => {
                    Some("a stored generated column is computed for every row".to_owned())
                }
                ColumnOption::Default(expr) if !m.postgres_at_least(11) => Some(format!(
                    "before PostgreSQL 11 any default, even `{expr}`, is written into every row"
                )),
                ColumnOption::Default(expr) => volatile_call(expr).map(|f| {
                    if VOLATILE.contains(&f.as_str()) {
                        format!("the default calls `{f}()`, which is volatile, so it is evaluated for every row")
                    } else {
                        format!("the default calls `{f}()`, which is not known to be stable or immutable, so it may be evaluated for every row")
                    }
                }),
                _ => None,
            })
        };
        let Some(why) = why else {
            continue;
        };
        out.push(
            Diagnostic::new(
                clause(ctx, at, op),
                format!(
                    "Adding column `{}` rewrites all of `{}` under an ACCESS EXCLUSIVE lock: {why}",
                    column_def.name,
                    shown(&at.name)
                ),
            )
            .help("Add the column without the default (or with a constant one), set the default for new rows with `ALTER COLUMN ... SET DEFAULT`, and backfill existing rows in batches."),
        );
    }
}

/// The first function call in `expr` that is not known to be stable or
/// immutable, by its lower-cased name.
fn volatile_call(expr: &Expr) -> Option<String> {
    let mut found = None;
    let _ = visit_expressions(expr, |e| {
        if let Expr::Function(f) = e {
            let name = f
                .name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.to_ascii_lowercase())
                .unwrap_or_default();
            if !NOT_VOLATILE.contains(&name.as_str()) {
                found = Some(name);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    found
}
