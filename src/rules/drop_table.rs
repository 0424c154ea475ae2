//! `drop-table`: dropping a table the running application may use.

use sqlparser::ast::{ObjectType, Statement};

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "drop-table",
    category: Category::Migration,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::SCHEMA_MIGRATIONS,
    doc: include_str!("../../rules/drop-table.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let (
        Some(m),
        Some(Statement::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        }),
    ) = (ctx.migration, &ctx.stmt.ast)
    else {
        return;
    };
    let old: Vec<String> = names
        .iter()
        .filter(|n| !m.is_new_table(n))
        .map(|n| format!("`{n}`"))
        .collect();
    if old.is_empty() {
        return;
    }
    let range = match names.last() {
        Some(last) => super::helpers::head(ctx, last),
        None => ctx.first_token(),
    };
    out.push(
        Diagnostic::new(
            range,
            format!(
                "Dropping {} breaks every running copy of the application that still uses it, and the data is gone",
                old.join(", ")
            ),
        )
        .help("Remove every use of the table from the application first, deploy, and drop it in a later migration (after a backup if the data may be needed)."),
    );
}
