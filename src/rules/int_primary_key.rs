//! `int-primary-key`: a 32-bit integer primary key on a new table.

use sqlparser::ast::{ColumnOption, DataType, Statement, TableConstraint};

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::schema::ident_key;

pub static RULE: Rule = Rule {
    id: "int-primary-key",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/int-primary-key.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(Statement::CreateTable(ct)) = &ctx.stmt.ast else {
        return;
    };
    let table_pk: Vec<String> = ct
        .constraints
        .iter()
        .filter_map(|c| match c {
            TableConstraint::PrimaryKey(pk) if pk.columns.len() == 1 => {
                Some(pk.columns[0].column.expr.to_string())
            }
            _ => None,
        })
        .map(|s| s.trim_matches('"').to_owned())
        .collect();
    for col in &ct.columns {
        let inline = col
            .options
            .iter()
            .any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)));
        let in_table = table_pk
            .iter()
            .any(|c| *c == col.name.value || c.to_lowercase() == ident_key(&col.name));
        if !(inline || in_table) || !is_32_bit(&col.data_type) {
            continue;
        }
        let Some(range) = ctx.node(col) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                range,
                format!(
                    "Primary key `{}` is `{}`: it runs out at about 2.1 billion rows (sooner with gaps), and widening it later rewrites the table and every table that references it",
                    col.name, col.data_type
                ),
            )
            .help("Use `bigint` (`bigint GENERATED ALWAYS AS IDENTITY`, or `bigserial`) for keys that count rows."),
        );
    }
}

fn is_32_bit(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int(_)
            | DataType::Integer(_)
            | DataType::Int4(_)
            | DataType::SmallInt(_)
            | DataType::Int2(_)
            | DataType::MediumInt(_)
    ) || matches!(
        data_type.to_string().to_ascii_lowercase().as_str(),
        "serial" | "serial4" | "smallserial" | "serial2"
    )
}
