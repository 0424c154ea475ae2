//! `parse-error`: a statement the SQL parser could not read.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "parse-error",
    category: Category::Correctness,
    severity: Severity::Info,
    default_enabled: true,
    roles: Roles::ALL,
    doc: include_str!("../../rules/parse-error.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(error) = &ctx.stmt.error else {
        return;
    };
    out.push(
        Diagnostic::new(
            error.range.clone(),
            format!(
                "querylint could not parse this statement ({}); only token-level checks ran on it",
                error.message
            ),
        )
        .help("If this is valid SQL for your database, pick its dialect with `--dialect`; otherwise ignore this note with `--ignore parse-error`."),
    );
}
