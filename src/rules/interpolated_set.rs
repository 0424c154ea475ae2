//! `interpolated-set`: a `SET` whose value is pasted into the SQL text,
//! the usual way a multi-tenant app tells the database who is asking.

use super::interpolated_sql::is_set;
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "interpolated-set",
    category: Category::Security,
    severity: Severity::Error,
    default_enabled: true,
    roles: Roles::NOT_TESTS,
    doc: include_str!("../../rules/interpolated-set.md"),
    fix: Some(FixSafety::Unsafe),
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
    let fix = bind_fix(ctx, &setting);
    let stmt = ctx.stmt.range.clone();
    let values = ctx.unit.interpolations.iter().filter(|i| {
        i.spliced
            && i.unit_range.start >= stmt.start
            && i.unit_range.end <= stmt.end
            && i.provenance != crate::model::Provenance::Opaque
            // What every call in the project passes is a constant or a number.
            && !i.provenance.is_safe()
    });
    for value in values {
        let via = super::interpolated_sql::caller_via(value);
        let mut diag = Diagnostic::new(
                value.unit_range.clone(),
                format!("`SET {setting}` pastes its value{via} into the SQL text: a crafted value ends the statement and runs its own SQL, as whichever tenant it likes"),
            )
            .help(format!(
                "Bind the value: `SELECT set_config('{setting}', $1, {})` with the value as the parameter{}.",
                if local { "true" } else { "true /* true = for this transaction only */" },
                if ctx.unit.origin.kind == crate::discover::FileKind::Rust { " (`.bind(value)`)" } else { "" }
            ))
            .fix(fix.clone());
        if let Some(source) = value.provenance.source() {
            diag = diag.host_label(
                source.range.clone(),
                format!("from `{}` here", source.label),
            );
        }
        out.push(diag);
    }
}

/// The call rewritten to bind the value: `set_config` takes it as a
/// parameter where `SET` cannot. Only where the statement is the call's
/// whole SQL, written in the call, with the one spliced value standing
/// alone after `=` or `TO`, and the front end knows how the call binds.
/// The setting becomes transaction-local (`true`), as the help says and
/// `session-level-set` asks: a plain `SET` outlives the request on a pooled
/// connection.
fn bind_fix(ctx: &StatementContext<'_>, setting: &str) -> Option<Fix> {
    let call = ctx.unit.call.as_ref()?;
    let statement = ctx
        .text(ctx.stmt.range.clone())
        .trim_end_matches(';')
        .trim();
    if ctx.unit.text.trim().trim_end_matches(';').trim_end() != statement {
        return None;
    }
    let mut values = ctx.unit.interpolations.iter().filter(|i| i.spliced);
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let toks = ctx.tokens();
    let assign = toks.iter().position(|t| {
        t.kind == TokKind::Eq || ctx.text(t.range.clone()).eq_ignore_ascii_case("to")
    })?;
    let rest: Vec<_> = toks[assign + 1..]
        .iter()
        .filter(|t| t.kind != TokKind::SemiColon)
        .collect();
    let [only] = rest.as_slice() else {
        return None;
    };
    let placeholder = &ctx.unit.text[value.unit_range.clone()];
    let alone = ctx.text(only.range.clone()) == placeholder
        || ctx.text(only.range.clone()) == format!("'{placeholder}'");
    if !alone || setting.contains(['\'', '"', '\\']) {
        return None;
    }
    let (_, source) = call.values.iter().find(|(r, _)| *r == value.host_range)?;
    let sql = format!(
        "\"SELECT set_config('{setting}', {}, true)\"",
        call.placeholder
    );
    let mut edits = vec![
        Edit {
            range: call.argument.clone(),
            content: sql,
        },
        Edit {
            range: call.bind.0..call.bind.0,
            content: call.bind.1.replace("{}", source),
        },
    ];
    if let Some((range, name)) = &call.rename {
        edits.push(Edit {
            range: range.clone(),
            content: (*name).to_owned(),
        });
    }
    Some(Fix {
        title: format!(
            "Bind the value: `SELECT set_config('{setting}', {}, true)`",
            call.placeholder
        ),
        safety: FixSafety::Unsafe,
        in_host: true,
        edits,
    })
}
