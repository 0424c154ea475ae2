//! `drop-index-non-concurrently`: dropping an index of a live table without
//! `CONCURRENTLY`.

use sqlparser::ast::{ObjectType, Statement};
use sqlparser::keywords::Keyword;

use super::helpers::{concurrently_fix, has_keyword, without_transaction};
use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, FixSafety, Severity};

pub static RULE: Rule = Rule {
    id: "drop-index-non-concurrently",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/drop-index-non-concurrently.md"),
    fix: Some(FixSafety::Safe),
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let (
        Some(m),
        Some(Statement::Drop {
            object_type: ObjectType::Index,
            names,
            cascade,
            ..
        }),
    ) = (ctx.migration, &ctx.stmt.ast)
    else {
        return;
    };
    if has_keyword(ctx, Keyword::CONCURRENTLY, 3) {
        return;
    }
    // An index this migration created, or one on a table it created, is not
    // in use yet.
    let all_new = names.iter().all(|n| {
        m.schema.index(n).is_some_and(|i| i.new) || m.schema.index_table(n).is_some_and(|t| t.new)
    });
    if all_new {
        return;
    }
    let range = match names.last() {
        Some(last) => super::helpers::head(ctx, last),
        None => ctx.first_token(),
    };
    let mut diag = Diagnostic::new(
        range,
        "`DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: reads and writes wait, behind any long-running query",
    )
    .help(format!(
        "Use `DROP INDEX CONCURRENTLY`, which waits for running queries instead of blocking new ones. It cannot run inside a transaction: {}.",
        without_transaction(m.file.tool)
    ));
    // `CONCURRENTLY` drops one index, without `CASCADE`.
    if names.len() == 1
        && !cascade
        && let Some(fix) = concurrently_fix(ctx, &m, "DROP INDEX")
    {
        diag = diag.fix(fix);
    }
    out.push(diag);
}
