//! `add-check-without-not-valid`: a `CHECK` constraint added to a live
//! table and validated at once.

use super::helpers::{Validated, validated_constraint};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, FixSafety, Severity};

pub static RULE: Rule = Rule {
    id: "add-check-without-not-valid",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/add-check-without-not-valid.md"),
    fix: Some(FixSafety::Safe),
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    validated_constraint(ctx, Validated::Check, out);
}
