//! `concurrently-in-transaction`: a statement that PostgreSQL refuses to
//! run inside a transaction, in a migration that runs inside one.

use sqlparser::ast::{AlterTableOperation, AlterTypeOperation, Statement};
use sqlparser::keywords::Keyword;

use super::helpers::{has_keyword, why_in_transaction, without_transaction};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::starts_with_keywords;

pub static RULE: Rule = Rule {
    id: "concurrently-in-transaction",
    category: Category::Migration,
    severity: Severity::Error,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/concurrently-in-transaction.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(m) = ctx.migration else {
        return;
    };
    if !m.in_transaction() && !m.in_do_block {
        return;
    }
    let toks = ctx.tokens();
    let what = match &ctx.stmt.ast {
        Some(Statement::CreateIndex(ci)) if ci.concurrently => "`CREATE INDEX CONCURRENTLY`",
        Some(Statement::Drop { .. })
            if starts_with_keywords(
                toks,
                &[Keyword::DROP, Keyword::INDEX, Keyword::CONCURRENTLY],
            ) =>
        {
            "`DROP INDEX CONCURRENTLY`"
        }
        Some(Statement::AlterTable(at))
            if at.operations.iter().any(|op| {
                matches!(
                    op,
                    AlterTableOperation::DetachPartitionOf {
                        mode: Some(sqlparser::ast::DetachPartitionMode::Concurrently),
                        ..
                    }
                )
            }) =>
        {
            "`DETACH PARTITION ... CONCURRENTLY`"
        }
        Some(Statement::AlterType(alter))
            if matches!(alter.operation, AlterTypeOperation::AddValue(_))
                && !m.postgres_at_least(12) =>
        {
            "`ALTER TYPE ... ADD VALUE` (before PostgreSQL 12)"
        }
        None if toks.first().is_some_and(|t| t.is_keyword(Keyword::VACUUM)) => "`VACUUM`",
        None if toks.first().is_some_and(|t| t.is_keyword(Keyword::REINDEX))
            && has_keyword(ctx, Keyword::CONCURRENTLY, 4) =>
        {
            "`REINDEX CONCURRENTLY`"
        }
        _ => return,
    };
    out.push(
        Diagnostic::new(
            ctx.first_token().start..toks.iter().take(3).next_back().map_or(ctx.first_token().end, |t| t.range.end),
            format!("{what} cannot run inside a transaction block, and this one does: {}; the migration will fail", why_in_transaction(&m)),
        )
        .help(if m.in_do_block {
            "Move the statement out of the `DO` block.".to_owned()
        } else {
            format!("Run it outside a transaction: {}.", without_transaction(m.file.tool))
        }),
    );
}
