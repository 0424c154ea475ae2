//! `missing-lock-timeout`: a migration that waits for a conflicting lock on
//! a live table with no `lock_timeout`, so every query queues behind it.

use sqlparser::ast::{AlterTableOperation, ObjectName, ObjectType, Statement, TableConstraint};
use sqlparser::keywords::Keyword;

use super::helpers::{has_keyword, shown};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};
use crate::migrate::MigrationState;

pub static RULE: Rule = Rule {
    id: "missing-lock-timeout",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/missing-lock-timeout.md"),
    fix: Some(FixSafety::Safe),
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(m) = ctx.migration else {
        return;
    };
    if m.file.lock_timeout_set || m.file.lock_timeout_reported.get() {
        return;
    }
    let Some((lock, table, name)) = lock_taken(ctx, &m) else {
        return;
    };
    m.file.lock_timeout_reported.set(true);
    let timeout = &ctx.options.lock_timeout;
    let set = if m.in_transaction() {
        format!("SET LOCAL lock_timeout = '{timeout}';")
    } else {
        format!("SET lock_timeout = '{timeout}';")
    };
    // The statement's head, through the name of what it locks.
    let range = match name {
        Some(name) => super::helpers::head(ctx, name),
        None => {
            let toks = ctx.tokens();
            let last = toks.get(1).unwrap_or(&toks[0]);
            ctx.first_token().start..last.range.end
        }
    };
    let mut diag = Diagnostic::new(
        range,
        format!(
            "This migration takes {lock} lock on {table} with no `lock_timeout`: while it waits behind a long-running query, every query on the table waits behind it"
        ),
    )
    .help(format!(
        "Start the migration with `{set}` so it gives up instead of stalling the application, and retry it; reported once per migration."
    ));
    // Not inside a `DO` body, whose statements are PL/pgSQL.
    if !m.in_do_block {
        diag = diag.fix(set_before(ctx, &set));
    }
    out.push(diag);
}

/// `set` on a line of its own before the statement, indented like it.
fn set_before(ctx: &StatementContext<'_>, set: &str) -> Fix {
    let start = ctx.first_token().start;
    let text = &ctx.unit.text;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..start];
    let edit = if indent.chars().all(char::is_whitespace) {
        Edit {
            range: line_start..line_start,
            content: format!("{indent}{set}\n"),
        }
    } else {
        Edit {
            range: start..start,
            content: format!("{set} "),
        }
    };
    Fix {
        title: format!("Insert `{set}` before the statement"),
        safety: FixSafety::Safe,
        in_host: false,
        edits: vec![edit],
    }
}

/// What a statement locks: the lock mode, the relation as the message names
/// it, and its name in the statement, to point at.
type Locked<'a> = (&'static str, String, Option<&'a ObjectName>);

/// The lock a statement waits for, if it conflicts with normal reads or
/// writes of a relation that already exists.
fn lock_taken<'a>(ctx: &StatementContext<'a>, m: &MigrationState<'_>) -> Option<Locked<'a>> {
    const ACCESS_EXCLUSIVE: &str = "an ACCESS EXCLUSIVE";
    let existing = |name: &ObjectName| !m.is_new_table(name);
    let quoted = |name: &ObjectName| format!("`{}`", shown(name));
    match ctx.stmt.ast.as_ref() {
        Some(Statement::AlterTable(at)) if existing(&at.name) => {
            // VALIDATE CONSTRAINT and DETACH PARTITION CONCURRENTLY take a
            // SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on.
            let only_validate = at.operations.iter().all(|op| {
                matches!(
                    op,
                    AlterTableOperation::ValidateConstraint { .. }
                        | AlterTableOperation::DetachPartitionOf {
                            mode: Some(sqlparser::ast::DetachPartitionMode::Concurrently),
                            ..
                        }
                )
            });
            if only_validate || at.operations.is_empty() {
                return None;
            }
            let only_fk = at.operations.iter().all(|op| {
                matches!(
                    op,
                    AlterTableOperation::AddConstraint {
                        constraint: TableConstraint::ForeignKey(_),
                        ..
                    }
                )
            });
            let lock = if only_fk {
                "a SHARE ROW EXCLUSIVE"
            } else {
                ACCESS_EXCLUSIVE
            };
            Some((lock, quoted(&at.name), Some(&at.name)))
        }
        Some(Statement::CreateIndex(ci))
            if !ci.concurrently
                && existing(&ci.table_name)
                && crate::parse::index_on_only(ctx.tokens()).is_none() =>
        {
            Some(("a SHARE", quoted(&ci.table_name), Some(&ci.table_name)))
        }
        Some(Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        }) => names
            .iter()
            .find(|n| existing(n))
            .map(|n| (ACCESS_EXCLUSIVE, quoted(n), Some(n))),
        Some(Statement::Drop {
            object_type: ObjectType::Index,
            names,
            ..
        }) if !has_keyword(ctx, Keyword::CONCURRENTLY, 3) => names
            .iter()
            .find(|n| !m.schema.index_table(n).is_some_and(|t| t.new))
            .map(|n| {
                (
                    ACCESS_EXCLUSIVE,
                    format!("the table of index `{n}`"),
                    Some(n),
                )
            }),
        Some(Statement::Drop {
            object_type: ObjectType::View | ObjectType::MaterializedView,
            names,
            ..
        }) => names
            .first()
            .map(|n| (ACCESS_EXCLUSIVE, format!("view `{n}`"), Some(n))),
        Some(Statement::Drop {
            object_type: ObjectType::Schema,
            names,
            cascade: true,
            ..
        }) => names.first().map(|n| {
            (
                ACCESS_EXCLUSIVE,
                format!("every table and view in schema `{n}`"),
                Some(n),
            )
        }),
        Some(Statement::CreateView(v)) if v.or_replace => Some((
            ACCESS_EXCLUSIVE,
            format!("view `{}`", v.name),
            Some(&v.name),
        )),
        Some(Statement::RefreshMaterializedView(r)) if !r.concurrently => Some((
            ACCESS_EXCLUSIVE,
            format!("materialized view `{}`", r.name),
            Some(&r.name),
        )),
        Some(Statement::Truncate(t)) => t
            .table_names
            .iter()
            .find(|n| existing(&n.name))
            .map(|n| (ACCESS_EXCLUSIVE, quoted(&n.name), Some(&n.name))),
        Some(Statement::CreateTrigger(t)) if existing(&t.table_name) => Some((
            "a SHARE ROW EXCLUSIVE",
            quoted(&t.table_name),
            Some(&t.table_name),
        )),
        None => {
            let first = ctx.tokens().first()?;
            if first.is_keyword(Keyword::CLUSTER) || super::vacuum_full::is_vacuum_full(ctx) {
                Some((ACCESS_EXCLUSIVE, "the table".to_owned(), None))
            } else if first.is_keyword(Keyword::REINDEX)
                && !has_keyword(ctx, Keyword::CONCURRENTLY, 4)
            {
                Some(("a SHARE", "the table".to_owned(), None))
            } else {
                None
            }
        }
        _ => None,
    }
}
