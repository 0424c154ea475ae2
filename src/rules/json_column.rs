//! `json-column`: a `json` column where `jsonb` is meant.

use sqlparser::ast::{AlterColumnOperation, AlterTableOperation, ColumnDef, DataType, Statement};

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "json-column",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/json-column.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let mut report = |range: Option<std::ops::Range<usize>>, name: &sqlparser::ast::Ident| {
        if let Some(range) = range {
            out.push(
                Diagnostic::new(range, format!("Column `{name}` is `json`: stored as text, re-parsed on every access, and it cannot be indexed or compared"))
                    .help("Use `jsonb`, unless the exact text (key order, duplicate keys, whitespace) must be kept."),
            );
        }
    };
    let column = |def: &ColumnDef| {
        (def.data_type == DataType::JSON)
            .then(|| ctx.node(def))
            .flatten()
    };
    match &ctx.stmt.ast {
        Some(Statement::CreateTable(ct)) => {
            for def in &ct.columns {
                if def.data_type == DataType::JSON {
                    report(column(def), &def.name);
                }
            }
        }
        Some(Statement::AlterTable(at)) => {
            for op in &at.operations {
                match op {
                    AlterTableOperation::AddColumn { column_def, .. }
                        if column_def.data_type == DataType::JSON =>
                    {
                        report(column(column_def), &column_def.name)
                    }
                    AlterTableOperation::AlterColumn {
                        column_name,
                        op:
                            AlterColumnOperation::SetDataType {
                                data_type: DataType::JSON,
                                ..
                            },
                    } => report(Some(super::helpers::clause(ctx, at, op)), column_name),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}
