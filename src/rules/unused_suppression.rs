//! `unused-suppression`: a suppression comment that silences nothing.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, FixSafety, Severity};

pub static RULE: Rule = Rule {
    id: "unused-suppression",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::ALL,
    doc: include_str!("../../rules/unused-suppression.md"),
    fix: Some(FixSafety::Safe),
    check,
};

/// The engine reports suppression comments after it has applied them
/// (`lint::finish_file`, `suppress::unused`); statements have nothing to add.
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}
