//! `interpolated-set`: a `SET` whose value is pasted into the SQL text,
//! the usual way a multi-tenant app tells the database who is asking.

use super::interpolated_sql::{is_set, spliced};
use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "interpolated-set",
    category: Category::Security,
    severity: Severity::Error,
    default_enabled: true,
    scope: Scope::Application,
    doc: include_str!("../../rules/interpolated-set.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if !is_set(ctx) {
        return;
    }
    let setting = ctx
        .tokens()
        .iter()
        .skip(1)
        .find(|t| {
            !ctx.text(t.range.clone()).eq_ignore_ascii_case("local")
                && !ctx.text(t.range.clone()).eq_ignore_ascii_case("session")
        })
        .map(|t| {
            let start = t.range.start;
            let end = ctx
                .tokens()
                .iter()
                .skip_while(|x| x.range.start < start)
                .take_while(|x| {
                    !matches!(x.kind, crate::parse::TokKind::Eq)
                        && !ctx.text(x.range.clone()).eq_ignore_ascii_case("to")
                })
                .last()
                .map_or(t.range.end, |x| x.range.end);
            ctx.text(start..end).to_owned()
        })
        .unwrap_or_else(|| "the setting".to_owned());
    let local = ctx
        .tokens()
        .get(1)
        .is_some_and(|t| ctx.text(t.range.clone()).eq_ignore_ascii_case("local"));
    for value in spliced(ctx) {
        out.push(
            Diagnostic::new(
                value,
                format!("`SET {setting}` pastes its value into the SQL text: a crafted value ends the statement and runs its own SQL, as whichever tenant it likes"),
            )
            .help(format!(
                "Bind the value: `SELECT set_config('{setting}', $1, {})` with the value as the parameter{}.",
                if local { "true" } else { "true /* true = for this transaction only */" },
                if ctx.unit.origin.kind == crate::discover::FileKind::Rust { " (`.bind(value)`)" } else { "" }
            )),
        );
    }
}
