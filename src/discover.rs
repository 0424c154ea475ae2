//! Finding the files to lint and deciding what kind each one is.
//!
//! The walk respects `.gitignore`, `.ignore` and hidden files through the
//! `ignore` crate. A file named on the command line is always linted, even if
//! an ignore rule or the exclude list would skip it in a walk.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::parse::Dialect;
use ignore::overrides::OverrideBuilder;

/// What a file is, which decides how it is read and which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// A `.sql` file of application SQL: queries, views, functions.
    Sql,
    /// A `.sql` file that a migration tool runs.
    MigrationSql,
    /// TypeScript or JavaScript.
    TypeScript,
    /// TypeScript or JavaScript with JSX (`.tsx`, `.jsx`).
    Tsx,
    /// Rust.
    Rust,
    /// A Prisma schema, read for what it says of relations, not linted.
    PrismaSchema,
}

impl FileKind {
    /// The kinds querylint lints.
    pub const LINTED: &'static [FileKind] = &[
        FileKind::Sql,
        FileKind::MigrationSql,
        FileKind::TypeScript,
        FileKind::Tsx,
        FileKind::Rust,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Sql => "sql",
            FileKind::MigrationSql => "migration",
            FileKind::TypeScript => "typescript",
            FileKind::Tsx => "tsx",
            FileKind::Rust => "rust",
            FileKind::PrismaSchema => "prisma schema",
        }
    }

    /// Whether this build of querylint has a front end for the kind.
    pub fn is_supported(self) -> bool {
        matches!(
            self,
            FileKind::Sql
                | FileKind::MigrationSql
                | FileKind::TypeScript
                | FileKind::Tsx
                | FileKind::Rust
        )
    }
}

/// Folder names under which `.sql` files are migrations, besides any name
/// containing `migrat` (`migrations`, `db_migrate`, `data-migrations`).
const MIGRATION_DIRS: &[&str] = &["delta", "deltas"];

/// Folders that hold generated or third-party files in nearly every project.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "dist",
    "build",
    "vendor",
    ".venv",
    "__pycache__",
];

/// Decides the kind of a file from its path, or `None` if querylint does not
/// read files of that kind.
/// `a/b/../c/./d` as `a/c/d`, without touching the file system: paths as
/// written in import specifiers and `migrate!("dir")`, compared with paths
/// as discovered.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                let up = matches!(
                    out.components().next_back(),
                    None | Some(std::path::Component::ParentDir)
                );
                if up || !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` made absolute against the working directory, and normalised.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        normalize(&cwd().join(path))
    }
}

/// The working directory, asked once: querylint never changes it.
pub fn cwd() -> &'static Path {
    static CWD: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().unwrap_or_default())
}

/// The part of `path` below the project's `root`, if it lies there: what
/// a file's kind, its dialect and whether it is test code are read from, so
/// that the folders above the project (a checkout under `~/tests/`) and the
/// working directory change nothing.
pub fn below<'p>(path: &'p Path, root: Option<&Path>) -> std::borrow::Cow<'p, Path> {
    match root {
        // A path relative to the working directory is already below a root
        // that is the working directory.
        Some(root) if path.is_relative() && !path.starts_with("..") && root == cwd() => {
            std::borrow::Cow::Borrowed(path)
        }
        Some(root) => match absolute(path).strip_prefix(root) {
            Ok(rest) => std::borrow::Cow::Owned(rest.to_path_buf()),
            Err(_) => std::borrow::Cow::Borrowed(path),
        },
        None => std::borrow::Cow::Borrowed(path),
    }
}

pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "sql" => Some(if is_migration(path, name) {
            FileKind::MigrationSql
        } else {
            FileKind::Sql
        }),
        "ts" | "mts" | "cts" | "js" | "mjs" | "cjs" => Some(FileKind::TypeScript),
        "tsx" | "jsx" => Some(FileKind::Tsx),
        "rs" => Some(FileKind::Rust),
        "prisma" => Some(FileKind::PrismaSchema),
        _ => None,
    }
}

fn is_migration(path: &Path, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".up.sql") || lower.ends_with(".down.sql") {
        return true;
    }
    // Flyway: V1__init.sql, V2_1__add_users.sql.
    if let Some(rest) = name.strip_prefix('V')
        && let Some((version, _)) = rest.split_once("__")
        && !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
    {
        return true;
    }
    // A version prefix, zero-padded or a timestamp: 0001_init.sql (drizzle,
    // golang-migrate), 20240101120000_x.sql (sqlx), or the whole name
    // (0042.sql, a folder a project's own runner applies in order).
    // `2024_report.sql` is not.
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    let versioned = (digits >= 3 && name.starts_with('0')) || digits >= 8;
    if versioned
        && (matches!(name.as_bytes().get(digits), Some(b'_' | b'-')) || &lower[digits..] == ".sql")
    {
        return true;
    }
    // A folder per migration: Prisma and drizzle-kit 1.0
    // (`<version>_<name>/migration.sql`), diesel (`<version>_<name>/up.sql`).
    let folder_per_migration = matches!(lower.as_str(), "migration.sql" | "up.sql" | "down.sql")
        && path
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().take_while(u8::is_ascii_digit).count() >= 4);
    if folder_per_migration {
        return true;
    }
    path.parent().is_some_and(|dir| {
        dir.components().any(|c| {
            c.as_os_str().to_str().is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s.contains("migrat") || MIGRATION_DIRS.contains(&s.as_str())
            })
        })
    })
}

/// The dialect a file's name or folder says it is written in, such as
/// `0001_init.mysql.up.sql` or `db/sqlite/schema.sql`.
pub fn dialect_hint(path: &Path) -> Option<Dialect> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let infixes: Vec<&str> = name.split('.').collect();
    let infixes = &infixes[1..infixes.len().saturating_sub(1).max(1)];
    let folders = path
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| c.as_os_str().to_str())
        // `db-sqlx-maria/`, `sqlite_migrations/`: each word of a folder.
        .flat_map(|c| c.split(['-', '_']))
        .map(str::to_ascii_lowercase);
    let words: Vec<String> = infixes
        .iter()
        .map(|s| s.to_string())
        .chain(folders)
        .collect();
    // `pg` is too short a word to trust in a folder name.
    words
        .iter()
        .filter(|w| w.as_str() != "pg")
        .find_map(|w| Dialect::from_name(w))
}

/// Folders that hold test code: tests, their harnesses and helpers, and
/// their data.
pub const TEST_DIRS: &[&str] = &[
    "tests",
    "test",
    "testing",
    "test-utils",
    "test_utils",
    "testutils",
    "test-helpers",
    "__tests__",
    "e2e",
    "testdata",
    "integration-tests",
    "integration_tests",
    "integration-test",
    "integration_test",
    "testsuite",
    // Data and stand-ins that tests load (Jest's folders, mocks).
    "__fixtures__",
    "mocks",
    "__mocks__",
    // Load tests (k6 scripts and the like) run against a test deployment.
    "loadtest",
    "loadtests",
    "k6",
    // Benchmarks (Cargo's `benches/`), run by hand against a local database,
    // and the standard benchmark suites' query sets, whose text the suite
    // fixes: TPC-H, TPC-DS, Nexmark, ClickBench.
    "benches",
    "bench",
    "benchmark",
    "benchmarks",
    "tpch",
    "tpc-h",
    "tpc_h",
    "tpcds",
    "tpc-ds",
    "tpc_ds",
    "nexmark",
    "clickbench",
];

/// Whether the file at `path` is test code by its name or folder: under a
/// `tests`, `test`, `testing`, `test-utils`, `test-helpers`, `__tests__`,
/// `e2e`, `testdata`, `integration-tests`, `benches` or `benchmarks` folder
/// or a benchmark suite's (`tpch`, `nexmark`), a folder named `*_tests` or
/// `tests_cfg`-like (see `test_folder_name`), or an `integration` or `ci`
/// folder at the top of `path`, or named `*.test.*`, `*.spec.*`,
/// `*_test.rs`, or like such a folder (`tests.rs`, `test_utils.rs`).
pub fn is_test_code(path: &Path) -> bool {
    let folders = path.parent().into_iter().flat_map(|p| p.components());
    let in_tests = folders.filter_map(|c| c.as_os_str().to_str()).any(|c| {
        let c = c.to_ascii_lowercase();
        TEST_DIRS.contains(&c.as_str()) || test_folder_name(&c)
    });
    // A project's own `integration/` folder at its root holds its
    // integration tests (`integration/rust/src/setup.rs`), and its `ci/`
    // folder what CI runs (`ci/scripts/sql/load.sql`); deeper, such a
    // folder may be application code talking to a service.
    let at_root = path.parent().is_some_and(|p| {
        p.components()
            .find(|c| matches!(c, std::path::Component::Normal(_)))
            .and_then(|c| c.as_os_str().to_str())
            .is_some_and(|c| {
                ["integration", "ci", ".ci"]
                    .iter()
                    .any(|n| c.eq_ignore_ascii_case(n))
            })
    });
    let in_tests = in_tests || at_root;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // A file of test support named like such a folder: `test_utils.rs`,
    // `test-helpers.ts`; in Rust also `tests.rs` and `testing.rs`, the
    // files of `mod tests;` and `mod testing;` (a route file `test.ts`
    // is still served).
    let stem = name.split('.').next().unwrap_or_default();
    let rust_module = name.ends_with(".rs") && matches!(stem, "tests" | "test" | "testing");
    let support = rust_module || stem == "testutils" || test_folder_name(stem);
    in_tests
        || support
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.ends_with("_test.rs")
}

/// Whether a folder's name, in words split at `-` and `_`, ends with
/// `tests` or `test` (`api_integration_tests`, a crate of tests), or
/// starts with it followed by what serves tests (`tests_cfg`,
/// `test_support`, `test-fixtures`). `ab_test` and `split_test` are not.
pub fn test_folder_name(name: &str) -> bool {
    const SERVING: &[&str] = &[
        "cfg", "config", "common", "data", "fixtures", "harness", "helpers", "runner", "setup",
        "suite", "support", "util", "utils",
    ];
    let words: Vec<&str> = name.split(['-', '_']).collect();
    let test = |w: &&str| matches!(*w, "test" | "tests");
    match words.as_slice() {
        // An A/B or split test is a feature of the product.
        [.., "ab" | "split", last] if test(last) => false,
        [_, .., last] if test(last) => true,
        [first, second, ..] if test(first) => SERVING.contains(second),
        _ => false,
    }
}

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub kind: FileKind,
}

/// The outcome of a walk: the files to lint, sorted by path, and the problems
/// met on the way (an unreadable folder, a broken link), which do not stop it.
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Candidate>,
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub enum DiscoverError {
    Missing(PathBuf),
    BadExclude(String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::Missing(p) => write!(f, "{}: no such file or directory", p.display()),
            DiscoverError::BadExclude(e) => write!(f, "invalid exclude pattern: {e}"),
        }
    }
}

/// Walks `paths` and returns the files querylint can lint. `excludes` are
/// gitignore-style globs on top of [`DEFAULT_EXCLUDES`].
pub fn discover(paths: &[PathBuf], excludes: &[String]) -> Result<Discovery, DiscoverError> {
    let mut out = Discovery::default();
    let mut dirs = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|_| DiscoverError::Missing(path.clone()))?;
        if meta.is_dir() {
            dirs.push(path.clone());
        } else if let Some(kind) = classify(path) {
            out.files.push(Candidate {
                path: normalize(path),
                kind,
            });
        } else {
            out.warnings.push(format!(
                "{}: not a file kind querylint reads (.sql, .ts, .js, .rs), skipped",
                path.display()
            ));
        }
    }
    if let Some((first, rest)) = dirs.split_first() {
        let mut overrides = OverrideBuilder::new(".");
        for glob in DEFAULT_EXCLUDES
            .iter()
            .map(|s| s.to_string())
            .chain(excludes.iter().cloned())
        {
            overrides
                .add(&format!("!{glob}"))
                .map_err(|e| DiscoverError::BadExclude(e.to_string()))?;
        }
        let overrides = overrides
            .build()
            .map_err(|e| DiscoverError::BadExclude(e.to_string()))?;
        let mut builder = WalkBuilder::new(first);
        for dir in rest {
            builder.add(dir);
        }
        builder
            .hidden(true)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .overrides(overrides);
        for entry in builder.build() {
            match entry {
                Ok(entry) => {
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    if let Some(kind) = classify(entry.path()) {
                        out.files.push(Candidate {
                            path: normalize(entry.path()),
                            kind,
                        });
                    }
                }
                Err(err) => out.warnings.push(err.to_string()),
            }
        }
    }
    out.files.sort();
    out.files.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_as_written() {
        let n = |p: &str| normalize(Path::new(p));
        assert_eq!(n("./src/app/../lib/x.ts"), PathBuf::from("src/lib/x.ts"));
        assert_eq!(n("../../a/./b"), PathBuf::from("../../a/b"));
        assert_eq!(n("a/../../b"), PathBuf::from("../b"));
        assert_eq!(n("/w/p/../q"), PathBuf::from("/w/q"));
    }

    #[test]
    fn migration_layouts_are_recognised() {
        let kind = |p: &str| classify(Path::new(p));
        assert_eq!(kind("queries/report.sql"), Some(FileKind::Sql));
        assert_eq!(
            kind("prisma/migrations/20240101_init/migration.sql"),
            Some(FileKind::MigrationSql)
        );
        assert_eq!(kind("db/migrate/001.sql"), Some(FileKind::MigrationSql));
        assert_eq!(kind("sql/V3__add_users.sql"), Some(FileKind::MigrationSql));
        assert_eq!(kind("sql/Views__all.sql"), Some(FileKind::Sql));
        assert_eq!(kind("x/0001_init.up.sql"), Some(FileKind::MigrationSql));
        assert_eq!(
            kind("drizzle/0007_cool_name.sql"),
            Some(FileKind::MigrationSql)
        );
        assert_eq!(
            kind("db/data-migrations/fill.sql"),
            Some(FileKind::MigrationSql)
        );
        assert_eq!(
            kind("schema/delta/29/push.sql"),
            Some(FileKind::MigrationSql)
        );
        assert_eq!(kind("queries/2024_report.sql"), Some(FileKind::Sql));
        assert_eq!(kind("packages/db/0042.sql"), Some(FileKind::MigrationSql));
        assert_eq!(kind("reports/2024.sql"), Some(FileKind::Sql));
        assert_eq!(
            kind("drizzle/20250101000000_init/migration.sql"),
            Some(FileKind::MigrationSql)
        );
        assert_eq!(
            kind("db/2024-01-01-000000_users/up.sql"),
            Some(FileKind::MigrationSql)
        );
        assert_eq!(kind("reports/up.sql"), Some(FileKind::Sql));
        assert_eq!(kind("src/db.ts"), Some(FileKind::TypeScript));
        assert_eq!(kind("README.md"), None);
    }

    #[test]
    fn file_names_and_folders_hint_the_dialect() {
        let hint = |p: &str| dialect_hint(Path::new(p));
        assert_eq!(hint("m/0001_init.mysql.up.sql"), Some(Dialect::Mysql));
        assert_eq!(hint("m/0001_init.sqlite3.sql"), Some(Dialect::Sqlite));
        assert_eq!(hint("db/mysql/schema.sql"), Some(Dialect::Mysql));
        assert_eq!(hint("db/postgresql/schema.sql"), Some(Dialect::Postgres));
        assert_eq!(
            hint("m/2019_x.cockroach.up.sql"),
            Some(Dialect::Cockroachdb)
        );
        assert_eq!(
            hint("db/clickhouse/migrations/01_init.sql"),
            Some(Dialect::Clickhouse)
        );
        assert_eq!(hint("db/pg/schema.sql"), None);
        assert_eq!(
            hint("db/db-sqlx-maria/migrations/1_init.sql"),
            Some(Dialect::Mysql)
        );
        assert_eq!(hint("sqlite_migrations/1_init.sql"), Some(Dialect::Sqlite));
        assert_eq!(hint("mysql.sql"), None);
        assert_eq!(hint("queries/mysql_export.sql"), None);
    }
}
