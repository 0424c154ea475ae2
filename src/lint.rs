//! The engine: runs the enabled rules over every statement of every unit of
//! a file and maps their findings into the host file. Migrations are linted
//! as a chain, replaying the schema each one builds.

use std::path::{Path, PathBuf};

use crate::config::{Settings, for_migration, for_path};
use crate::diagnostic::{Diagnostic, FixSafety};
use crate::discover::FileKind;
use crate::extract::{SqlUnit, sql_file_unit};
use crate::migrate::replay::{self, ChainResult};
use crate::migrate::{Chain, MigrationState, Tool, chain_of};
use crate::model::schema::Schema;
use crate::parse::{Dialect, ParsedUnit, Statement, each_statement};
use crate::rules::{RULES, Rule, StatementContext};

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
    let context = crate::config::context(path, settings, false, Some(text));
    lint_text(
        text,
        kind,
        &crate::config::with_context(path, settings, &context),
    )
}

/// Lints the migrations of one chain, in order, replaying the schema they
/// build (see [`replay::replay`]). Each wanted file's findings are then
/// finished with its own settings: a migration's overrides can drop rules
/// and change severities, while the chain itself ran with the settings of
/// the whole run.
pub fn lint_chain(
    chain: &Chain,
    members: &[PathBuf],
    wanted: &(dyn Fn(&Path) -> bool + Sync),
    load: &(dyn Fn(&Path) -> Result<String, String> + Sync),
    settings: &Settings,
) -> Vec<ChainResult> {
    let dialect_of = |path: &Path, text: &str| {
        let context = crate::config::context(path, settings, true, Some(text));
        (context.dialect.value, !context.dialect.is_fallback())
    };
    let transactions_of = |path: &Path| for_migration(path, settings).transactions;
    let options = replay::Options {
        dialect_of: &dialect_of,
        transactions_of: &transactions_of,
        postgres_version: settings.options.postgres_version,
    };
    // The chain's statements are read as a migration's: its role's rules
    // run on them, and each file's own settings keep what applies to it.
    let role = crate::config::context(&chain.root.join("migration.sql"), settings, true, None)
        .role
        .value;
    let settings = &Settings {
        role,
        ..settings.clone()
    };
    let mut results = replay::replay(chain, members, wanted, load, &options, &Engine { settings });
    for (index, result) in &mut results {
        if let Ok((text, diags)) = result {
            let own = for_migration(&members[*index], settings);
            diags.retain(|d| own.rules.iter().any(|r| r.id == d.rule));
            finish_file(text, FileKind::MigrationSql, &own, diags);
            sort(diags);
        }
    }
    results
}

/// The engine as the migration replay sees it.
struct Engine<'a> {
    settings: &'a Settings,
}

impl replay::Rules for Engine<'_> {
    fn unit(
        &self,
        unit: &SqlUnit,
        dialect: Dialect,
        schema: Option<&Schema>,
        out: &mut Vec<Diagnostic>,
    ) {
        lint_unit_in(unit, &self.settings.with_dialect(dialect), schema, out);
    }

    fn statement(
        &self,
        unit: &SqlUnit,
        parsed: &ParsedUnit,
        stmt: &Statement,
        state: MigrationState<'_>,
        out: &mut Vec<Diagnostic>,
    ) {
        let dialect = self.settings.dialect;
        run_rules(unit, parsed, stmt, Some(state), self.settings, dialect, out);
    }
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
    more: &[crate::model::OrmCall],
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
        // Test code inside the file: what a test's role is for whole files.
        let skips_tests = |id: &str| {
            crate::rules::find(id).is_some_and(|r| !r.roles.contains(crate::context::Role::Test))
        };
        out.retain(|d| {
            !skips_tests(d.rule)
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
        let file = crate::typescript::scan(text, kind, &Default::default());
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
    let (unused, no_reason, invalid) = (
        enabled("unused-suppression"),
        enabled("suppression-without-reason"),
        enabled("invalid-suppression"),
    );
    if diags.is_empty() && unused.is_none() && no_reason.is_none() && invalid.is_none() {
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
    if let Some(rule) = invalid {
        for (range, why) in crate::suppress::invalid(text, kind) {
            report(rule, Diagnostic::new(range, why));
        }
    }
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
fn lint_orm_calls(calls: &[crate::model::OrmCall], settings: &Settings, out: &mut Vec<Diagnostic>) {
    let mut found = Vec::new();
    let ctx = crate::rules::OrmContext {
        options: &settings.options,
        catalog: settings.project.as_deref().map(|p| &p.catalog),
    };
    for rule in &settings.rules {
        let Some((_, check)) = crate::rules::ORM_CHECKS
            .iter()
            .find(|(id, _)| *id == rule.id)
        else {
            continue;
        };
        // A builder kept in a variable and continued in several branches
        // (`query.orderBy(...)` in each) is one call per branch, all with
        // the same `where`: its finding is reported once.
        let mut seen: Vec<std::ops::Range<usize>> = Vec::new();
        for call in calls {
            check(call, &ctx, &mut found);
            for mut diag in found.drain(..) {
                if seen.contains(&diag.range) {
                    continue;
                }
                seen.push(diag.range.clone());
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

/// Sorts a file's diagnostics by position, and keeps one of each: a value
/// pasted once into text that two queries send is one finding.
fn sort(out: &mut Vec<Diagnostic>) {
    out.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule).cmp(&(b.range.start, b.range.end, b.rule))
    });
    out.dedup_by(|a, b| a.rule == b.rule && a.range == b.range && a.message == b.message);
}

pub fn lint_unit(unit: &SqlUnit, settings: &Settings, out: &mut Vec<Diagnostic>) {
    lint_unit_in(unit, settings, None, out);
}

/// [`lint_unit`] for a migration of a chain querylint does not replay
/// (another database than PostgreSQL): `schema` is what the chain's
/// earlier migrations created.
fn lint_unit_in(
    unit: &SqlUnit,
    settings: &Settings,
    schema: Option<&Schema>,
    out: &mut Vec<Diagnostic>,
) {
    if settings.rules.is_empty() {
        return;
    }
    let dialect = unit_dialect(unit, settings);
    if !dialect.is_lintable() {
        unlintable(unit, dialect, settings, out);
        return;
    }
    each_statement(&unit.text, dialect, |parsed, stmt| {
        run_rules_in(unit, parsed, &stmt, None, schema, settings, dialect, out);
    });
}

/// One note for a unit in a dialect querylint does not lint, at its first
/// statement, instead of a parse note for each statement it cannot read.
fn unlintable(unit: &SqlUnit, dialect: Dialect, settings: &Settings, out: &mut Vec<Diagnostic>) {
    let Some(rule) = settings.rules.iter().find(|r| r.id == "parse-error") else {
        return;
    };
    // A query in code says nothing: the note is for a file of such SQL.
    if unit.origin.api.is_some() {
        return;
    }
    let toks = crate::parse::significant_tokens(&unit.text, dialect);
    let Some(first) = toks.first() else {
        return;
    };
    let line_end = unit.text[first.range.start..]
        .find('\n')
        .map_or(unit.text.len(), |n| first.range.start + n);
    let mut diag = Diagnostic::new(
        first.range.start..line_end,
        format!(
            "this SQL is read as {}, which querylint does not lint: none of its statements were checked",
            dialect.title()
        ),
    );
    diag.help = Some(
        "`querylint files` shows why the file has this dialect; `[[overrides]]` with `dialect` in querylint.toml changes it".to_owned(),
    );
    out.push(to_host(diag, rule, unit));
}

/// The dialect SQL from application code is read in: `?` placeholders
/// (sqlx and drivers for SQLite and MySQL) say the query is not written
/// for PostgreSQL, whatever the run's default, and so do names quoted with
/// backticks (MySQL's quoting).
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
                // `data ? 'key'` and `data ? ${key}` are PostgreSQL's jsonb
                // operator.
                && !matches!(bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace()), Some(b'\'' | b'$'))
                && bytes[..i].iter().rev().find(|c| !c.is_ascii_whitespace()).is_some_and(|c| {
                    matches!(c, b'=' | b'(' | b',' | b'<' | b'>') || c.is_ascii_alphabetic()
                }) =>
            {
                return Dialect::Sqlite;
            }
            // PostgreSQL never quotes a name with backticks: such text is
            // written for MySQL (a branch for another database).
            b'`' if !quoted => return Dialect::Mysql,
            _ => {}
        }
    }
    settings.dialect
}

/// Runs every enabled rule that covers the statement.
pub(crate) fn run_rules(
    unit: &SqlUnit,
    parsed: &ParsedUnit,
    stmt: &Statement,
    migration: Option<MigrationState<'_>>,
    settings: &Settings,
    dialect: Dialect,
    out: &mut Vec<Diagnostic>,
) {
    run_rules_in(unit, parsed, stmt, migration, None, settings, dialect, out);
}

#[allow(clippy::too_many_arguments)]
fn run_rules_in(
    unit: &SqlUnit,
    parsed: &ParsedUnit,
    stmt: &Statement,
    migration: Option<MigrationState<'_>>,
    schema: Option<&Schema>,
    settings: &Settings,
    dialect: Dialect,
    out: &mut Vec<Diagnostic>,
) {
    let ctx = StatementContext {
        unit,
        parsed,
        stmt,
        options: &settings.options,
        dialect,
        migration,
        schema: migration.map(|m| m.schema).or(schema),
        catalog: settings.project.as_deref().map(|p| &p.catalog),
    };
    // A parse note on SQL spliced together at run time, or inside a `DO`
    // body, would be about text querylint made up, not the user's.
    let quiet_parse = migration.is_some_and(|m| m.in_do_block) || unit.origin.assembled_at_runtime;
    let masked = unit
        .origin
        .masked
        .iter()
        .any(|m| m.start < stmt.range.end && stmt.range.start < m.end);
    let mut found = Vec::new();
    for rule in &settings.rules {
        if !crate::rules::covers(rule.roles, settings.role, stmt, migration.is_some())
            || (quiet_parse && rule.id == "parse-error")
        {
            continue;
        }
        let deferred_before = migration.map_or(0, |m| m.file.deferred.borrow().len());
        (rule.check)(&ctx, &mut found);
        for mut diag in found.drain(..) {
            if masked && let Some(fix) = &mut diag.fix {
                fix.withhold("the statement holds template placeholders, masked to parse");
            }
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

/// Whether a fix written in the unit's text carries over the text querylint
/// put in for a value the host pastes or binds (`__ql2`, `$3`, `/*1*/`):
/// applied to the host, it would write that stand-in instead of the
/// `${...}` it stands for.
fn copies_stand_in(fix: &crate::diagnostic::Fix, unit: &SqlUnit) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    unit.interpolations.iter().any(|i| {
        let Some(stand_in) = unit
            .text
            .get(i.unit_range.clone())
            .filter(|t| !t.is_empty())
        else {
            return false;
        };
        fix.edits.iter().any(|e| {
            e.content.match_indices(stand_in).any(|(at, _)| {
                let end = at + stand_in.len();
                !(stand_in.ends_with(word) && e.content[end..].starts_with(word))
                    && !(stand_in.starts_with(word) && e.content[..at].ends_with(word))
            })
        })
    })
}

/// Stamps a rule's finding with the rule and moves its ranges from unit
/// offsets to host offsets. Fixes to SQL assembled at run time are capped at
/// unsafe: the text the rule saw is not the text that runs.
fn to_host(mut diag: Diagnostic, rule: &Rule, unit: &SqlUnit) -> Diagnostic {
    diag.rule = rule.id;
    diag.severity = rule.severity;
    diag.range = unit.map.host_range(diag.range);
    for label in diag.labels.iter_mut().filter(|l| !l.in_host) {
        label.range = unit.map.host_range(label.range.clone());
        label.in_host = true;
    }
    // A rewrite that would write querylint's stand-in for a `${...}` into the
    // host is no rewrite to offer, not even to show.
    if diag
        .fix
        .as_ref()
        .is_some_and(|f| !f.in_host && copies_stand_in(f, unit))
    {
        diag.fix = None;
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
