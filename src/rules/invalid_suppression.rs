//! `invalid-suppression`: a comment that looks like a suppression but is
//! not one, so it silences nothing.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "invalid-suppression",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::ALL,
    doc: include_str!("../../rules/invalid-suppression.md"),
    fix: None,
    check,
};

/// The engine reads the comments of the whole file (`lint::finish_file`,
/// `suppress::invalid`); statements have nothing to add.
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}
