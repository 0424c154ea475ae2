//! The schema a chain of migrations builds, replayed statement by
//! statement: tables, their columns with type and nullability, indexes and
//! constraints, and which of them the current migration created.
//!
//! The model is deliberately forgiving. A statement it does not understand
//! changes nothing, and an object it has never seen is treated as one that
//! already exists in production, which is the cautious reading for the lock
//! rules.

use std::collections::HashMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterIndexOperation, AlterTableOperation, ColumnDef, ColumnOption,
    CreateIndex, CreateTable, DataType, Expr, Ident, IndexColumn, ObjectName, ObjectType,
    RenameTableNameKind, Statement, TableConstraint,
};

/// An identifier as PostgreSQL folds it: unquoted names are lower-cased.
pub fn ident_key(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// A relation name as a lookup key: folded, without the default `public`
/// schema.
pub fn name_key(name: &ObjectName) -> String {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(ident_key)
        .collect();
    match parts.as_slice() {
        [schema, rest @ ..] if schema == "public" && !rest.is_empty() => rest.join("."),
        _ => parts.join("."),
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// `None` when the column's type is not known (a table made by
    /// `CREATE TABLE ... AS`).
    pub data_type: Option<DataType>,
    pub not_null: bool,
    /// Created by the current migration.
    pub new: bool,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    /// Column names in index order; an expression is kept as its text.
    pub columns: Vec<String>,
    pub unique: bool,
    /// Made with a `WHERE` clause: it covers only the rows that match.
    pub partial: bool,
    pub new: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey {
        references: String,
    },
    /// A `CHECK`; `not_null_of` names the column when the check is exactly
    /// `col IS NOT NULL`, which lets PostgreSQL 12 and later skip the scan of
    /// `SET NOT NULL`.
    Check {
        not_null_of: Option<String>,
    },
    Other,
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    pub columns: Vec<String>,
    pub validated: bool,
    pub new: bool,
    /// The transaction the constraint was added in, when it was added
    /// `NOT VALID` by the current migration.
    pub not_valid_in_tx: Option<u32>,
    /// The statement that added the constraint (see [`Replay::origin`]).
    pub origin: (u32, u32),
}

impl Constraint {
    /// A constraint the statement being replayed adds: new, and if it is
    /// added `NOT VALID`, remembered with its transaction.
    fn added(
        name: String,
        kind: ConstraintKind,
        columns: Vec<String>,
        validated: bool,
        replay: Replay,
    ) -> Constraint {
        Constraint {
            name,
            kind,
            columns,
            validated,
            new: true,
            not_valid_in_tx: (!validated).then_some(replay.tx).flatten(),
            origin: replay.origin,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub constraints: Vec<Constraint>,
    /// Created by the current migration.
    pub new: bool,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }

    /// Whether some index starts with exactly `columns`, in any order.
    pub fn has_index_leading_with(&self, columns: &[String]) -> bool {
        !columns.is_empty()
            && self.indexes.iter().any(|ix| {
                ix.columns.len() >= columns.len()
                    && columns
                        .iter()
                        .all(|c| ix.columns[..columns.len()].contains(c))
            })
    }

    /// Whether a validated `CHECK (col IS NOT NULL)` exists for `column`.
    pub fn has_validated_not_null_check(&self, column: &str) -> bool {
        self.constraints.iter().any(|c| {
            c.validated
                && matches!(&c.kind, ConstraintKind::Check { not_null_of: Some(col) } if col == column)
        })
    }
}

/// The replayed schema.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    tables: HashMap<String, Table>,
}

/// Where the statement being replayed runs, for the facts the schema keeps
/// about transactions.
#[derive(Debug, Clone, Copy)]
pub struct Replay {
    /// The transaction the statement runs in, if any.
    pub tx: Option<u32>,
    /// Where the statement is in the chain: file and statement index.
    pub origin: (u32, u32),
}

impl Schema {
    pub fn table(&self, name: &ObjectName) -> Option<&Table> {
        self.tables.get(&name_key(name))
    }

    pub fn table_by_key(&self, key: &str) -> Option<&Table> {
        self.tables.get(key)
    }

    /// Every table, by key.
    pub fn tables(&self) -> impl Iterator<Item = (&String, &Table)> {
        self.tables.iter()
    }

    /// Whether the table was created by the current migration. A table the
    /// schema has never seen is taken to exist already.
    pub fn is_new_table(&self, name: &ObjectName) -> bool {
        self.table(name).is_some_and(|t| t.new)
    }

    /// The table an index belongs to.
    pub fn index_table(&self, index: &ObjectName) -> Option<&Table> {
        let key = name_key(index);
        let short = key.rsplit('.').next().unwrap_or(&key);
        self.tables
            .values()
            .find(|t| t.indexes.iter().any(|i| i.name == short))
    }

    pub fn index(&self, index: &ObjectName) -> Option<&Index> {
        let key = name_key(index);
        let short = key.rsplit('.').next().unwrap_or(&key).to_owned();
        self.tables
            .values()
            .flat_map(|t| &t.indexes)
            .find(|i| i.name == short)
    }

    /// Starts a new migration: everything so far now exists already.
    pub fn begin_migration(&mut self) {
        for t in self.tables.values_mut() {
            t.new = false;
            t.columns.iter_mut().for_each(|c| c.new = false);
            t.indexes.iter_mut().for_each(|i| i.new = false);
            t.constraints.iter_mut().for_each(|c| {
                c.new = false;
                c.not_valid_in_tx = None;
            });
        }
    }

    /// Applies one statement.
    pub fn apply(&mut self, stmt: &Statement, replay: Replay) {
        match stmt {
            Statement::CreateTable(ct) => self.create_table(ct, replay),
            Statement::AlterTable(at) => {
                let key = name_key(&at.name);
                for op in &at.operations {
                    self.alter_table(&key, op, replay);
                }
            }
            Statement::CreateIndex(ci) => self.create_index(ci),
            Statement::Drop {
                object_type, names, ..
            } => match object_type {
                ObjectType::Table => {
                    for n in names {
                        self.tables.remove(&name_key(n));
                    }
                }
                ObjectType::Index => {
                    for n in names {
                        let key = name_key(n);
                        let short = key.rsplit('.').next().unwrap_or(&key).to_owned();
                        for t in self.tables.values_mut() {
                            t.indexes.retain(|i| i.name != short);
                        }
                    }
                }
                _ => {}
            },
            Statement::AlterIndex {
                name,
                operation: AlterIndexOperation::RenameIndex { index_name },
            } => {
                let old = name_key(name);
                let old = old.rsplit('.').next().unwrap_or(&old).to_owned();
                let new = name_key(index_name);
                let new = new.rsplit('.').next().unwrap_or(&new).to_owned();
                for t in self.tables.values_mut() {
                    for i in t.indexes.iter_mut().filter(|i| i.name == old) {
                        i.name = new.clone();
                    }
                }
            }
            _ => {}
        }
    }

    fn create_table(&mut self, ct: &CreateTable, replay: Replay) {
        let key = name_key(&ct.name);
        if self.tables.contains_key(&key) && ct.if_not_exists {
            return;
        }
        let short = key.rsplit('.').next().unwrap_or(&key).to_owned();
        let mut table = Table {
            name: short,
            columns: Vec::new(),
            indexes: Vec::new(),
            constraints: Vec::new(),
            new: true,
        };
        let replay = Replay { tx: None, ..replay };
        for col in &ct.columns {
            add_column(&mut table, col, true, replay);
        }
        for c in &ct.constraints {
            add_constraint(&mut table, c, false, replay);
        }
        self.tables.insert(key, table);
    }

    fn alter_table(&mut self, key: &str, op: &AlterTableOperation, replay: Replay) {
        if let AlterTableOperation::RenameTable { table_name } = op {
            let (RenameTableNameKind::As(to) | RenameTableNameKind::To(to)) = table_name;
            if let Some(mut t) = self.tables.remove(key) {
                // The table stays in its schema: `ALTER TABLE s.a RENAME TO
                // b` makes `s.b`.
                let mut new_key = name_key(to);
                if !new_key.contains('.')
                    && let Some((schema, _)) = key.rsplit_once('.')
                {
                    new_key = format!("{schema}.{new_key}");
                }
                t.name = new_key.rsplit('.').next().unwrap_or(&new_key).to_owned();
                self.tables.insert(new_key, t);
            }
            return;
        }
        let table = self
            .tables
            .entry(key.to_owned())
            .or_insert_with(|| placeholder(key));
        match op {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let exists = table.column(&ident_key(&column_def.name)).is_some();
                if !(exists && *if_not_exists) {
                    add_column(table, column_def, true, replay);
                }
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                for name in column_names.iter().map(ident_key) {
                    table.columns.retain(|c| c.name != name);
                    table.indexes.retain(|i| !i.columns.contains(&name));
                    table.constraints.retain(|c| !c.columns.contains(&name));
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let (old, new) = (ident_key(old_column_name), ident_key(new_column_name));
                for c in table.columns.iter_mut().filter(|c| c.name == old) {
                    c.name = new.clone();
                }
                for cols in table
                    .indexes
                    .iter_mut()
                    .map(|i| &mut i.columns)
                    .chain(table.constraints.iter_mut().map(|c| &mut c.columns))
                {
                    for c in cols.iter_mut().filter(|c| **c == old) {
                        *c = new.clone();
                    }
                }
                for c in &mut table.constraints {
                    if let ConstraintKind::Check {
                        not_null_of: Some(col),
                    } = &mut c.kind
                        && *col == old
                    {
                        *col = new.clone();
                    }
                }
            }
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid,
            } => add_constraint(table, constraint, *not_valid, replay),
            AlterTableOperation::DropConstraint { name, .. } => {
                let name = ident_key(name);
                table.constraints.retain(|c| c.name != name);
                table.indexes.retain(|i| i.name != name);
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let (old, new) = (ident_key(old_name), ident_key(new_name));
                for c in table.constraints.iter_mut().filter(|c| c.name == old) {
                    c.name = new.clone();
                }
            }
            AlterTableOperation::ValidateConstraint { name } => {
                let name = ident_key(name);
                for c in table.constraints.iter_mut().filter(|c| c.name == name) {
                    c.validated = true;
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let Some(col) = table.column_mut(&ident_key(column_name)) else {
                    return;
                };
                match op {
                    AlterColumnOperation::SetNotNull => col.not_null = true,
                    AlterColumnOperation::DropNotNull => col.not_null = false,
                    AlterColumnOperation::SetDataType { data_type, .. } => {
                        col.data_type = Some(data_type.clone())
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn create_index(&mut self, ci: &CreateIndex) {
        let key = name_key(&ci.table_name);
        let table = self
            .tables
            .entry(key.clone())
            .or_insert_with(|| placeholder(&key));
        let columns: Vec<String> = ci.columns.iter().map(index_column).collect();
        let name = match &ci.name {
            Some(n) => {
                let k = name_key(n);
                k.rsplit('.').next().unwrap_or(&k).to_owned()
            }
            None => format!("{}_{}_idx", table.name, columns.join("_")),
        };
        if table.indexes.iter().any(|i| i.name == name) {
            return;
        }
        table.indexes.push(Index {
            name,
            columns,
            unique: ci.unique,
            partial: ci.predicate.is_some(),
            new: true,
        });
    }
}

/// A table the chain never created, known only from the changes made to
/// it: it exists already, and it has only the columns later statements add.
fn placeholder(key: &str) -> Table {
    Table {
        name: key.rsplit('.').next().unwrap_or(key).to_owned(),
        columns: Vec::new(),
        indexes: Vec::new(),
        constraints: Vec::new(),
        new: false,
    }
}

fn index_column(col: &IndexColumn) -> String {
    match &col.column.expr {
        Expr::Identifier(id) => ident_key(id),
        Expr::CompoundIdentifier(ids) => ids.last().map(ident_key).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Whether a type is one of the `serial` pseudo-types, which imply
/// `NOT NULL` and a sequence default.
pub fn is_serial(data_type: &DataType) -> bool {
    matches!(
        data_type.to_string().to_ascii_lowercase().as_str(),
        "serial" | "serial2" | "serial4" | "serial8" | "smallserial" | "bigserial"
    )
}

fn add_column(table: &mut Table, def: &ColumnDef, new: bool, replay: Replay) {
    let name = ident_key(&def.name);
    let mut not_null = is_serial(&def.data_type);
    for opt in &def.options {
        let constraint_name = opt.name.as_ref().map(ident_key);
        match &opt.option {
            ColumnOption::NotNull => not_null = true,
            ColumnOption::Identity(_) | ColumnOption::Generated { .. } => {
                not_null |= matches!(
                    opt.option,
                    ColumnOption::Identity(_)
                        | ColumnOption::Generated {
                            generated_as: sqlparser::ast::GeneratedAs::Always
                                | sqlparser::ast::GeneratedAs::ByDefault,
                            generation_expr: None,
                            ..
                        }
                );
            }
            ColumnOption::PrimaryKey(_) => {
                not_null = true;
                let cname = constraint_name.unwrap_or_else(|| format!("{}_pkey", table.name));
                push_unique(
                    table,
                    cname,
                    ConstraintKind::PrimaryKey,
                    vec![name.clone()],
                    true,
                    replay,
                );
            }
            ColumnOption::Unique(_) => {
                let cname =
                    constraint_name.unwrap_or_else(|| format!("{}_{}_key", table.name, name));
                push_unique(
                    table,
                    cname,
                    ConstraintKind::Unique,
                    vec![name.clone()],
                    true,
                    replay,
                );
            }
            ColumnOption::ForeignKey(fk) => {
                let cname =
                    constraint_name.unwrap_or_else(|| format!("{}_{}_fkey", table.name, name));
                table.constraints.push(Constraint::added(
                    cname,
                    ConstraintKind::ForeignKey {
                        references: name_key(&fk.foreign_table),
                    },
                    vec![name.clone()],
                    true,
                    replay,
                ));
            }
            ColumnOption::Check(check) => {
                let cname =
                    constraint_name.unwrap_or_else(|| format!("{}_{}_check", table.name, name));
                table.constraints.push(Constraint::added(
                    cname,
                    ConstraintKind::Check {
                        not_null_of: not_null_column(&check.expr),
                    },
                    vec![name.clone()],
                    true,
                    replay,
                ));
            }
            _ => {}
        }
    }
    table.columns.retain(|c| c.name != name);
    table.columns.push(Column {
        name,
        data_type: Some(def.data_type.clone()),
        not_null,
        new,
    });
}

fn push_unique(
    table: &mut Table,
    name: String,
    kind: ConstraintKind,
    columns: Vec<String>,
    validated: bool,
    replay: Replay,
) {
    if kind == ConstraintKind::PrimaryKey {
        for c in &columns {
            if let Some(col) = table.column_mut(c) {
                col.not_null = true;
            }
        }
    }
    table.indexes.push(Index {
        name: name.clone(),
        columns: columns.clone(),
        unique: true,
        partial: false,
        new: true,
    });
    table
        .constraints
        .push(Constraint::added(name, kind, columns, validated, replay));
}

/// The column a check expression proves `NOT NULL`: `col IS NOT NULL`.
pub fn not_null_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::IsNotNull(inner) => match inner.as_ref() {
            Expr::Identifier(id) => Some(ident_key(id)),
            Expr::Nested(e) => not_null_column(&Expr::IsNotNull(e.clone())),
            _ => None,
        },
        Expr::Nested(e) => not_null_column(e),
        _ => None,
    }
}

fn add_constraint(table: &mut Table, c: &TableConstraint, not_valid: bool, replay: Replay) {
    let idents = |ids: &[Ident]| ids.iter().map(ident_key).collect::<Vec<_>>();
    let index_cols = |cols: &[IndexColumn]| cols.iter().map(index_column).collect::<Vec<_>>();
    let named = |n: &Option<Ident>, default: String| n.as_ref().map(ident_key).unwrap_or(default);
    match c {
        TableConstraint::PrimaryKey(pk) => {
            let name = named(&pk.name, format!("{}_pkey", table.name));
            push_unique(
                table,
                name,
                ConstraintKind::PrimaryKey,
                index_cols(&pk.columns),
                true,
                replay,
            );
        }
        TableConstraint::Unique(u) => {
            let cols = index_cols(&u.columns);
            let name = named(&u.name, format!("{}_{}_key", table.name, cols.join("_")));
            push_unique(table, name, ConstraintKind::Unique, cols, true, replay);
        }
        TableConstraint::PrimaryKeyUsingIndex(u) | TableConstraint::UniqueUsingIndex(u) => {
            let index = ident_key(&u.index_name);
            let cols = table
                .indexes
                .iter()
                .find(|i| i.name == index)
                .map(|i| i.columns.clone())
                .unwrap_or_default();
            let kind = if matches!(c, TableConstraint::PrimaryKeyUsingIndex(_)) {
                ConstraintKind::PrimaryKey
            } else {
                ConstraintKind::Unique
            };
            let name = named(&u.name, index.clone());
            // The index becomes the constraint's and takes its name.
            for i in table.indexes.iter_mut().filter(|i| i.name == index) {
                i.name = name.clone();
                i.unique = true;
            }
            if kind == ConstraintKind::PrimaryKey {
                for col in &cols {
                    if let Some(column) = table.column_mut(col) {
                        column.not_null = true;
                    }
                }
            }
            table
                .constraints
                .push(Constraint::added(name, kind, cols, true, replay));
        }
        TableConstraint::ForeignKey(fk) => {
            let cols = idents(&fk.columns);
            let name = named(&fk.name, format!("{}_{}_fkey", table.name, cols.join("_")));
            table.constraints.push(Constraint::added(
                name,
                ConstraintKind::ForeignKey {
                    references: name_key(&fk.foreign_table),
                },
                cols,
                !not_valid,
                replay,
            ));
        }
        TableConstraint::Check(check) => {
            let not_null_of = not_null_column(&check.expr);
            let default = format!(
                "{}_{}_check",
                table.name,
                not_null_of.clone().unwrap_or_default()
            );
            table.constraints.push(Constraint::added(
                named(&check.name, default),
                ConstraintKind::Check {
                    not_null_of: not_null_of.clone(),
                },
                not_null_of.into_iter().collect(),
                !not_valid,
                replay,
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Dialect, parse_all};

    fn replay(schema: &mut Schema, sql: &str) {
        for stmt in parse_all(sql, Dialect::Postgres) {
            if let Some(ast) = &stmt.ast {
                schema.apply(
                    ast,
                    Replay {
                        tx: Some(1),
                        origin: (0, 0),
                    },
                );
            }
        }
    }

    #[test]
    fn replays_tables_columns_indexes_and_constraints() {
        let mut s = Schema::default();
        replay(
            &mut s,
            "CREATE TABLE \"User\" (id bigint PRIMARY KEY, email text NOT NULL, team_id int REFERENCES team(id));
             CREATE INDEX user_team ON \"User\" (team_id);
             ALTER TABLE \"User\" ADD COLUMN age int;
             ALTER TABLE \"User\" ADD CONSTRAINT age_nn CHECK (age IS NOT NULL) NOT VALID;",
        );
        let t = s.table_by_key("User").expect("table");
        assert!(t.new);
        assert!(t.column("id").unwrap().not_null);
        assert!(!t.column("age").unwrap().not_null);
        assert!(t.has_index_leading_with(&["team_id".to_owned()]));
        assert!(!t.has_validated_not_null_check("age"));
        let age_nn = t.constraint("age_nn").unwrap();
        assert_eq!(age_nn.not_valid_in_tx, Some(1));
        replay(&mut s, "ALTER TABLE \"User\" VALIDATE CONSTRAINT age_nn;");
        let t = s.table_by_key("User").unwrap();
        assert!(t.has_validated_not_null_check("age"));

        s.begin_migration();
        replay(
            &mut s,
            "ALTER TABLE public.\"User\" RENAME COLUMN team_id TO org_id; DROP INDEX user_team;",
        );
        let t = s.table_by_key("User").unwrap();
        assert!(!t.new);
        assert!(t.column("org_id").is_some());
        assert!(!t.has_index_leading_with(&["org_id".to_owned()]));
        assert_eq!(
            t.constraints
                .iter()
                .filter(|c| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
                .map(|c| c.columns.clone())
                .collect::<Vec<_>>(),
            vec![vec!["org_id".to_owned()]]
        );
    }
}
