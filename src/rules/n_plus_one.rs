//! `n-plus-one`: a query run once per iteration of a loop.

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{Collection, DataOrigin, Items, PerItem};
use crate::model::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "n-plus-one",
    category: Category::Performance,
    severity: Severity::Warning,
    default_enabled: false,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/n-plus-one.md"),
    fix: None,
    check,
};

/// The rule reads calls in application code, not SQL statements.
fn check(_: &StatementContext<'_>, _: &mut Vec<Diagnostic>) {}

/// Prisma methods that write one row.
const WRITES: &[&str] = &["create", "update", "upsert", "delete", "insert"];

/// Prisma methods that write every row a filter matches.
const KEYED_WRITES: &[&str] = &["updateMany", "deleteMany", "update", "delete"];

pub fn check_orm(call: &OrmCall, ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(each) = &call.in_loop else {
        return;
    };
    // Each iteration's own work outside the database (an HTTP call, a
    // payment provider) costs more than the query, which often depends on
    // its answer.
    if !call.executed || each.other_work || call.in_process {
        return;
    }
    // Only a loop over the data makes N queries: not a few fixed items, a
    // retry, or a loop that pages, drains or polls on a condition.
    let collection = match &each.items {
        Items::Data(collection) => Some(collection),
        Items::Unexamined => None,
        Items::Fixed | Items::UntilFound | Items::Condition | Items::Unknown => return,
    };
    // The rows of a query that sets a unique key to one value: one row at
    // most (a user's one membership, when the schema makes `userId`
    // unique), so the loop runs once or not at all.
    if let Some(Collection {
        origin: DataOrigin::QueryResult(Some(rows)),
        ..
    }) = collection
        && ctx
            .catalog
            .is_some_and(|c| c.unique(&rows.table, &rows.columns))
    {
        return;
    }
    // Only a query that changes with the item is one per item: not one per
    // batch, one that follows a cursor, nor the same query every time.
    if !matches!(each.item, PerItem::Item | PerItem::Unexamined) {
        return;
    }
    // Prisma batches findUnique calls made in the same tick.
    let method = call.query_method();
    if call.orm == Orm::Prisma
        && each.promise_all
        && matches!(method, "findUnique" | "findUniqueOrThrow")
    {
        return;
    }
    // Rows written one by one with values of their own are not one call
    // away from a batch, and a loop that writes them is per-item work its
    // other queries ride along with. A batch write per item is already
    // batched.
    if each.writes_rows
        || call.writes_own_row()
        || (call.orm == Orm::Prisma && method.starts_with("createMany"))
    {
        return;
    }
    // A write whose failure each iteration catches on its own (a duplicate
    // skipped, an error logged, the loop going on) is written one by one
    // on purpose: a batch would fail for every item at once.
    let lowered = method.to_ascii_lowercase();
    if each.isolated && WRITES.iter().chain(&["exec"]).any(|w| lowered.contains(w)) {
        return;
    }
    // A query that pastes a name into its SQL (`sql.raw(column)`) reads
    // another column or table for each item: different statements, which
    // no batch by key replaces.
    if call
        .chain
        .iter()
        .flat_map(|l| l.args.iter().chain(&l.named_values))
        .any(|a| pastes_identifier(a))
    {
        return;
    }
    // A builder given a table by a value's field (Kysely's
    // `deleteFrom(table.name)` for each table the loop walks) runs on
    // another table each time.
    if call.table_named.as_deref().is_some_and(table_from_value) {
        return;
    }
    // A counted loop that fetches page after page.
    let pages = call.property("cursor").is_some()
        || call.property("skip").is_some()
        || call.link("offset").is_some();
    if pages && matches!(each.kind.as_str(), "while" | "do...while" | "for") {
        return;
    }
    let write = WRITES.contains(&method);
    let help = match (call.orm, write) {
        (Orm::Prisma, _) if KEYED_WRITES.contains(&method) => {
            "Key one call by all the items: `updateMany`/`deleteMany({ where: { userId: { in: ids } } })`."
        }
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
        (Orm::Diesel, _) => {
            "Run one query for all the items: `.filter(id.eq_any(&ids))`, `belonging_to(&parents)` with `grouped_by`, or insert many rows with one `insert_into(t).values(&rows)`."
        }
        (Orm::SeaOrm, _) => {
            "Run one query for all the items: `.filter(Column::Id.is_in(ids))`, `find_with_related`/`load_many` for relations, or `insert_many(models)`."
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
    let over = each
        .over
        .as_deref()
        .map(|o| format!(" over `{}`", short(o)))
        .unwrap_or_default();
    let mut diagnostic = Diagnostic::new(
        call.method_name.clone(),
        format!(
            "{what} runs once per item of the `{}` loop{over}: N items make N queries",
            each.kind
        ),
    );
    match collection {
        // Where the items come from, when it is not in the loop's head.
        Some(c) if c.range.end <= each.head.start || c.range.start >= each.head.end => {
            diagnostic = diagnostic.label(each.head.clone(), "the loop").label(
                c.range.clone(),
                format!("the loop's items {}", c.origin.describe()),
            );
        }
        Some(c) => {
            diagnostic = diagnostic.label(
                each.head.clone(),
                format!("the loop: its items {}", c.origin.describe()),
            );
        }
        None => diagnostic = diagnostic.label(each.head.clone(), "the loop"),
    }
    out.push(diagnostic.help(help));
}

/// Whether a table argument (never a string literal: see
/// `OrmCall::table_named`) is read from a value: a field (`table.name`,
/// `tables[i]`) or a template with a pasted part, not a constant's name.
fn table_from_value(argument: &str) -> bool {
    let a = argument.trim();
    if a.starts_with('`') {
        a.contains("${")
    } else {
        a.contains(['.', '['])
    }
}

/// A collection's text, cut to one short line for a message.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.len() > 40 || text.contains('\n') {
        let mut cut = line.chars().take(37).collect::<String>();
        cut.push_str("...");
        cut
    } else {
        line.to_owned()
    }
}

/// Whether a Drizzle condition pastes a value as SQL text:
/// `sql.raw(column)`, `` sql.raw(`t.${column}`) `` or
/// `sql.identifier(name)`; not a string literal alone.
fn pastes_identifier(text: &str) -> bool {
    ["sql.raw(", "sql.identifier("].iter().any(|call| {
        text.match_indices(call).any(|(at, _)| {
            let argument = text[at + call.len()..].trim_start();
            let template = argument
                .strip_prefix('`')
                .map(|t| t.split('`').next().unwrap_or(t));
            match template {
                Some(body) => body.contains("${"),
                None => !argument.starts_with(['"', '\'']),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::pastes_identifier;

    #[test]
    fn a_name_pasted_as_sql_is_told_from_a_literal_fragment() {
        assert!(pastes_identifier(
            "and(eq(t.a, a), sql`${sql.raw(column)} IS NOT NULL`)"
        ));
        assert!(pastes_identifier("sql`${sql.raw(`t.${column}`)} > 0`"));
        assert!(pastes_identifier("sql`${sql.identifier(name)} = 1`"));
        assert!(!pastes_identifier("sql`${sql.raw('now()')} > t.at`"));
        assert!(!pastes_identifier("sql`${sql.raw(`now()`)} > t.at`"));
        assert!(!pastes_identifier("eq(t.id, id)"));
    }
}
