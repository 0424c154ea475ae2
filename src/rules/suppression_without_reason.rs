//! `suppression-without-reason`: a suppression comment that does not say
//! why the finding is accepted.

use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "suppression-without-reason",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: true,
    scope: Scope::All,
    doc: include_str!("../../rules/suppression-without-reason.md"),
    fix: None,
    check,
};

/// The engine reports suppression comments after it has read them
/// (`lint::finish_file`, `suppress::without_reason`).
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}
