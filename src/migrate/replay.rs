//! The replay of a migration chain: its files in the order their tool runs
//! them, each statement applied to the [`Schema`] after the rules have seen
//! it with the state before it. The rules themselves are the engine's
//! ([`Rules`]); the replay owns what only migrations have: the order, the
//! transactions each tool opens, `DO` bodies, up and down sections, and
//! the findings that wait for the end of the chain.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::layout::sections;
use super::{
    Chain, Direction, FileState, MigrationState, Schema, TxMode, TxOverride, is_ddl,
    lock_timeout_change, plpgsql, timezone_change,
};
use crate::diagnostic::Diagnostic;
use crate::discover::FileKind;
use crate::extract::{Origin, SqlUnit, sql_file_unit};
use crate::model::schema::Replay;
use crate::parse::{Dialect, ParsedUnit, Statement, TokKind, parse_unit};

/// What the replay asks of the engine: running the enabled rules.
pub trait Rules: Sync {
    /// Lints a unit the migration rules do not replay: a down migration, or
    /// a migration for another database, which sees the tables and columns
    /// the chain's earlier migrations created (`schema`).
    fn unit(
        &self,
        unit: &SqlUnit,
        dialect: Dialect,
        schema: Option<&Schema>,
        out: &mut Vec<Diagnostic>,
    );
    /// Runs the rules on one statement of an up migration, with the state
    /// of the chain just before it.
    fn statement(
        &self,
        unit: &SqlUnit,
        parsed: &ParsedUnit,
        stmt: &Statement,
        state: MigrationState<'_>,
        out: &mut Vec<Diagnostic>,
    );
}

/// What the replay needs of the settings.
#[derive(Clone)]
pub struct Options<'a> {
    /// The dialect of a migration, from its path and its text, and
    /// whether anything but the configured default says it (if not, the
    /// chain's tool configuration is asked).
    pub dialect_of: &'a (dyn Fn(&Path, &str) -> (Dialect, bool) + Sync),
    /// Whether a migration runs inside a transaction, over what its tool
    /// does.
    pub transactions_of: &'a (dyn Fn(&Path) -> TxOverride + Sync),
    /// The PostgreSQL major version the migrations run on.
    pub postgres_version: u32,
}

/// A migration file of a chain, read or not.
pub type ChainResult = (usize, Result<(String, Vec<Diagnostic>), String>);

/// Replays the migrations of one chain, in order, running the rules on
/// each statement of the wanted ones. `members` are the chain's files in the order the tool runs them;
/// `wanted` says which of them to report on and `load` reads one. Returns,
/// for each wanted file, its index in `members` and either its text and
/// diagnostics or why it could not be read. Files that are not wanted are
/// read only to learn the schema; one that cannot be read is passed over.
pub fn replay(
    chain: &Chain,
    members: &[PathBuf],
    wanted: &(dyn Fn(&Path) -> bool + Sync),
    load: &(dyn Fn(&Path) -> Result<String, String> + Sync),
    options: &Options,
    rules: &dyn Rules,
) -> Vec<ChainResult> {
    let mut schema = Schema::default();
    let mut foreign: Vec<(Dialect, Schema)> = Vec::new();
    let mut results: Vec<ChainResult> = Vec::new();
    let mut deferred = Vec::new();
    let mut tx_counter = 0u32;
    let configured = chain.configured_dialect();
    // Reading and parsing do not depend on the schema: a batch of files is
    // prepared in parallel, then replayed in order on this thread.
    let indexed: Vec<(usize, &PathBuf)> = members.iter().enumerate().collect();
    for batch in indexed.chunks(CHAIN_BATCH) {
        let prepared: Vec<Prepared> = batch
            .par_iter()
            .map(|&(index, path)| {
                prepare(
                    chain,
                    index,
                    path,
                    wanted(path),
                    load,
                    configured,
                    options,
                    rules,
                )
            })
            .collect();
        for p in prepared {
            let text = match p.text {
                Ok(text) => text,
                Err(reason) => {
                    if p.wanted {
                        results.push((p.index, Err(reason)));
                    }
                    continue;
                }
            };
            let mut diags = p.diags;
            schema.begin_migration();
            for unit in &p.foreign {
                let schema = schema_of(&mut foreign, p.dialect);
                if p.wanted {
                    rules.unit(unit, p.dialect, Some(schema), &mut diags);
                }
                if p.dialect.is_lintable() {
                    crate::parse::each_statement(&unit.text, p.dialect, |_, stmt| {
                        if let Some(ast) = &stmt.ast {
                            schema.apply(
                                ast,
                                Replay {
                                    tx: None,
                                    origin: (p.index as u32, 0),
                                },
                            );
                        }
                    });
                }
            }
            for up in p.up {
                let mut replayer = Replayer {
                    file_index: p.index as u32,
                    statement_index: 0,
                    schema: &mut schema,
                    file: up.file,
                    transaction: None,
                    tx_counter: &mut tx_counter,
                    rules,
                    wanted: p.wanted,
                };
                replayer.open_file(up.statements.len());
                for stmt in &up.statements {
                    replayer.statement(&up.unit, &up.parsed, stmt, &mut diags);
                }
                for d in replayer.file.deferred.into_inner() {
                    deferred.push((results.len(), d));
                }
            }
            if p.wanted {
                results.push((p.index, Ok((text, diags))));
            }
        }
    }
    for (at, d) in deferred {
        if (d.stands)(&schema, &d)
            && let Some((_, Ok((_, diags)))) = results.get_mut(at)
        {
            diags.push(d.diagnostic);
        }
    }
    results
}

/// How many migrations of a chain are read and parsed at once.
const CHAIN_BATCH: usize = 16;

/// A migration read and parsed, ready to be replayed.
struct Prepared {
    index: usize,
    wanted: bool,
    text: Result<String, String>,
    dialect: Dialect,
    /// Findings of the parts that need no schema: down migrations.
    diags: Vec<Diagnostic>,
    up: Vec<UpUnit>,
    /// Up migrations for another database: linted in chain order with the
    /// schema so far, then applied to it.
    foreign: Vec<SqlUnit>,
}

/// An up migration (or dbmate's up section) for PostgreSQL, parsed.
struct UpUnit {
    unit: SqlUnit,
    parsed: ParsedUnit,
    statements: Vec<Statement>,
    file: FileState,
}

fn prepare(
    chain: &Chain,
    index: usize,
    path: &Path,
    wanted: bool,
    load: &(dyn Fn(&Path) -> Result<String, String> + Sync),
    configured: Option<Dialect>,
    options: &Options,
    rules: &dyn Rules,
) -> Prepared {
    let mut prepared = Prepared {
        index,
        wanted,
        text: load(path),
        dialect: Dialect::default(),
        diags: Vec::new(),
        up: Vec::new(),
        foreign: Vec::new(),
    };
    let Ok(text) = &prepared.text else {
        return prepared;
    };
    prepared.dialect = match (options.dialect_of)(path, text) {
        (dialect, true) => dialect,
        (dialect, false) => configured.unwrap_or(dialect),
    };
    let migration = chain.migration(path);
    let dialect = prepared.dialect;
    for (unit, direction) in migration_units(text, migration.direction) {
        if direction == Direction::Down {
            if wanted {
                rules.unit(&unit, dialect, None, &mut prepared.diags);
            }
            continue;
        }
        if !dialect.is_postgres() {
            prepared.foreign.push(unit);
            continue;
        }
        let (parsed, statements) = parse_unit(&unit.text, dialect);
        let file = FileState {
            tool: chain.tool,
            tx_mode: chain.tx_mode(&migration, text, (options.transactions_of)(path)),
            postgres_version: options.postgres_version,
            lock_timeout_set: false,
            lock_timeout_reported: Cell::new(false),
            changes_schema: statements
                .iter()
                .any(|s| s.ast.as_ref().is_some_and(is_ddl)),
            timezone_utc: false,
            deferred: RefCell::new(Vec::new()),
        };
        prepared.up.push(UpUnit {
            unit,
            parsed,
            statements,
            file,
        });
    }
    prepared
}

/// Walks the statements of one migration, keeping track of transactions,
/// running the rules and applying each statement to the schema.
struct Replayer<'a> {
    file_index: u32,
    statement_index: u32,
    schema: &'a mut Schema,
    file: FileState,
    transaction: Option<u32>,
    tx_counter: &'a mut u32,
    rules: &'a dyn Rules,
    wanted: bool,
}

impl Replayer<'_> {
    fn open_file(&mut self, statements: usize) {
        let wrapped = match self.file.tx_mode {
            TxMode::Wrapped => true,
            TxMode::Implicit => statements > 1,
            TxMode::None => false,
        };
        self.transaction = wrapped.then(|| self.next_tx());
    }

    /// What the rules see of the statement being replayed.
    fn state(&self, in_do_block: bool) -> MigrationState<'_> {
        MigrationState {
            schema: self.schema,
            file: &self.file,
            transaction: self.transaction,
            in_do_block,
            origin: self.origin(),
        }
    }

    fn origin(&self) -> (u32, u32) {
        (self.file_index, self.statement_index)
    }

    fn next_tx(&mut self) -> u32 {
        *self.tx_counter += 1;
        *self.tx_counter
    }

    fn statement(
        &mut self,
        unit: &SqlUnit,
        parsed: &ParsedUnit,
        stmt: &Statement,
        out: &mut Vec<Diagnostic>,
    ) {
        use sqlparser::ast::Statement as S;
        self.statement_index += 1;
        if self.wanted {
            let state = self.state(false);
            self.rules.statement(unit, parsed, stmt, state, out);
        }
        if let Some(body) = do_block_unit(unit, stmt) {
            let (inner_parsed, inner) = parse_unit(&body.text, Dialect::Postgres);
            for s in &inner {
                if self.wanted {
                    let state = self.state(true);
                    self.rules.statement(&body, &inner_parsed, s, state, out);
                }
                self.apply(s);
            }
        }
        if let Some(created) = unread_create_table(&unit.text, stmt) {
            self.apply(&created);
        }
        match &stmt.ast {
            Some(S::StartTransaction { .. }) => {
                if self.transaction.is_none() {
                    self.transaction = Some(self.next_tx());
                }
            }
            Some(S::Commit { .. } | S::Rollback { .. }) => self.transaction = None,
            _ => self.apply(stmt),
        }
    }

    fn apply(&mut self, stmt: &Statement) {
        let Some(ast) = &stmt.ast else {
            return;
        };
        if let Some(set) = lock_timeout_change(ast) {
            self.file.lock_timeout_set = set;
        }
        if let Some(utc) = timezone_change(ast) {
            self.file.timezone_utc = utc;
        }
        self.schema.apply(
            ast,
            Replay {
                tx: self.transaction,
                origin: self.origin(),
            },
        );
    }
}

/// For a `CREATE TABLE` the parser could not read (a column type it does
/// not know, a template placeholder), the statement `CREATE TABLE name ()`:
/// the replay still learns that the table is new, so the migration's
/// indexes and constraints on it are not taken for changes to a live table.
fn unread_create_table(text: &str, stmt: &Statement) -> Option<Statement> {
    use sqlparser::keywords::Keyword;
    if stmt.ast.is_some() {
        return None;
    }
    let toks = &stmt.tokens;
    let is_create_table = toks.first()?.is_keyword(Keyword::CREATE)
        && toks.iter().take(4).any(|t| t.is_keyword(Keyword::TABLE));
    // Everything before the column list, which the parser reads with an
    // empty one: `CREATE [TEMP] TABLE [IF NOT EXISTS] name`.
    let open = toks.iter().position(|t| t.kind == TokKind::LParen)?;
    if !is_create_table || open == 0 {
        return None;
    }
    let head = text.get(toks[0].range.start..toks[open - 1].range.end)?;
    let created = crate::parse::parse_all(&format!("{head} ()"), Dialect::Postgres).pop()?;
    matches!(created.ast, Some(sqlparser::ast::Statement::CreateTable(_))).then_some(created)
}

/// The plain statements of a `DO` block's body as a unit of their own,
/// mapped into the host through the enclosing unit.
fn do_block_unit(unit: &SqlUnit, stmt: &Statement) -> Option<SqlUnit> {
    use sqlparser::keywords::Keyword;
    let first = stmt.tokens.first()?;
    if stmt.ast.is_some() || !first.is_keyword(Keyword::DO) {
        return None;
    }
    let literal = stmt.tokens.iter().find(|t| t.kind == TokKind::String)?;
    let text = unit.text.get(literal.range.clone())?;
    let body = plpgsql::body_range(text)?;
    let start = literal.range.start + body.start;
    let end = literal.range.start + body.end;
    Some(SqlUnit {
        text: plpgsql::plain_statements(&unit.text[start..end]),
        map: unit.map.slice(start..end),
        interpolations: Vec::new(),
        origin: Origin {
            api: Some("DO block".to_owned()),
            masked: Vec::new(),
            unchecked_sink: false,
            wildcard_values: Vec::new(),
            walked_by: None,
            ..unit.origin.clone()
        },
        call: None,
    })
}

/// The units of a migration file and the direction of each: dbmate and
/// goose keep both directions in one file, each in sections opened by a
/// marker comment; text before the first marker belongs to no direction and
/// is linted as an up migration.
fn migration_units(text: &str, direction: Direction) -> Vec<(SqlUnit, Direction)> {
    let whole = sql_file_unit(text, FileKind::MigrationSql);
    let Some(style) = sections(text) else {
        return vec![(whole, direction)];
    };
    let mut cuts: Vec<(usize, Direction)> = vec![(0, Direction::Up)];
    let mut offset = 0;
    for line in whole.text.split_inclusive('\n') {
        if let Some(up) = style.marker(line) {
            let dir = if up { Direction::Up } else { Direction::Down };
            if cuts.last().is_some_and(|&(at, _)| at == offset) {
                cuts.pop();
            }
            cuts.push((offset, dir));
        }
        offset += line.len();
    }
    let mut units = Vec::new();
    for (i, &(start, dir)) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map_or(whole.text.len(), |c| c.0);
        if start < end {
            units.push((slice_unit(&whole, start..end), dir));
        }
    }
    units
}

fn slice_unit(unit: &SqlUnit, range: std::ops::Range<usize>) -> SqlUnit {
    SqlUnit {
        text: unit.text[range.clone()].to_owned(),
        map: unit.map.slice(range.clone()),
        interpolations: Vec::new(),
        origin: crate::extract::Origin {
            masked: unit
                .origin
                .masked
                .iter()
                .filter(|m| m.start >= range.start && m.end <= range.end)
                .map(|m| m.start - range.start..m.end - range.start)
                .collect(),
            ..unit.origin.clone()
        },
        call: None,
    }
}

/// The schema another database's migrations build (a `sqlite/` folder
/// beside a `postgres/` one), apart from the PostgreSQL chain's.
fn schema_of(foreign: &mut Vec<(Dialect, Schema)>, dialect: Dialect) -> &mut Schema {
    let at = match foreign.iter().position(|(d, _)| *d == dialect) {
        Some(at) => at,
        None => {
            foreign.push((dialect, Schema::default()));
            foreign.len() - 1
        }
    };
    &mut foreign[at].1
}
