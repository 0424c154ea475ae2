//! `change-column-type`: `ALTER COLUMN ... TYPE` that rewrites the table.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation, DataType};

use super::helpers::{alter_table, clause, column_is_new, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::schema::ident_key;

pub static RULE: Rule = Rule {
    id: "change-column-type",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/change-column-type.md"),
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
            op:
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                },
        } = op
        else {
            continue;
        };
        if column_is_new(&m, &at.name, column_name) {
            continue;
        }
        let old = m
            .schema
            .table(&at.name)
            .and_then(|t| t.column(&ident_key(column_name)))
            .and_then(|c| c.data_type.clone());
        let to = Type::of(data_type);
        // `USING col` converts nothing: the plain cast.
        let using = using.as_ref().filter(|u| !is_column(u, column_name));
        let message = match &old {
            Some(old) => {
                let from = Type::of(old);
                let utc_switch = m.postgres_at_least(12)
                    && m.file.timezone_utc
                    && matches!(
                        (from.base.as_str(), to.base.as_str()),
                        ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
                    )
                    && to.args.first().unwrap_or(&6) >= from.args.first().unwrap_or(&6);
                if from == to || (using.is_none() && (no_rewrite(&from, &to) || utc_switch)) {
                    continue;
                }
                format!(
                    "Changing `{column_name}` from `{old}` to `{data_type}` rewrites `{}` and its indexes under an ACCESS EXCLUSIVE lock: no reads or writes until it ends",
                    shown(&at.name)
                )
            }
            None => {
                if using.is_none() && always_safe_target(&to) {
                    continue;
                }
                format!(
                    "Changing the type of `{column_name}` to `{data_type}` rewrites `{}` and its indexes under an ACCESS EXCLUSIVE lock, unless the old type converts without one",
                    shown(&at.name)
                )
            }
        };
        out.push(
            Diagnostic::new(clause(ctx, at, op), message).help(
                "Add a new column of the new type, write to both from the application, backfill in batches, switch reads over, then drop the old column.",
            ),
        );
    }
}

/// Whether `expr` is just the column itself (`USING col`).
fn is_column(expr: &sqlparser::ast::Expr, column: &sqlparser::ast::Ident) -> bool {
    match expr {
        sqlparser::ast::Expr::Identifier(id) => ident_key(id) == ident_key(column),
        sqlparser::ast::Expr::Nested(e) => is_column(e, column),
        _ => false,
    }
}

/// A column type reduced to what decides a rewrite: its base name and its
/// modifiers (length, precision and scale).
#[derive(Debug, PartialEq, Eq)]
struct Type {
    base: String,
    args: Vec<u64>,
}

impl Type {
    fn of(data_type: &DataType) -> Type {
        let text = data_type.to_string().to_ascii_lowercase();
        let (base, args) = match text.split_once('(') {
            Some((base, rest)) => (
                base.trim().to_owned(),
                rest.trim_end_matches(')')
                    .split(',')
                    .filter_map(|a| a.trim().parse().ok())
                    .collect(),
            ),
            None => (text.trim().to_owned(), Vec::new()),
        };
        let base = match base.as_str() {
            "character varying" => "varchar",
            "int" | "integer" | "int4" => "integer",
            "int8" => "bigint",
            "int2" => "smallint",
            "decimal" => "numeric",
            "timestamp with time zone" => "timestamptz",
            "timestamp without time zone" => "timestamp",
            "bit varying" => "varbit",
            "bool" => "boolean",
            "float8" | "double precision" => "double precision",
            other => other,
        }
        .to_owned();
        Type { base, args }
    }
}

/// The changes PostgreSQL makes without rewriting the table: the types are
/// binary coercible and the new modifiers accept every old value.
fn no_rewrite(from: &Type, to: &Type) -> bool {
    let widened = |from: &[u64], to: &[u64]| match (from, to) {
        (_, []) => true,
        ([], _) => false,
        ([a], [b]) => b >= a,
        ([p1, s1], [p2, s2]) => s1 == s2 && p2 >= p1,
        ([p1], [p2, 0]) => p2 >= p1,
        _ => false,
    };
    match (from.base.as_str(), to.base.as_str()) {
        ("varchar", "varchar") | ("varbit", "varbit") | ("numeric", "numeric") => {
            widened(&from.args, &to.args)
        }
        ("varchar", "text") | ("text", "varchar") => to.args.is_empty(),
        ("char", "text") | ("char", "varchar") => false,
        ("cidr", "inet") => true,
        ("xml", "text") => true,
        ("timestamp" | "timestamptz" | "time" | "interval", b) if b == from.base => {
            widened(&from.args, &to.args)
        }
        _ => false,
    }
}

/// New types that never need a rewrite from the string types they usually
/// replace; with the old type unknown, only these are let through.
fn always_safe_target(to: &Type) -> bool {
    matches!(to.base.as_str(), "text") || (to.base == "varchar" && to.args.is_empty())
}
