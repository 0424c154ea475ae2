//! `querylint.toml`: a repository's settings, shared by the command line
//! and the language server.
//!
//! The file is found from a folder upward (`querylint.toml`, then
//! `.querylint.toml`, in each folder); command-line options override it.
//! Every key is checked: an unknown key, a wrong type or an unknown rule id
//! is an error naming the file, the line and the key, with the closest
//! valid name.

mod resolve;
mod settings;

pub use resolve::Resolver;
pub use settings::{
    DEFAULT_FILE_TIMEOUT, DEFAULT_KEPT_SCANS, DEFAULT_MAX_FILE_SIZE, Effective, FileContext,
    FileOverride, Limits, Options, Settings, context, for_migration, for_path, tool_override,
    with_context,
};

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Severity;
use crate::migrate::TxOverride;
use crate::parse::Dialect;
use crate::rules::{Category, RULES, Rule, RuleOptions};

/// The names a configuration file may have, in the order they are tried
/// in each folder.
pub const FILE_NAMES: &[&str] = &["querylint.toml", ".querylint.toml"];

/// The keys of the file, for suggestions.
const KEYS: &[&str] = &[
    "migrations",
    "rules",
    "overrides",
    "files",
    "select",
    "extend-select",
    "ignore",
    "dialect",
    "postgres-version",
    "lock-timeout",
    "offset-threshold",
    "migration-transactions",
    "exclude",
    "max-file-size",
    "file-timeout",
    "lint-tests",
];

/// The keys of a `[rules.<id>]` table.
const RULE_KEYS: &[&str] = &["severity", "threshold", "page-numbers", "lock-timeout"];

/// querylint's configuration: `querylint.toml` or `.querylint.toml`,
/// found from the working folder (or a document's) upward.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "querylint.toml")]
pub struct Config {
    /// Rules to run instead of the rules on by default: rule ids,
    /// categories (correctness, performance, security, migration, style)
    /// or ALL.
    #[schemars(with = "Option<Vec<String>>")]
    pub select: Option<Vec<Spanned<String>>>,
    /// Rules or categories to run on top of the selected ones.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub extend_select: Vec<Spanned<String>>,
    /// Rules or categories not to run.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore: Vec<Spanned<String>>,
    /// The SQL dialect: postgres (default), cockroachdb, mysql, sqlite,
    /// mssql, clickhouse, generic.
    #[schemars(with = "Option<String>")]
    pub dialect: Option<Spanned<String>>,
    /// The PostgreSQL major version migrations run on (default 14).
    #[schemars(with = "Option<u32>", range(min = 9, max = 30))]
    pub postgres_version: Option<Spanned<u32>>,
    /// The lock_timeout the missing-lock-timeout fix sets, such as 5s.
    #[schemars(
        with = "Option<String>",
        regex(pattern = r"^[0-9]+(us|ms|s|min|h|d)?$")
    )]
    pub lock_timeout: Option<Spanned<String>>,
    /// offset-pagination reports literal offsets above this (default 1000).
    pub offset_threshold: Option<u64>,
    /// Whether migrations run inside a transaction: auto (what each
    /// migration tool does), always or never.
    #[schemars(with = "Option<TxChoice>")]
    pub migration_transactions: Option<Spanned<String>>,
    /// Gitignore-style globs of paths not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped (default 10 MiB).
    pub max_file_size: Option<u64>,
    /// Whether the rules for application SQL also run on test code (files
    /// under tests/, test/, testing/, test-utils/, test-helpers/, __tests__/, e2e/,
    /// testdata/, or named *.test.*,
    /// *.spec.*, *_test.rs). Default false.
    pub lint_tests: Option<bool>,
    /// Files that take longer than this many seconds to lint are skipped
    /// (default 10).
    #[serde(default, deserialize_with = "deserialize_seconds")]
    pub file_timeout: Option<f64>,
    /// Globs of .sql files that are migrations, beyond the layouts
    /// querylint knows (migrations/ folders, Prisma, Drizzle, sqlx,
    /// Flyway, golang-migrate...), relative to this file's folder.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub migrations: Vec<Spanned<String>>,
    /// Settings of single rules, by rule id: [rules.unbounded-select].
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, RuleConfig>")]
    pub rules: std::collections::BTreeMap<Spanned<String>, RuleConfig>,
    /// Settings for some files only: `[[overrides]]` with files globs,
    /// relative to this file's folder.
    #[serde(default)]
    pub overrides: Vec<OverrideConfig>,
    /// The folder of the file this was read from.
    #[serde(skip)]
    #[schemars(skip)]
    pub root: Option<PathBuf>,
}

/// Settings for the files some globs match.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverrideConfig {
    /// Gitignore-style globs of the files, relative to the configuration
    /// file's folder: tests/**, scripts/*.ts.
    #[schemars(with = "Vec<String>")]
    pub files: Vec<Spanned<String>>,
    /// Rules or categories to run on these files too.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub extend_select: Vec<Spanned<String>>,
    /// Rules or categories not to run on these files.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore: Vec<Spanned<String>>,
    /// Severities of single rules on these files.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, RuleConfig>")]
    pub rules: std::collections::BTreeMap<Spanned<String>, RuleConfig>,
    /// What these files are, over what querylint reads from them:
    /// application, test, e2e-test, script, example, seed,
    /// data-migration, schema-migration or generated. The rules that apply follow.
    #[schemars(with = "Option<RoleName>")]
    pub role: Option<Spanned<String>>,
    /// The SQL dialect of these files.
    #[schemars(with = "Option<String>")]
    pub dialect: Option<Spanned<String>>,
    /// The tool that runs these migrations: prisma, drizzle-kit, sqlx,
    /// golang-migrate, dbmate, goose, flyway, diesel, popx or plain.
    #[schemars(with = "Option<String>")]
    pub migration_tool: Option<Spanned<String>>,
    /// Whether these migrations run inside a transaction: auto, always or
    /// never.
    #[schemars(with = "Option<TxChoice>")]
    pub transactions: Option<Spanned<String>>,
}

/// The values of an override's `role`, for the schema: the roles' own
/// names.
struct RoleName;

impl schemars::JsonSchema for RoleName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RoleName".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = crate::context::Role::ALL.iter().map(|r| r.name()).collect();
        schemars::json_schema!({
            "description": "What files are; the rules that apply follow.",
            "type": "string",
            "enum": names,
        })
    }
}

/// The values of `migration-transactions`, for the schema.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum TxChoice {
    Auto,
    Always,
    Never,
}

/// The values of a rule's `severity`, for the schema.
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
enum SeverityChoice {
    Error,
    Warning,
    Info,
}

/// The settings of one rule.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    /// error, warning or info, over the rule's own.
    #[schemars(with = "Option<SeverityChoice>")]
    pub severity: Option<Spanned<String>>,
    /// offset-pagination: literal offsets above this are reported.
    #[schemars(with = "Option<u64>")]
    pub threshold: Option<Spanned<u64>>,
    /// offset-pagination: also report an offset taken from a page number
    /// or a parameter, not only one that walks a table in a loop.
    #[schemars(with = "Option<bool>")]
    pub page_numbers: Option<Spanned<bool>>,
    /// missing-lock-timeout: the lock_timeout its fix sets.
    #[schemars(with = "Option<String>")]
    pub lock_timeout: Option<Spanned<String>>,
}

/// The JSON Schema of the configuration file, as shipped in
/// `querylint.schema.json`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Config);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

fn severity(name: &str) -> Option<Severity> {
    match name {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" | "note" => Some(Severity::Info),
        _ => None,
    }
}

/// A configuration file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        message: format!("cannot be read: {e}"),
    })?;
    let mut config = parse(path, &text)?;
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    config.root = absolute.parent().map(Path::to_path_buf);
    Ok(config)
}

/// Checks the text of a configuration file.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let error = |span: Option<Range<usize>>, message: String| ConfigError {
        path: path.to_path_buf(),
        line: span.map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
        message,
    };
    let config: Config =
        toml::from_str(text).map_err(|e| error(e.span(), readable(e.message().trim_end())))?;
    check(&config).map_err(|(span, message)| error(span, message))?;
    Ok(config)
}

/// serde's message in the words of a configuration file. An unknown key
/// gets the closest key valid where it stands (serde lists those: `expected
/// one of ...`); a number written as a string says it is a number.
fn readable(raw: &str) -> String {
    if let Some(rest) = raw.strip_prefix("unknown field `")
        && let Some(key) = rest.split('`').next()
    {
        let here: Vec<&str> = match rest.split_once("expected one of ") {
            Some((_, list)) => list
                .split(',')
                .map(|k| k.trim().trim_matches('`'))
                .filter(|k| !k.is_empty())
                .collect(),
            None => KEYS.iter().chain(RULE_KEYS).copied().collect(),
        };
        return match closest(key, here.iter().copied()).filter(|near| *near != key) {
            Some(near) => format!("unknown key `{key}`; did you mean `{near}`?"),
            None => format!("unknown key `{key}`; the keys here are {}", here.join(", ")),
        };
    }
    let number = ["expected u", "expected i", "expected f"];
    if let Some(rest) = raw.strip_prefix("invalid type: string \"")
        && number.iter().any(|n| rest.contains(n))
    {
        let value = rest.split('"').next().unwrap_or_default();
        let example = if value.trim().parse::<f64>().is_ok() {
            value.trim()
        } else {
            "14"
        };
        return format!("expected a number, such as {example}, not the string \"{value}\"");
    }
    raw.to_owned()
}

/// The checks serde cannot make: rule names, values, globs. An error is
/// the span of the value at fault, if known, and what is wrong with it.
fn check(config: &Config) -> Result<(), (Option<Range<usize>>, String)> {
    let at = |span: Range<usize>| move |message: String| (Some(span), message);
    let in_overrides = config
        .overrides
        .iter()
        .flat_map(|o| o.extend_select.iter().chain(&o.ignore));
    for selector in config
        .select
        .iter()
        .flatten()
        .chain(&config.extend_select)
        .chain(&config.ignore)
        .chain(in_overrides)
    {
        selector_rules(selector.get_ref()).map_err(at(selector.span()))?;
    }
    let dialects = config
        .dialect
        .iter()
        .chain(config.overrides.iter().flat_map(|o| &o.dialect));
    for d in dialects {
        if Dialect::from_name(d.get_ref()).is_none() {
            return Err((
                Some(d.span()),
                format!(
                    "unknown dialect `{}`; one of postgres, cockroachdb, mysql, sqlite, mssql, clickhouse, generic",
                    d.get_ref()
                ),
            ));
        }
    }
    for o in &config.overrides {
        if let Some(r) = &o.role
            && crate::context::Role::from_name(r.get_ref()).is_none()
        {
            let names: Vec<&str> = crate::context::Role::ALL.iter().map(|r| r.name()).collect();
            return Err((
                Some(r.span()),
                format!(
                    "unknown role `{}`; one of {}",
                    r.get_ref(),
                    names.join(", ")
                ),
            ));
        }
        if let Some(t) = &o.migration_tool
            && crate::migrate::Tool::from_name(t.get_ref()).is_none()
        {
            return Err((
                Some(t.span()),
                format!(
                    "unknown migration tool `{}`; one of {}",
                    t.get_ref(),
                    crate::migrate::Tool::NAMES.join(", ")
                ),
            ));
        }
        if let Some(t) = &o.transactions
            && tx_override(t.get_ref()).is_none()
        {
            return Err((
                Some(t.span()),
                format!(
                    "`transactions` is `{}`; one of auto, always, never",
                    t.get_ref()
                ),
            ));
        }
    }
    if let Some(v) = &config.postgres_version
        && !(9..=30).contains(v.get_ref())
    {
        return Err((
            Some(v.span()),
            format!(
                "`postgres-version` {} is not a PostgreSQL major version (9 to 30)",
                v.get_ref()
            ),
        ));
    }
    if let Some(t) = &config.lock_timeout {
        parse_duration(t.get_ref()).map_err(at(t.span()))?;
    }
    let globs = |g| glob_set(g).map(drop).map_err(|(span, m)| (Some(span), m));
    globs(&config.migrations)?;
    for o in &config.overrides {
        if o.files.is_empty() {
            return Err((None, "an [[overrides]] entry needs `files`".to_owned()));
        }
        globs(&o.files)?;
    }
    let override_rules = config.overrides.iter().flat_map(|o| &o.rules);
    for (id, rule) in config.rules.iter().chain(override_rules) {
        if crate::rules::find(id.get_ref()).is_none() {
            let near = closest(id.get_ref(), RULES.iter().map(|r| r.id));
            let hint = near
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            return Err((
                Some(id.span()),
                format!("unknown rule `{}`{hint}", id.get_ref()),
            ));
        }
        if let Some(s) = &rule.severity
            && severity(s.get_ref()).is_none()
        {
            return Err((
                Some(s.span()),
                format!(
                    "`severity` is `error`, `warning` or `info`, not `{}`",
                    s.get_ref()
                ),
            ));
        }
        if let Some(t) = &rule.threshold
            && id.get_ref() != "offset-pagination"
        {
            return Err((
                Some(t.span()),
                format!(
                    "`threshold` is an option of `offset-pagination`, not of `{}`",
                    id.get_ref()
                ),
            ));
        }
        if let Some(p) = &rule.page_numbers
            && id.get_ref() != "offset-pagination"
        {
            return Err((
                Some(p.span()),
                format!(
                    "`page-numbers` is an option of `offset-pagination`, not of `{}`",
                    id.get_ref()
                ),
            ));
        }
        if let Some(t) = &rule.lock_timeout {
            if id.get_ref() != "missing-lock-timeout" {
                return Err((
                    Some(t.span()),
                    format!(
                        "`lock-timeout` is an option of `missing-lock-timeout`, not of `{}`",
                        id.get_ref()
                    ),
                ));
            }
            parse_duration(t.get_ref()).map_err(at(t.span()))?;
        }
    }
    if let Some(m) = &config.migration_transactions
        && tx_override(m.get_ref()).is_none()
    {
        return Err((
            Some(m.span()),
            format!(
                "`migration-transactions` is `auto`, `always` or `never`, not `{}`",
                m.get_ref()
            ),
        ));
    }
    Ok(())
}

fn tx_override(name: &str) -> Option<TxOverride> {
    <TxOverride as clap::ValueEnum>::from_str(name, true).ok()
}

/// A time limit in seconds: positive and finite.
pub fn seconds(value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 && value < 1e9 {
        Ok(value)
    } else {
        Err(format!("{value} is not a positive number of seconds"))
    }
}

fn deserialize_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = <Option<f64> as serde::Deserialize>::deserialize(d)?;
    value
        .map(seconds)
        .transpose()
        .map_err(serde::de::Error::custom)
}

/// A PostgreSQL duration as `lock_timeout` takes it: a number and an
/// optional unit (`5s`, `500ms`, `1min`), nothing that needs quoting.
pub fn parse_duration(text: &str) -> Result<String, String> {
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let unit = &text[digits..];
    if digits > 0 && ["", "us", "ms", "s", "min", "h", "d"].contains(&unit) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a duration such as `5s`, `500ms` or `1min`"
        ))
    }
}

/// The rules a selector names: a rule id, a category, or `ALL`.
pub fn selector_rules(selector: &str) -> Result<Vec<&'static Rule>, String> {
    let selector = selector.trim();
    if selector.eq_ignore_ascii_case("all") {
        return Ok(RULES.to_vec());
    }
    if let Some(cat) = Category::ALL.iter().find(|c| c.as_str() == selector) {
        return Ok(RULES
            .iter()
            .copied()
            .filter(|r| r.category == *cat)
            .collect());
    }
    crate::rules::find(selector)
        .map(|r| vec![r])
        .ok_or_else(|| {
            let names = RULES
                .iter()
                .map(|r| r.id)
                .chain(Category::ALL.iter().map(|c| c.as_str()));
            match closest(selector, names) {
                Some(near) => {
                    format!("unknown rule or category `{selector}`; did you mean `{near}`?")
                }
                None => {
                    format!("unknown rule or category `{selector}`; `querylint rules` lists them")
                }
            }
        })
}

/// The rules to run: `select` (or the rules on by default), plus
/// `extend`, less `ignore`.
pub fn resolve_rules<'s>(
    select: Option<impl IntoIterator<Item = &'s str>>,
    extend: impl IntoIterator<Item = &'s str>,
    ignore: impl IntoIterator<Item = &'s str>,
) -> Result<Vec<&'static Rule>, String> {
    let mut chosen: Vec<&'static Rule> = match select {
        Some(selectors) => {
            let mut v = Vec::new();
            for s in selectors.into_iter().filter(|s| !s.trim().is_empty()) {
                v.extend(selector_rules(s)?);
            }
            v
        }
        None => RULES
            .iter()
            .copied()
            .filter(|r| r.default_enabled)
            .collect(),
    };
    for s in extend {
        chosen.extend(selector_rules(s)?);
    }
    let mut ignored = Vec::new();
    for s in ignore {
        ignored.extend(selector_rules(s)?);
    }
    chosen.retain(|r| !ignored.iter().any(|i| i.id == r.id));
    let mut seen = std::collections::HashSet::new();
    chosen.retain(|r| seen.insert(r.id));
    // Registry order, so output does not depend on how rules were named.
    chosen.sort_by_key(|r| RULES.iter().position(|x| x.id == r.id));
    Ok(chosen)
}

impl Config {
    /// The settings this file gives, over querylint's defaults.
    pub fn settings(&self) -> Settings {
        let strings = |v: &[Spanned<String>]| -> Vec<String> {
            v.iter().map(|s| s.get_ref().clone()).collect()
        };
        let select = self.select.as_deref().map(strings);
        let extend = strings(&self.extend_select);
        let ignore = strings(&self.ignore);
        // Checked when the file was read.
        let rules = resolve_rules(
            select.as_ref().map(|s| s.iter().map(String::as_str)),
            extend.iter().map(String::as_str),
            ignore.iter().map(String::as_str),
        )
        .unwrap_or_default();
        let defaults = RuleOptions::default();
        let rule = |id: &str| {
            self.rules
                .iter()
                .find(|(k, _)| k.get_ref() == id)
                .map(|(_, v)| v)
        };
        let severities_of = |rules: &std::collections::BTreeMap<Spanned<String>, RuleConfig>| {
            rules
                .iter()
                .filter_map(|(id, r)| {
                    let rule = crate::rules::find(id.get_ref())?;
                    Some((rule.id, severity(r.severity.as_ref()?.get_ref())?))
                })
                .collect::<Vec<_>>()
        };
        let severities = severities_of(&self.rules);
        let rules_of = |selectors: &[Spanned<String>]| {
            selectors
                .iter()
                .flat_map(|s| selector_rules(s.get_ref()).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        let root = self
            .root
            .clone()
            .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
        let overrides = self
            .overrides
            .iter()
            .filter_map(|o| {
                let set = glob_set(&o.files).ok()?;
                Some(FileOverride {
                    root: crate::discover::normalize(&root),
                    files: set,
                    extend: rules_of(&o.extend_select),
                    ignore: rules_of(&o.ignore),
                    severities: severities_of(&o.rules),
                    role: o
                        .role
                        .as_ref()
                        .and_then(|r| crate::context::Role::from_name(r.get_ref())),
                    dialect: o
                        .dialect
                        .as_ref()
                        .and_then(|d| Dialect::from_name(d.get_ref())),
                    tool: o
                        .migration_tool
                        .as_ref()
                        .and_then(|t| crate::migrate::Tool::from_name(t.get_ref())),
                    transactions: o
                        .transactions
                        .as_ref()
                        .and_then(|t| tx_override(t.get_ref())),
                })
            })
            .collect();
        Settings {
            rules,
            dialect: self
                .dialect
                .as_ref()
                .and_then(|d| Dialect::from_name(d.get_ref()))
                .unwrap_or_default(),
            options: RuleOptions {
                offset_threshold: rule("offset-pagination")
                    .and_then(|r| r.threshold.as_ref())
                    .map(|t| *t.get_ref())
                    .or(self.offset_threshold)
                    .unwrap_or(defaults.offset_threshold),
                offset_page_numbers: rule("offset-pagination")
                    .and_then(|r| r.page_numbers.as_ref())
                    .map_or(defaults.offset_page_numbers, |p| *p.get_ref()),
                postgres_version: self
                    .postgres_version
                    .as_ref()
                    .map_or(defaults.postgres_version, |v| *v.get_ref()),
                lock_timeout: rule("missing-lock-timeout")
                    .and_then(|r| r.lock_timeout.as_ref())
                    .or(self.lock_timeout.as_ref())
                    .map_or(defaults.lock_timeout, |t| t.get_ref().clone()),
            },
            transactions: self
                .migration_transactions
                .as_ref()
                .and_then(|m| tx_override(m.get_ref()))
                .unwrap_or_default(),
            severities,
            lint_tests: self.lint_tests.unwrap_or(false),
            overrides: std::sync::Arc::new(overrides),
            migrations: (!self.migrations.is_empty())
                .then(|| glob_set(&self.migrations).ok())
                .flatten()
                .map(|set| std::sync::Arc::new((crate::discover::normalize(&root), set))),
            root: None,
            project: None,
            role: crate::context::Role::Application,
        }
    }
}

/// The globs of a list as one set, or the span and message of the first
/// that is not a glob.
fn glob_set(globs: &[Spanned<String>]) -> Result<globset::GlobSet, (Range<usize>, String)> {
    let mut set = globset::GlobSetBuilder::new();
    for glob in globs {
        let parsed = globset::Glob::new(glob.get_ref()).map_err(|e| {
            (
                glob.span(),
                format!("`{}` is not a glob: {e}", glob.get_ref()),
            )
        })?;
        set.add(parsed);
    }
    set.build().map_err(|e| (0..0, e.to_string()))
}

/// The candidate closest to `word` by edit distance, if one is close
/// enough to be a likely typo.
pub fn closest<'c>(word: &str, candidates: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(Path::new("querylint.toml"), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_mistake_names_the_file_the_line_and_the_closest_name() {
        assert_eq!(
            error("dialect = \"postgres\"\nselct = [\"ALL\"]\n"),
            "querylint.toml:2: unknown key `selct`; did you mean `select`?"
        );
        assert_eq!(
            error("ignore = [\n  \"select-star\",\n  \"n-plus-on\",\n]\n"),
            "querylint.toml:3: unknown rule or category `n-plus-on`; did you mean `n-plus-one`?"
        );
        assert_eq!(
            error("postgres-version = \"14\"\n"),
            "querylint.toml:1: expected a number, such as 14, not the string \"14\""
        );
        // Suggestions name only keys valid where the mistake is.
        assert_eq!(
            error("[[overrides]]\nfiles = [\"a/**\"]\nselect = [\"ALL\"]\n"),
            "querylint.toml:3: unknown key `select`; the keys here are files, extend-select, ignore, rules, role, dialect, migration-tool, transactions"
        );
        assert_eq!(
            error("[rules.select-star]\nignore = true\n"),
            "querylint.toml:2: unknown key `ignore`; the keys here are severity, threshold, page-numbers, lock-timeout"
        );
        assert!(error("lock-timeout = \"5 seconds\"\n").contains("not a duration"));
    }

    #[test]
    fn rule_tables_set_severities_and_options_and_are_checked() {
        let config = parse(
            Path::new("q.toml"),
            "[rules.unbounded-select]\nseverity = \"error\"\n\n[rules.offset-pagination]\nthreshold = 10\n\n[rules.missing-lock-timeout]\nlock-timeout = \"2s\"\n",
        )
        .unwrap();
        let settings = config.settings();
        assert_eq!(
            settings.severities,
            vec![("unbounded-select", Severity::Error)]
        );
        assert_eq!(settings.options.offset_threshold, 10);
        assert_eq!(settings.options.lock_timeout, "2s");
        assert_eq!(
            error("[rules.unbounded-selct]\nseverity = \"error\"\n"),
            "querylint.toml:1: unknown rule `unbounded-selct`; did you mean `unbounded-select`?"
        );
        assert_eq!(
            error("[rules.select-star]\nthreshold = 3\n"),
            "querylint.toml:2: `threshold` is an option of `offset-pagination`, not of `select-star`"
        );
        assert_eq!(
            error("[rules.n-plus-one]\npage-numbers = true\n"),
            "querylint.toml:2: `page-numbers` is an option of `offset-pagination`, not of `n-plus-one`"
        );
        assert!(!settings.options.offset_page_numbers);
        let pages = parse(
            Path::new("querylint.toml"),
            "[rules.offset-pagination]\npage-numbers = true\n",
        )
        .unwrap()
        .settings();
        assert!(pages.options.offset_page_numbers);
        assert!(
            error("[rules.select-star]\nseverity = \"fatal\"\n")
                .starts_with("querylint.toml:2: `severity` is")
        );
        assert_eq!(
            error("[rules.select-star]\nseverty = \"error\"\n"),
            "querylint.toml:2: unknown key `severty`; did you mean `severity`?"
        );
    }

    #[test]
    fn settings_start_from_the_defaults() {
        let config = parse(
            Path::new("q.toml"),
            "extend-select = [\"select-star\"]\nignore = [\"migration\"]\npostgres-version = 16\n",
        )
        .unwrap();
        let settings = config.settings();
        assert!(settings.rules.iter().any(|r| r.id == "select-star"));
        assert!(
            settings
                .rules
                .iter()
                .all(|r| r.category != Category::Migration)
        );
        assert!(settings.rules.iter().any(|r| r.id == "offset-pagination"));
        assert!(!settings.rules.iter().any(|r| r.id == "n-plus-one"));
        assert_eq!(settings.options.postgres_version, 16);
    }
}
