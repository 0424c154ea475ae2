//! `interpolated-sql`: a value pasted into SQL text sent to a raw sink.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "interpolated-sql",
    category: Category::Security,
    severity: Severity::Error,
    default_enabled: true,
    roles: Roles::NOT_TESTS,
    doc: include_str!("../../rules/interpolated-sql.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if is_set(ctx) {
        // `interpolated-set` reports these, with the bound alternative.
        return;
    }
    let api = ctx.unit.origin.api.as_deref().unwrap_or("the database");
    for value in reported(ctx) {
        let via = caller_via(value);
        let mut diag = match value.provenance.source() {
            Some(source) => Diagnostic::new(
                value.unit_range.clone(),
                format!("Request data (`{}`){via} is pasted into the SQL text that `{api}` runs: whoever sends the request writes this part of the SQL", source.label),
            )
            .host_label(source.range.clone(), format!("from `{}` here", source.label)),
            None => {
                let shown = ctx.text(value.unit_range.clone());
                let what = if via.is_empty() { "A value".to_owned() } else { format!("A value{via}") };
                Diagnostic::new(
                value.unit_range.clone(),
                format!("{what} is pasted into the SQL text that `{api}` runs unchecked: whatever it holds becomes SQL (`{shown}` stands for it here)"),
            )
            }
        };
        diag = diag.help(if ctx.unit.origin.kind == crate::discover::FileKind::Rust {
            "Bind the value as a parameter instead: a `$1` placeholder in a literal with `.bind(value)` (sqlx) or the value in the parameter slice (tokio-postgres); build dynamic SQL with `QueryBuilder::push_bind`. An identifier must come from a fixed list, or be quoted (`quote_ident`)."
        } else {
            "Bind the value as a parameter instead: a tagged template that binds (`sql`...``, `prisma.$queryRaw`...``), or a `$1` placeholder with the value in the parameter array. An identifier or a sort order must come from a fixed list (`ALLOWED.includes(x)`, a lookup in a literal map), or be quoted with a helper such as `format.ident` or `sql.identifier`."
        });
        out.push(diag);
    }
}

/// The values pasted into this statement's text that `interpolated-sql`
/// reports: request data at any sink, and what a caller passes as text at
/// a sink that runs its text unchecked. Constants, numbers, allow-listed
/// and quoted values, and values computed out of sight, are silent.
pub fn reported<'a>(
    ctx: &'a StatementContext<'_>,
) -> impl Iterator<Item = &'a crate::extract::Interpolation> + 'a {
    let stmt = ctx.stmt.range.clone();
    let unchecked = ctx.unit.origin.unchecked_sink;
    ctx.unit.interpolations.iter().filter(move |i| {
        i.spliced
            && i.unit_range.start >= stmt.start
            && i.unit_range.end <= stmt.end
            && (i.provenance.source().is_some()
                || (unchecked && i.provenance == crate::model::Provenance::Unknown))
    })
}

/// `, passed to `f` at path:line,` for a parameter judged by what a call
/// in the project passes, or nothing.
pub fn caller_via(value: &crate::extract::Interpolation) -> String {
    value
        .caller
        .as_ref()
        .and_then(|c| Some((c.function.as_str(), c.via.as_deref()?)))
        .map(|(function, at)| format!(", passed to `{function}` at {at},"))
        .unwrap_or_default()
}

/// Whether the statement is a `SET` (or `SET LOCAL`) of a setting: not
/// `SET TRANSACTION ...`, `SET SESSION CHARACTERISTICS ...` or `SET
/// CONSTRAINTS ...`, which set no setting `set_config` could take.
pub fn is_set(ctx: &StatementContext<'_>) -> bool {
    let mut words = ctx.tokens().iter();
    if words.next().map(|t| &t.kind) != Some(&TokKind::Word(sqlparser::keywords::Keyword::SET)) {
        return false;
    }
    let what = words
        .map(|t| ctx.text(t.range.clone()).to_ascii_lowercase())
        .find(|w| w != "local" && w != "session");
    !matches!(
        what.as_deref(),
        Some("transaction" | "characteristics" | "constraints")
    )
}
