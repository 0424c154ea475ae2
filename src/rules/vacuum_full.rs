//! `vacuum-full`: `VACUUM FULL` in a migration.

use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "vacuum-full",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/vacuum-full.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if !is_vacuum_full(ctx) {
        return;
    }
    out.push(
        Diagnostic::new(
            super::helpers::whole_statement(ctx),
            "`VACUUM FULL` rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes",
        )
        .help("Plain `VACUUM` (or autovacuum) reclaims space without blocking. To shrink a bloated table online, use an extension such as pg_repack or pg_squeeze."),
    );
}

/// `VACUUM FULL t` and `VACUUM (FULL) t`, but not `VACUUM (FULL false) t`.
/// The parser does not read `VACUUM`'s option list, so this looks at tokens.
pub fn is_vacuum_full(ctx: &StatementContext<'_>) -> bool {
    let toks = ctx.tokens();
    if !toks.first().is_some_and(|t| t.is_keyword(Keyword::VACUUM)) {
        return false;
    }
    let Some(full) = toks
        .iter()
        .take(8)
        .position(|t| t.is_keyword(Keyword::FULL))
    else {
        return false;
    };
    let next = toks
        .get(full + 1)
        .map(|t| ctx.text(t.range.clone()).to_ascii_lowercase());
    !matches!(next.as_deref(), Some("false" | "off" | "0"))
}
