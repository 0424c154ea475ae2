//! `reindex-non-concurrently`: `REINDEX` without `CONCURRENTLY` in a
//! migration.

use sqlparser::keywords::Keyword;

use super::helpers::has_keyword;
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "reindex-non-concurrently",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/reindex-non-concurrently.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(m) = ctx.migration else {
        return;
    };
    let toks = ctx.tokens();
    if !toks.first().is_some_and(|t| t.is_keyword(Keyword::REINDEX))
        || has_keyword(ctx, Keyword::CONCURRENTLY, 4)
    {
        return;
    }
    let help = if m.postgres_at_least(12) {
        "Use `REINDEX ... CONCURRENTLY` (PostgreSQL 12 and later), outside a transaction, or run it by hand off-peak rather than in a migration."
    } else {
        "Before PostgreSQL 12 there is no `REINDEX CONCURRENTLY`: build a replacement with `CREATE INDEX CONCURRENTLY`, then drop the old index with `DROP INDEX CONCURRENTLY`."
    };
    out.push(
        Diagnostic::new(
            super::helpers::whole_statement(ctx),
            "`REINDEX` blocks writes to the table (SHARE lock) and every query that would use the index (ACCESS EXCLUSIVE on the index) while it rebuilds",
        )
        .help(help),
    );
}
