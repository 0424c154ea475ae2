//! Which migration tool a file belongs to, where its chain of migrations
//! lives, in what order they run, and whether the tool wraps them in a
//! transaction.
//!
//! What each tool does, from its documentation:
//! - Prisma Migrate sends a `migration.sql` to PostgreSQL as one
//!   multi-statement query, which PostgreSQL runs as one implicit
//!   transaction; a file with a single statement runs on its own.
//!   `migration_lock.toml` names the provider.
//! - drizzle-kit's migrator runs every pending migration inside one
//!   transaction; `meta/_journal.json` names the dialect.
//! - sqlx wraps each migration in a transaction unless its first line is
//!   `-- no-transaction`.
//! - golang-migrate sends each file as one multi-statement query (implicit
//!   transaction, as with Prisma).
//! - dbmate wraps each migration in a transaction unless the
//!   `-- migrate:up` line says `transaction:false`.
//! - goose wraps each migration in a transaction unless it says
//!   `-- +goose NO TRANSACTION`.
//! - Flyway wraps each migration in a transaction, except that on
//!   PostgreSQL it runs a migration holding a statement that cannot run in
//!   one (`CREATE INDEX CONCURRENTLY` and the like) without a transaction,
//!   and honours `executeInTransaction=false` in a `<migration>.conf` file.
//! - diesel wraps each migration in a transaction unless its
//!   `metadata.toml` says `run_in_transaction = false`.
//! - popx (the Ory projects) wraps each file unless its name contains
//!   `.autocommit.`.
//! - A plain folder of `.sql` files is assumed to be run statement by
//!   statement, as `psql -f` does: only an explicit `BEGIN` opens a
//!   transaction.
//!
//! Markers in a file override the tool: `-- no-transaction`,
//! `-- atlas:txmode none`, `.autocommit.` in the name.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::parse::Dialect;

/// The migration tools querylint knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tool {
    Prisma,
    Drizzle,
    Sqlx,
    GolangMigrate,
    Dbmate,
    Goose,
    Flyway,
    Diesel,
    Popx,
    Plain,
}

impl Tool {
    pub const ALL: [Tool; 10] = [
        Tool::Prisma,
        Tool::Drizzle,
        Tool::Sqlx,
        Tool::GolangMigrate,
        Tool::Dbmate,
        Tool::Goose,
        Tool::Flyway,
        Tool::Diesel,
        Tool::Popx,
        Tool::Plain,
    ];

    /// The names the configuration's `migration-tool` takes.
    pub const NAMES: [&'static str; 10] = [
        "prisma",
        "drizzle-kit",
        "sqlx",
        "golang-migrate",
        "dbmate",
        "goose",
        "flyway",
        "diesel",
        "popx",
        "plain",
    ];

    /// The tool the configuration names: `prisma`, `drizzle-kit`...
    pub fn from_name(name: &str) -> Option<Tool> {
        let name = name.to_ascii_lowercase();
        let name = if name == "drizzle" {
            "drizzle-kit"
        } else {
            name.as_str()
        };
        Tool::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Tool::ALL[i])
    }

    /// The tool's name in the configuration.
    pub fn key(self) -> &'static str {
        Tool::NAMES[Tool::ALL.iter().position(|t| *t == self).unwrap_or(9)]
    }

    pub fn name(self) -> &'static str {
        match self {
            Tool::Prisma => "Prisma Migrate",
            Tool::Drizzle => "drizzle-kit",
            Tool::Sqlx => "sqlx",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Goose => "goose",
            Tool::Flyway => "Flyway",
            Tool::Diesel => "diesel",
            Tool::Popx => "popx",
            Tool::Plain => "a plain migrations folder",
        }
    }
}

/// Whether a migration applies a change or reverts one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// How a migration's statements are grouped into transactions by the tool
/// that runs it, before any `BEGIN`/`COMMIT` in the file itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxMode {
    /// The tool wraps the migration in one transaction.
    Wrapped,
    /// The file is sent as one multi-statement query: PostgreSQL runs it as
    /// one implicit transaction when it holds more than one statement.
    Implicit,
    /// Each statement commits on its own.
    None,
}

/// What the user says about transactions, over what the tool does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TxOverride {
    /// What the migration tool does (see the docs of `querylint check`).
    #[default]
    Auto,
    /// Every migration runs inside a transaction.
    Always,
    /// No migration runs inside a transaction unless it says `BEGIN`.
    Never,
}

/// A migration chain: the folder its migrations live in and the tool.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chain {
    pub root: PathBuf,
    pub tool: Tool,
}

/// One migration file as its tool sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub path: PathBuf,
    pub direction: Direction,
}

/// The folder that holds the chain a migration file belongs to, and the
/// tool when the file's place in it already says (a folder per migration).
pub fn root_of(path: &Path) -> (PathBuf, Option<Tool>) {
    let name = file_name(path);
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // Folder-per-migration layouts: Prisma and drizzle-kit 1.0
    // (`<root>/<version>_<name>/migration.sql`), diesel
    // (`<root>/<version>_<name>/up.sql`).
    if matches!(name.as_str(), "migration.sql" | "up.sql" | "down.sql") {
        let root = match parent.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let tool = if name != "migration.sql" {
            Tool::Diesel
        } else if parent.join("snapshot.json").is_file()
            && !root.join("migration_lock.toml").is_file()
        {
            Tool::Drizzle
        } else {
            Tool::Prisma
        };
        return (root, Some(tool));
    }
    (migrations_root(parent), None)
}

/// Finds the chain a migration file belongs to, and the chain's members on
/// disk in the order its tool runs them. `path` is among the members even
/// if it is not on disk (text from standard input or an editor).
pub fn chain_of(path: &Path) -> (Chain, Vec<PathBuf>) {
    let (root, hint) = root_of(path);
    let mut members = members_of(&root);
    if !members.iter().any(|m| m == path) {
        members.push(path.to_path_buf());
    }
    let chain = Chain::new(root, hint, &members);
    chain.sort(&mut members);
    (chain, members)
}

impl Chain {
    /// The chain rooted at `root`, its tool decided from the layout and the
    /// names of its members.
    pub fn new(root: PathBuf, hint: Option<Tool>, members: &[PathBuf]) -> Chain {
        let names: Vec<String> = members.iter().map(|m| file_name(m)).collect();
        let tool = if let Some(tool) = hint {
            tool
        } else if root.join("meta").join("_journal.json").is_file() {
            Tool::Drizzle
        } else if names.iter().any(|n| is_flyway_name(n)) {
            Tool::Flyway
        } else if names.iter().any(|n| {
            n.contains(".autocommit.")
                || ["postgres", "cockroach", "sqlite3"]
                    .iter()
                    .any(|d| n.contains(&format!(".{d}.")))
        }) {
            Tool::Popx
        } else if near_cargo_manifest(&root) {
            Tool::Sqlx
        } else if names
            .iter()
            .any(|n| n.ends_with(".up.sql") || n.ends_with(".down.sql"))
        {
            Tool::GolangMigrate
        } else {
            Tool::Plain
        };
        Chain { root, tool }
    }

    /// What in the folder says which tool runs the chain.
    pub fn evidence(&self) -> String {
        match self.tool {
            Tool::Prisma => "a folder per migration holding `migration.sql`".to_owned(),
            Tool::Drizzle if self.root.join("meta").join("_journal.json").is_file() => {
                "meta/_journal.json lists it".to_owned()
            }
            Tool::Drizzle => "`snapshot.json` beside each `migration.sql`".to_owned(),
            Tool::Sqlx => "a `Cargo.toml` near the folder, or `sqlx::migrate!` names it".to_owned(),
            Tool::Flyway => "Flyway names (`V1__name.sql`)".to_owned(),
            Tool::Popx => "popx names (`.autocommit.`, `.postgres.`)".to_owned(),
            Tool::GolangMigrate => "`.up.sql` and `.down.sql` names".to_owned(),
            Tool::Diesel => "a folder per migration holding `up.sql`".to_owned(),
            Tool::Dbmate => "`-- migrate:up` sections".to_owned(),
            Tool::Goose => "`-- +goose Up` sections".to_owned(),
            Tool::Plain => "a folder of `.sql` files no tool claims".to_owned(),
        }
    }

    /// Sorts paths of the chain in the order the tool runs them.
    pub fn sort(&self, paths: &mut [PathBuf]) {
        paths.sort_by(|a, b| compare_keys(&self.key(a), &self.key(b)));
    }
}

/// The migration files on disk under a chain's root.
pub fn members_of(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect_sql(root, 0, &mut out);
    out.retain(|p| root_of(p).0 == root);
    out
}

/// The folder a chain's migrations live under: the nearest folder that is
/// named like one (`migrations`, `db/migrate`, `delta`), else the file's own.
fn migrations_root(parent: &Path) -> PathBuf {
    for dir in parent.ancestors().take(4) {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if name.contains("migrat") || name == "delta" || name == "deltas" {
            return dir.to_path_buf();
        }
    }
    parent.to_path_buf()
}

fn near_cargo_manifest(root: &Path) -> bool {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    root.ancestors()
        .skip(1)
        .take(2)
        .any(|dir| dir.join("Cargo.toml").is_file())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_flyway_name(lower: &str) -> bool {
    let Some(rest) = lower.strip_prefix('v').or_else(|| lower.strip_prefix('u')) else {
        return lower.starts_with("r__");
    };
    rest.split_once("__").is_some_and(|(version, _)| {
        !version.is_empty()
            && version
                .chars()
                .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
    })
}

impl Chain {
    /// The dialect the chain's tool is configured for: Prisma's
    /// `migration_lock.toml` provider, drizzle-kit's journal dialect.
    pub fn configured_dialect(&self) -> Option<Dialect> {
        match self.tool {
            Tool::Prisma => {
                let lock = std::fs::read_to_string(self.root.join("migration_lock.toml")).ok()?;
                lock.lines().find_map(|line| {
                    let (key, value) = line.split_once('=')?;
                    (key.trim() == "provider")
                        .then(|| Dialect::from_name(value.trim().trim_matches('"')))
                        .flatten()
                })
            }
            Tool::Drizzle => {
                let journal =
                    std::fs::read_to_string(self.root.join("meta").join("_journal.json")).ok()?;
                let value: serde_json::Value = serde_json::from_str(&journal).ok()?;
                Dialect::from_name(value.get("dialect")?.as_str()?)
            }
            _ => None,
        }
    }

    /// The path of `path` below the chain's root, with `/` separators.
    pub fn key(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        rel.components()
            .filter_map(|c| c.as_os_str().to_str())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Describes one member of the chain.
    pub fn migration(&self, path: &Path) -> Migration {
        let name = file_name(path);
        let down = name.ends_with(".down.sql")
            || name == "down.sql"
            || (self.tool == Tool::Flyway && name.starts_with('u'));
        Migration {
            path: path.to_path_buf(),
            direction: if down { Direction::Down } else { Direction::Up },
        }
    }

    /// How the tool runs the statements of a migration whose text is
    /// `text`, before any explicit `BEGIN` in it.
    pub fn tx_mode(&self, migration: &Migration, text: &str, choice: TxOverride) -> TxMode {
        match choice {
            TxOverride::Always => return TxMode::Wrapped,
            TxOverride::Never => return TxMode::None,
            TxOverride::Auto => {}
        }
        let first_line = text
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let name = file_name(&migration.path);
        if first_line.starts_with("-- no-transaction")
            || text.contains("-- atlas:txmode none")
            || name.contains(".autocommit.")
        {
            return TxMode::None;
        }
        let tool = match sections(text) {
            Some(Sections::Dbmate) => Tool::Dbmate,
            Some(Sections::Goose) => Tool::Goose,
            None => self.tool,
        };
        match tool {
            Tool::Prisma | Tool::GolangMigrate => TxMode::Implicit,
            Tool::Drizzle | Tool::Sqlx | Tool::Popx => TxMode::Wrapped,
            Tool::Dbmate => {
                let marker = text
                    .lines()
                    .find(|l| l.trim_start().starts_with("-- migrate:up"))
                    .unwrap_or("");
                if marker.contains("transaction:false") {
                    TxMode::None
                } else {
                    TxMode::Wrapped
                }
            }
            Tool::Goose => {
                let off = text.lines().any(|l| {
                    l.trim()
                        .to_ascii_lowercase()
                        .starts_with("-- +goose no transaction")
                });
                if off { TxMode::None } else { TxMode::Wrapped }
            }
            Tool::Flyway => {
                let conf = migration.path.with_extension("sql.conf");
                let off = std::fs::read_to_string(conf).is_ok_and(|c| {
                    c.lines().any(|l| {
                        l.replace(' ', "")
                            .eq_ignore_ascii_case("executeInTransaction=false")
                    })
                });
                if off || has_non_transactional_statement(text) {
                    TxMode::None
                } else {
                    TxMode::Wrapped
                }
            }
            Tool::Diesel => {
                let meta = migration
                    .path
                    .parent()
                    .map(|d| d.join("metadata.toml"))
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .unwrap_or_default();
                let off = meta.lines().any(|l| {
                    l.replace(' ', "")
                        .eq_ignore_ascii_case("run_in_transaction=false")
                });
                if off { TxMode::None } else { TxMode::Wrapped }
            }
            Tool::Plain => TxMode::None,
        }
    }
}

/// Tools that keep both directions of a migration in one file, in sections
/// opened by a marker comment. Their folder layout is a plain one; their
/// markers are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sections {
    /// dbmate: `-- migrate:up`, `-- migrate:down`.
    Dbmate,
    /// goose: `-- +goose Up`, `-- +goose Down`.
    Goose,
}

impl Sections {
    /// Whether `line` opens the up or the down section: `Some(true)` for up.
    pub fn marker(self, line: &str) -> Option<bool> {
        let line = line.trim_start().to_ascii_lowercase();
        let (up, down) = match self {
            Sections::Dbmate => ("-- migrate:up", "-- migrate:down"),
            Sections::Goose => ("-- +goose up", "-- +goose down"),
        };
        if line.starts_with(up) {
            Some(true)
        } else if line.starts_with(down) {
            Some(false)
        } else {
            None
        }
    }
}

/// Which section markers a migration uses, if any.
pub fn sections(text: &str) -> Option<Sections> {
    text.lines().take(50).find_map(|l| {
        [Sections::Dbmate, Sections::Goose]
            .into_iter()
            .find(|s| s.marker(l) == Some(true))
    })
}

/// Flyway's test for a PostgreSQL migration it must run outside a
/// transaction, reduced to the statements a migration linter sees.
fn has_non_transactional_statement(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    upper.contains(" CONCURRENTLY") || upper.contains("VACUUM") || upper.contains("ALTER SYSTEM")
}

fn collect_sql(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 3 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let hidden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if !hidden {
                collect_sql(&path, depth + 1, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        {
            // Paths read as the walk gives them: `x.sql`, not `./x.sql`.
            out.push(
                path.strip_prefix(".")
                    .map(Path::to_path_buf)
                    .unwrap_or(path),
            );
        }
    }
}

/// Orders migration keys the way migration tools do: runs of digits compare
/// as numbers (`2_x` before `10_x`, `V1_2` before `V1_10`), the rest as text.
pub fn compare_keys(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&c| c == b'0').count();
    &digits[zeros..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_numerically() {
        let mut keys = vec![
            "10_c.sql",
            "2_b.sql",
            "1_a.sql",
            "V1_10__x.sql",
            "V1_2__x.sql",
        ];
        keys.sort_by(|a, b| compare_keys(a, b));
        assert_eq!(
            keys,
            vec![
                "1_a.sql",
                "2_b.sql",
                "10_c.sql",
                "V1_2__x.sql",
                "V1_10__x.sql"
            ]
        );
    }

    #[test]
    fn chains_are_found_from_the_path() {
        // Under a folder that does not exist, so no `Cargo.toml` is near.
        let (chain, _) = chain_of(Path::new(
            "/x/prisma/migrations/20240101_init/migration.sql",
        ));
        assert_eq!(chain.tool, Tool::Prisma);
        assert_eq!(chain.root, Path::new("/x/prisma/migrations"));
        let (chain, _) = chain_of(Path::new("/x/migrations/2024-01-01-000000_users/up.sql"));
        assert_eq!(chain.tool, Tool::Diesel);
        assert_eq!(chain.root, Path::new("/x/migrations"));
        let (chain, _) = chain_of(Path::new("/x/db/migrations/000001_init.up.sql"));
        assert_eq!(chain.tool, Tool::GolangMigrate);
        let (chain, _) = chain_of(Path::new("/x/sql/V2__add_users.sql"));
        assert_eq!(chain.tool, Tool::Flyway);
        assert_eq!(chain.root, Path::new("/x/sql"));
        let (chain, _) = chain_of(Path::new("/x/schema/delta/29/push.sql"));
        assert_eq!(chain.root, Path::new("/x/schema/delta"));
        assert_eq!(
            chain.key(Path::new("/x/schema/delta/29/push.sql")),
            "29/push.sql"
        );
        let (chain, _) = chain_of(Path::new(
            "/x/m/migrations/2019_x.postgres.autocommit.up.sql",
        ));
        assert_eq!(chain.tool, Tool::Popx);
    }

    #[test]
    fn markers_turn_the_transaction_off() {
        let chain = Chain {
            root: PathBuf::from("migrations"),
            tool: Tool::Sqlx,
        };
        let m = chain.migration(Path::new("migrations/20240101_x.sql"));
        let mode = |text: &str| chain.tx_mode(&m, text, TxOverride::Auto);
        assert_eq!(mode("CREATE INDEX i ON t (a);"), TxMode::Wrapped);
        assert_eq!(
            mode("-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);"),
            TxMode::None
        );
        assert_eq!(
            chain.tx_mode(&m, "SELECT 1", TxOverride::Never),
            TxMode::None
        );
        let dbmate = Chain {
            root: PathBuf::from("db/migrations"),
            tool: Tool::Dbmate,
        };
        let m = dbmate.migration(Path::new("db/migrations/20240101_x.sql"));
        assert_eq!(
            dbmate.tx_mode(
                &m,
                "-- migrate:up transaction:false\nSELECT 1;",
                TxOverride::Auto
            ),
            TxMode::None
        );
    }
}
