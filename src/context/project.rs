//! What the tools' own configuration says of a project's files, read once
//! per project: which dialect each configuration's SQL is in, which files
//! `package.json` scripts run as seeds or data migrations, and which
//! migrations drizzle-kit's journal lists; and what its schema files say
//! of its indexes (the [`Catalog`]).
//!
//! Each file is read for the few keys querylint needs; a configuration
//! that cannot be read or has none of them says nothing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{Fact, Role};
use crate::model::Catalog;
use crate::parse::Dialect;

/// What the project's tool configurations say, with the paths they speak
/// for. Every path is absolute.
#[derive(Debug, Default)]
pub struct Project {
    pub root: PathBuf,
    /// `.sql` files and folders a tool's configuration names, with their
    /// dialect: sqlc's `queries` and `schema`, drizzle-kit's `out`.
    sql: Vec<(PathBuf, Fact<Dialect>)>,
    /// Folders whose files a package's configuration gives a dialect:
    /// `Cargo.toml` features, a Prisma datasource, a knexfile.
    folders: Vec<(PathBuf, Fact<Dialect>)>,
    /// Files `package.json` runs as seeds or data migrations.
    scripts: Vec<(PathBuf, Fact<Role>)>,
    /// Crates of tests: their `Cargo.toml` builds a test harness into the
    /// crate itself (see [`TEST_HARNESSES`]).
    test_crates: Vec<(PathBuf, Fact<Role>)>,
    /// The folder of every `Cargo.toml`: a file belongs to the nearest.
    crates: Vec<PathBuf>,
    /// Packages whose `package.json` names a database driver, and whether
    /// every one it names runs the database in the process (see
    /// [`Project::database_in_process`]).
    drivers: Vec<(PathBuf, bool)>,
    /// drizzle-kit journals: the folder of the migrations and the names
    /// (without `.sql`) of the ones it runs.
    journals: Vec<(PathBuf, HashSet<String>)>,
    /// The trigram indexes its `.sql` files, Prisma schemas and Drizzle
    /// schema files create.
    pub catalog: Catalog,
}

/// Whether the file at `path` is a tool configuration querylint reads.
pub fn is_config_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(wanted)
}

/// Whether the file at `path` is a schema file the [`Catalog`] is read
/// from: a `.sql` file or a Prisma schema.
pub fn is_schema_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(schema_file)
}

fn schema_file(name: &str) -> bool {
    name.ends_with(".sql") || name.ends_with(".prisma")
}

/// Whether a TypeScript file may be a Drizzle schema: `schema` in its
/// name or in a folder's (`db/schema.ts`, `schema/users.ts`).
fn drizzle_schema(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ts")
        && path
            .components()
            .any(|c| c.as_os_str().to_str().is_some_and(|n| n.contains("schema")))
}

/// Whether a code file is a migration written in code (a folder named
/// like `migrations`): the indexes and keys it creates are read into the
/// catalog.
fn code_migration(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "ts" | "js" | "mjs" | "cjs" | "mts" | "cts"))
        && in_migrations_folder(path)
}

/// Whether a folder of `path` is named like `migrations`.
fn in_migrations_folder(path: &Path) -> bool {
    path.parent().is_some_and(|p| {
        p.components().any(|c| {
            c.as_os_str()
                .to_str()
                .is_some_and(|n| n.to_ascii_lowercase().contains("migrat"))
        })
    })
}

/// Whether a Rust file may keep the schema in its strings: a file named
/// `db.rs`, `database.rs`, `schema.rs` or `migrations.rs`, or one in a
/// folder named like `migrations` (a service that runs its own
/// `CREATE TABLE` statements at start-up).
fn rust_schema(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
        && (path.file_stem().and_then(|s| s.to_str()).is_some_and(|s| {
            matches!(
                s,
                "db" | "database" | "schema" | "migrations" | "migration" | "migrate"
            )
        }) || in_migrations_folder(path))
}

/// The configuration files read, by name.
fn wanted(name: &str) -> bool {
    matches!(
        name,
        "sqlc.yaml"
            | "sqlc.yml"
            | "sqlc.json"
            | "Cargo.toml"
            | "package.json"
            | "_journal.json"
            | "schema.prisma"
            | "migration_lock.toml"
            | "diesel.toml"
    ) || name.starts_with("drizzle.config.")
        || name.starts_with("knexfile.")
}

impl Project {
    /// Reads the configurations under `root`, skipping what the walk of
    /// the project skips. `read` gives a file's text (an open buffer
    /// wins over the disk).
    pub fn read(
        root: &Path,
        excludes: &[String],
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> Project {
        let mut project = Project {
            root: root.to_path_buf(),
            ..Default::default()
        };
        let mut overrides = ignore::overrides::OverrideBuilder::new(root);
        for glob in crate::discover::DEFAULT_EXCLUDES
            .iter()
            .map(|s| s.to_string())
            .chain(excludes.iter().cloned())
        {
            let _ = overrides.add(&format!("!{glob}"));
        }
        let mut builder = ignore::WalkBuilder::new(root);
        builder.hidden(true).git_ignore(true).require_git(false);
        if let Ok(o) = overrides.build() {
            builder.overrides(o);
        }
        // diesel.toml names its migrations folder; the crate's Cargo.toml
        // its database, so it is read once every Cargo.toml is.
        let mut diesel: Vec<(PathBuf, String)> = Vec::new();
        let mut found: Vec<PathBuf> = builder
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| wanted(n) || schema_file(n))
                    || drizzle_schema(e.path().strip_prefix(root).unwrap_or(e.path()))
                    || code_migration(e.path().strip_prefix(root).unwrap_or(e.path()))
                    || rust_schema(e.path().strip_prefix(root).unwrap_or(e.path()))
            })
            .map(|e| crate::discover::normalize(e.path()))
            .collect();
        found.sort();
        for path in found {
            let Some(text) = read(&path) else { continue };
            let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if code_migration(path.strip_prefix(root).unwrap_or(&path)) {
                project.catalog.read_code_migration(&text);
            } else if rust_schema(path.strip_prefix(root).unwrap_or(&path)) {
                project.catalog.read_rust_strings(&text);
            } else {
                project.catalog.read(name, &text);
            }
            match name {
                "sqlc.yaml" | "sqlc.yml" | "sqlc.json" => project.sqlc(&dir, name, &text),
                "Cargo.toml" => project.cargo(&dir, &text),
                "package.json" => project.package(&dir, &text),
                "_journal.json" => project.journal(&dir, &text),
                "schema.prisma" => project.prisma(&path, &text),
                "migration_lock.toml" => project.migration_lock(&dir, &text),
                "diesel.toml" => diesel.push((dir.clone(), text)),
                n if n.starts_with("drizzle.config.") => project.drizzle(&dir, n, &text),
                n if n.starts_with("knexfile.") => project.knex(&dir, n, &text),
                _ => {}
            }
        }
        for (dir, text) in diesel {
            project.diesel(&dir, &text);
        }
        // The longest path first: the nearest configuration wins.
        fn deepest_first<T>(list: &mut [(PathBuf, T)]) {
            list.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.components().count()));
        }
        deepest_first(&mut project.sql);
        deepest_first(&mut project.folders);
        deepest_first(&mut project.drivers);
        project
    }

    /// The dialect a tool's configuration gives the `.sql` file at `path`
    /// (absolute) by naming it or its folder, and which says so.
    pub fn dialect_named(&self, path: &Path) -> Option<&Fact<Dialect>> {
        let sql = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"));
        sql.then(|| self.sql.iter().find(|(p, _)| path.starts_with(p)))
            .flatten()
            .map(|(_, f)| f)
    }

    /// The dialect the package the file at `path` belongs to is
    /// configured for, and which says so: weaker than the file's own name
    /// and text, as one package can hold SQL for several databases.
    pub fn dialect_of_package(&self, path: &Path) -> Option<&Fact<Dialect>> {
        self.folders
            .iter()
            .find(|(p, _)| path.starts_with(p))
            .map(|(_, f)| f)
    }

    /// Whether the file at `path` belongs to a package whose only database
    /// runs in its own process: the nearest `package.json` that names a
    /// driver names only embedded ones (`better-sqlite3`, `sql.js`, PGlite),
    /// or the nearest `Cargo.toml` that names one names only SQLite
    /// (`rusqlite`, sqlx with `sqlite`). Such a query is a function call,
    /// with no round trip to save.
    pub fn database_in_process(&self, path: &Path) -> bool {
        self.drivers
            .iter()
            .find(|(p, _)| path.starts_with(p))
            .is_some_and(|(_, embedded)| *embedded)
    }

    /// The role `package.json` gives the file at `path`, if a script runs
    /// it as a seed or a data migration.
    pub fn script_role(&self, path: &Path) -> Option<&Fact<Role>> {
        self.scripts.iter().find(|(p, _)| p == path).map(|(_, f)| f)
    }

    /// The role of the crate the file at `path` belongs to, if it is a
    /// crate of tests.
    pub fn crate_role(&self, path: &Path) -> Option<&Fact<Role>> {
        let own = self
            .crates
            .iter()
            .filter(|dir| path.starts_with(dir))
            .max_by_key(|dir| dir.components().count())?;
        self.test_crates
            .iter()
            .find(|(dir, _)| dir == own)
            .map(|(_, f)| f)
    }

    /// Whether a drizzle-kit journal for the migrations folder `root`
    /// lists the migration at `path`: `None` when no journal speaks for
    /// the folder.
    pub fn journal_lists(&self, root: &Path, path: &Path) -> Option<bool> {
        let (_, tags) = self.journals.iter().find(|(r, _)| r == root)?;
        let stem = path.file_stem()?.to_str()?;
        Some(tags.contains(stem))
    }

    fn sqlc(&mut self, dir: &Path, name: &str, text: &str) {
        let Some(doc) = parse_yaml_or_json(name, text) else {
            return;
        };
        // Version 2 lists `sql`, version 1 `packages`.
        for entry in doc
            .get("sql")
            .or_else(|| doc.get("packages"))
            .into_iter()
            .flat_map(Node::items)
        {
            let Some(engine) = entry.get("engine").and_then(Node::str) else {
                continue;
            };
            let Some(dialect) = Dialect::from_name(engine) else {
                continue;
            };
            let evidence = format!("{}: engine: {engine}", shown(dir.join(name), &self.root));
            for key in ["queries", "schema"] {
                for p in entry.get(key).into_iter().flat_map(Node::strings) {
                    let path = crate::discover::normalize(&dir.join(p));
                    self.sql.push((path, Fact::new(dialect, evidence.clone())));
                }
            }
        }
    }

    fn drizzle(&mut self, dir: &Path, name: &str, text: &str) {
        let dialect = quoted_value(text, "dialect")
            .or_else(|| quoted_value(text, "driver"))
            .and_then(|d| Some((Dialect::from_name(d.trim_end_matches('2'))?, d)));
        let Some((dialect, said)) = dialect else {
            return;
        };
        let out = quoted_value(text, "out").unwrap_or("drizzle");
        let evidence = format!("{}: dialect: {said}", shown(dir.join(name), &self.root));
        let path = crate::discover::normalize(&dir.join(out));
        self.sql.push((path, Fact::new(dialect, evidence)));
    }

    fn journal(&mut self, dir: &Path, text: &str) {
        if dir.file_name().is_none_or(|n| n != "meta") {
            return;
        }
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let tags = value
            .get("entries")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("tag")?.as_str().map(str::to_owned))
            .collect();
        let Some(root) = dir.parent() else { return };
        self.journals.push((root.to_path_buf(), tags));
        if let Some(d) = value.get("dialect").and_then(|d| d.as_str())
            && let Some(dialect) = Dialect::from_name(d)
        {
            let evidence = format!(
                "{}: dialect: {d}",
                shown(dir.join("_journal.json"), &self.root)
            );
            self.sql
                .push((root.to_path_buf(), Fact::new(dialect, evidence)));
        }
    }

    fn prisma(&mut self, path: &Path, text: &str) {
        // `datasource db { provider = "mysql" ... }`
        let Some(start) = text.find("datasource") else {
            return;
        };
        let block = &text[start..];
        let block = &block[..block.find('}').unwrap_or(block.len())];
        let provider = provider(block);
        let Some(provider) = provider else { return };
        let Some(dialect) = Dialect::from_name(&provider) else {
            return;
        };
        let evidence = format!(
            "{}: provider = \"{provider}\"",
            shown(path.to_path_buf(), &self.root)
        );
        // The package the schema belongs to: the nearest folder above it
        // with a `package.json`, else the schema's folder.
        let dir = path.parent().unwrap_or(Path::new(""));
        let package = dir
            .ancestors()
            .take_while(|d| d.starts_with(&self.root))
            .find(|d| d.join("package.json").is_file())
            .unwrap_or(dir);
        self.folders
            .push((package.to_path_buf(), Fact::new(dialect, evidence)));
    }

    /// Prisma's `migration_lock.toml` names the provider its migrations
    /// are written for.
    fn migration_lock(&mut self, dir: &Path, text: &str) {
        let provider = provider(text);
        if let Some(provider) = provider
            && let Some(dialect) = Dialect::from_name(&provider)
        {
            let evidence = format!(
                "{}: provider = \"{provider}\"",
                shown(dir.join("migration_lock.toml"), &self.root)
            );
            self.sql
                .push((dir.to_path_buf(), Fact::new(dialect, evidence)));
        }
    }

    /// `diesel.toml`'s `[migrations_directory] dir`, in the database its
    /// crate's `Cargo.toml` names.
    fn diesel(&mut self, dir: &Path, text: &str) {
        let Ok(value) = text.parse::<toml::Table>() else {
            return;
        };
        let folder = value
            .get("migrations_directory")
            .and_then(|m| m.get("dir"))
            .and_then(|d| d.as_str())
            .unwrap_or("migrations");
        let crate_dialect = self
            .folders
            .iter()
            .filter(|(p, _)| dir.starts_with(p))
            .max_by_key(|(p, _)| p.components().count())
            .map(|(_, f)| f.clone());
        if let Some(f) = crate_dialect {
            let evidence = format!(
                "{} with {}",
                shown(dir.join("diesel.toml"), &self.root),
                f.evidence
            );
            let path = crate::discover::normalize(&dir.join(folder));
            self.sql.push((path, Fact::new(f.value, evidence)));
        }
    }

    fn cargo(&mut self, dir: &Path, text: &str) {
        let Ok(value) = text.parse::<toml::Table>() else {
            return;
        };
        self.crates.push(dir.to_path_buf());
        // A crate that builds a test harness into itself, not only into
        // its tests (`[dependencies]`, not `[dev-dependencies]`), is a
        // crate of tests: integration tests kept in a crate of their own.
        let harness = value
            .get("dependencies")
            .and_then(|d| d.as_table())
            .into_iter()
            .flatten()
            .find(|(krate, spec)| {
                TEST_HARNESSES.contains(&krate.as_str())
                    && spec.get("optional").and_then(|o| o.as_bool()) != Some(true)
            });
        if let Some((krate, _)) = harness {
            let evidence = format!(
                "{}: dependency `{krate}`, which only tests use",
                shown(dir.join("Cargo.toml"), &self.root)
            );
            self.test_crates
                .push((dir.to_path_buf(), Fact::new(Role::Test, evidence)));
        }
        let mut dialects: Vec<(Dialect, String)> = Vec::new();
        // The crate's dependencies, the workspace's, and those of each
        // target (`[target.'cfg(unix)'.dependencies]`).
        let targets = value
            .get("target")
            .and_then(|t| t.as_table())
            .into_iter()
            .flat_map(|t| t.values())
            .map(|t| t.get("dependencies"));
        let tables = [
            value.get("dependencies"),
            value.get("workspace").and_then(|w| w.get("dependencies")),
        ]
        .into_iter()
        .chain(targets);
        for deps in tables.flatten() {
            for (krate, spec) in deps.as_table().into_iter().flatten() {
                let features: Vec<&str> = spec
                    .get("features")
                    .and_then(|f| f.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str())
                    .collect();
                let mut add = |d: Dialect, why: String| {
                    if !dialects.iter().any(|(x, _)| *x == d) {
                        dialects.push((d, why));
                    }
                };
                match krate.as_str() {
                    "sqlx" | "diesel" | "sea-orm" => {
                        for f in features {
                            let db = f.trim_start_matches("sqlx-").trim_start_matches("runtime-");
                            if let Some(d) = Dialect::from_name(db) {
                                add(d, format!("{krate} feature `{f}`"));
                            }
                        }
                    }
                    "tokio-postgres" | "postgres" | "deadpool-postgres" => {
                        add(Dialect::Postgres, format!("dependency `{krate}`"))
                    }
                    "rusqlite" => add(Dialect::Sqlite, format!("dependency `{krate}`")),
                    "mysql" | "mysql_async" => add(Dialect::Mysql, format!("dependency `{krate}`")),
                    // Another driver or pool the crate always builds with
                    // (`bb8-postgres`, `r2d2_sqlite`); an optional one is
                    // one choice among the crate's features.
                    k if spec.get("optional").and_then(|o| o.as_bool()) != Some(true) => {
                        if k.contains("postgres") {
                            add(Dialect::Postgres, format!("dependency `{krate}`"));
                        } else if k.contains("sqlite") {
                            add(Dialect::Sqlite, format!("dependency `{krate}`"));
                        } else if k.contains("mysql") {
                            add(Dialect::Mysql, format!("dependency `{krate}`"));
                        }
                    }
                    _ => {}
                }
            }
        }
        // A crate whose only database is SQLite (rusqlite, sqlx's `sqlite`)
        // runs its queries in its own process.
        if !dialects.is_empty() {
            let embedded = dialects.iter().all(|(d, _)| *d == Dialect::Sqlite);
            self.drivers.push((dir.to_path_buf(), embedded));
        }
        if let [(dialect, why)] = dialects.as_slice() {
            let evidence = format!("{}: {why}", shown(dir.join("Cargo.toml"), &self.root));
            self.folders
                .push((dir.to_path_buf(), Fact::new(*dialect, evidence)));
        }
    }

    fn knex(&mut self, dir: &Path, name: &str, text: &str) {
        let clients: HashSet<Dialect> = quoted_values(text, "client")
            .filter_map(|c| {
                Dialect::from_name(c.trim_end_matches('2').trim_start_matches("better-"))
            })
            .collect();
        if clients.len() == 1
            && let Some(client) = quoted_values(text, "client").next()
        {
            let dialect = *clients.iter().next().unwrap_or(&Dialect::Postgres);
            let evidence = format!("{}: client: {client}", shown(dir.join(name), &self.root));
            self.folders
                .push((dir.to_path_buf(), Fact::new(dialect, evidence)));
        }
    }

    fn package(&mut self, dir: &Path, text: &str) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return;
        };
        let named: Vec<&str> = ["dependencies", "devDependencies", "optionalDependencies"]
            .iter()
            .filter_map(|k| value.get(k).and_then(|d| d.as_object()))
            .flat_map(|d| d.keys().map(String::as_str))
            .collect();
        let embedded = named.iter().any(|n| EMBEDDED_DRIVERS.contains(n));
        let served = named.iter().any(|n| SERVER_DRIVERS.contains(n));
        if embedded || served {
            self.drivers.push((dir.to_path_buf(), embedded && !served));
        }
        let manifest = shown(dir.join("package.json"), &self.root);
        let mut run = |command: &str, role: Role, why: String| {
            for word in command.split_whitespace() {
                let word = word.trim_matches(['"', '\'']);
                let script = [".ts", ".js", ".mjs", ".cjs", ".mts", ".cts"]
                    .iter()
                    .any(|e| word.ends_with(e));
                if script && !word.contains("://") {
                    let path = crate::discover::normalize(&dir.join(word));
                    self.scripts.push((path, Fact::new(role, why.clone())));
                }
            }
        };
        if let Some(seed) = value.pointer("/prisma/seed").and_then(|s| s.as_str()) {
            run(seed, Role::Seed, format!("{manifest}: prisma.seed"));
        }
        for (name, command) in value
            .get("scripts")
            .and_then(|s| s.as_object())
            .into_iter()
            .flatten()
        {
            let Some(command) = command.as_str() else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            let role = if lower.contains("seed") {
                Role::Seed
            } else if lower.contains("backfill")
                || lower.contains("data-migrat")
                || lower.contains("data:migrat")
            {
                Role::DataMigration
            } else {
                continue;
            };
            run(command, role, format!("{manifest}: script `{name}`"));
        }
    }
}

/// Crates that only tests use: a test runner's attributes (`serial_test`,
/// `rstest`, `test-case`, `test-log`), containers and HTTP stand-ins
/// started for a test, and snapshot tests. A product crate lists them under
/// `[dev-dependencies]`. Left out: `mockall`, which crates depend on to
/// write `#[cfg_attr(test, automock)]` in their own code, and assertion
/// helpers such as `pretty_assertions`, which product crates also list.
const TEST_HARNESSES: &[&str] = &[
    "serial_test",
    "rstest",
    "test-case",
    "test-log",
    "testcontainers",
    "testcontainers-modules",
    "wiremock",
    "insta",
    "cucumber",
    "googletest",
];

/// JavaScript drivers of a database that runs in the application's own
/// process.
const EMBEDDED_DRIVERS: &[&str] = &[
    "better-sqlite3",
    "sqlite3",
    "sqlite",
    "sql.js",
    "@sqlite.org/sqlite-wasm",
    "expo-sqlite",
    "@op-engineering/op-sqlite",
    "@electric-sql/pglite",
];

/// JavaScript drivers and clients of a database server, reached over the
/// network.
const SERVER_DRIVERS: &[&str] = &[
    "pg",
    "postgres",
    "pg-promise",
    "slonik",
    "@vercel/postgres",
    "@neondatabase/serverless",
    "@prisma/client",
    "mysql",
    "mysql2",
    "@planetscale/database",
    "@libsql/client",
    "@tursodatabase/serverless",
    "mssql",
    "tedious",
    "oracledb",
    "@supabase/supabase-js",
];

/// The value of a `provider = "..."` line: a Prisma datasource's, or a
/// `migration_lock.toml`'s.
fn provider(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "provider").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// `path` as the project shows it: below its root.
fn shown(path: PathBuf, root: &Path) -> String {
    path.strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// The string after `key:` (or `key =`) in code, quoted with `"`, `'` or
/// `` ` ``: `dialect: "mysql"` in a `drizzle.config.ts`.
fn quoted_value<'t>(text: &'t str, key: &'t str) -> Option<&'t str> {
    quoted_values(text, key).next()
}

fn quoted_values<'t>(text: &'t str, key: &'t str) -> impl Iterator<Item = &'t str> + 't {
    text.match_indices(key).filter_map(move |(at, _)| {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let rest = text[at + key.len()..].trim_start();
        let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest).trim_start();
        let rest = rest.strip_prefix([':', '='])?.trim_start();
        let quote = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))?;
        let body = &rest[1..];
        Some(&body[..body.find(quote)?])
    })
}

/// A configuration document, YAML or JSON, reduced to what is read of it.
enum Node {
    Str(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
    Other,
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn items(&self) -> std::slice::Iter<'_, Node> {
        match self {
            Node::List(items) => items.iter(),
            _ => [].iter(),
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string, or each string of a list.
    fn strings(&self) -> impl Iterator<Item = &str> {
        let all: Vec<&str> = match self {
            Node::Str(s) => vec![s.as_str()],
            Node::List(items) => items.iter().filter_map(Node::str).collect(),
            _ => Vec::new(),
        };
        all.into_iter()
    }
}

fn parse_yaml_or_json(name: &str, text: &str) -> Option<Node> {
    if name.ends_with(".json") {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        return Some(from_json(&value));
    }
    let docs = yaml_rust2::YamlLoader::load_from_str(text).ok()?;
    docs.first().map(from_yaml)
}

fn from_json(value: &serde_json::Value) -> Node {
    match value {
        serde_json::Value::String(s) => Node::Str(s.clone()),
        serde_json::Value::Array(items) => Node::List(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            Node::Map(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
        _ => Node::Other,
    }
}

fn from_yaml(value: &yaml_rust2::Yaml) -> Node {
    use yaml_rust2::Yaml;
    match value {
        Yaml::String(s) => Node::Str(s.clone()),
        Yaml::Array(items) => Node::List(items.iter().map(from_yaml).collect()),
        Yaml::Hash(map) => Node::Map(
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), from_yaml(v))))
                .collect(),
        ),
        _ => Node::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let root = crate::discover::normalize(dir.path());
        let p = Project::read(&root, &[], &|p| std::fs::read_to_string(p).ok());
        (dir, p)
    }

    #[test]
    fn a_crate_that_builds_a_test_harness_into_itself_is_a_crate_of_tests() {
        let (dir, p) = project(&[
            (
                "packages/proxy/Cargo.toml",
                "[dependencies]\ntokio-postgres = \"0.7\"\n[dev-dependencies]\nserial_test = \"3\"\n",
            ),
            (
                "packages/proxy-integration/Cargo.toml",
                "[dependencies]\ntokio-postgres = \"0.7\"\nserial_test = \"3\"\n",
            ),
            (
                "packages/proxy-integration/tools/Cargo.toml",
                "[dependencies]\ntokio = \"1\"\n",
            ),
            (
                "packages/report/Cargo.toml",
                "[dependencies]\ninsta = { version = \"1\", optional = true }\n",
            ),
        ]);
        let root = crate::discover::normalize(dir.path());
        let role = |f: &str| p.crate_role(&root.join(f)).map(|r| r.value);
        assert_eq!(
            role("packages/proxy-integration/src/select.rs"),
            Some(Role::Test)
        );
        assert_eq!(
            p.crate_role(&root.join("packages/proxy-integration/src/lib.rs"))
                .unwrap()
                .evidence,
            "packages/proxy-integration/Cargo.toml: dependency `serial_test`, which only tests use"
        );
        // Tests' own dependencies, a nested crate of its own, an optional
        // harness: not crates of tests.
        assert_eq!(role("packages/proxy/src/main.rs"), None);
        assert_eq!(role("packages/proxy-integration/tools/src/main.rs"), None);
        assert_eq!(role("packages/report/src/lib.rs"), None);
    }

    #[test]
    fn sqlc_engines_name_the_dialect_of_their_queries() {
        let (dir, p) = project(&[(
            "db/sqlc.yaml",
            "version: \"2\"\nsql:\n  - engine: \"mysql\"\n    queries: \"queries\"\n    schema:\n      - \"schema.sql\"\n",
        )]);
        let root = crate::discover::normalize(dir.path());
        let d = p.dialect_named(&root.join("db/queries/users.sql")).unwrap();
        assert_eq!(d.value, Dialect::Mysql);
        assert_eq!(d.evidence, "db/sqlc.yaml: engine: mysql");
        assert_eq!(
            p.dialect_named(&root.join("db/schema.sql")).unwrap().value,
            Dialect::Mysql
        );
        assert!(p.dialect_named(&root.join("other/x.sql")).is_none());
    }

    #[test]
    fn drizzle_configs_and_journals() {
        let (dir, p) = project(&[
            (
                "drizzle.config.ts",
                "export default defineConfig({ dialect: 'mysql', out: './migrations' })",
            ),
            (
                "migrations/meta/_journal.json",
                r#"{"dialect":"mysql","entries":[{"tag":"0000_init"}]}"#,
            ),
        ]);
        let root = crate::discover::normalize(dir.path());
        let m = root.join("migrations");
        assert_eq!(
            p.dialect_named(&m.join("0001_x.sql")).unwrap().value,
            Dialect::Mysql
        );
        assert_eq!(p.journal_lists(&m, &m.join("0000_init.sql")), Some(true));
        assert_eq!(p.journal_lists(&m, &m.join("manual_fix.sql")), Some(false));
        assert_eq!(p.journal_lists(&root, &root.join("x.sql")), None);
    }

    #[test]
    fn a_package_whose_only_driver_is_embedded_runs_its_database_in_process() {
        let (dir, p) = project(&[
            (
                "package.json",
                r#"{"dependencies":{"pg":"8"},"devDependencies":{"better-sqlite3":"11"}}"#,
            ),
            (
                "apps/desktop/package.json",
                r#"{"dependencies":{"better-sqlite3":"11","drizzle-orm":"0.40"},"devDependencies":{"@types/pg":"8"}}"#,
            ),
            ("apps/ui/package.json", r#"{"dependencies":{"react":"19"}}"#),
            (
                "apps/sync/package.json",
                r#"{"dependencies":{"better-sqlite3":"11","@libsql/client":"0.14"}}"#,
            ),
        ]);
        let root = crate::discover::normalize(dir.path());
        assert!(p.database_in_process(&root.join("apps/desktop/src/db.ts")));
        // Both kinds, a server alone, or the nearest driver-naming package
        // above naming a server: the round trip is there.
        assert!(!p.database_in_process(&root.join("apps/sync/src/db.ts")));
        assert!(!p.database_in_process(&root.join("src/db.ts")));
        assert!(!p.database_in_process(&root.join("apps/ui/src/db.ts")));
    }

    #[test]
    fn a_crate_whose_only_driver_is_sqlite_runs_its_database_in_process() {
        let (dir, p) = project(&[
            (
                "storage/Cargo.toml",
                "[target.\"cfg(not(target_arch = \\\"wasm32\\\"))\".dependencies.sqlx]\nworkspace = true\nfeatures = [\"sqlite\", \"macros\"]\n",
            ),
            (
                "server/Cargo.toml",
                "[dependencies]\ntokio-postgres = \"0.7\"\n\n[target.'cfg(unix)'.dependencies]\nrusqlite = \"0.31\"\n",
            ),
            (
                "wallet/Cargo.toml",
                "[dependencies]\nr2d2 = \"0.8\"\nr2d2_sqlite = { version = \"0.24\", features = [\"bundled\"] }\n",
            ),
            (
                "indexer/Cargo.toml",
                "[dependencies]\nr2d2_sqlite = \"0.24\"\nbb8-postgres = \"0.9\"\n",
            ),
            (
                "vault/Cargo.toml",
                "[features]\npostgresql = [\"diesel/postgres\"]\nsqlite = [\"diesel/sqlite\", \"libsqlite3-sys/bundled\"]\n\n[dependencies]\ndiesel = \"2\"\nlibsqlite3-sys = { version = \"0.30\", optional = true }\n",
            ),
        ]);
        let root = crate::discover::normalize(dir.path());
        // A dependency for some targets is still the crate's database.
        assert!(p.database_in_process(&root.join("storage/src/lib.rs")));
        assert!(!p.database_in_process(&root.join("server/src/lib.rs")));
        // A pool's crate names its driver.
        assert!(p.database_in_process(&root.join("wallet/src/storage.rs")));
        assert!(!p.database_in_process(&root.join("indexer/src/lib.rs")));
        // SQLite as one optional choice among the crate's features.
        assert!(!p.database_in_process(&root.join("vault/src/db.rs")));
    }

    #[test]
    fn packages_name_dialects_and_scripts() {
        let (dir, p) = project(&[
            (
                "api/Cargo.toml",
                "[dependencies]\nsqlx = { version = \"0.8\", features = [\"sqlite\", \"runtime-tokio\"] }\n",
            ),
            (
                "web/package.json",
                r#"{"scripts":{"db:seed":"tsx prisma/seed-data.ts","dev":"next dev src/main.ts"}}"#,
            ),
            (
                "web/prisma/schema.prisma",
                "datasource db {\n  provider = \"mysql\"\n  url = env(\"X\")\n}\n",
            ),
        ]);
        let root = crate::discover::normalize(dir.path());
        assert_eq!(
            p.dialect_of_package(&root.join("api/src/db.rs"))
                .unwrap()
                .value,
            Dialect::Sqlite
        );
        assert_eq!(
            p.dialect_of_package(&root.join("web/src/q.ts"))
                .unwrap()
                .value,
            Dialect::Mysql
        );
        let seed = p
            .script_role(&root.join("web/prisma/seed-data.ts"))
            .unwrap();
        assert_eq!(seed.value, Role::Seed);
        assert_eq!(seed.evidence, "web/package.json: script `db:seed`");
        assert!(p.script_role(&root.join("web/src/main.ts")).is_none());
        let (dir, p) = project(&[
            (
                "Cargo.toml",
                "[dependencies]\ndiesel = { version = \"2\", features = [\"mysql\"] }\n",
            ),
            (
                "diesel.toml",
                "[migrations_directory]\ndir = \"db/changes\"\n",
            ),
        ]);
        let root = crate::discover::normalize(dir.path());
        let d = p
            .dialect_named(&root.join("db/changes/2024-01-01_x/up.sql"))
            .unwrap();
        assert_eq!(d.value, Dialect::Mysql);
        assert_eq!(
            d.evidence,
            "diesel.toml with Cargo.toml: diesel feature `mysql`"
        );
    }
}
