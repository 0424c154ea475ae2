//! Helpers the rules share: finding the clause of an `ALTER TABLE`, the
//! words for locks, advice that depends on the migration tool, and what a
//! query's `WHERE` and aggregates tell about the rows it returns.

use std::ops::{ControlFlow, Range};

use sqlparser::ast::{
    AlterTable, AlterTableOperation, ColumnDef, ColumnOption, Expr, FunctionArguments, ObjectName,
    Query, Select, Visit, Visitor,
};
use sqlparser::keywords::Keyword;

use super::{StatementContext, function_named};
use crate::migrate::{MigrationState, Tool, TxMode};
use crate::model::schema::ident_key;
use crate::parse::TokKind;

/// The migration state and the `ALTER TABLE` of the statement, if it is
/// one in an up migration.
pub fn alter_table<'a>(ctx: &StatementContext<'a>) -> Option<(MigrationState<'a>, &'a AlterTable)> {
    let m = ctx.migration?;
    match ctx.stmt.ast.as_ref()? {
        sqlparser::ast::Statement::AlterTable(at) => Some((m, at)),
        _ => None,
    }
}

/// Like [`alter_table`], for an `ALTER TABLE` of a table that existed before
/// the migration.
pub fn alter_existing_table<'a>(
    ctx: &StatementContext<'a>,
) -> Option<(MigrationState<'a>, &'a AlterTable)> {
    alter_table(ctx).filter(|(m, at)| !m.is_new_table(&at.name))
}

/// The whole statement but its semicolon, for statements read from tokens.
pub fn whole_statement(ctx: &StatementContext<'_>) -> Range<usize> {
    let end = ctx
        .tokens()
        .iter()
        .take_while(|t| t.kind != TokKind::SemiColon)
        .last()
        .map_or(ctx.first_token().end, |t| t.range.end);
    ctx.first_token().start..end
}

/// `ALTER TABLE name`: from the statement's first token through the name.
pub fn head(ctx: &StatementContext<'_>, name: &ObjectName) -> Range<usize> {
    let first = ctx.first_token();
    match ctx.node(name) {
        Some(n) if n.end > first.start => first.start..n.end,
        _ => first,
    }
}

/// The whole clause of an `ALTER TABLE` that holds `op`: from the comma or
/// table name before it to the comma or end after it, such as
/// `ADD COLUMN x int NOT NULL` or `ALTER COLUMN x SET NOT NULL`.
pub fn clause(
    ctx: &StatementContext<'_>,
    at: &AlterTable,
    op: &AlterTableOperation,
) -> Range<usize> {
    let Some(inner) = ctx.node(op) else {
        return head(ctx, &at.name);
    };
    let toks = ctx.tokens();
    let floor = ctx.node(&at.name).map_or(0, |n| ctx.token_index_at(n.end));
    let mut start = ctx.token_index_at(inner.start).min(toks.len());
    let mut depth = 0i32;
    while start > floor {
        match toks[start - 1].kind {
            TokKind::RParen => depth += 1,
            TokKind::LParen => depth -= 1,
            TokKind::Comma if depth == 0 => break,
            _ => {}
        }
        start -= 1;
    }
    let mut end = ctx.token_index_before(inner.end).unwrap_or(start);
    depth = 0;
    while end + 1 < toks.len() {
        match toks[end + 1].kind {
            TokKind::LParen => depth += 1,
            TokKind::RParen => depth -= 1,
            TokKind::Comma | TokKind::SemiColon if depth <= 0 => break,
            _ => {}
        }
        end += 1;
    }
    match (toks.get(start), toks.get(end)) {
        (Some(s), Some(e)) if s.range.start < e.range.end => s.range.start..e.range.end,
        _ => inner,
    }
}

/// Whether a column is new: created in this migration, or on a table
/// created in it.
pub fn column_is_new(
    m: &MigrationState<'_>,
    table: &ObjectName,
    column: &sqlparser::ast::Ident,
) -> bool {
    m.schema
        .table(table)
        .is_some_and(|t| t.new || t.column(&ident_key(column)).is_some_and(|c| c.new))
}

/// The table's name as written, for messages.
pub fn shown(name: &ObjectName) -> String {
    name.to_string()
}

/// How to run a statement outside a transaction with the migration's tool.
pub fn without_transaction(tool: Tool) -> &'static str {
    match tool {
        Tool::Sqlx => "make `-- no-transaction` the first line of the migration",
        Tool::Prisma | Tool::GolangMigrate => {
            "put the statement alone in a migration of its own: a file with one statement is not wrapped in a transaction"
        }
        Tool::Drizzle => {
            "drizzle-kit runs all pending migrations in one transaction, so run this statement outside its migrator (for example in a separate script after `drizzle-kit migrate`)"
        }
        Tool::Dbmate => "write `-- migrate:up transaction:false` as the migration's first line",
        Tool::Goose => "add `-- +goose NO TRANSACTION` to the migration",
        Tool::Flyway => {
            "put it in a migration of its own (Flyway runs such a migration without a transaction), or set `executeInTransaction=false` in its `.conf` file"
        }
        Tool::Diesel => "add `run_in_transaction = false` to the migration's `metadata.toml`",
        Tool::Popx => "put it in a migration whose name contains `.autocommit.`",
        Tool::Plain => "run it outside `BEGIN` ... `COMMIT`",
    }
}

/// Why the statement runs inside a transaction, for messages.
pub fn why_in_transaction(m: &MigrationState<'_>) -> String {
    if m.in_do_block {
        return "a `DO` block always runs inside a transaction".to_owned();
    }
    match m.file.tx_mode {
        TxMode::Wrapped => format!(
            "{} runs each migration inside a transaction",
            m.file.tool.name()
        ),
        TxMode::Implicit => format!(
            "{} sends the migration as one multi-statement query, which PostgreSQL runs as a single transaction",
            m.file.tool.name()
        ),
        TxMode::None => "it follows a `BEGIN`".to_owned(),
    }
}

/// Whether any of the first `within` tokens is `keyword`.
pub fn has_keyword(ctx: &StatementContext<'_>, keyword: Keyword, within: usize) -> bool {
    ctx.tokens()
        .iter()
        .take(within)
        .any(|t| t.is_keyword(keyword))
}

/// A column option's kind, for rules that look at what `ADD COLUMN` adds.
pub fn options(def: &ColumnDef) -> impl Iterator<Item = &ColumnOption> {
    def.options.iter().map(|o| &o.option)
}

/// Which kind of constraint a `NOT VALID` rule is about.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Validated {
    ForeignKey,
    Check,
}

/// The shared check of `add-foreign-key-without-not-valid` and
/// `add-check-without-not-valid`: a constraint of `kind` added validated to
/// an existing table, or validated in the transaction that added it
/// `NOT VALID`.
pub fn validated_constraint(
    ctx: &StatementContext<'_>,
    kind: Validated,
    out: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    use crate::diagnostic::Diagnostic;
    use crate::model::schema::ConstraintKind;
    use sqlparser::ast::TableConstraint;
    let Some((m, at)) = alter_table(ctx) else {
        return;
    };
    let (word, lock) = match kind {
        Validated::ForeignKey => (
            "foreign key",
            "a SHARE ROW EXCLUSIVE lock on both tables, blocking writes to them,",
        ),
        Validated::Check => (
            "check constraint",
            "an ACCESS EXCLUSIVE lock, blocking reads and writes,",
        ),
    };
    let new_table = m.is_new_table(&at.name);
    for op in &at.operations {
        let added = match op {
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid: false,
            } => matches!(
                (kind, constraint),
                (Validated::ForeignKey, TableConstraint::ForeignKey(_))
                    | (Validated::Check, TableConstraint::Check(_))
            ),
            AlterTableOperation::AddColumn { column_def, .. } => {
                kind == Validated::ForeignKey
                    && options(column_def).any(|o| matches!(o, ColumnOption::ForeignKey(_)))
            }
            AlterTableOperation::ValidateConstraint { name } => {
                let same_tx = m
                    .schema
                    .table(&at.name)
                    .and_then(|t| t.constraint(&ident_key(name)))
                    .is_some_and(|c| {
                        let right_kind = match kind {
                            Validated::ForeignKey => {
                                matches!(c.kind, ConstraintKind::ForeignKey { .. })
                            }
                            Validated::Check => matches!(c.kind, ConstraintKind::Check { .. }),
                        };
                        right_kind
                            && c.not_valid_in_tx.is_some()
                            && c.not_valid_in_tx == m.transaction
                    });
                if same_tx {
                    out.push(
                        Diagnostic::new(
                            clause(ctx, at, op),
                            format!("`VALIDATE CONSTRAINT {name}` runs in the same transaction that added the {word} `NOT VALID`, so the lock taken by the add is held through the whole validation scan"),
                        )
                        .help(format!("Validate in a separate migration (or after `COMMIT`): on its own, `VALIDATE CONSTRAINT` takes only a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes go on. {}", without_transaction_note(m.file.tool))),
                    );
                }
                continue;
            }
            _ => false,
        };
        if !added || new_table {
            continue;
        }
        let inline = matches!(op, AlterTableOperation::AddColumn { .. });
        let name = match op {
            AlterTableOperation::AddConstraint { constraint, .. } => match constraint {
                TableConstraint::ForeignKey(fk) => fk.name.as_ref(),
                TableConstraint::Check(c) => c.name.as_ref(),
                _ => None,
            },
            _ => None,
        };
        let fix = name.map(|name| not_valid_fix(ctx, &m, at, op, name));
        let help = if inline {
            format!(
                "Add the column first, then the {word} in its own statement with `NOT VALID`, and `VALIDATE CONSTRAINT` it in a later transaction."
            )
        } else {
            format!(
                "Add the {word} with `NOT VALID` (new rows are checked at once), then run `ALTER TABLE {} VALIDATE CONSTRAINT ...` in a later transaction, which does not block writes.",
                shown(&at.name)
            )
        };
        let diag = Diagnostic::new(
            clause(ctx, at, op),
            format!(
                "Adding a {word} to `{}` checks every existing row while holding {lock} for the whole scan",
                shown(&at.name)
            ),
        )
        .help(help)
        .fix(fix);
        out.push(diag);
    }
}

/// The fix of a validated constraint: `NOT VALID` on the clause that adds
/// it, and a `VALIDATE CONSTRAINT` statement after the statement. Safe
/// outside a transaction. Inside one, the validation would run under the
/// lock the add took, so the change is only shown: the `VALIDATE` belongs
/// in a later migration.
fn not_valid_fix(
    ctx: &StatementContext<'_>,
    m: &MigrationState<'_>,
    at: &AlterTable,
    op: &AlterTableOperation,
    name: &sqlparser::ast::Ident,
) -> crate::diagnostic::Fix {
    use crate::diagnostic::{Edit, Fix, FixSafety};
    let end = clause(ctx, at, op).end;
    let stmt_end = ctx.stmt.range.end;
    let terminated = ctx.unit.text[..stmt_end].ends_with(';');
    let validate = format!(
        "{}\nALTER TABLE {} VALIDATE CONSTRAINT {name};",
        if terminated { "" } else { ";" },
        at.name
    );
    let edits = vec![
        Edit {
            range: end..end,
            content: " NOT VALID".to_owned(),
        },
        Edit {
            range: stmt_end..stmt_end,
            content: validate,
        },
    ];
    if m.in_transaction() {
        Fix {
            title: format!(
                "Add it `NOT VALID`, and run `ALTER TABLE {} VALIDATE CONSTRAINT {name}` in a later migration (in this one's transaction it would hold the lock)",
                at.name
            ),
            safety: FixSafety::DisplayOnly,
            in_host: false,
            edits,
        }
    } else {
        Fix {
            title: format!(
                "Add it `NOT VALID`, then `VALIDATE CONSTRAINT {name}` in a statement of its own"
            ),
            safety: FixSafety::Safe,
            in_host: false,
            edits,
        }
    }
}

fn without_transaction_note(tool: Tool) -> &'static str {
    match tool {
        Tool::Drizzle => {
            "drizzle-kit runs all pending migrations in one transaction, so apply the validating migration in a later deploy."
        }
        _ => "",
    }
}

/// The fix that writes `CONCURRENTLY` after the statement's `INDEX`
/// keyword (`CREATE UNIQUE INDEX`, `DROP INDEX`). Safe where the statement
/// runs outside a transaction. Inside one the fix is unsafe: `CONCURRENTLY`
/// fails there, so a sqlx migration also gets `-- no-transaction` as its
/// first line, which makes its other statements run one by one; other
/// tools need the change their doc names (see [`without_transaction`]).
pub fn concurrently_fix(
    ctx: &StatementContext<'_>,
    m: &MigrationState<'_>,
    verb: &str,
) -> Option<crate::diagnostic::Fix> {
    use crate::diagnostic::{Edit, Fix, FixSafety};
    let index = ctx
        .tokens()
        .iter()
        .take(4)
        .find(|t| t.is_keyword(Keyword::INDEX))?;
    let at = index.range.end;
    let mut edits = vec![Edit {
        range: at..at,
        content: " CONCURRENTLY".to_owned(),
    }];
    if !m.in_transaction() {
        return Some(Fix {
            title: format!("Write `{verb} CONCURRENTLY`"),
            safety: FixSafety::Safe,
            in_host: false,
            edits,
        });
    }
    let wrapped_by_sqlx =
        m.file.tool == Tool::Sqlx && m.file.tx_mode == TxMode::Wrapped && !m.in_do_block;
    let title = if wrapped_by_sqlx {
        edits.push(Edit {
            range: 0..0,
            content: "-- no-transaction\n".to_owned(),
        });
        format!(
            "Write `{verb} CONCURRENTLY` and make the migration `-- no-transaction` (its statements no longer run as one transaction)"
        )
    } else {
        format!(
            "Write `{verb} CONCURRENTLY` (it fails inside a transaction: {})",
            without_transaction(m.file.tool)
        )
    };
    Some(Fix {
        title,
        safety: FixSafety::Unsafe,
        in_host: false,
        edits,
    })
}

/// Whether a `WHERE` condition compares a key column to a value (an
/// equality, an `IN` list, `= ANY`) in every branch: `a AND b` if either
/// does, `a OR b` if both do. `key` says which columns are keys.
pub fn keyed_in_every_branch(
    expr: &sqlparser::ast::Expr,
    key: &dyn Fn(&sqlparser::ast::Expr) -> bool,
) -> bool {
    use sqlparser::ast::{BinaryOperator, Expr, InTarget};
    let again = |e: &Expr| keyed_in_every_branch(e, key);
    match expr {
        Expr::Nested(e) => again(e),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => again(left) || again(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Or,
            right,
        } => again(left) && again(right),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => (key(left) && is_value(right)) || (key(right) && is_value(left)),
        Expr::In {
            expr,
            target: InTarget::List(_) | InTarget::Unnest(_),
            negated: false,
            ..
        } => key(expr),
        Expr::AnyOp {
            left,
            compare_op: BinaryOperator::Eq,
            ..
        } => key(left),
        _ => false,
    }
}

/// A value from outside the row: a literal, a parameter, a cast or function
/// of one, a scalar subquery. Not another column, which would make the
/// equality a join condition.
fn is_value(expr: &sqlparser::ast::Expr) -> bool {
    use sqlparser::ast::Expr;
    match expr {
        // A `$1` bind read in a dialect whose names may hold `$` (MySQL).
        Expr::Identifier(i) => i
            .value
            .strip_prefix('$')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        Expr::CompoundIdentifier(_) => false,
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => is_value(e),
        _ => true,
    }
}

/// Aggregates that fold any number of rows into one.
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    "percentile_cont",
    "percentile_disc",
    "mode",
    "group_concat",
    "xmlagg",
    "total",
];

/// Whether a `SELECT` has neither `GROUP BY` nor `HAVING`.
pub fn no_group_by(select: &Select) -> bool {
    matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
        && select.having.is_none()
}

/// Whether a node (a projection item, a sort key) aggregates at its own
/// level: not inside a subquery, not as a window function.
pub fn aggregates<T: Visit>(node: &T) -> bool {
    struct Finder {
        depth: usize,
        found: bool,
    }
    impl Visitor for Finder {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if self.depth == 0
                && let Expr::Function(f) = expr
                && f.over.is_none()
                && !matches!(f.args, FunctionArguments::None)
                && function_named(&f.name, AGGREGATES)
            {
                self.found = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut finder = Finder {
        depth: 0,
        found: false,
    };
    let _ = node.visit(&mut finder);
    finder.found
}

/// Schemas whose tables describe the database itself.
const CATALOG_SCHEMAS: &[&str] = &["pg_catalog", "information_schema", "sqlite_master"];

/// Whether a table is one of the database's own catalog: `pg_class`,
/// `pg_catalog.pg_index`, `information_schema.columns`, SQLite's
/// `sqlite_master` and `sqlite_schema`, and its pragma functions read as
/// tables (`pragma_table_info(name)`). Its rows describe the schema (a few
/// per table), not the application's data.
pub fn is_catalog(name: &ObjectName) -> bool {
    let parts: Vec<&str> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| i.value.as_str())
        .collect();
    let catalog_schema = |s: &str| CATALOG_SCHEMAS.iter().any(|c| c.eq_ignore_ascii_case(s));
    match parts.as_slice() {
        [.., schema, _] => catalog_schema(schema),
        [table] => {
            let lower = table.to_ascii_lowercase();
            ["pg_", "sqlite_", "pragma_"]
                .iter()
                .any(|p| lower.starts_with(p))
                || catalog_schema(table)
        }
        _ => false,
    }
}

/// An expression under its casts and parentheses (`$1::text`,
/// `CAST(x AS text)`, `(id)`): `id::text` is NULL only where `id` is, and
/// `$1::text` is still a bound value.
pub fn uncast(e: &Expr) -> &Expr {
    let mut e = e;
    while let Expr::Cast { expr, .. } | Expr::Nested(expr) = e {
        e = expr;
    }
    e
}
