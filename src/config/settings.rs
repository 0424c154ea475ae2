//! The settings a file is linted with: the rules, the dialect, the rules'
//! options, and how they change for some paths (test code, a dialect a
//! folder names, `[[overrides]]`). The configuration file and the command
//! line both come down to one [`Settings`]; [`for_path`] gives the settings
//! of one file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::context::{Fact, Project, Role};
use crate::discover::dialect_hint;
use crate::migrate::{Tool, TxOverride};
use crate::parse::Dialect;
use crate::rules::{RULES, Rule, RuleOptions};

/// Files larger than this are skipped unless `max-file-size` says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// Files that take longer than this many seconds to lint are skipped
/// unless `file-timeout` says otherwise.
pub const DEFAULT_FILE_TIMEOUT: f64 = 10.0;
/// How much memory the Rust scans made while the project's facts are
/// built may keep for the files' lint, in bytes (see [`Limits::kept_scans`]).
pub const DEFAULT_KEPT_SCANS: usize = 64 * 1024 * 1024;

/// What a file may cost before it is skipped.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_file_size: u64,
    pub file_timeout: Duration,
    /// What the scans of the Rust files, made while the project's facts
    /// are built, may keep for the files' lint. Past it, a file's scan is
    /// let go and the file is scanned again when it is linted, so a run's
    /// memory does not grow with the number of files.
    pub kept_scans: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            file_timeout: Duration::from_secs_f64(DEFAULT_FILE_TIMEOUT),
            kept_scans: DEFAULT_KEPT_SCANS,
        }
    }
}

impl Limits {
    /// The time `files` files may take together (`file-timeout` each).
    pub fn budget(&self, files: usize) -> Duration {
        let files = u32::try_from(files).unwrap_or(u32::MAX).max(1);
        self.file_timeout.saturating_mul(files)
    }
}

/// Which rules run, and how.
#[derive(Clone)]
pub struct Settings {
    pub rules: Vec<&'static Rule>,
    pub dialect: Dialect,
    pub options: RuleOptions,
    /// Whether migrations run inside transactions, over what their tool does.
    pub transactions: TxOverride,
    /// Rules reported at another severity than their own.
    pub severities: Vec<(&'static str, crate::diagnostic::Severity)>,
    /// Settings for some files only (`[[overrides]]`).
    pub overrides: std::sync::Arc<Vec<FileOverride>>,
    /// `.sql` files that are migrations beyond the layouts querylint knows:
    /// the configuration's folder and its `migrations` globs.
    pub migrations: Option<std::sync::Arc<(PathBuf, globset::GlobSet)>>,
    /// Whether the application rules run on test code too (`lint-tests`).
    pub lint_tests: bool,
    /// The project's root, if known: whether a file is test code and the
    /// dialect its folders name are read from its path below it.
    pub root: Option<std::sync::Arc<PathBuf>>,
    /// What the project's tool configurations say of its files.
    pub project: Option<std::sync::Arc<Project>>,
    /// The role of the file these settings are for ([`for_path`]); the
    /// run's settings are for application code.
    pub role: Role,
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
    pub role: Option<Role>,
    pub dialect: Option<Dialect>,
    pub tool: Option<Tool>,
    pub transactions: Option<TxOverride>,
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
            severities: Vec::new(),
            overrides: Default::default(),
            migrations: None,
            lint_tests: false,
            root: None,
            project: None,
            role: Role::Application,
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

    pub fn with_dialect(&self, dialect: Dialect) -> Settings {
        Settings {
            dialect,
            ..self.clone()
        }
    }
}

/// What querylint knows of one file before it lints it, each fact with
/// the evidence it was read from (see [`crate::context`]).
#[derive(Debug, Clone)]
pub struct FileContext {
    pub role: Fact<Role>,
    pub dialect: Fact<Dialect>,
}

/// The context of the file at `path`: `migration` says it is a migration
/// its tool runs, and `text`, if given, is read for the signs of a dialect
/// when nothing else says it.
pub fn context(
    path: &Path,
    settings: &Settings,
    migration: bool,
    text: Option<&str>,
) -> FileContext {
    let root = settings.root.as_deref().map(PathBuf::as_path);
    let local = crate::discover::below(path, root);
    let absolute = crate::discover::absolute(path);
    let overrides: Vec<&FileOverride> = settings
        .overrides
        .iter()
        .filter(|o| o.matches(path))
        .collect();
    let said = "`[[overrides]]` in the configuration";
    let project = settings.project.as_deref();
    let role = overrides
        .iter()
        .find_map(|o| o.role)
        .map(|r| Fact::new(r, said))
        .or_else(|| project.and_then(|p| p.script_role(&absolute)).cloned())
        .or_else(|| crate::context::role_of_path(&local, migration))
        .or_else(|| project.and_then(|p| p.crate_role(&absolute)).cloned())
        .unwrap_or_else(|| Fact::new(Role::Application, "no other role applies"));
    let dialect = overrides
        .iter()
        .find_map(|o| o.dialect)
        .map(|d| Fact::new(d, said))
        .or_else(|| project.and_then(|p| p.dialect_named(&absolute)).cloned())
        .or_else(|| dialect_hint(&local).map(|d| Fact::new(d, "the file's name or folder")))
        .or_else(|| {
            // Only `.sql` files are read for signs: in code, the host's
            // own syntax would be taken for them.
            let sql = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("sql"));
            text.filter(|_| sql)
                .and_then(crate::context::dialect_of_text)
        })
        .or_else(|| {
            project
                .and_then(|p| p.dialect_of_package(&absolute))
                .cloned()
        })
        .unwrap_or_else(|| Fact::new(settings.dialect, crate::context::FALLBACK));
    FileContext { role, dialect }
}

/// The settings for the file at `path`: the rules for its role, in its
/// dialect, with the overrides that match it.
pub fn for_path<'s>(path: &Path, settings: &'s Settings) -> std::borrow::Cow<'s, Settings> {
    let local = crate::discover::below(path, settings.root.as_deref().map(PathBuf::as_path));
    let migration = crate::discover::classify(&local)
        == Some(crate::discover::FileKind::MigrationSql)
        || settings.is_migration(path);
    with_context(path, settings, &context(path, settings, migration, None))
}

/// The settings for a migration its tool runs, at `path`.
pub fn for_migration<'s>(path: &Path, settings: &'s Settings) -> std::borrow::Cow<'s, Settings> {
    with_context(path, settings, &context(path, settings, true, None))
}

/// The settings for the file at `path` whose context is `context`.
pub fn with_context<'s>(
    path: &Path,
    settings: &'s Settings,
    context: &FileContext,
) -> std::borrow::Cow<'s, Settings> {
    let mut out = std::borrow::Cow::Borrowed(settings);
    let role = context.role.value;
    let sql = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"));
    let keep = |r: &&Rule| {
        r.roles.run_on(role, settings.lint_tests)
            // The views a migration defines run at every query.
            || (sql && role.is_migration() && r.roles.contains(Role::Application))
    };
    if role != settings.role || !settings.rules.iter().all(|r| keep(&r)) {
        let s = out.to_mut();
        s.role = role;
        s.rules.retain(|r| keep(&r));
    }
    if context.dialect.value != settings.dialect {
        out.to_mut().dialect = context.dialect.value;
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
        if let Some(t) = o.transactions {
            s.transactions = t;
        }
    }
    out
}

/// The migration tool an override names for the file at `path`.
pub fn tool_override(path: &Path, settings: &Settings) -> Option<Tool> {
    settings
        .overrides
        .iter()
        .filter(|o| o.matches(path))
        .find_map(|o| o.tool)
}

/// Options given on top of the configuration file, as the command line
/// does: each one set replaces the file's value.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Replaces the file's whole choice of rules.
    pub select: Option<Vec<String>>,
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
    pub dialect: Option<Dialect>,
    pub lint_tests: bool,
    pub offset_threshold: Option<u64>,
    pub postgres_version: Option<u32>,
    pub lock_timeout: Option<String>,
    pub transactions: Option<TxOverride>,
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    pub file_timeout: Option<f64>,
}

/// Everything a run is configured with: the settings of its files, the
/// globs it skips and what a file may cost.
#[derive(Clone)]
pub struct Effective {
    pub settings: Settings,
    pub exclude: Vec<String>,
    pub limits: Limits,
}

impl Default for Effective {
    fn default() -> Self {
        Effective {
            settings: Settings::default(),
            exclude: Vec::new(),
            limits: Limits::default(),
        }
    }
}

impl super::Config {
    /// The file's settings with `options` over them. `--select` replaces
    /// the file's whole choice of rules; otherwise `--extend-select` and
    /// `--ignore` add to the file's.
    pub fn effective(&self, options: &Options) -> Result<Effective, String> {
        let mut settings = self.settings();
        let strings = |v: &[toml::Spanned<String>]| -> Vec<String> {
            v.iter().map(|s| s.get_ref().clone()).collect()
        };
        let from_file = options.select.is_none();
        let select = options
            .select
            .clone()
            .or_else(|| self.select.as_deref().map(strings));
        let extend: Vec<String> = strings(&self.extend_select)
            .into_iter()
            .filter(|_| from_file)
            .chain(options.extend_select.iter().cloned())
            .collect();
        let ignore: Vec<String> = strings(&self.ignore)
            .into_iter()
            .filter(|_| from_file)
            .chain(options.ignore.iter().cloned())
            .collect();
        settings.rules = super::resolve_rules(
            select.as_ref().map(|s| s.iter().map(String::as_str)),
            extend.iter().map(String::as_str),
            ignore.iter().map(String::as_str),
        )?;
        if let Some(d) = options.dialect {
            settings.dialect = d;
        }
        if options.lint_tests {
            settings.lint_tests = true;
        }
        if let Some(v) = options.offset_threshold {
            settings.options.offset_threshold = v;
        }
        if let Some(v) = options.postgres_version {
            settings.options.postgres_version = v;
        }
        if let Some(v) = &options.lock_timeout {
            settings.options.lock_timeout = v.clone();
        }
        if let Some(v) = options.transactions {
            settings.transactions = v;
        }
        let exclude = self
            .exclude
            .iter()
            .chain(&options.exclude)
            .cloned()
            .collect();
        let limits = Limits {
            max_file_size: options
                .max_file_size
                .or(self.max_file_size)
                .unwrap_or(DEFAULT_MAX_FILE_SIZE),
            file_timeout: Duration::from_secs_f64(
                options
                    .file_timeout
                    .or(self.file_timeout)
                    .unwrap_or(DEFAULT_FILE_TIMEOUT),
            ),
            kept_scans: DEFAULT_KEPT_SCANS,
        };
        Ok(Effective {
            settings,
            exclude,
            limits,
        })
    }
}
