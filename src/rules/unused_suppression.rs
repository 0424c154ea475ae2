//! `unused-suppression`: a suppression comment that silences nothing.

use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, FixSafety, Severity};

pub static RULE: Rule = Rule {
    id: "unused-suppression",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: true,
    scope: Scope::All,
    doc: include_str!("../../rules/unused-suppression.md"),
    fix: Some(FixSafety::Safe),
    check,
};

/// The engine reports suppression comments after it has applied them
/// (`lint::finish_file`, `suppress::unused`); statements have nothing to add.
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}
