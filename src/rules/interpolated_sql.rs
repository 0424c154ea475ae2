//! `interpolated-sql`: a value pasted into SQL text sent to a raw sink.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "interpolated-sql",
    category: Category::Security,
    severity: Severity::Error,
    default_enabled: false,
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
    for value in spliced(ctx) {
        let shown = ctx.text(value.clone());
        out.push(
            Diagnostic::new(
                value,
                format!("A value is pasted into the SQL text that `{api}` runs: whatever it holds becomes SQL (`{shown}` stands for it here)"),
            )
            .help(if ctx.unit.origin.kind == crate::discover::FileKind::Rust {
                "Bind the value as a parameter instead: a `$1` placeholder in a literal with `.bind(value)` (sqlx) or the value in the parameter slice (tokio-postgres); build dynamic SQL with `QueryBuilder::push_bind`. An identifier must come from a fixed list, or be quoted (`quote_ident`)."
            } else {
                "Bind the value as a parameter instead: a tagged template that binds (`sql`...``, `prisma.$queryRaw`...``), or a `$1` placeholder with the value in the parameter array. Quote identifiers with a helper such as `format.ident` or `sql.identifier`."
            }),
        );
    }
}

/// The unit ranges of the values pasted into this statement's text.
pub fn spliced<'a>(
    ctx: &'a StatementContext<'_>,
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let stmt = ctx.stmt.range.clone();
    ctx.unit
        .interpolations
        .iter()
        .filter(move |i| {
            i.spliced && i.unit_range.start >= stmt.start && i.unit_range.end <= stmt.end
        })
        .map(|i| i.unit_range.clone())
}

/// Whether the statement is a `SET` (or `SET LOCAL`) of a setting.
pub fn is_set(ctx: &StatementContext<'_>) -> bool {
    ctx.tokens()
        .first()
        .is_some_and(|t| t.kind == TokKind::Word(sqlparser::keywords::Keyword::SET))
}
