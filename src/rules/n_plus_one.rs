//! `n-plus-one`: a query run once per iteration of a loop.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::typescript::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "n-plus-one",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/n-plus-one.md"),
    fix: None,
    check,
};

/// The rule reads calls in application code, not SQL statements.
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}

/// Prisma methods that write one row.
const WRITES: &[&str] = &["create", "update", "upsert", "delete", "insert"];

pub fn check_orm(call: &OrmCall, out: &mut Vec<Diagnostic>) {
    let Some(each) = &call.in_loop else {
        return;
    };
    // A `...Many` call in a loop writes a batch per iteration: chunking.
    if each.literal_items
        || each.until_found
        || !call.executed
        || call.method.ends_with("Many") && call.orm == Orm::Prisma && call.method != "findMany"
    {
        return;
    }
    // Prisma batches findUnique calls made in the same tick.
    if call.orm == Orm::Prisma
        && each.promise_all
        && matches!(call.method.as_str(), "findUnique" | "findUniqueOrThrow")
    {
        return;
    }
    // A loop that fetches page after page.
    let pages = call.property("cursor").is_some()
        || call.property("skip").is_some()
        || call.link("offset").is_some();
    if pages && matches!(each.kind.as_str(), "while" | "do...while" | "for") {
        return;
    }
    let write = WRITES.contains(&call.method.as_str());
    let help = match (call.orm, write) {
        (Orm::Prisma, false) => {
            "Fetch all the rows in one query before the loop (`findMany({ where: { id: { in: ids } } })`), or load the relation with `include`/`select`."
        }
        (Orm::Prisma, true) => {
            "Write the rows in one call (`createMany`, `updateMany`), or batch the calls in one `$transaction([...])`."
        }
        (Orm::Drizzle, false) => {
            "Fetch all the rows in one query before the loop (`where(inArray(t.id, ids))`), or load the relation with `with`."
        }
        (Orm::Drizzle, true) => {
            "Write the rows in one statement: `db.insert(t).values([...rows])`."
        }
        (Orm::Kysely, _) => {
            "Run one query for all the items: `where('id', 'in', ids)`, or insert many rows with one `insertInto(t).values([...rows])`."
        }
        (Orm::Sql, _)
            if [Some(&call.method), call.via.as_ref()]
                .into_iter()
                .flatten()
                .any(|m| m.contains("::") || m.ends_with('!')) =>
        {
            "Run one query for all the items: bind the keys as one array (`WHERE id = ANY($1)` with `.bind(&ids[..])`), insert many rows with `UNNEST($1::bigint[], $2::text[])` or `QueryBuilder::push_values`."
        }
        (Orm::Sql, _) => {
            "Run one query for all the items: pass the keys as an array (`WHERE id = ANY($1)`) or insert many rows with one `INSERT ... VALUES` or `unnest($1)`."
        }
    };
    let name = call.name();
    let what = match &call.via {
        Some(query) => format!("`{name}` runs `{query}`, so that query"),
        None => format!("`{name}`"),
    };
    out.push(
        Diagnostic::new(
            call.method_name.clone(),
            format!(
                "{what} runs once per iteration of the `{}` loop: N items make N queries",
                each.kind
            ),
        )
        .label(each.head.clone(), "the loop")
        .help(help),
    );
}
