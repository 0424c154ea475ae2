//! What a file is before it is linted: its role (application code, a
//! test, a script, a migration...), the SQL dialect it is written in, and
//! for a migration the tool that runs it, each with the evidence it was
//! read from.
//!
//! Evidence is read in this order, the first that speaks deciding:
//! 1. `[[overrides]]` in the configuration (`role`, `dialect`,
//!    `migration-tool`, `transactions`);
//! 2. the tools' own configuration where it names the file or its folder
//!    ([`project`]): sqlc's `queries` and `schema`, drizzle-kit's `out`
//!    and `meta/_journal.json`, Prisma's `migration_lock.toml`, and the
//!    files `package.json` runs as seeds or data migrations;
//! 3. the file's name and folders (`scripts/`, `db/sqlite/`,
//!    `x.mysql.sql`);
//! 4. what a `.sql` file's text shows (SQLite's `AUTOINCREMENT`, MySQL's
//!    `ENGINE=InnoDB`, ClickHouse's `MergeTree`);
//! 5. the configuration of the package the file is in: the database
//!    features in `Cargo.toml`, a `schema.prisma` datasource, a knexfile;
//! 6. the configuration's `dialect`, else PostgreSQL.
//!
//! Rules declare the roles they apply to ([`Roles`]); the settings of a
//! file keep only the rules for its role (see `config::for_path`).

pub mod project;

use std::path::Path;

use serde::Serialize;

use crate::parse::Dialect;
pub use project::Project;

/// What a file is for, which decides the rules that apply to it.
/// Its name outside querylint is [`Role::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Code that serves requests: every rule applies.
    Application,
    /// Unit and integration tests.
    Test,
    /// End-to-end tests (`playwright/`, `cypress/`, `e2e/`).
    EndToEndTest,
    /// Scripts and tools run by hand: `scripts/`, `tools/`.
    Script,
    /// Examples and demos shown to readers (`examples/`, `demo/`): run by
    /// hand against sample data, never serving requests.
    Example,
    /// Code that fills a database with starting or sample data.
    Seed,
    /// Code or SQL that changes a database's data once.
    DataMigration,
    /// SQL a migration tool runs once to change the schema.
    SchemaMigration,
    /// Code a tool wrote (`@generated`, `generated/`).
    Generated,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Application,
        Role::Test,
        Role::EndToEndTest,
        Role::Script,
        Role::Example,
        Role::Seed,
        Role::DataMigration,
        Role::SchemaMigration,
        Role::Generated,
    ];

    /// The role's name in the configuration and in `querylint files`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Application => "application",
            Role::Test => "test",
            Role::EndToEndTest => "e2e-test",
            Role::Script => "script",
            Role::Example => "example",
            Role::Seed => "seed",
            Role::DataMigration => "data-migration",
            Role::SchemaMigration => "schema-migration",
            Role::Generated => "generated",
        }
    }

    /// How a rule's doc names files of the role.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Application => "application code",
            Role::Test => "tests",
            Role::EndToEndTest => "end-to-end tests",
            Role::Script => "scripts and tools",
            Role::Example => "examples",
            Role::Seed => "seeds",
            Role::DataMigration => "data migrations",
            Role::SchemaMigration => "schema migrations",
            Role::Generated => "generated code",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether the role is test code, which the application rules skip
    /// unless `lint-tests` asks for them.
    pub fn is_test(self) -> bool {
        matches!(self, Role::Test | Role::EndToEndTest)
    }

    pub fn is_migration(self) -> bool {
        matches!(self, Role::SchemaMigration | Role::DataMigration)
    }
}

/// A set of roles: the files a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Roles(u16);

impl Roles {
    /// Application code only: the performance rules, whose cost matters
    /// only for queries that run at every request.
    pub const APPLICATION: Roles = Roles::of(&[Role::Application]);
    /// Everything a database runs for real, tests aside: correctness and
    /// security.
    pub const NOT_TESTS: Roles = Roles::of(&[
        Role::Application,
        Role::Script,
        Role::Example,
        Role::Seed,
        Role::DataMigration,
        Role::SchemaMigration,
    ]);
    /// Schema migrations: the lock and rewrite rules.
    pub const SCHEMA_MIGRATIONS: Roles = Roles::of(&[Role::SchemaMigration]);
    /// Schema and data migrations: the backfill rules.
    pub const MIGRATIONS: Roles = Roles::of(&[Role::SchemaMigration, Role::DataMigration]);
    /// Every file but generated code: parse notes and suppressions.
    pub const ALL: Roles = Roles::of(&Role::ALL).without(Role::Generated);

    pub const fn of(roles: &[Role]) -> Roles {
        let mut bits = 0u16;
        let mut i = 0;
        while i < roles.len() {
            bits |= 1 << roles[i] as u16;
            i += 1;
        }
        Roles(bits)
    }

    pub const fn without(self, role: Role) -> Roles {
        Roles(self.0 & !(1 << role as u16))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & (1 << role as u16) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// Whether a rule for these roles runs on a file of `role`; tests take
    /// the application's rules when `lint_tests` asks.
    pub fn run_on(self, role: Role, lint_tests: bool) -> bool {
        self.contains(role) || (lint_tests && role.is_test() && self.contains(Role::Application))
    }

    /// The sentence a rule's doc states its roles in.
    pub fn sentence(self) -> String {
        let names: Vec<&str> = self.iter().map(Role::describe).collect();
        let list = match names.as_slice() {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        let tests = if self.contains(Role::Application) && !self.contains(Role::Test) {
            " Tests too with `--lint-tests`."
        } else {
            ""
        };
        format!("Runs on {list}.{tests}")
    }
}

/// Where a fact about a file was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact<T> {
    pub value: T,
    /// What says so: "sqlc.yaml: engine: mysql", "folder `scripts/`".
    pub evidence: String,
}

/// The evidence of a fact nothing but the configuration's default gives.
pub const FALLBACK: &str = "the configured default";

impl<T> Fact<T> {
    pub fn new(value: T, evidence: impl Into<String>) -> Fact<T> {
        Fact {
            value,
            evidence: evidence.into(),
        }
    }

    /// Whether nothing but the configuration's default gave the fact.
    pub fn is_fallback(&self) -> bool {
        self.evidence == FALLBACK
    }
}

/// Folder names that hold end-to-end tests.
const E2E_DIRS: &[&str] = &["e2e", "playwright", "cypress", "e2e-tests", "e2e_tests"];
/// Folder names that hold scripts and tools run by hand, developer tools
/// among them (`dev-tools/`, a Cargo `xtask/`).
const SCRIPT_DIRS: &[&str] = &[
    "scripts",
    "script",
    "tools",
    "tooling",
    "bin-scripts",
    "dev-tools",
    "dev_tools",
    "devtools",
    "xtask",
    // Kubernetes-style projects keep their developer scripts in `hack/`.
    "hack",
];
/// Folder names that hold examples and demos: code shown to readers and
/// run against sample data, in documentation, samples and playgrounds
/// too. Correctness and security rules apply (readers copy it), the
/// performance rules do not.
const EXAMPLE_DIRS: &[&str] = &[
    "examples",
    "example",
    "demo",
    "demos",
    "docs",
    "doc",
    "documentation",
    "samples",
    "sample",
    "playground",
    "sandbox",
    "tutorial",
    "tutorials",
    "cookbook",
    "showcase",
];
/// Folder names that hold seeds.
const SEED_DIRS: &[&str] = &[
    "seed",
    "seeds",
    "seeders",
    "seeding",
    "seed-data",
    "seed_data",
];
/// Folder names that hold code run once to move data over: a cutover to a
/// new format, one-off jobs.
const ONE_OFF_DIRS: &[&str] = &[
    "cutover", "cutovers", "one-off", "one-offs", "oneoff", "oneoffs",
];
/// Folder names that hold generated code.
const GENERATED_DIRS: &[&str] = &["generated", "__generated__", ".generated", "gen"];

/// The role a file's path says, with what in the path says it; `None`
/// for application code. `path` is below the project's root. `migration`
/// says a `.sql` file is a migration its tool runs.
pub fn role_of_path(path: &Path, migration: bool) -> Option<Fact<Role>> {
    let folders: Vec<String> = path
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| c.as_os_str().to_str())
        .map(str::to_ascii_lowercase)
        .collect();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let folder = |names: &[&str]| {
        folders
            .iter()
            .find(|f| names.contains(&f.as_str()))
            .map(|f| format!("folder `{f}/`"))
    };
    if let Some(why) = folder(GENERATED_DIRS) {
        return Some(Fact::new(Role::Generated, why));
    }
    if name.contains(".generated.") || name.contains(".gen.") {
        return Some(Fact::new(Role::Generated, format!("name `{name}`")));
    }
    let data_folder = folders
        .iter()
        .find(|f| f.contains("migrat") && (f.contains("data") || f.contains("backfill")))
        .or_else(|| {
            folders
                .iter()
                .find(|f| f.starts_with("backfill") || ONE_OFF_DIRS.contains(&f.as_str()))
        });
    if let Some(f) = data_folder {
        return Some(Fact::new(Role::DataMigration, format!("folder `{f}/`")));
    }
    if migration {
        return Some(Fact::new(
            Role::SchemaMigration,
            "a migration its tool runs",
        ));
    }
    // Code in a migrations folder runs once: a migration written in code
    // (knex, a data migration's `migration.ts`).
    if let Some(f) = folders.iter().find(|f| f.contains("migrat")) {
        return Some(Fact::new(
            Role::DataMigration,
            format!("code in folder `{f}/`"),
        ));
    }
    // logto-style `alterations/`, and code files named after the moment
    // they were written (`1678284778-add-roles.ts`,
    // `1.2.0-1690000000-backfill.ts`, `20240226053141_users.js`): one-off
    // migrations written in code.
    if let Some(f) = folders
        .iter()
        .find(|f| matches!(f.as_str(), "alterations" | "alteration"))
    {
        return Some(Fact::new(
            Role::DataMigration,
            format!("code in folder `{f}/`"),
        ));
    }
    if !name.ends_with(".sql") && timestamped(&name) {
        return Some(Fact::new(
            Role::DataMigration,
            format!("name `{name}` starts with a timestamp"),
        ));
    }
    if let Some(why) = folder(E2E_DIRS) {
        return Some(Fact::new(Role::EndToEndTest, why));
    }
    if name.contains(".e2e.") || name.contains(".e2e-spec.") || name.contains(".cy.") {
        return Some(Fact::new(Role::EndToEndTest, format!("name `{name}`")));
    }
    if crate::discover::is_test_code(path) {
        let why = folder(crate::discover::TEST_DIRS)
            .or_else(|| {
                folders
                    .iter()
                    .find(|f| crate::discover::test_folder_name(f))
                    .map(|f| format!("folder `{f}/`"))
            })
            .or_else(|| {
                folders
                    .first()
                    .filter(|f| matches!(f.as_str(), "integration" | "ci" | ".ci"))
                    .map(|f| format!("folder `{f}/`"))
            })
            .unwrap_or_else(|| format!("name `{name}`"));
        return Some(Fact::new(Role::Test, why));
    }
    if let Some(why) = folder(SEED_DIRS) {
        return Some(Fact::new(Role::Seed, why));
    }
    let stem = name.split('.').next().unwrap_or_default();
    if matches!(stem, "seed" | "seeds" | "seeder" | "seeding") || name.contains(".seed.") {
        return Some(Fact::new(Role::Seed, format!("name `{name}`")));
    }
    if let Some(why) = folder(SCRIPT_DIRS) {
        return Some(Fact::new(Role::Script, why));
    }
    // A program of its own (Cargo's `src/bin/`) named for a repair run
    // by hand: `src/bin/fix_blob_refs.rs`, `bin/backfill-owners.rs`.
    let first_word = stem.split(['_', '-']).next().unwrap_or_default();
    if folders.last().is_some_and(|f| f == "bin")
        && matches!(
            first_word,
            "fix" | "repair" | "backfill" | "migrate" | "reindex"
        )
    {
        return Some(Fact::new(
            Role::Script,
            format!("a program in `bin/` named `{name}`"),
        ));
    }
    if let Some(why) = folder(EXAMPLE_DIRS) {
        return Some(Fact::new(Role::Example, why));
    }
    None
}

/// Whether a file name starts with a timestamp of ten digits or more,
/// after at most a version: `1678284778-add-roles.ts`,
/// `1.2.0-1690000000-backfill.ts`, `20240226053141_users.js`.
fn timestamped(name: &str) -> bool {
    name.split(['-', '_'])
        .take(2)
        .any(|part| part.len() >= 10 && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The dialect what a `.sql` file's text shows, and the sign that shows
/// it: ClickHouse's table engines, SQLite's `AUTOINCREMENT`, `PRAGMA`,
/// `STRICT` and `WITHOUT ROWID`, MySQL's `ENGINE=InnoDB` and
/// `AUTO_INCREMENT`. `None` when nothing sets it apart from PostgreSQL.
/// Backquoted names are no sign: comments and strings hold them too, and
/// SQLite takes them.
pub fn dialect_of_text(text: &str) -> Option<Fact<Dialect>> {
    let upper = text.to_ascii_uppercase();
    let words = words(&upper);
    let has = |w: &str| words.iter().any(|x| *x == w);
    let sign = |d: Dialect, s: &str| Some(Fact::new(d, format!("the text has `{s}`")));
    if words
        .iter()
        .any(|w| w.ends_with("MERGETREE") || *w == "LOWCARDINALITY")
    {
        return sign(Dialect::Clickhouse, "MergeTree");
    }
    if has("AUTOINCREMENT") {
        return sign(Dialect::Sqlite, "AUTOINCREMENT");
    }
    if upper.lines().any(|l| l.trim_start().starts_with("PRAGMA ")) {
        return sign(Dialect::Sqlite, "PRAGMA");
    }
    if upper.contains("WITHOUT ROWID") {
        return sign(Dialect::Sqlite, "WITHOUT ROWID");
    }
    if upper.contains(") STRICT") {
        return sign(Dialect::Sqlite, "STRICT");
    }
    if has("AUTO_INCREMENT") {
        return sign(Dialect::Mysql, "AUTO_INCREMENT");
    }
    if upper.contains("ENGINE=INNODB") || upper.contains("ENGINE = INNODB") {
        return sign(Dialect::Mysql, "ENGINE=InnoDB");
    }
    None
}

/// The words of a text: runs of letters, digits and `_`.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &str) -> Option<Role> {
        role_of_path(Path::new(path), false).map(|f| f.value)
    }

    #[test]
    fn paths_say_the_role() {
        assert_eq!(role("src/routes/users.ts"), None);
        assert_eq!(role("scripts/backfill-users.ts"), Some(Role::Script));
        assert_eq!(role("apps/web/tools/copy.ts"), Some(Role::Script));
        assert_eq!(role("dev-tools/dbctl/src/inspect.rs"), Some(Role::Script));
        assert_eq!(role("xtask/src/reset_db.rs"), Some(Role::Script));
        assert_eq!(
            role("crates/indexer/src/bin/fix_orphans.rs"),
            Some(Role::Script)
        );
        assert_eq!(role("crates/indexer/src/bin/server.rs"), None);
        assert_eq!(role("crates/store/src/fix_orphans.rs"), None);
        // Test support in a file of its own.
        assert_eq!(role("crates/store/src/test_utils.rs"), Some(Role::Test));
        assert_eq!(role("crates/store/src/tests.rs"), Some(Role::Test));
        assert_eq!(role("crates/store/src/testament.rs"), None);
        assert_eq!(role("src/pages/api/admin/test.ts"), None);
        assert_eq!(role("src/lib/test-helpers.ts"), Some(Role::Test));
        assert_eq!(
            role("apps/web/lib/cutover/rehash-tokens.ts"),
            Some(Role::DataMigration)
        );
        assert_eq!(
            role("apps/web/playwright/login.ts"),
            Some(Role::EndToEndTest)
        );
        assert_eq!(role("cypress/support/db.ts"), Some(Role::EndToEndTest));
        assert_eq!(role("src/users.test.ts"), Some(Role::Test));
        // A project's integration tests, in a folder of their own.
        assert_eq!(role("integration/rust/src/setup.rs"), Some(Role::Test));
        // What CI runs, and a benchmark suite's fixed query text.
        assert_eq!(role("ci/scripts/sql/load/q7.sql"), Some(Role::Test));
        assert_eq!(role("src/ci/pipelines.rs"), None);
        assert_eq!(role("perf/nexmark/q104.sql"), Some(Role::Test));
        assert_eq!(role("olap/queries/tpc-h/13.sql"), Some(Role::Test));
        assert_eq!(
            role("crates/api/integration-tests/users.rs"),
            Some(Role::Test)
        );
        // A crate of tests, and what serves the tests of a crate.
        assert_eq!(
            role("crates/compactor_integration_tests/src/lib.rs"),
            Some(Role::Test)
        );
        assert_eq!(role("src/tests_cfg/queue.rs"), Some(Role::Test));
        assert_eq!(
            role("test_runner/sql_regress/sql/vacuum.sql"),
            Some(Role::Test)
        );
        assert_eq!(role("crates/test-support/src/db.rs"), Some(Role::Test));
        // A feature named after tests is not one.
        assert_eq!(role("src/ab_tests/assign.rs"), None);
        assert_eq!(role("src/test_runs/store.rs"), None);
        assert_eq!(role("src/latest/users.rs"), None);
        // Benchmarks are run by hand, as tests are.
        assert_eq!(role("crates/db/benches/search.rs"), Some(Role::Test));
        // Deeper, `integration` is application code talking to a service.
        assert_eq!(role("src/integration/slack.ts"), None);
        assert_eq!(role("prisma/seed.ts"), Some(Role::Seed));
        assert_eq!(role("db/seeds/users.sql"), Some(Role::Seed));
        assert_eq!(
            role("packages/database/migration/20240101_fix/migration.ts"),
            Some(Role::DataMigration)
        );
        assert_eq!(
            role("db/data-migrations/001.sql"),
            Some(Role::DataMigration)
        );
        assert_eq!(role("src/__generated__/queries.ts"), Some(Role::Generated));
        assert_eq!(
            role_of_path(Path::new("db/migrations/001.sql"), true).map(|f| f.value),
            Some(Role::SchemaMigration)
        );
        // A word inside a name is not a folder.
        assert_eq!(role("src/scriptsService.ts"), None);
        // Migrations written in code, by folder or by a timestamped name.
        assert_eq!(
            role("packages/schemas/alterations/1.2.0-1690000000-roles.ts"),
            Some(Role::DataMigration)
        );
        assert_eq!(
            role("src/db/1678284778-add-roles.ts"),
            Some(Role::DataMigration)
        );
        assert_eq!(
            role("src/db/20240226053141_users.js"),
            Some(Role::DataMigration)
        );
        assert_eq!(role("src/orders/1234-refunds.ts"), None);
        assert_eq!(role("src/reports/2024-01-summary.ts"), None);
        // Test data, stand-ins and load tests.
        assert_eq!(role("src/__fixtures__/orders.sql"), Some(Role::Test));
        assert_eq!(role("src/__mocks__/db.ts"), Some(Role::Test));
        assert_eq!(role("loadtest/scenarios/search.ts"), Some(Role::Test));
        assert_eq!(role("crates/api/test_suite/src/lib.rs"), Some(Role::Test));
        // Documentation, samples and playgrounds are shown to readers.
        assert_eq!(role("docs/recipes/search.sql"), Some(Role::Example));
        assert_eq!(role("samples/todo/src/main.rs"), Some(Role::Example));
        assert_eq!(role("playground/query.ts"), Some(Role::Example));
        assert_eq!(role("packages/showcase/src/main.rs"), Some(Role::Example));
        assert_eq!(role("hack/reset-db.sh.sql"), Some(Role::Script));
        // A word inside a folder's name is not the folder.
        assert_eq!(role("src/docstore/users.rs"), None);
        assert_eq!(role("src/mockingbird/users.rs"), None);
    }

    #[test]
    fn text_signs_say_the_dialect() {
        let d = |t: &str| dialect_of_text(t).map(|f| f.value);
        assert_eq!(
            d("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);"),
            Some(Dialect::Sqlite)
        );
        assert_eq!(d("PRAGMA foreign_keys = ON;"), Some(Dialect::Sqlite));
        assert_eq!(
            d("CREATE TABLE t (id INTEGER) STRICT;"),
            Some(Dialect::Sqlite)
        );
        assert_eq!(
            d("CREATE TABLE `t` (`id` int NOT NULL AUTO_INCREMENT) ENGINE=InnoDB;"),
            Some(Dialect::Mysql)
        );
        assert_eq!(
            d("CREATE TABLE t (a String) ENGINE = ReplacingMergeTree() ORDER BY a;"),
            Some(Dialect::Clickhouse)
        );
        assert_eq!(d("CREATE TABLE t (id bigserial PRIMARY KEY);"), None);
        assert_eq!(
            d("COMMENT ON TABLE t IS 'see `docs`';\nSELECT `a` FROM t;"),
            None
        );
    }

    #[test]
    fn roles_sentences_name_the_files() {
        assert_eq!(
            Roles::APPLICATION.sentence(),
            "Runs on application code. Tests too with `--lint-tests`."
        );
        assert_eq!(
            Roles::MIGRATIONS.sentence(),
            "Runs on data migrations and schema migrations."
        );
        assert!(Roles::NOT_TESTS.run_on(Role::Script, false));
        assert!(!Roles::NOT_TESTS.run_on(Role::Test, false));
        assert!(Roles::APPLICATION.run_on(Role::Test, true));
        assert!(!Roles::APPLICATION.run_on(Role::Script, true));
    }
}
