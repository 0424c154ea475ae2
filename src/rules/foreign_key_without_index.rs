//! `foreign-key-without-index`: a foreign key whose columns no index
//! leads with, by the end of the migration chain.

use std::ops::Range;

use sqlparser::ast::{AlterTableOperation, ColumnOption, Ident, Statement, TableConstraint};

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::migrate::{Deferred, Schema};
use crate::model::schema::{ConstraintKind, ident_key, name_key};

pub static RULE: Rule = Rule {
    id: "foreign-key-without-index",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/foreign-key-without-index.md"),
    fix: None,
    check,
};

/// A foreign key found: table key, columns, where it is written, and the
/// referenced table as written.
type Found = (String, Vec<String>, Option<Range<usize>>, String);

fn check(ctx: &StatementContext<'_>, _out: &mut Vec<Diagnostic>) {
    let Some(m) = ctx.migration else {
        return;
    };
    let mut found: Vec<Found> = Vec::new();
    let inline = |found: &mut Vec<Found>,
                  table: &str,
                  col: &Ident,
                  range: Option<Range<usize>>,
                  target: String| {
        found.push((table.to_owned(), vec![ident_key(col)], range, target));
    };
    match &ctx.stmt.ast {
        Some(Statement::CreateTable(ct)) => {
            let table = name_key(&ct.name);
            for col in &ct.columns {
                for opt in &col.options {
                    if let ColumnOption::ForeignKey(fk) = &opt.option {
                        inline(
                            &mut found,
                            &table,
                            &col.name,
                            ctx.node(col),
                            fk.foreign_table.to_string(),
                        );
                    }
                }
            }
            for c in &ct.constraints {
                if let TableConstraint::ForeignKey(fk) = c {
                    found.push((
                        table.clone(),
                        fk.columns.iter().map(ident_key).collect(),
                        ctx.node(c),
                        fk.foreign_table.to_string(),
                    ));
                }
            }
        }
        Some(Statement::AlterTable(at)) => {
            let table = name_key(&at.name);
            for op in &at.operations {
                match op {
                    AlterTableOperation::AddConstraint {
                        constraint: TableConstraint::ForeignKey(fk),
                        ..
                    } => found.push((
                        table.clone(),
                        fk.columns.iter().map(ident_key).collect(),
                        Some(super::helpers::clause(ctx, at, op)),
                        fk.foreign_table.to_string(),
                    )),
                    AlterTableOperation::AddColumn { column_def, .. } => {
                        for opt in &column_def.options {
                            if let ColumnOption::ForeignKey(fk) = &opt.option {
                                inline(
                                    &mut found,
                                    &table,
                                    &column_def.name,
                                    Some(super::helpers::clause(ctx, at, op)),
                                    fk.foreign_table.to_string(),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => return,
    }
    let mut deferred = m.file.deferred.borrow_mut();
    for (table, columns, range, target) in found {
        let Some(range) = range else {
            continue;
        };
        let cols = columns.join(", ");
        deferred.push(Deferred {
            diagnostic: Diagnostic::new(
                range,
                format!("No index leads with the foreign key column(s) ({cols}) by the last migration: every delete or key update in `{target}` scans the whole referencing table"),
            )
            .help(format!("Add an index on ({cols}), with `CREATE INDEX CONCURRENTLY` if the table already has rows.")),
            table,
            columns,
            origin: m.origin,
            stands,
        });
    }
}

/// The finding stands if the table and this very foreign key (not one
/// dropped and made again later) still exist at the end of the chain, and
/// still no index leads with the key's columns.
fn stands(schema: &Schema, d: &Deferred) -> bool {
    schema.table_by_key(&d.table).is_some_and(|t| {
        let fk_remains = t.constraints.iter().any(|c| {
            matches!(c.kind, ConstraintKind::ForeignKey { .. })
                && c.columns == d.columns
                && c.origin == d.origin
        });
        fk_remains && !t.has_index_leading_with(&d.columns)
    })
}
