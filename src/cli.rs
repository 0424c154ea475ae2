//! The command line. This module and the language server are the only code
//! that touches the file system.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::budget;

use crate::diagnostic::FixSafety;
use crate::discover::{self, Candidate, FileKind};
use crate::lint::{self, Settings};
use crate::migrate::layout::{members_of, root_of};
use crate::migrate::{Chain, Tool, TxOverride};
use crate::parse::Dialect;
use crate::report::{self, FileReport, Summary};
use crate::rules::{self, RULES};

/// Exit codes.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Files larger than this are skipped unless `--max-file-size` says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// Files that take longer than this many seconds to lint are skipped
/// unless `--file-timeout` says otherwise.
pub const DEFAULT_FILE_TIMEOUT: f64 = 10.0;

#[derive(Parser)]
#[command(
    name = "querylint",
    version,
    about = "Finds the database queries that take production down."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint files and folders (default: the current folder).
    Check(Box<CheckArgs>),
    /// List every rule with its category, default state and summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Run the language server on standard input and output.
    Server,
    /// Show the configuration that applies to a path.
    Config {
        /// Print the effective settings for the path.
        #[arg(long, conflicts_with = "schema")]
        show: bool,
        /// Print the JSON Schema of querylint.toml.
        #[arg(long)]
        schema: bool,
        /// A file or folder (default: the current folder).
        path: Option<PathBuf>,
    },
    /// Print a rule's documentation.
    Explain {
        /// The rule id, for example `not-in-subquery`.
        rule: String,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on a pull request.
    Github,
}

/// How `querylint rules` lists the rules.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to lint.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Report only the findings that are not in this baseline file.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file, and report none.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Write the report to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Rules to run instead of the defaults: rule ids, categories, or `ALL`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Option<Vec<String>>,
    /// Rules to run on top of the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    extend_select: Vec<String>,
    /// Rules not to run: rule ids or categories.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// The SQL dialect to parse with (default: postgres). A file whose name
    /// or folder names another dialect (`x.mysql.sql`, `db/sqlite/`) is
    /// parsed with that one.
    #[arg(long, value_enum)]
    dialect: Option<Dialect>,
    /// Read the text to lint from standard input, reporting it under this name.
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<PathBuf>,
    /// Gitignore-style globs of paths to skip, on top of the usual build and
    /// dependency folders.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    exclude: Vec<String>,
    /// Skip files larger than this many bytes (default: 10 MiB).
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Run the rules for application SQL on test code too (files under
    /// tests/, test/, __tests__/, e2e/, testdata/, or named *.test.*,
    /// *.spec.*, *_test.rs).
    #[arg(long)]
    lint_tests: bool,
    /// Skip a file that takes longer than this many seconds to lint
    /// (default: 10); a chain of migrations gets this much per file.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    file_timeout: Option<f64>,
    /// Report a literal `OFFSET` above this many rows (default: 1000).
    #[arg(long, value_name = "ROWS")]
    offset_threshold: Option<u64>,
    /// The `lock_timeout` that the `missing-lock-timeout` fix sets
    /// (default: 5s).
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    lock_timeout: Option<String>,
    /// The PostgreSQL major version migrations run on; some rules depend on
    /// it.
    #[arg(long, value_name = "MAJOR", value_parser = clap::value_parser!(u32).range(9..=30))]
    postgres_version: Option<u32>,
    /// Whether migrations run inside a transaction: `auto` follows what the
    /// migration tool of each folder does.
    #[arg(long, value_enum, value_name = "MODE")]
    migration_transactions: Option<TxOverride>,
    /// Read settings from this file instead of the `querylint.toml` found
    /// from the working directory upward.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    isolated: bool,
    /// Never color the output (also: the NO_COLOR environment variable).
    #[arg(long)]
    no_color: bool,
    /// Apply the safe fixes, writing the files; report what remains.
    #[arg(long)]
    fix: bool,
    /// With `--fix` or `--diff`, apply unsafe fixes too (they may change
    /// what the code does: read each rule's doc).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print, as a unified diff, what `--fix` would change, and write
    /// nothing. Exits 1 if there is a change.
    #[arg(long, conflicts_with = "fix")]
    diff: bool,
}

impl CheckArgs {
    fn fix_mode(&self) -> Option<crate::fix::Mode> {
        use crate::fix::Mode;
        (self.fix || self.diff).then_some(if self.unsafe_fixes {
            Mode::Unsafe
        } else {
            Mode::Safe
        })
    }
}

/// How a file is linted again while it is fixed.
#[derive(Clone)]
enum Host {
    File(FileKind),
    /// A `.sql` file that `query_file!` runs, read the way those calls do.
    QueryFile(Vec<crate::rust::QueryFile>),
}

/// Files to fix together.
enum FixJob<'w> {
    File(&'w PathBuf),
    /// Migrations of one chain: the chain, its members, the ones to fix.
    Chain(&'w Chain, &'w [PathBuf], Vec<PathBuf>),
}

/// What fixing one file came to.
enum FixOutcome {
    /// No fix applied.
    Unchanged,
    Fixed {
        report: FileReport,
        applied: usize,
        diff: Option<String>,
    },
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
        }
    };
    match cli.command {
        Command::Check(args) => check(*args),
        Command::Server => crate::server::run(),
        Command::Config { schema: true, .. } => {
            print_out(&crate::config::json_schema());
            EXIT_CLEAN
        }
        Command::Config { show, path, .. } => show_config(show, path),
        Command::Rules { format } => list_rules(format),
        Command::Explain { rule } => explain(&rule),
    }
}

fn list_rules(format: ListFormat) -> i32 {
    let mut out = String::new();
    match format {
        ListFormat::Human => {
            let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for rule in RULES {
                // ruff's marks: a fix `--fix` applies, or one that needs
                // `--unsafe-fixes`.
                let fix = match rule.fix {
                    Some(FixSafety::Safe) => "[*]",
                    Some(FixSafety::Unsafe) => "[-]",
                    _ => "",
                };
                out.push_str(&format!(
                    "{:<width$} {:<3} {:<12} {:<8} {:<4} {}\n",
                    rule.id,
                    fix,
                    rule.category.as_str(),
                    rule.severity.as_str(),
                    if rule.default_enabled { "on" } else { "off" },
                    rule.summary()
                ));
            }
            out.push_str("\n[*] --fix fixes some findings; [-] --fix --unsafe-fixes does.\n");
        }
        ListFormat::Json => {
            let rules: Vec<serde_json::Value> = RULES
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "category": r.category,
                        "severity": r.severity,
                        "default_enabled": r.default_enabled,
                        "fix": r.fix,
                        "summary": r.summary(),
                    })
                })
                .collect();
            out = serde_json::to_string_pretty(&rules).unwrap_or_default();
            out.push('\n');
        }
    }
    print_out(&out);
    EXIT_CLEAN
}

/// The name the command line gives a value of an option.
fn value_name<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// `querylint config --show`: the file that applies to a path and the
/// settings it comes to, in the file's own syntax.
fn show_config(show: bool, path: Option<PathBuf>) -> i32 {
    if !show {
        eprintln!("error: `querylint config` needs `--show` or `--schema`");
        return EXIT_ERROR;
    }
    let path = path.unwrap_or_else(|| PathBuf::from("."));
    let folder = if path.is_dir() {
        path.clone()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let folder = if folder.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        folder
    };
    let file = crate::config::find(&folder);
    let config = match &file {
        Some(f) => match crate::config::load(f) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        },
        None => Default::default(),
    };
    let base = config.settings();
    // With the overrides that match the path.
    let settings = lint::for_path(&path, &base);
    let list = |items: Vec<String>| {
        let quoted: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
        format!("[{}]", quoted.join(", "))
    };
    let mut out = match &file {
        Some(f) => format!("# {} from {}\n", path.display(), f.display()),
        None => format!(
            "# {}: no querylint.toml applies; the defaults\n",
            path.display()
        ),
    };
    out.push_str(&format!(
        "select = {}\n",
        list(settings.rules.iter().map(|r| r.id.to_owned()).collect())
    ));
    out.push_str(&format!("dialect = {:?}\n", value_name(&settings.dialect)));
    out.push_str(&format!(
        "postgres-version = {}\n",
        settings.options.postgres_version
    ));
    out.push_str(&format!(
        "lock-timeout = {:?}\n",
        settings.options.lock_timeout
    ));
    out.push_str(&format!(
        "offset-threshold = {}\n",
        settings.options.offset_threshold
    ));
    out.push_str(&format!("lint-tests = {}\n", settings.lint_tests));
    out.push_str(&format!(
        "migration-transactions = {:?}\n",
        value_name(&settings.transactions)
    ));
    out.push_str(&format!("exclude = {}\n", list(config.exclude.clone())));
    out.push_str(&format!(
        "migrations = {}\n",
        list(
            config
                .migrations
                .iter()
                .map(|g| g.get_ref().clone())
                .collect()
        )
    ));
    out.push_str(&format!(
        "max-file-size = {}\n",
        config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE)
    ));
    out.push_str(&format!(
        "file-timeout = {:?}\n",
        config.file_timeout.unwrap_or(DEFAULT_FILE_TIMEOUT)
    ));
    for (rule, severity) in &settings.severities {
        out.push_str(&format!(
            "\n[rules.{rule}]\nseverity = {:?}\n",
            severity.as_str()
        ));
    }
    print_out(&out);
    EXIT_CLEAN
}

fn explain(id: &str) -> i32 {
    match rules::find(id) {
        Some(rule) => {
            print_out(rule.doc);
            EXIT_CLEAN
        }
        None => {
            eprintln!("error: no rule named `{id}`; `querylint rules` lists them");
            EXIT_ERROR
        }
    }
}

/// The settings of a run: the configuration file's (unless `--isolated`),
/// with the command line's options over them. Also the extra `exclude`
/// globs and the file size limit.
fn effective(args: &CheckArgs) -> Result<(Settings, Vec<String>, Limits), String> {
    let file = if args.isolated {
        None
    } else if let Some(path) = &args.config {
        Some(path.clone())
    } else {
        crate::config::find(Path::new("."))
    };
    let config = match &file {
        Some(path) => crate::config::load(path).map_err(|e| e.to_string())?,
        None => crate::config::Config::default(),
    };
    let mut settings = config.settings();
    let strings = |v: &[toml::Spanned<String>]| -> Vec<String> {
        v.iter().map(|s| s.get_ref().clone()).collect()
    };
    // `--select` replaces the file's whole choice of rules; otherwise the
    // command line's `--extend-select` and `--ignore` add to the file's.
    let from_file = args.select.is_none();
    let select = args
        .select
        .clone()
        .or_else(|| config.select.as_deref().map(strings));
    let extend: Vec<String> = strings(&config.extend_select)
        .into_iter()
        .filter(|_| from_file)
        .chain(args.extend_select.iter().cloned())
        .collect();
    let ignore: Vec<String> = strings(&config.ignore)
        .into_iter()
        .filter(|_| from_file)
        .chain(args.ignore.iter().cloned())
        .collect();
    settings.rules = crate::config::resolve_rules(
        select.as_ref().map(|s| s.iter().map(String::as_str)),
        extend.iter().map(String::as_str),
        ignore.iter().map(String::as_str),
    )?;
    if let Some(d) = args.dialect {
        settings.dialect = d;
    }
    if args.lint_tests {
        settings.lint_tests = true;
    }
    if let Some(v) = args.offset_threshold {
        settings.options.offset_threshold = v;
    }
    if let Some(v) = args.postgres_version {
        settings.options.postgres_version = v;
    }
    if let Some(v) = &args.lock_timeout {
        settings.options.lock_timeout = v.clone();
    }
    if let Some(v) = args.migration_transactions {
        settings.transactions = v;
    }
    let exclude = config
        .exclude
        .iter()
        .chain(&args.exclude)
        .cloned()
        .collect();
    let limits = Limits {
        max_file_size: args
            .max_file_size
            .or(config.max_file_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE),
        file_timeout: Duration::from_secs_f64(
            args.file_timeout
                .or(config.file_timeout)
                .unwrap_or(DEFAULT_FILE_TIMEOUT),
        ),
    };
    Ok((settings, exclude, limits))
}

/// A number of seconds, fractions allowed, for `--file-timeout`.
fn parse_seconds(text: &str) -> Result<f64, String> {
    crate::config::seconds(
        text.parse()
            .map_err(|_| format!("`{text}` is not a number of seconds"))?,
    )
}

/// What a file may cost before it is skipped.
#[derive(Clone, Copy)]
struct Limits {
    max_file_size: u64,
    file_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            file_timeout: Duration::from_secs_f64(DEFAULT_FILE_TIMEOUT),
        }
    }
}

fn use_color(args: &CheckArgs) -> bool {
    !args.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

enum Outcome {
    Linted(FileReport),
    Skipped { path: String, reason: String },
}

struct Job<'a> {
    settings: &'a Settings,
    limits: Limits,
    color: bool,
    human: bool,
    cwd: Option<PathBuf>,
    /// Findings not to report: rule, path, fingerprint (`--baseline`).
    baseline: Option<&'a crate::baseline::Baseline>,
    /// How many findings the baseline held back.
    held_back: &'a std::sync::atomic::AtomicUsize,
    /// Files done, for the progress bar.
    progress: Option<&'a indicatif::ProgressBar>,
}

impl Job<'_> {
    /// The path as the user should see it: relative to the working
    /// directory when it lies under it.
    fn display_path(&self, path: &Path) -> String {
        let shown = self
            .cwd
            .as_deref()
            .and_then(|cwd| path.strip_prefix(cwd).ok())
            .unwrap_or(path);
        shown.to_string_lossy().into_owned()
    }

    fn read(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read ({e}), skipped"))?;
        if meta.len() > self.limits.max_file_size {
            return Err(format!(
                "is {} bytes, over the {}-byte limit (--max-file-size), skipped",
                meta.len(),
                self.limits.max_file_size
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("cannot be read ({e}), skipped"))?;
        lint::decode(bytes)
    }

    fn lint(&self, file: &Path, text: &str, kind: FileKind) -> FileReport {
        let diags = lint::lint_file(file, text, kind, self.settings);
        self.report(file, text, diags)
    }

    fn report(
        &self,
        file: &Path,
        text: &str,
        diags: Vec<crate::diagnostic::Diagnostic>,
    ) -> FileReport {
        if let Some(bar) = self.progress {
            bar.inc(1);
        }
        let path = self.display_path(file);
        let mut located = report::locate(text, diags);
        if let Some(baseline) = self.baseline {
            let before = located.len();
            located.retain(|l| !baseline.contains(l.diag.rule, &path, &l.fingerprint));
            self.held_back
                .fetch_add(before - located.len(), std::sync::atomic::Ordering::Relaxed);
        }
        let rendered = (self.human && !located.is_empty())
            .then(|| report::human::render_file(&path, text, &located, self.color));
        FileReport {
            path,
            diagnostics: located,
            rendered,
        }
    }

    fn run_chain(
        &self,
        chain: &Chain,
        members: &[PathBuf],
        wanted: &std::collections::HashSet<PathBuf>,
    ) -> Vec<(PathBuf, Outcome)> {
        // A chain is replayed whole: its budget is its files' together.
        let limit = self.budget(members.len());
        let run = || {
            lint::lint_chain(
                chain,
                members,
                &|p| wanted.contains(p),
                &|p| self.read(p),
                self.settings,
            )
        };
        let Ok(results) = crate::budget::within(limit, run) else {
            return members
                .iter()
                .filter(|m| wanted.contains(*m))
                .map(|m| (m.clone(), self.too_slow(m)))
                .collect();
        };
        results
            .into_iter()
            .map(|(i, result)| {
                let file = &members[i];
                let outcome = match result {
                    Ok((text, diags)) => Outcome::Linted(self.report(file, &text, diags)),
                    Err(reason) => Outcome::Skipped {
                        path: self.display_path(file),
                        reason,
                    },
                };
                (file.clone(), outcome)
            })
            .collect()
    }

    fn lint_host(
        &self,
        path: &Path,
        text: &str,
        host: &Host,
    ) -> Vec<crate::diagnostic::Diagnostic> {
        match host {
            Host::File(kind) => lint::lint_file(path, text, *kind, self.settings),
            Host::QueryFile(uses) => lint::lint_query_file(path, text, uses, self.settings),
        }
    }

    /// Fixes one file: applies its fixes, checks the result still parses,
    /// and writes it (or, with `diff`, only shows the change). Problems
    /// that leave the file alone come back as warnings.
    fn fix_file(
        &self,
        path: &Path,
        host: &Host,
        mode: crate::fix::Mode,
        diff: bool,
        warnings: &mut Vec<String>,
    ) -> FixOutcome {
        let shown = self.display_path(path);
        let original = match self.read(path) {
            Ok(text) => text,
            Err(reason) => {
                warnings.push(format!("{shown} {reason}"));
                return FixOutcome::Unchanged;
            }
        };
        let fixed = self.fix_text(path, &original, host, mode);
        self.finish_fix(path, &original, fixed, diff, warnings)
    }

    /// Runs the fix engine on a text that stands for the file at `path`.
    fn fix_text(
        &self,
        path: &Path,
        text: &str,
        host: &Host,
        mode: crate::fix::Mode,
    ) -> crate::fix::Fixed {
        let kind = match host {
            Host::File(kind) => *kind,
            Host::QueryFile(_) => FileKind::Sql,
        };
        crate::fix::fix(
            text,
            mode,
            |t| self.lint_host(path, t, host),
            |t| lint::syntax_errors(path, t, kind, self.settings),
        )
    }

    /// Fixes the wanted migrations of a chain together: each pass lints the
    /// chain once, with the texts fixed so far standing in for the files,
    /// so every migration is fixed with its history (and its future, for
    /// findings that later migrations settle) at the cost of one replay.
    fn fix_chain(
        &self,
        chain: &Chain,
        members: &[PathBuf],
        targets: &[PathBuf],
        mode: crate::fix::Mode,
        diff: bool,
        warnings: &mut Vec<String>,
    ) -> Vec<(PathBuf, FixOutcome)> {
        use crate::fix::Fixing;
        let syntax = |path: &Path, text: &str| {
            lint::syntax_errors(path, text, FileKind::MigrationSql, self.settings)
        };
        let mut states: Vec<(PathBuf, String, Fixing)> = Vec::new();
        for path in targets {
            match self.read(path) {
                Ok(text) => {
                    let state = Fixing::new(&text, &|t: &str| syntax(path, t));
                    states.push((path.clone(), text, state));
                }
                Err(reason) => warnings.push(format!("{} {reason}", self.display_path(path))),
            }
        }
        let lint_all = |states: &[(PathBuf, String, Fixing)]| {
            let fixing = |p: &Path| states.iter().find(|(q, _, _)| q == p);
            let results = lint::lint_chain(
                chain,
                members,
                &|p| fixing(p).is_some(),
                &|p| match fixing(p) {
                    Some((_, _, state)) => Ok(state.text().to_owned()),
                    None => self.read(p),
                },
                self.settings,
            );
            let mut by_path: std::collections::HashMap<
                PathBuf,
                Vec<crate::diagnostic::Diagnostic>,
            > = Default::default();
            for (i, result) in results {
                if let Ok((_, diags)) = result {
                    by_path.insert(members[i].clone(), diags);
                }
            }
            by_path
        };
        let mut found = lint_all(&states);
        let mut last_pass = true;
        for _ in 0..crate::fix::MAX_PASSES {
            if budget::expired() {
                break;
            }
            let mut changed = false;
            for (path, _, state) in &mut states {
                let diags = found.get(path).map_or(&[][..], Vec::as_slice);
                changed |= state.pass(diags, mode, &|t: &str| syntax(path, t));
            }
            if !changed {
                last_pass = false;
                break;
            }
            found = lint_all(&states);
        }
        states
            .into_iter()
            .map(|(path, original, state)| {
                let diags = found.remove(&path).unwrap_or_default();
                let fixed = state.done(diags, last_pass, mode);
                let outcome = self.finish_fix(&path, &original, fixed, diff, warnings);
                (path, outcome)
            })
            .collect()
    }

    /// Reports what fixing a file came to, and writes it (or, with `diff`,
    /// only shows the change).
    fn finish_fix(
        &self,
        path: &Path,
        original: &str,
        fixed: crate::fix::Fixed,
        diff: bool,
        warnings: &mut Vec<String>,
    ) -> FixOutcome {
        let shown = self.display_path(path);
        warnings.extend(rejected(&shown, &fixed));
        if fixed.unfinished {
            warnings.push(format!(
                "{shown}: fixes still applied after {} passes; run again to apply the rest",
                crate::fix::MAX_PASSES
            ));
        }
        if fixed.applied == 0 || fixed.text == original {
            return FixOutcome::Unchanged;
        }
        if crate::budget::expired() {
            warnings.push(format!(
                "{shown}: fixing took longer than {:?} (--file-timeout); the file is left as it was",
                self.limits.file_timeout
            ));
            return FixOutcome::Unchanged;
        }
        let diff = if diff {
            Some(unified_diff(&shown, original, &fixed.text))
        } else {
            if let Err(reason) = write_fixed(path, original, &fixed.text) {
                warnings.push(format!("{shown} {reason}"));
                return FixOutcome::Unchanged;
            }
            None
        };
        FixOutcome::Fixed {
            report: self.report(path, &fixed.text, fixed.remaining),
            applied: fixed.applied,
            diff,
        }
    }

    /// The time `files` files may take together (`--file-timeout` each).
    fn budget(&self, files: usize) -> Duration {
        let files = u32::try_from(files).unwrap_or(u32::MAX).max(1);
        self.limits.file_timeout.saturating_mul(files)
    }

    /// Runs `f`, the linting of the file at `path`, within the file's time
    /// budget; past it, the file is skipped.
    fn timed(&self, path: &Path, f: impl FnOnce() -> Outcome) -> Outcome {
        crate::budget::within(self.budget(1), f).unwrap_or_else(|_| self.too_slow(path))
    }

    fn too_slow(&self, path: &Path) -> Outcome {
        Outcome::Skipped {
            path: self.display_path(path),
            reason: self.too_slow_reason(),
        }
    }

    fn too_slow_reason(&self) -> String {
        format!(
            "took longer than {:?} to lint (--file-timeout), skipped",
            self.limits.file_timeout
        )
    }

    fn run_query_file(&self, path: &Path, uses: &[crate::rust::QueryFile]) -> Outcome {
        match self.read(path) {
            Ok(text) => self.timed(path, || {
                let diags = lint::lint_query_file(path, &text, uses, self.settings);
                Outcome::Linted(self.report(path, &text, diags))
            }),
            Err(reason) => Outcome::Skipped {
                path: self.display_path(path),
                reason,
            },
        }
    }

    fn run(&self, candidate: &Candidate) -> Outcome {
        match self.read(&candidate.path) {
            Ok(text) => self.timed(&candidate.path, || {
                Outcome::Linted(self.lint(&candidate.path, &text, candidate.kind))
            }),
            Err(reason) => Outcome::Skipped {
                path: self.display_path(&candidate.path),
                reason,
            },
        }
    }
}

/// The project facts of the files under `root` (see [`project_facts`]),
/// for the language server, which lints one file at a time.
pub fn workspace_facts(root: &Path) -> crate::typescript::Project {
    let Ok(found) = discover::discover(&[root.to_path_buf()], &[]) else {
        return Default::default();
    };
    let settings = Settings::default();
    let held_back = Default::default();
    let job = Job {
        settings: &settings,
        limits: Limits::default(),
        color: false,
        human: false,
        cwd: None,
        baseline: None,
        held_back: &held_back,
        progress: None,
    };
    run_parallel(|| project_facts(&found.files, &job))
}

/// What the project's files say before any is linted: the names its
/// TypeScript files export as database clients, and the to-many relations
/// of its Prisma schemas.
fn project_facts(files: &[Candidate], job: &Job) -> crate::typescript::Project {
    use crate::typescript::{exported_clients, prisma_relations};
    // Each file is read, scanned and dropped: only the facts are kept.
    let of_kind = |kinds: &'static [FileKind]| {
        files
            .par_iter()
            .filter(move |c| kinds.contains(&c.kind))
            .filter_map(|c| job.read(&c.path).ok())
    };
    let mut prisma_relations_by_model: std::collections::HashMap<
        _,
        std::collections::HashMap<_, _>,
    > = Default::default();
    let relations: Vec<_> = of_kind(&[FileKind::PrismaSchema])
        .flat_map_iter(|text| prisma_relations(&text))
        .collect();
    for (model, field, relation) in relations {
        prisma_relations_by_model
            .entry(model)
            .or_default()
            .insert(field, relation);
    }
    let found: Vec<_> = of_kind(&[FileKind::TypeScript, FileKind::Tsx])
        .map(|text| exported_clients(&text))
        .collect();
    let mut clients: std::collections::HashSet<String> =
        found.iter().flat_map(|(names, _)| names.clone()).collect();
    // Renaming re-exports, followed until nothing new is learnt.
    let renames: Vec<_> = found.into_iter().flat_map(|(_, r)| r).collect();
    loop {
        let learnt: Vec<String> = renames
            .iter()
            .filter(|(from, to)| clients.contains(from) && !clients.contains(to))
            .map(|(_, to)| to.clone())
            .collect();
        if learnt.is_empty() {
            break;
        }
        clients.extend(learnt);
    }
    crate::typescript::Project {
        clients,
        prisma_relations: prisma_relations_by_model,
        query_functions: None,
    }
}

/// Lints the TypeScript and JavaScript files together: all are scanned
/// first, so a call made in one file's loop of a function another file
/// exports is linked to the query that function runs before any is
/// reported. A file that says nothing about databases is read once and
/// kept as an empty report; only the others keep their text until linted.
fn lint_typescript(
    files: Vec<Candidate>,
    job: &Job,
    project: &mut crate::typescript::Project,
) -> Vec<(PathBuf, Outcome)> {
    use crate::typescript::{TsFile, link, project_imports, scan};
    enum Scanned {
        Skipped(String),
        /// Nothing about databases; the names it imports from the
        /// project's modules.
        Clean(Vec<String>),
        /// What the scan found, and a digest of the text it read.
        Found(u64, TsFile),
    }
    let mut scanned: Vec<(Candidate, Scanned)> = run_parallel(|| {
        files
            .into_par_iter()
            // One file a piece: files that talk to a database cluster in a
            // few folders, and coarse pieces would leave one core with all
            // of them.
            .with_max_len(1)
            .map(|c| {
                let s = match job.read(&c.path) {
                    Err(reason) => Scanned::Skipped(reason),
                    Ok(text) => {
                        let scanned =
                            budget::within(job.budget(1), || scan(&text, c.kind, project));
                        let Ok(file) = scanned else {
                            return (c, Scanned::Skipped(job.too_slow_reason()));
                        };
                        if file.is_empty() {
                            Scanned::Clean(project_imports(&text))
                        } else {
                            Scanned::Found(digest(&text), file)
                        }
                    }
                };
                (c, s)
            })
            .collect()
    });
    // A file with no sign of a database may still call, in a loop, a
    // function of the project that runs a query: those that import one by
    // name are scanned again, as callers.
    let names: std::collections::HashSet<&str> = scanned
        .iter()
        .filter_map(|(_, s)| match s {
            Scanned::Found(_, f) => Some(f),
            _ => None,
        })
        .flat_map(|f| f.exports.queries.iter().map(|(name, _, _)| name.as_str()))
        .collect();
    let callers: Vec<usize> = scanned
        .iter()
        .enumerate()
        .filter(|(_, (_, s))| {
            matches!(s, Scanned::Clean(imports)
                if imports.iter().any(|i| names.contains(i.as_str())))
        })
        .map(|(i, _)| i)
        .collect();
    if !callers.is_empty() {
        let names: Vec<&str> = names.into_iter().filter(|n| *n != "default").collect();
        project.query_functions = aho_corasick::AhoCorasick::new(&names).ok();
        let project = &*project;
        let rescanned: Vec<(usize, TsFile, u64)> = run_parallel(|| {
            callers
                .par_iter()
                .with_max_len(1)
                .filter_map(|&i| {
                    let c = &scanned[i].0;
                    let text = job.read(&c.path).ok()?;
                    let file =
                        budget::within(job.budget(1), || scan(&text, c.kind, project)).ok()?;
                    (!file.is_empty()).then(|| (i, file, digest(&text)))
                })
                .collect()
        });
        for (i, file, sum) in rescanned {
            scanned[i].1 = Scanned::Found(sum, file);
        }
    }
    let mut found: Vec<(PathBuf, TsFile)> = Vec::new();
    let mut sums = Vec::new();
    let mut outcomes = Vec::new();
    for (c, s) in scanned {
        match s {
            Scanned::Skipped(reason) => outcomes.push((
                c.path.clone(),
                Outcome::Skipped {
                    path: job.display_path(&c.path),
                    reason,
                },
            )),
            Scanned::Clean(_) => outcomes.push((
                c.path.clone(),
                Outcome::Linted(job.report(&c.path, "", Vec::new())),
            )),
            Scanned::Found(sum, file) => {
                found.push((c.path, file));
                sums.push((sum, c.kind));
            }
        }
    }
    link(&mut found);
    // The text is read again to report on it; a file that changed since it
    // was scanned is scanned again, on its own.
    let linted: Vec<(PathBuf, Outcome)> = run_parallel(|| {
        found
            .par_iter()
            .zip(sums.par_iter())
            .with_max_len(1)
            .map(|((path, file), (sum, kind))| {
                let outcome = match job.read(path) {
                    Err(reason) => Outcome::Skipped {
                        path: job.display_path(path),
                        reason,
                    },
                    Ok(text) => job.timed(path, || {
                        let settings = lint::for_path(path, job.settings);
                        let diags = if digest(&text) == *sum {
                            lint::lint_scanned(&text, *kind, file, &settings)
                        } else {
                            let file = scan(&text, *kind, project);
                            lint::lint_scanned(&text, *kind, &file, &settings)
                        };
                        Outcome::Linted(job.report(path, &text, diags))
                    }),
                };
                (path.clone(), outcome)
            })
            .collect()
    });
    outcomes.extend(linted);
    outcomes
}

/// What the project's Rust files say about its other files.
#[derive(Default)]
struct RustFacts {
    /// The folders Rust code names in `sqlx::migrate!("dir")`: `.sql`
    /// files directly in them are sqlx migrations, whatever they are named.
    migration_dirs: std::collections::HashSet<PathBuf>,
    /// The `.sql` files `sqlx::query_file!` and its kin run, with the
    /// calls that run each.
    query_files: std::collections::BTreeMap<PathBuf, Vec<crate::rust::QueryFile>>,
}

/// Lints the Rust files, and gathers what they say about the project's
/// `.sql` files. Paths in `migrate!` and `query_file!` are resolved against
/// the crate root (the nearest folder with a `Cargo.toml`) and normalised
/// without touching the file system.
///
/// A call in a loop is followed into the functions of other files of its
/// crate: every file is scanned first, then the calls are resolved against
/// the crate's functions, and a file with such a call is linted again. A
/// file with no database sign is parsed only if it names one of the
/// crate's query functions.
fn lint_rust(files: Vec<Candidate>, job: &Job) -> (Vec<(PathBuf, Outcome)>, RustFacts) {
    use crate::rust::{CrateIndex, LoopedCall, QueryFile, might_touch_database, scan_parsed};
    use crate::typescript::{Finder, OrmCall};
    struct Scanned {
        outcome: Outcome,
        root: Option<PathBuf>,
        /// Whether the file mentions no database API (and was not parsed).
        clean: bool,
        digest: u64,
        dirs: Vec<PathBuf>,
        query_files: Vec<(PathBuf, QueryFile)>,
        functions: Vec<crate::rust::Function>,
        looped: Vec<LoopedCall>,
    }
    let crate_root = |path: &Path| {
        path.ancestors()
            .skip(1)
            .find(|d| d.join("Cargo.toml").is_file())
            .map(Path::to_path_buf)
    };
    let scanned: Vec<Scanned> = run_parallel(|| {
        files
            .par_iter()
            .with_max_len(1)
            .map(|c| {
                let root = crate_root(&c.path);
                let mut out = Scanned {
                    outcome: Outcome::Skipped {
                        path: String::new(),
                        reason: String::new(),
                    },
                    root,
                    clean: false,
                    digest: 0,
                    dirs: Vec::new(),
                    query_files: Vec::new(),
                    functions: Vec::new(),
                    looped: Vec::new(),
                };
                let text = match job.read(&c.path) {
                    Ok(text) => text,
                    Err(reason) => {
                        let path = job.display_path(&c.path);
                        out.outcome = Outcome::Skipped { path, reason };
                        return out;
                    }
                };
                let in_crate = |p: &str| out.root.as_ref().map(|r| discover::normalize(&r.join(p)));
                out.dirs = text
                    .match_indices("migrate!(")
                    .filter_map(|(i, m)| {
                        let rest = text[i + m.len()..].trim_start().strip_prefix('"')?;
                        in_crate(&rest[..rest.find('"')?])
                    })
                    .collect();
                out.clean = !might_touch_database(&text);
                let linted = budget::within(job.budget(1), || {
                    let file = if out.clean {
                        Default::default()
                    } else {
                        scan_parsed(&text)
                    };
                    let diags = lint::lint_rust_scan(&c.path, &text, &file, &[], job.settings);
                    (file, diags)
                });
                let Ok((file, diags)) = linted else {
                    out.outcome = job.too_slow(&c.path);
                    return out;
                };
                out.query_files = file
                    .query_files
                    .into_iter()
                    .filter_map(|q| Some((in_crate(&q.path)?, q)))
                    .collect();
                out.digest = digest(&text);
                out.functions = file.functions;
                out.looped = file.looped_calls;
                out.outcome = Outcome::Linted(job.report(&c.path, &text, diags));
                out
            })
            .collect()
    });
    let mut crates: std::collections::HashMap<Option<PathBuf>, CrateIndex> = Default::default();
    for s in &scanned {
        crates.entry(s.root.clone()).or_default().add(&s.functions);
    }
    let finders: std::collections::HashMap<&Option<PathBuf>, Finder> = crates
        .iter()
        .filter_map(|(root, index)| {
            let names = index.query_functions();
            (!names.is_empty()).then(|| (root, Finder::new(&names)))
        })
        .collect();
    // The calls a file makes in loops of functions that run a query in
    // other files of its crate.
    let through = |index: &CrateIndex, looped: &[LoopedCall]| -> Vec<OrmCall> {
        looped
            .iter()
            .filter_map(|call| {
                let runs = index.resolve(call)?;
                Some(OrmCall::through_named(
                    call.name.clone(),
                    call.range.clone(),
                    call.each.clone(),
                    runs.to_owned(),
                    crate::typescript::Orm::Sql,
                ))
            })
            .collect()
    };
    let mut facts = RustFacts::default();
    let relinted: Vec<(PathBuf, Outcome)> = run_parallel(|| {
        files
            .par_iter()
            .zip(&scanned)
            .with_max_len(1)
            .filter_map(|(c, s)| {
                let index = &crates[&s.root];
                let finder = finders.get(&s.root)?;
                if s.clean || !through(index, &s.looped).is_empty() {
                    let text = job.read(&c.path).ok()?;
                    if digest(&text) != s.digest || (s.clean && !finder.is_match(&text)) {
                        return None;
                    }
                    let file = scan_parsed(&text);
                    let more = through(index, &file.looped_calls);
                    if more.is_empty() {
                        return None;
                    }
                    let outcome = job.timed(&c.path, || {
                        let diags =
                            lint::lint_rust_scan(&c.path, &text, &file, &more, job.settings);
                        Outcome::Linted(job.report(&c.path, &text, diags))
                    });
                    return Some((c.path.clone(), outcome));
                }
                None
            })
            .collect()
    });
    let mut relinted: std::collections::HashMap<PathBuf, Outcome> = relinted.into_iter().collect();
    let mut outcomes = Vec::new();
    for (c, s) in files.iter().zip(scanned) {
        let outcome = relinted.remove(&c.path).unwrap_or(s.outcome);
        outcomes.push((c.path.clone(), outcome));
        facts.migration_dirs.extend(s.dirs);
        for (file, q) in s.query_files {
            facts.query_files.entry(file).or_default().push(q);
        }
    }
    (outcomes, facts)
}

/// A digest of a file's text, to tell whether it changed between reads.
fn digest(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// A unit of parallel work: a file on its own, or a chain of migrations
/// with the members to report on.
enum Work {
    File(Candidate),
    /// A `.sql` file Rust code runs with `query_file!`, and those calls.
    QueryFile(PathBuf, Vec<crate::rust::QueryFile>),
    Chain(Chain, Vec<PathBuf>, std::collections::HashSet<PathBuf>),
}

/// Groups migrations by chain. A chain's members are all its migrations on
/// disk, so the ones asked for are linted with their history.
/// A `.sql` file that `query_file!` names is linted as the query it is,
/// also when it lies outside the folders walked (but not when a walk
/// passed it over: it is ignored or excluded).
fn plan(
    files: Vec<Candidate>,
    mut rust: RustFacts,
    walked: &[PathBuf],
    settings: &Settings,
) -> Vec<Work> {
    let mut work = Vec::new();
    let mut roots: std::collections::BTreeMap<PathBuf, (Option<Tool>, Vec<PathBuf>)> =
        Default::default();
    for mut c in files {
        if c.kind == FileKind::Sql
            && let Some(uses) = rust.query_files.remove(&discover::normalize(&c.path))
        {
            work.push(Work::QueryFile(c.path, uses));
            continue;
        }
        if c.kind == FileKind::Sql && settings.is_migration(&c.path) {
            c.kind = FileKind::MigrationSql;
        }
        let in_sqlx_dir = c
            .path
            .parent()
            .is_some_and(|p| rust.migration_dirs.contains(&discover::normalize(p)));
        if in_sqlx_dir && c.kind == FileKind::Sql {
            c.kind = FileKind::MigrationSql;
        }
        if c.kind == FileKind::MigrationSql {
            let (root, hint) = root_of(&c.path);
            let hint = hint.or(in_sqlx_dir.then_some(Tool::Sqlx));
            let entry = roots.entry(root).or_default();
            entry.0 = entry.0.or(hint);
            entry.1.push(c.path);
        } else {
            work.push(Work::File(c));
        }
    }
    for (path, uses) in rust.query_files {
        let walked_past = walked
            .iter()
            .any(|dir| path.starts_with(discover::normalize(dir)));
        if !walked_past && path.is_file() {
            work.push(Work::QueryFile(path, uses));
        }
    }
    let mut chains = Vec::new();
    for (root, (hint, wanted)) in roots {
        let mut members = members_of(&root);
        let on_disk: std::collections::HashSet<PathBuf> = members.iter().cloned().collect();
        members.extend(wanted.iter().filter(|w| !on_disk.contains(*w)).cloned());
        let chain = Chain::new(root, hint, &members);
        chain.sort(&mut members);
        chains.push(Work::Chain(chain, members, wanted.into_iter().collect()));
    }
    // Chains first: a chain is replayed on one thread, so it should start
    // while the other threads take the single files.
    chains.sort_by_key(|w| match w {
        Work::Chain(_, members, _) => std::cmp::Reverse(members.len()),
        Work::File(_) | Work::QueryFile(..) => std::cmp::Reverse(0),
    });
    chains.extend(work);
    chains
}

fn check(args: CheckArgs) -> i32 {
    let (settings, exclude, limits) = match effective(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let baseline = match &args.baseline {
        Some(path) => match crate::baseline::Baseline::read(path) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    let held_back = std::sync::atomic::AtomicUsize::new(0);
    let job = Job {
        settings: &settings,
        limits,
        color: use_color(&args),
        human: args.format == Format::Human,
        cwd: std::env::current_dir().ok(),
        baseline: baseline.as_ref(),
        held_back: &held_back,
        progress: None,
    };

    let mut warnings = Vec::new();
    let mut summary = Summary::default();
    let mut diffs = String::new();
    let outcomes: Vec<Outcome> = if let Some(name) = &args.stdin_filename {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            eprintln!("error: cannot read standard input: {e}");
            return EXIT_ERROR;
        }
        let path = job.display_path(name);
        let kind = discover::classify(name).unwrap_or(FileKind::Sql);
        match lint::decode(bytes) {
            Ok(text) if kind.is_supported() && args.fix_mode().is_some() => {
                return fix_stdin(&job, name, &text, kind, &args);
            }
            Ok(text) if kind.is_supported() => vec![Outcome::Linted(job.lint(name, &text, kind))],
            Ok(_) => vec![Outcome::Skipped {
                path,
                reason: format!("{} files are not linted yet, skipped", kind.name()),
            }],
            Err(reason) => vec![Outcome::Skipped { path, reason }],
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let found = match discover::discover(&paths, &exclude) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        };
        warnings.extend(found.warnings);
        let progress = Progress::start(found.files.len());
        let job = Job {
            progress: progress.as_ref().map(|p| &p.bar),
            ..job
        };
        // What other files say, so an import of `db` from `./lib/db`
        // resolves and `include: { posts: true }` is known to load many.
        let mut facts = run_parallel(|| project_facts(&found.files, &job));
        let mut hosts: std::collections::HashMap<PathBuf, Host> = found
            .files
            .iter()
            .map(|c| (c.path.clone(), Host::File(c.kind)))
            .collect();
        let (scripts, others): (Vec<_>, Vec<_>) = found
            .files
            .into_iter()
            .filter(|c| c.kind.is_supported())
            .partition(|c| matches!(c.kind, FileKind::TypeScript | FileKind::Tsx));
        let mut outcomes = lint_typescript(scripts, &job, &mut facts);
        let (rust, others): (Vec<_>, Vec<_>) =
            others.into_iter().partition(|c| c.kind == FileKind::Rust);
        let (linted, rust_facts) = lint_rust(rust, &job);
        outcomes.extend(linted);
        let walked: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
        let work = plan(others, rust_facts, &walked, job.settings);
        for w in &work {
            match w {
                Work::File(c) => {
                    hosts.insert(c.path.clone(), Host::File(c.kind));
                }
                Work::QueryFile(path, uses) => {
                    hosts.insert(path.clone(), Host::QueryFile(uses.clone()));
                }
                Work::Chain(_, _, wanted) => {
                    for path in wanted {
                        hosts.insert(path.clone(), Host::File(FileKind::MigrationSql));
                    }
                }
            }
        }
        let settings = Settings {
            project: std::sync::Arc::new(facts),
            ..job.settings.clone()
        };
        let job = Job {
            settings: &settings,
            cwd: job.cwd.clone(),
            ..job
        };
        outcomes.extend(run_parallel(|| {
            work.par_iter()
                .with_max_len(1)
                .flat_map_iter(|w| match w {
                    Work::File(c) => vec![(c.path.clone(), job.run(c))],
                    Work::QueryFile(path, uses) => {
                        vec![(path.clone(), job.run_query_file(path, uses))]
                    }
                    Work::Chain(chain, members, wanted) => job.run_chain(chain, members, wanted),
                })
                .collect::<Vec<_>>()
        }));
        outcomes.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(p) = &progress {
            p.finish();
        }
        if let Some(mode) = args.fix_mode() {
            let fixable: std::collections::HashSet<&PathBuf> = outcomes
                .iter()
                .filter(|(path, outcome)| {
                    let fixable = |r: &FileReport| {
                        r.diagnostics
                            .iter()
                            .any(|d| d.diag.fix.as_ref().is_some_and(|f| mode.applies(f)))
                    };
                    hosts.contains_key(path) && matches!(outcome, Outcome::Linted(r) if fixable(r))
                })
                .map(|(path, _)| path)
                .collect();
            // Migrations are fixed chain by chain, other files one by one.
            let mut jobs: Vec<FixJob> = Vec::new();
            let mut in_chains = std::collections::HashSet::new();
            for w in &work {
                if let Work::Chain(chain, members, wanted) = w {
                    let targets: Vec<PathBuf> = members
                        .iter()
                        .filter(|m| wanted.contains(*m) && fixable.contains(m))
                        .cloned()
                        .collect();
                    in_chains.extend(targets.iter().cloned());
                    if !targets.is_empty() {
                        jobs.push(FixJob::Chain(chain, members, targets));
                    }
                }
            }
            for path in &fixable {
                if !in_chains.contains(*path) {
                    jobs.push(FixJob::File(path));
                }
            }
            // Per job: what each file came to, and the warnings.
            type Done = (Vec<(PathBuf, FixOutcome)>, Vec<String>);
            let fixed: Vec<Done> = run_parallel(|| {
                jobs.par_iter()
                    .with_max_len(1)
                    .map(|j| {
                        let mut notes = Vec::new();
                        let limit = job.budget(match j {
                            FixJob::File(_) => 1,
                            FixJob::Chain(_, members, _) => members.len(),
                        });
                        // `finish_fix` writes nothing once the budget ran out.
                        let (done, _) = crate::budget::run_within(limit, || match j {
                            FixJob::File(path) => {
                                let host = &hosts[*path];
                                let done = job.fix_file(path, host, mode, args.diff, &mut notes);
                                vec![((*path).clone(), done)]
                            }
                            FixJob::Chain(chain, members, targets) => {
                                job.fix_chain(chain, members, targets, mode, args.diff, &mut notes)
                            }
                        });
                        (done, notes)
                    })
                    .collect()
            });
            let index: std::collections::HashMap<PathBuf, usize> = outcomes
                .iter()
                .enumerate()
                .map(|(i, (p, _))| (p.clone(), i))
                .collect();
            let mut diff_of: Vec<(PathBuf, String)> = Vec::new();
            for (done, notes) in fixed {
                warnings.extend(notes);
                for (path, outcome) in done {
                    if let FixOutcome::Fixed {
                        report,
                        applied,
                        diff,
                    } = outcome
                    {
                        summary.fixed += applied;
                        if let Some(d) = diff {
                            diff_of.push((path.clone(), d));
                        }
                        if let Some(&i) = index.get(&path) {
                            outcomes[i].1 = Outcome::Linted(report);
                        }
                    }
                }
            }
            diff_of.sort();
            diffs = diff_of.into_iter().map(|(_, d)| d).collect();
        }
        outcomes.into_iter().map(|(_, o)| o).collect()
    };

    let mut reports = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Linted(report) => {
                summary.files_linted += 1;
                for d in &report.diagnostics {
                    summary.add(&d.diag);
                }
                reports.push(report);
            }
            Outcome::Skipped { path, reason } => {
                summary.files_skipped += 1;
                warnings.push(format!("{path} {reason}"));
            }
        }
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    summary.baselined = held_back.load(std::sync::atomic::Ordering::Relaxed);
    if let Some(path) = &args.write_baseline {
        let baseline = crate::baseline::Baseline::of(&reports);
        return match baseline.write(path) {
            Ok(()) => {
                eprintln!(
                    "Wrote {} to {}; run with --baseline {} to report only new ones.",
                    report::human::plural(baseline.len(), "finding"),
                    path.display(),
                    path.display()
                );
                EXIT_CLEAN
            }
            Err(e) => {
                eprintln!("error: {e}");
                EXIT_ERROR
            }
        };
    }
    if args.diff {
        print_out(&diffs);
        let n = summary.fixed;
        if n > 0 {
            eprintln!(
                "{} would be fixed; run with --fix{} to apply.",
                report::human::plural(n, "finding"),
                if args.unsafe_fixes {
                    " --unsafe-fixes"
                } else {
                    ""
                }
            );
        }
        return if diffs.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_FINDINGS
        };
    }
    let text = match args.format {
        Format::Human => {
            let mut text: String = reports
                .iter()
                .filter_map(|r| r.rendered.as_deref())
                .collect();
            text.push_str(&report::human::render_summary(&summary));
            text
        }
        Format::Json => report::json::render(&reports, &summary),
        Format::Sarif => {
            let (text, dropped) = report::sarif::render(&reports);
            if dropped > 0 {
                eprintln!(
                    "warning: the SARIF report holds the first {} findings, as many as GitHub reads; {dropped} more were left out",
                    report::sarif::MAX_RESULTS
                );
            }
            text
        }
        Format::Github => report::github::render(&reports),
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write the report to {}: {e}", path.display());
                return EXIT_ERROR;
            }
        }
        None => print_out(&text),
    }
    if summary.failed() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// `--fix` or `--diff` on standard input: the fixed text (or the diff) goes
/// to standard output, the findings that remain to standard error.
fn fix_stdin(job: &Job, name: &Path, text: &str, kind: FileKind, args: &CheckArgs) -> i32 {
    let mode = args.fix_mode().unwrap_or(crate::fix::Mode::Safe);
    let fixed = job.fix_text(name, text, &Host::File(kind), mode);
    let shown = job.display_path(name);
    for warning in rejected(&shown, &fixed) {
        eprintln!("warning: {warning}");
    }
    if args.diff {
        if fixed.text == text {
            return EXIT_CLEAN;
        }
        print_out(&unified_diff(&shown, text, &fixed.text));
        return EXIT_FINDINGS;
    }
    print_out(&fixed.text);
    let remaining = fixed
        .remaining
        .iter()
        .filter(|d| d.severity != crate::diagnostic::Severity::Info)
        .count();
    eprintln!(
        "Fixed {}; {} remaining.",
        report::human::plural(fixed.applied, "finding"),
        remaining
    );
    if remaining > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// The warnings about fixes the engine dropped because they broke the
/// text: each a bug in its rule.
fn rejected(shown: &str, fixed: &crate::fix::Fixed) -> Vec<String> {
    fixed
        .rejected
        .iter()
        .map(|(rule, title)| {
            format!(
                "{shown}: the `{rule}` fix \"{title}\" would leave the file unparseable, so it was not applied; this is a bug in querylint, please report it"
            )
        })
        .collect()
}

/// A unified diff of a file's text before and after its fixes.
fn unified_diff(path: &str, before: &str, after: &str) -> String {
    let mut diff = similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string();
    if !diff.is_empty() && !diff.ends_with('\n') {
        diff.push('\n');
    }
    diff
}

/// Writes a fixed file in its place: a temporary file in the same folder,
/// with the original's permissions, renamed over it. A read-only file, or
/// one whose content changed since it was read, is left alone.
fn write_fixed(path: &Path, original: &str, fixed: &str) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|e| format!("cannot be fixed ({e})"))?;
    let meta = std::fs::metadata(&target).map_err(|e| format!("cannot be fixed ({e})"))?;
    if meta.permissions().readonly() {
        return Err("is read-only, so its fixes were not written".to_owned());
    }
    let now = std::fs::read(&target).map_err(|e| format!("cannot be fixed ({e})"))?;
    if now != original.as_bytes() {
        return Err("changed on disk while it was being fixed, so it was left alone".to_owned());
    }
    let folder = target.parent().unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".querylint-fix-")
            .tempfile_in(folder)?;
        tmp.write_all(fixed.as_bytes())?;
        tmp.as_file().set_permissions(meta.permissions())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&target).map_err(|e| e.error)?;
        Ok(())
    };
    write().map_err(|e| format!("could not be written ({e}); it is unchanged"))
}

/// The progress bar of a long run: drawn on standard error after the run
/// has taken a second, only when standard error is a terminal and not in
/// CI (or with `NO_PROGRESS` set); cleared when the files are linted.
struct Progress {
    bar: indicatif::ProgressBar,
    /// Whether the bar is done; the lock also orders its showing and its
    /// clearing.
    done: std::sync::Arc<std::sync::Mutex<bool>>,
}

impl Progress {
    fn start(total: usize) -> Option<Progress> {
        let wanted = std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var_os("NO_PROGRESS").is_none();
        if !wanted {
            return None;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} linting {pos}/{len} files {wide_bar} {elapsed}",
        ) {
            bar.set_style(style);
        }
        let done = std::sync::Arc::new(std::sync::Mutex::new(false));
        let (shown, finished) = (bar.clone(), std::sync::Arc::clone(&done));
        // Detached: it only ever waits a second, then shows the bar unless
        // the run is over.
        std::thread::spawn(move || {
            std::thread::park_timeout(std::time::Duration::from_secs(1));
            let finished = finished.lock().unwrap_or_else(|e| e.into_inner());
            if !*finished {
                shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                shown.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        });
        Some(Progress { bar, done })
    }

    fn finish(&self) {
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        *done = true;
        self.bar.disable_steady_tick();
        self.bar.finish_and_clear();
        self.bar
            .set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
}

/// Runs `f` on a thread pool whose threads have room for deeply nested SQL.
fn run_parallel<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new()
        .stack_size(16 * 1024 * 1024)
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Writes to standard output, ignoring a closed pipe (`querylint ... | head`).
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
