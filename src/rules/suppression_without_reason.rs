//! `suppression-without-reason`: a suppression comment that does not say
//! why the finding is accepted.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "suppression-without-reason",
    category: Category::Style,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::ALL,
    doc: include_str!("../../rules/suppression-without-reason.md"),
    fix: None,
    check,
};

/// The engine reports suppression comments after it has read them
/// (`lint::finish_file`, `suppress::without_reason`).
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}
