//! `vacuum-full`: `VACUUM FULL` in a migration.

use sqlparser::ast::Statement;
use sqlparser::keywords::Keyword;

use super::ddl::has_keyword;
use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "vacuum-full",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    scope: Scope::Migrations,
    doc: include_str!("../../rules/vacuum-full.md"),
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(Statement::Vacuum(v)) = &ctx.stmt.ast else {
        return;
    };
    // `VACUUM FULL t` and `VACUUM (FULL) t`, but not `(FULL false)`.
    let full =
        v.full || (has_keyword(ctx, Keyword::FULL, 6) && !has_keyword(ctx, Keyword::FALSE, 8));
    if !full {
        return;
    }
    let range = match v.table_name.as_ref().and_then(|n| ctx.node(n)) {
        Some(n) => ctx.first_token().start..n.end,
        None => ctx.first_token(),
    };
    out.push(
        Diagnostic::new(
            range,
            "`VACUUM FULL` rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes",
        )
        .help("Plain `VACUUM` (or autovacuum) reclaims space without blocking. To shrink a bloated table online, use an extension such as pg_repack or pg_squeeze."),
    );
}
