//! The engine: runs the enabled rules over every statement of every unit of
//! a file and maps their findings into the host file. Migrations are linted
//! as a chain, replaying the schema each one builds.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, FixSafety};
use crate::discover::{FileKind, dialect_hint, is_test_code};
use crate::extract::{Origin, SqlUnit, sql_file_unit};
use crate::migrate::layout::sections;
use crate::migrate::schema::Replay;
use crate::migrate::{
    Chain, Direction, FileState, MigrationState, Schema, Tool, TxMode, TxOverride, chain_of,
    is_ddl, lock_timeout_change, plpgsql, timezone_change,
};
use crate::parse::{Dialect, ParsedUnit, Statement, TokKind, each_statement, parse_unit};
use crate::rules::{RULES, Rule, RuleOptions, StatementContext};

/// Which rules run, and how.
#[derive(Clone)]
pub struct Settings {
    pub rules: Vec<&'static Rule>,
    pub dialect: Dialect,
    pub options: RuleOptions,
    /// Whether migrations run inside transactions, over what their tool does.
    pub transactions: TxOverride,
    /// What the project's other files say: the clients its modules export,
    /// its Prisma schema's to-many relations.
    pub project: std::sync::Arc<crate::typescript::Project>,
    /// Rules reported at another severity than their own.
    pub severities: Vec<(&'static str, crate::diagnostic::Severity)>,
    /// Settings for some files only (`[[overrides]]`).
    pub overrides: std::sync::Arc<Vec<FileOverride>>,
    /// `.sql` files that are migrations beyond the layouts querylint knows:
    /// the configuration's folder and its `migrations` globs.
    pub migrations: Option<std::sync::Arc<(PathBuf, globset::GlobSet)>>,
    /// Whether the application rules run on test code too (`lint-tests`).
    pub lint_tests: bool,
}

impl Settings {
    /// Whether the configuration names the `.sql` file at `path` a
    /// migration.
    pub fn is_migration(&self, path: &Path) -> bool {
        self.migrations
            .as_ref()
            .is_some_and(|m| relative_to(&m.0, path).is_some_and(|p| m.1.is_match(p)))
    }
}

/// `path` relative to `root`, if under it; a relative `path` is taken from
/// the working directory.
fn relative_to(root: &Path, path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    crate::discover::normalize(&absolute)
        .strip_prefix(root)
        .ok()
        .map(Path::to_path_buf)
}

/// Settings that apply to the files some globs match, over the others.
#[derive(Clone)]
pub struct FileOverride {
    /// The folder the globs are relative to: the configuration file's.
    pub root: PathBuf,
    pub files: globset::GlobSet,
    pub extend: Vec<&'static Rule>,
    pub ignore: Vec<&'static Rule>,
    pub severities: Vec<(&'static str, crate::diagnostic::Severity)>,
}

impl FileOverride {
    fn matches(&self, path: &Path) -> bool {
        relative_to(&self.root, path).is_some_and(|p| self.files.is_match(p))
    }
}

impl Default for Settings {
    /// The rules that are on by default, PostgreSQL dialect.
    fn default() -> Self {
        Settings {
            rules: RULES
                .iter()
                .copied()
                .filter(|r| r.default_enabled)
                .collect(),
            dialect: Dialect::default(),
            options: RuleOptions::default(),
            transactions: TxOverride::default(),
            project: Default::default(),
            severities: Vec::new(),
            overrides: Default::default(),
            migrations: None,
            lint_tests: false,
        }
    }
}

impl Settings {
    /// Settings that run exactly the given rules.
    pub fn only(rules: Vec<&'static Rule>) -> Self {
        Settings {
            rules,
            ..Settings::default()
        }
    }

    fn with_dialect(&self, dialect: Dialect) -> Settings {
        Settings {
            dialect,
            ..self.clone()
        }
    }
}

/// Lints the text of the file at `path`, parsed in the dialect its name or
/// folder names (`x.mysql.sql`, `db/sqlite/`) if any, else in the settings'.
/// A migration is linted after the migrations before it in its chain, read
/// from disk, and `text` stands in for the file's content on disk.
pub fn lint_file(path: &Path, text: &str, kind: FileKind, settings: &Settings) -> Vec<Diagnostic> {
    if kind == FileKind::MigrationSql {
        let (chain, members) = chain_of(path);
        let load = |p: &Path| {
            if p == path {
                Ok(text.to_owned())
            } else {
                std::fs::read_to_string(p).map_err(|e| e.to_string())
            }
        };
        let wanted = |p: &Path| p == path;
        return only_file(lint_chain(&chain, &members, &wanted, &load, settings));
    }
    lint_text(text, kind, &for_path(path, settings))
}

/// The settings for the file at `path`: in the dialect its name or folders
/// name, if any.
pub fn for_path<'s>(path: &Path, settings: &'s Settings) -> std::borrow::Cow<'s, Settings> {
    let mut out = std::borrow::Cow::Borrowed(settings);
    if !settings.lint_tests && is_test_code(path) {
        // Tests reset tables, page through fixtures and paste loop counters
        // into SQL on purpose: the rules for the SQL an application runs
        // would only report that.
        out.to_mut()
            .rules
            .retain(|r| r.scope != crate::rules::Scope::Application);
    }
    if let Some(dialect) = dialect_hint(path)
        && dialect != settings.dialect
    {
        out.to_mut().dialect = dialect;
    }
    for o in settings.overrides.iter().filter(|o| o.matches(path)) {
        let s = out.to_mut();
        for rule in &o.extend {
            if !s.rules.iter().any(|r| r.id == rule.id) {
                s.rules.push(rule);
            }
        }
        s.rules.retain(|r| !o.ignore.iter().any(|i| i.id == r.id));
        // The override's severities first: the first one found applies.
        let mut severities = o.severities.clone();
        severities.extend(s.severities.iter().copied());
        s.severities = severities;
    }
    out
}

/// How many syntax errors a file's text has: statements that do not parse
/// in its SQL, and the host language's own (a Rust file `syn` cannot parse,
/// error nodes in a TypeScript tree). The fix engine keeps a fix only if it
/// adds none.
pub fn syntax_errors(path: &Path, text: &str, kind: FileKind, settings: &Settings) -> usize {
    let Some(rule) = RULES.iter().copied().find(|r| r.id == "parse-error") else {
        return 0;
    };
    let only = Settings {
        rules: vec![rule],
        ..settings.clone()
    };
    let host = match kind {
        FileKind::TypeScript | FileKind::Tsx => crate::typescript::syntax_errors(text, kind),
        _ => 0,
    };
    // A migration's statements parse the same without the chain around it.
    let kind = match kind {
        FileKind::MigrationSql => FileKind::Sql,
        other => other,
    };
    host + lint_file(path, text, kind, &only).len()
}

/// Lints a Rust file, and returns with its diagnostics the queries whose
/// SQL is in other files (`sqlx::query_file!`), for [`lint_query_file`].
pub fn lint_rust_file(
    path: &Path,
    text: &str,
    settings: &Settings,
) -> (Vec<Diagnostic>, Vec<crate::rust::QueryFile>) {
    let file = crate::rust::scan(text);
    let out = lint_rust_scan(path, text, &file, &[], settings);
    (out, file.query_files)
}

/// Lints what the scan of a Rust file (`text`) found, with `more` calls
/// found by following the file's calls into other files of its crate.
pub fn lint_rust_scan(
    path: &Path,
    text: &str,
    file: &crate::rust::RsFile,
    more: &[crate::typescript::OrmCall],
    settings: &Settings,
) -> Vec<Diagnostic> {
    let settings = for_path(path, settings);
    let mut out = Vec::new();
    if let Some((range, message)) = &file.parse_error
        && let Some(rule) = settings.rules.iter().find(|r| r.id == "parse-error")
    {
        let mut diag = Diagnostic::new(
            range.clone(),
            format!("this Rust file does not parse ({message}), so its SQL is not linted"),
        );
        diag.rule = rule.id;
        diag.severity = rule.severity;
        out.push(diag);
    }
    for unit in &file.units {
        lint_unit(unit, &settings, &mut out);
    }
    lint_orm_calls(&file.calls, &settings, &mut out);
    lint_orm_calls(more, &settings, &mut out);
    if !settings.lint_tests {
        // Test code inside the file: what `is_test_code` is for whole files.
        let application = |id: &str| {
            crate::rules::find(id).is_some_and(|r| r.scope == crate::rules::Scope::Application)
        };
        out.retain(|d| {
            !application(d.rule)
                || !file
                    .tests
                    .iter()
                    .any(|t| t.start <= d.range.start && d.range.end <= t.end)
        });
    }
    sort(&mut out);
    finish_file(text, FileKind::Rust, &settings, &mut out);
    out
}

/// Lints a `.sql` file that Rust code runs with `sqlx::query_file!` (and
/// its kin): `uses` are the macro calls that name it. Its SQL is read as
/// the calls read it: a `SELECT` fetched with `fetch_one` everywhere is
/// not unbounded.
pub fn lint_query_file(
    path: &Path,
    text: &str,
    uses: &[crate::rust::QueryFile],
    settings: &Settings,
) -> Vec<Diagnostic> {
    let settings = for_path(path, settings);
    let mut unit = sql_file_unit(text, FileKind::Sql);
    unit.origin.api = uses.first().map(|u| u.api.clone());
    unit.origin.one_row = !uses.is_empty() && uses.iter().all(|u| u.one_row);
    unit.origin.pooled = uses.iter().any(|u| u.pooled);
    let mut out = Vec::new();
    lint_unit(&unit, &settings, &mut out);
    sort(&mut out);
    finish_file(text, FileKind::Sql, &settings, &mut out);
    out
}

/// Lints a file's text on its own, without a path: a migration is taken as
/// the only one of a plain chain. Every range in the result is a byte range
/// in `text`, and the diagnostics are sorted by position.
pub fn lint_text(text: &str, kind: FileKind, settings: &Settings) -> Vec<Diagnostic> {
    if kind == FileKind::MigrationSql {
        let chain = Chain {
            root: PathBuf::new(),
            tool: Tool::Plain,
        };
        let path = PathBuf::from("migration.sql");
        let load = |_: &Path| Ok(text.to_owned());
        return only_file(lint_chain(&chain, &[path], &|_| true, &load, settings));
    }
    if matches!(kind, FileKind::TypeScript | FileKind::Tsx) {
        let file = crate::typescript::scan(text, kind, &settings.project);
        return lint_scanned(text, kind, &file, settings);
    }
    if kind == FileKind::Rust {
        return lint_rust_file(Path::new(""), text, settings).0;
    }
    let mut out = Vec::new();
    lint_unit(&sql_file_unit(text, kind), settings, &mut out);
    sort(&mut out);
    finish_file(text, kind, settings, &mut out);
    out
}

/// Drops the findings that the file's suppression comments silence (see
/// [`crate::suppress`]), reports the comments themselves where
/// `unused-suppression` or `suppression-without-reason` asks, and gives
/// findings the severities the settings set. Every entry that returns a
/// file's findings ends with it.
pub fn finish_file(text: &str, kind: FileKind, settings: &Settings, diags: &mut Vec<Diagnostic>) {
    let enabled = |id: &str| settings.rules.iter().find(|r| r.id == id).copied();
    let (unused, no_reason) = (
        enabled("unused-suppression"),
        enabled("suppression-without-reason"),
    );
    if diags.is_empty() && unused.is_none() && no_reason.is_none() {
        return;
    }
    let dialect = settings.dialect;
    let statements = || {
        let unit = sql_file_unit(text, kind);
        let mut ranges = Vec::new();
        each_statement(&unit.text, dialect, |_, stmt| {
            ranges.push(unit.map.host_range(stmt.range.clone()));
        });
        ranges
    };
    let found = crate::suppress::suppressions(text, kind, statements);
    let used = crate::suppress::apply(diags, &found);
    let mut report = |rule: &'static Rule, diag: Diagnostic| {
        let mut diag = diag;
        diag.rule = rule.id;
        diag.severity = rule.severity;
        diags.push(diag);
    };
    for (s, used) in found.iter().zip(used) {
        if let Some(rule) = no_reason
            && s.reason.is_none()
        {
            report(rule, crate::suppress::without_reason(s));
        }
        if let Some(rule) = unused
            && !used
            && let Some(diag) = crate::suppress::unused(text, s, &|id| enabled(id).is_some())
        {
            report(rule, diag);
        }
    }
    restamp(settings, diags);
    sort(diags);
}

/// Stamps the severities the settings give rules over their own.
fn restamp(settings: &Settings, diags: &mut [Diagnostic]) {
    for d in diags {
        if let Some((_, severity)) = settings.severities.iter().find(|(id, _)| *id == d.rule) {
            d.severity = *severity;
        }
    }
}

/// Lints what the scan of a TypeScript or JavaScript file (`text`, of
/// `kind`) found in it.
pub fn lint_scanned(
    text: &str,
    kind: FileKind,
    file: &crate::typescript::TsFile,
    settings: &Settings,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for unit in &file.units {
        lint_unit(unit, settings, &mut out);
    }
    lint_orm_calls(&file.calls, settings, &mut out);
    sort(&mut out);
    finish_file(text, kind, settings, &mut out);
    out
}

/// Runs the ORM checks of the enabled rules over a file's ORM calls. Their
/// ranges are host ranges already.
fn lint_orm_calls(
    calls: &[crate::typescript::OrmCall],
    settings: &Settings,
    out: &mut Vec<Diagnostic>,
) {
    let mut found = Vec::new();
    for rule in &settings.rules {
        let Some((_, check)) = crate::rules::ORM_CHECKS
            .iter()
            .find(|(id, _)| *id == rule.id)
        else {
            continue;
        };
        for call in calls {
            check(call, &mut found);
            for mut diag in found.drain(..) {
                diag.rule = rule.id;
                diag.severity = rule.severity;
                out.push(diag);
            }
        }
    }
}

/// The diagnostics of the one file a chain was linted for.
fn only_file(results: Vec<ChainResult>) -> Vec<Diagnostic> {
    results
        .into_iter()
        .next()
        .and_then(|(_, r)| r.ok())
        .map(|(_, d)| d)
        .unwrap_or_default()
}

fn sort(out: &mut [Diagnostic]) {
    out.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
}

fn lint_unit(unit: &SqlUnit, settings: &Settings, out: &mut Vec<Diagnostic>) {
    if settings.rules.is_empty() {
        return;
    }
    each_statement(&unit.text, unit_dialect(unit, settings), |parsed, stmt| {
        run_rules(unit, parsed, &stmt, None, settings, out);
    });
}

/// The dialect SQL from application code is read in: `?` placeholders
/// (sqlx and drivers for SQLite and MySQL) say the query is not written
/// for PostgreSQL, whatever the run's default.
fn unit_dialect(unit: &SqlUnit, settings: &Settings) -> Dialect {
    if unit.origin.api.is_none() || settings.dialect != Dialect::Postgres {
        return settings.dialect;
    }
    let mut quoted = false;
    let bytes = unit.text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'?' if !quoted
                && !matches!(bytes.get(i + 1), Some(b'|' | b'&'))
                // `data ? 'key'` is PostgreSQL's jsonb operator.
                && bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace()) != Some(&b'\'')
                && bytes[..i].iter().rev().find(|c| !c.is_ascii_whitespace()).is_some_and(|c| {
                    matches!(c, b'=' | b'(' | b',' | b'<' | b'>') || c.is_ascii_alphabetic()
                }) =>
            {
                return Dialect::Sqlite;
            }
            _ => {}
        }
    }
    settings.dialect
}

/// Runs every enabled rule that covers the statement.
fn run_rules(
    unit: &SqlUnit,
    parsed: &ParsedUnit,
    stmt: &Statement,
    migration: Option<MigrationState<'_>>,
    settings: &Settings,
    out: &mut Vec<Diagnostic>,
) {
    let ctx = StatementContext {
        unit,
        parsed,
        stmt,
        options: &settings.options,
        migration,
    };
    // A parse note on SQL spliced together at run time, or inside a `DO`
    // body, would be about text querylint made up, not the user's.
    let quiet_parse = migration.is_some_and(|m| m.in_do_block) || unit.origin.assembled_at_runtime;
    let mut found = Vec::new();
    for rule in &settings.rules {
        if !rule
            .scope
            .covers(unit.origin.kind, stmt, migration.is_some())
            || (quiet_parse && rule.id == "parse-error")
        {
            continue;
        }
        let deferred_before = migration.map_or(0, |m| m.file.deferred.borrow().len());
        (rule.check)(&ctx, &mut found);
        for diag in found.drain(..) {
            out.push(to_host(diag, rule, unit));
        }
        if let Some(m) = migration {
            for d in m
                .file
                .deferred
                .borrow_mut()
                .iter_mut()
                .skip(deferred_before)
            {
                let diag = std::mem::replace(&mut d.diagnostic, Diagnostic::new(0..0, ""));
                d.diagnostic = to_host(diag, rule, unit);
            }
        }
    }
}

/// A migration file of a chain, read or not.
pub type ChainResult = (usize, Result<(String, Vec<Diagnostic>), String>);

/// Lints the migrations of one chain, in order, replaying the schema they
/// build. `members` are the chain's files in the order the tool runs them;
/// `wanted` says which of them to report on and `load` reads one. Returns,
/// for each wanted file, its index in `members` and either its text and
/// diagnostics or why it could not be read. Files that are not wanted are
/// read only to learn the schema; one that cannot be read is passed over.
pub fn lint_chain(
    chain: &Chain,
    members: &[PathBuf],
    wanted: &(dyn Fn(&Path) -> bool + Sync),
    load: &(dyn Fn(&Path) -> Result<String, String> + Sync),
    settings: &Settings,
) -> Vec<ChainResult> {
    let mut schema = Schema::default();
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
                prepare(chain, index, path, wanted(path), load, configured, settings)
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
            let file_settings = settings.with_dialect(p.dialect);
            schema.begin_migration();
            for up in p.up {
                let mut replayer = Replayer {
                    file_index: p.index as u32,
                    statement_index: 0,
                    schema: &mut schema,
                    file: up.file,
                    transaction: None,
                    tx_counter: &mut tx_counter,
                    settings: &file_settings,
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
    for (index, result) in &mut results {
        if let Ok((text, diags)) = result {
            // A migration's overrides can drop rules and change severities;
            // the chain itself ran with the settings of the whole run.
            let own = for_path(&members[*index], settings);
            diags.retain(|d| own.rules.iter().any(|r| r.id == d.rule));
            finish_file(text, FileKind::MigrationSql, &own, diags);
            sort(diags);
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
    /// Findings of the parts that need no schema: down migrations and
    /// migrations for another database.
    diags: Vec<Diagnostic>,
    up: Vec<UpUnit>,
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
    settings: &Settings,
) -> Prepared {
    let mut prepared = Prepared {
        index,
        wanted,
        text: load(path),
        dialect: dialect_hint(path)
            .or(configured)
            .unwrap_or(settings.dialect),
        diags: Vec::new(),
        up: Vec::new(),
    };
    let Ok(text) = &prepared.text else {
        return prepared;
    };
    let migration = chain.migration(path);
    let dialect = prepared.dialect;
    for (unit, direction) in migration_units(text, migration.direction) {
        if direction == Direction::Down || !dialect.is_postgres() {
            if wanted {
                lint_unit(&unit, &settings.with_dialect(dialect), &mut prepared.diags);
            }
            continue;
        }
        let (parsed, statements) = parse_unit(&unit.text, dialect);
        let file = FileState {
            tool: chain.tool,
            tx_mode: chain.tx_mode(&migration, text, settings.transactions),
            postgres_version: settings.options.postgres_version,
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
    settings: &'a Settings,
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
            run_rules(unit, parsed, stmt, Some(state), self.settings, out);
        }
        if let Some(body) = do_block_unit(unit, stmt) {
            let (inner_parsed, inner) = parse_unit(&body.text, Dialect::Postgres);
            for s in &inner {
                if self.wanted {
                    let state = self.state(true);
                    run_rules(&body, &inner_parsed, s, Some(state), self.settings, out);
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
        map: unit.map.slice(range),
        interpolations: Vec::new(),
        origin: unit.origin.clone(),
        call: None,
    }
}

/// Stamps a rule's finding with the rule and moves its ranges from unit
/// offsets to host offsets. Fixes to SQL assembled at run time are capped at
/// unsafe: the text the rule saw is not the text that runs.
fn to_host(mut diag: Diagnostic, rule: &Rule, unit: &SqlUnit) -> Diagnostic {
    diag.rule = rule.id;
    diag.severity = rule.severity;
    diag.range = unit.map.host_range(diag.range);
    for label in &mut diag.labels {
        label.range = unit.map.host_range(label.range.clone());
    }
    if let Some(fix) = &mut diag.fix {
        if !fix.in_host {
            for edit in &mut fix.edits {
                edit.range = unit.map.host_range(edit.range.clone());
            }
            fix.in_host = true;
        }
        if unit.origin.assembled_at_runtime && fix.safety == FixSafety::Safe {
            fix.safety = FixSafety::Unsafe;
        }
    }
    diag
}

/// Why a file's bytes cannot be linted as text.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err("looks like a binary file (it contains NUL bytes), skipped".to_owned());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "is not valid UTF-8 (invalid byte at offset {}), skipped",
            e.utf8_error().valid_up_to()
        )
    })
}
