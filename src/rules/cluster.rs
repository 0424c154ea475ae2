//! `cluster`: `CLUSTER` in a migration.

use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "cluster",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/cluster.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let toks = ctx.tokens();
    if !toks.first().is_some_and(|t| t.is_keyword(Keyword::CLUSTER)) {
        return;
    }
    let end = toks
        .iter()
        .take_while(|t| t.kind != TokKind::SemiColon && !t.is_keyword(Keyword::USING))
        .last()
        .map_or(ctx.first_token().end, |t| t.range.end);
    out.push(
        Diagnostic::new(
            ctx.first_token().start..end,
            "`CLUSTER` rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes",
        )
        .help("Reorder rows online with an extension such as pg_repack, or run `CLUSTER` by hand in a maintenance window, not in a migration."),
    );
}
