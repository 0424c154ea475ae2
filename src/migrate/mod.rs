//! Migrations: the layouts of the tools that run them, the replay of a
//! chain of migrations into the schema (`model::schema`), and what a
//! migration rule knows about the statement in front of it.

pub mod layout;
pub mod plpgsql;
pub mod replay;

use std::cell::{Cell, RefCell};

use sqlparser::ast::{Expr, ObjectName, Statement, Value};

use crate::diagnostic::Diagnostic;
pub use crate::model::schema::{self, Schema};
pub use layout::{Chain, Direction, Migration, Tool, TxMode, TxOverride, chain_of};

/// Facts about the migration file being linted that last for the whole
/// file.
#[derive(Debug)]
pub struct FileState {
    pub tool: Tool,
    pub tx_mode: TxMode,
    /// The PostgreSQL major version the migrations run on.
    pub postgres_version: u32,
    /// Whether a `SET lock_timeout` ran earlier in the migration.
    pub lock_timeout_set: bool,
    /// Whether `missing-lock-timeout` already reported this migration.
    pub lock_timeout_reported: Cell<bool>,
    /// Whether the migration changes the schema (holds DDL), as opposed to a
    /// migration that only moves data.
    pub changes_schema: bool,
    /// Whether a `SET timezone = 'UTC'` ran earlier in the migration, which
    /// makes `timestamp` to `timestamptz` a change without a rewrite from
    /// PostgreSQL 12.
    pub timezone_utc: bool,
    /// Findings that can only be confirmed at the end of the chain.
    pub deferred: RefCell<Vec<Deferred>>,
}

/// A finding that holds only if the schema at the end of the chain still
/// calls for it, such as a foreign key that no later migration indexes.
#[derive(Debug)]
pub struct Deferred {
    pub diagnostic: Diagnostic,
    /// The table key and columns the condition is about, and the statement
    /// that made the object.
    pub table: String,
    pub columns: Vec<String>,
    pub origin: (u32, u32),
    /// Whether the finding stands, given the schema at the end of the chain.
    pub stands: fn(&Schema, &Deferred) -> bool,
}

/// What a migration rule knows when it looks at one statement.
#[derive(Debug, Clone, Copy)]
pub struct MigrationState<'a> {
    /// The schema as it is just before the statement.
    pub schema: &'a Schema,
    pub file: &'a FileState,
    /// The transaction the statement runs in, if any.
    pub transaction: Option<u32>,
    /// Whether the statement sits in the body of a `DO` block.
    pub in_do_block: bool,
    /// Where the statement is in the chain (see
    /// [`schema::Replay::origin`]), so a deferred finding can tell the
    /// object it is about from one made later with the same name.
    pub origin: (u32, u32),
}

impl MigrationState<'_> {
    pub fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }

    /// Whether `table` was created by this migration, so no one else can be
    /// using it yet. A table the schema has never seen is taken to exist.
    pub fn is_new_table(&self, table: &ObjectName) -> bool {
        self.schema.is_new_table(table)
    }

    pub fn postgres_at_least(&self, major: u32) -> bool {
        self.file.postgres_version >= major
    }
}

/// Whether a statement changes the schema.
pub fn is_ddl(stmt: &Statement) -> bool {
    matches!(
        stmt,
        Statement::CreateTable(_)
            | Statement::AlterTable(_)
            | Statement::CreateIndex(_)
            | Statement::Drop { .. }
            | Statement::AlterIndex { .. }
            | Statement::CreateView(_)
            | Statement::CreateType { .. }
            | Statement::AlterType(_)
            | Statement::CreateFunction(_)
            | Statement::CreateTrigger(_)
            | Statement::CreateSequence { .. }
            | Statement::CreateExtension(_)
            | Statement::CreateSchema { .. }
    )
}

/// What a `SET lock_timeout` statement does: `Some(true)` sets a timeout,
/// `Some(false)` turns it off (`0`, `DEFAULT`), `None` for other statements.
pub fn lock_timeout_change(stmt: &Statement) -> Option<bool> {
    match stmt {
        Statement::Set(sqlparser::ast::Set::SingleAssignment {
            variable, values, ..
        }) => {
            let name = variable.to_string().to_ascii_lowercase();
            if name != "lock_timeout" {
                return None;
            }
            let off = match values.first() {
                Some(Expr::Value(v)) => match &v.value {
                    Value::Number(n, _) => n.trim_start_matches('0').is_empty(),
                    Value::SingleQuotedString(s) => {
                        s.trim().trim_start_matches('0').is_empty() || s.trim() == "0s"
                    }
                    _ => false,
                },
                Some(Expr::Identifier(id)) => id.value.eq_ignore_ascii_case("default"),
                None => true,
                _ => false,
            };
            Some(!off)
        }
        _ => None,
    }
}

/// What a `SET timezone` / `SET TIME ZONE` statement does: `Some(true)` for
/// UTC, `Some(false)` for another zone, `None` for other statements.
pub fn timezone_change(stmt: &Statement) -> Option<bool> {
    let value = match stmt {
        Statement::Set(sqlparser::ast::Set::SingleAssignment {
            variable, values, ..
        }) if variable.to_string().eq_ignore_ascii_case("timezone") => values.first()?,
        Statement::Set(sqlparser::ast::Set::SetTimeZone { value, .. }) => value,
        _ => return None,
    };
    let zone = match value {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            _ => return Some(false),
        },
        Expr::Identifier(id) => id.value.clone(),
        _ => return Some(false),
    };
    Some(matches!(
        zone.to_ascii_uppercase().as_str(),
        "UTC" | "ETC/UTC" | "UCT" | "ZULU" | "GMT" | "ETC/GMT" | "Z"
    ))
}
