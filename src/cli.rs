//! The command line: reads the options, asks each project's
//! [`Workspace`] to lint the files given, renders the reports and writes
//! the fixes (the only code that writes a linted file).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::config::{DEFAULT_FILE_TIMEOUT, DEFAULT_MAX_FILE_SIZE, Options, Resolver, for_path};
use crate::diagnostic::{Diagnostic, FixSafety};
use crate::discover::{self, Candidate, FileKind};
use crate::migrate::{Chain, TxOverride};
use crate::parse::Dialect;
use crate::report::{self, FileReport, Summary};
use crate::rules::{self, RULES};
use crate::workspace::fixes::FixedFile;
use crate::workspace::plan::{Host, Work};
use crate::workspace::{self, Outcome, Workspace};

/// Exit codes.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

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
    /// Show what querylint reads each file as: its role (application,
    /// test, script, migration...), its SQL dialect and, for a migration,
    /// the tool that runs it and its transactions, each with the evidence.
    Files {
        /// Files or folders (default: the current folder).
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
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
    /// One line a finding: `path:line:col: severity[rule] message`.
    Concise,
}

/// How `querylint rules` lists the rules.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("fixing").args(["fix", "diff"])))]
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
    /// Read the text to lint from standard input, reporting it under this
    /// name (no paths then).
    #[arg(long, value_name = "NAME", conflicts_with = "paths")]
    stdin_filename: Option<PathBuf>,
    /// Gitignore-style globs of paths to skip, on top of the usual build and
    /// dependency folders.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    exclude: Vec<String>,
    /// Skip files larger than this many bytes (default: 10 MiB).
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Run the rules for application SQL on test code too (files under
    /// tests/, test/, testing/, test-utils/, test-helpers/, __tests__/, e2e/,
    /// testdata/, or named *.test.*,
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
    /// After the findings, print how many each rule found.
    #[arg(long)]
    statistics: bool,
    /// Apply the safe fixes, writing the files; report what remains.
    #[arg(long)]
    fix: bool,
    /// With `--fix` or `--diff`, apply unsafe fixes too (they may change
    /// what the code does: read each rule's doc).
    #[arg(long, requires = "fixing")]
    unsafe_fixes: bool,
    /// Print, as a unified diff, what `--fix` would change, and write
    /// nothing. Exits 1 if there is a change.
    #[arg(long, conflicts_with = "fix")]
    diff: bool,
    /// With `--fix` or `--diff`, fix the migrations added since the
    /// merge-base with this git revision, instead of with the default
    /// branch. Other migrations already ran somewhere: their fixes are
    /// shown, not written.
    #[arg(long, value_name = "REF", requires = "fixing")]
    fix_since: Option<String>,
    /// With `--fix` or `--diff`, fix migrations that already ran too
    /// (their tools keep checksums: read the warning in the README).
    #[arg(long, requires = "fixing", conflicts_with = "fix_since")]
    fix_applied: bool,
}

impl CheckArgs {
    /// Which migrations fixes may edit.
    fn since(&self) -> crate::workspace::history::Since {
        use crate::workspace::history::Since;
        match (&self.fix_since, self.fix_applied) {
            (_, true) => Since::Everything,
            (Some(name), _) => Since::Ref(name.clone()),
            (None, false) => Since::DefaultBranch,
        }
    }

    fn fix_mode(&self) -> Option<crate::fix::Mode> {
        use crate::fix::Mode;
        (self.fix || self.diff).then_some(if self.unsafe_fixes {
            Mode::Unsafe
        } else {
            Mode::Safe
        })
    }
}

/// What the command line comes to: a command it ran, with the process's
/// exit code, or the language server to run (which the binary starts, so
/// that the command line and the server stay apart).
pub enum Run {
    Done(i32),
    Server,
}

/// Reads the command line and runs the command it names.
pub fn main() -> Run {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return Run::Done(if err.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            });
        }
    };
    Run::Done(match cli.command {
        Command::Check(args) => check(*args),
        Command::Server => return Run::Server,
        Command::Config { schema: true, .. } => {
            print_out(&crate::config::json_schema());
            EXIT_CLEAN
        }
        Command::Config { show, path, .. } => show_config(show, path),
        Command::Rules { format } => list_rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::Files { paths, format } => list_files(paths, format),
    })
}

/// `querylint files`: each file with its role, dialect, migration tool and
/// transactions, and the evidence for each.
fn list_files(paths: Vec<PathBuf>, format: ListFormat) -> i32 {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let configs = Arc::new(Resolver::nearest(Options::default()));
    if let Err(e) = configs.for_path(Path::new(".")) {
        eprintln!("error: {e}");
        return EXIT_ERROR;
    }
    let mut warnings = Vec::new();
    let groups = match groups(&paths, &configs, &mut warnings) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let cwd = std::env::current_dir().ok();
    let mut files = Vec::new();
    for g in groups {
        files.extend(g.workspace.describe(g.files, &g.walked));
    }
    for f in &mut files {
        if let Some(rel) = cwd.as_deref().and_then(|c| f.path.strip_prefix(c).ok()) {
            f.path = rel.to_path_buf();
        }
    }
    let mut roles: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut dialects: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &files {
        *roles.entry(f.role.value).or_default() += 1;
        *dialects.entry(f.dialect.value).or_default() += 1;
    }
    let counts = |m: &std::collections::BTreeMap<&str, usize>| {
        m.iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    match format {
        ListFormat::Human => {
            for f in &files {
                out.push_str(&format!("{}  ({})\n", f.path.display(), f.kind));
                let mut line = |name: &str, fact: &crate::context::Fact<&str>| {
                    out.push_str(&format!(
                        "  {name:<13}{:<18}{}\n",
                        fact.value, fact.evidence
                    ));
                };
                line("role", &f.role);
                line("dialect", &f.dialect);
                if let Some(t) = &f.tool {
                    line("tool", t);
                }
                if let Some(t) = &f.transactions {
                    line("transactions", t);
                }
            }
            out.push_str(&format!(
                "\n{} files: {}\ndialects: {}\n",
                files.len(),
                counts(&roles),
                counts(&dialects)
            ));
        }
        ListFormat::Json => {
            let value = serde_json::json!({
                "files": files,
                "roles": roles,
                "dialects": dialects,
            });
            out = serde_json::to_string_pretty(&value).unwrap_or_default();
            out.push('\n');
        }
    }
    print_out(&out);
    EXIT_CLEAN
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
    // The file a run would give the path.
    let file = Resolver::nearest(Options::default()).file_for(&path);
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
    let mut base = config.settings();
    let cwd = std::env::current_dir().ok();
    let root = workspace::project_root(&path, working_directory(cwd.as_deref()));
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    base.project = Some(Arc::new(crate::context::Project::read(
        &root,
        &config.exclude,
        &read,
    )));
    base.root = Some(Arc::new(root));
    // With the overrides that match the path, and what it is.
    let settings = for_path(&path, &base);
    let text = std::fs::read_to_string(&path).ok();
    let context = crate::config::context(&path, &base, false, text.as_deref());
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
    // What the path is: a comment, as only `[[overrides]]` set it.
    out.push_str(&format!(
        "# role = {:?}  ({})\n",
        context.role.value.name(),
        context.role.evidence
    ));
    out.push_str(&format!(
        "dialect = {:?}  # {}\n",
        value_name(&context.dialect.value),
        context.dialect.evidence
    ));
    if let Some(tool) = crate::config::tool_override(&path, &base) {
        out.push_str(&format!(
            "# migration-tool = {:?}  ([[overrides]])\n",
            tool.key()
        ));
    }
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
    let mut tables: std::collections::BTreeMap<String, String> = settings
        .severities
        .iter()
        .map(|(rule, severity)| {
            (
                rule.to_string(),
                format!("severity = {:?}\n", severity.as_str()),
            )
        })
        .collect();
    if settings.options.offset_page_numbers {
        tables
            .entry("offset-pagination".to_owned())
            .or_default()
            .push_str("page-numbers = true\n");
    }
    for (rule, keys) in &tables {
        out.push_str(&format!("\n[rules.{rule}]\n{keys}"));
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
            let near = crate::config::closest(id, RULES.iter().map(|r| r.id))
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            eprintln!("error: no rule named `{id}`; {near}`querylint rules` lists them");
            EXIT_ERROR
        }
    }
}

/// The command line's options over the configuration file.
fn options(args: &CheckArgs) -> Options {
    Options {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
        dialect: args.dialect,
        lint_tests: args.lint_tests,
        offset_threshold: args.offset_threshold,
        postgres_version: args.postgres_version,
        lock_timeout: args.lock_timeout.clone(),
        transactions: args.migration_transactions,
        exclude: args.exclude.clone(),
        max_file_size: args.max_file_size,
        file_timeout: args.file_timeout,
    }
}

/// Where the run's configuration comes from: the file `--config` names,
/// none with `--isolated`, else the nearest file above each path; with the
/// command line's options over it.
fn resolver(args: &CheckArgs) -> Resolver {
    if args.isolated {
        Resolver::fixed(None, options(args))
    } else if let Some(path) = &args.config {
        Resolver::fixed(Some(path.clone()), options(args))
    } else {
        Resolver::nearest(options(args))
    }
}

/// A number of seconds, fractions allowed, for `--file-timeout`.
fn parse_seconds(text: &str) -> Result<f64, String> {
    crate::config::seconds(
        text.parse()
            .map_err(|_| format!("`{text}` is not a number of seconds"))?,
    )
}

fn use_color(args: &CheckArgs) -> bool {
    !args.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// Turns each file's findings into its report as the run goes.
struct Reporter<'a> {
    color: bool,
    human: bool,
    cwd: Option<PathBuf>,
    /// Findings not to report: rule, path, fingerprint (`--baseline`).
    baseline: Option<&'a crate::baseline::Baseline>,
    /// How many findings the baseline held back.
    held_back: std::sync::atomic::AtomicUsize,
    /// Files done, for the progress bar.
    progress: Option<indicatif::ProgressBar>,
}

impl Reporter<'_> {
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

    fn report(&self, file: &Path, text: &str, diags: Vec<Diagnostic>) -> FileReport {
        if let Some(bar) = &self.progress {
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

    fn outcome(&self, path: &Path, outcome: Outcome<FileReport>) -> FileOutcome {
        match outcome {
            Outcome::Linted(report) => FileOutcome::Linted(report),
            Outcome::Skipped(reason) => {
                if let Some(bar) = &self.progress {
                    bar.inc(1);
                }
                FileOutcome::Skipped {
                    path: self.display_path(path),
                    reason,
                }
            }
        }
    }
}

enum FileOutcome {
    Linted(FileReport),
    Skipped { path: String, reason: String },
}

/// Files to fix together.
enum FixJob<'w> {
    File(&'w Path, &'w Host),
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

/// The files of one project that a run lints.
struct Group {
    workspace: Workspace,
    files: Vec<Candidate>,
    walked: Vec<PathBuf>,
}

/// Groups the paths by the project they belong to ([`workspace::project_root`])
/// and walks them: one workspace per project, with the files to lint in it.
fn groups(
    paths: &[PathBuf],
    configs: &Arc<Resolver>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Group>, String> {
    let cwd = std::env::current_dir().ok();
    let mut by_root: std::collections::BTreeMap<PathBuf, Vec<PathBuf>> = Default::default();
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or directory", path.display()));
        }
        by_root
            .entry(workspace::project_root(
                path,
                working_directory(cwd.as_deref()),
            ))
            .or_default()
            .push(path.clone());
    }
    let mut out = Vec::new();
    for (root, paths) in by_root {
        let config = configs.for_path(&root)?;
        let mut found = discover::discover(&paths, &config.exclude).map_err(|e| e.to_string())?;
        warnings.extend(found.warnings);
        // One file named twice (`a.sql` and `$PWD/a.sql`) is linted once.
        let mut seen = std::collections::HashSet::new();
        found.files.retain(|c| seen.insert(workspace::key(&c.path)));
        // A configuration that cannot be read stops the run.
        // One file of each folder stands for the folder.
        let mut folders = std::collections::HashSet::new();
        for c in &found.files {
            if folders.insert(c.path.parent().map(Path::as_os_str)) {
                configs.for_file(&c.path)?;
            }
        }
        let workspace = Workspace::new(&root, Arc::clone(configs));
        let walked: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
        // A walk of the root is the inventory already.
        if paths.iter().any(|p| workspace::key(p) == workspace.root()) {
            workspace.set_inventory(found.files.clone());
        }
        out.push(Group {
            workspace,
            files: found.files,
            walked,
        });
    }
    Ok(out)
}

/// What a run gathers beside the files' reports.
#[derive(Default)]
struct Gathered {
    warnings: Vec<String>,
    summary: Summary,
    /// The diffs of `--diff`.
    diffs: String,
    /// Whether a file the command line named was skipped: the run is an
    /// error then, as nothing was said about that file.
    named_skipped: bool,
}

/// `--stdin-filename`: the text on standard input stands for the file
/// `name` of its project, whose other files are read from disk. `Err` is
/// the exit code of a run that ends here (an error, or `--fix`/`--diff`,
/// which print the text or the diff).
fn check_stdin(
    args: &CheckArgs,
    name: &Path,
    configs: Arc<Resolver>,
    reporter: &Reporter,
) -> Result<FileOutcome, i32> {
    let name = &discover::normalize(name);
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("error: cannot read standard input: {e}");
        return Err(EXIT_ERROR);
    }
    let path = reporter.display_path(name);
    let kind = discover::classify(name).unwrap_or(FileKind::Sql);
    if let Err(e) = configs.for_path(name) {
        eprintln!("error: {e}");
        return Err(EXIT_ERROR);
    }
    let root = workspace::project_root(name, working_directory(reporter.cwd.as_deref()));
    let ws = Workspace::new(&root, configs);
    match crate::source::decode(bytes) {
        Ok(text) if kind.is_supported() => {
            ws.set_buffer(name, Some(text.clone()));
            if args.fix_mode().is_some() {
                return Err(fix_stdin(&ws, reporter, name, &text, args));
            }
            let sink = |p: &Path, t: &str, d: Vec<Diagnostic>| reporter.report(p, t, d);
            Ok(reporter.outcome(name, ws.lint_document(name, &sink)))
        }
        Ok(_) => Ok(FileOutcome::Skipped {
            path,
            reason: format!("{} files are not linted yet, skipped", kind.name()),
        }),
        Err(reason) => Ok(FileOutcome::Skipped { path, reason }),
    }
}

/// Lints the paths the command line names, project by project, and fixes
/// them with `--fix` or `--diff`. `Err` is the exit code of a run that
/// cannot start.
fn check_paths(
    args: &CheckArgs,
    configs: &Arc<Resolver>,
    reporter: &mut Reporter,
    run: &mut Gathered,
) -> Result<Vec<FileOutcome>, i32> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let groups = groups(&paths, configs, &mut run.warnings).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_ERROR
    })?;
    let total = groups.iter().map(|g| g.files.len()).sum();
    let progress = Progress::start(total);
    reporter.progress = progress.as_ref().map(|p| p.bar.clone());
    let reporter = &*reporter;
    let mut outcomes: Vec<(PathBuf, FileOutcome)> = Vec::new();
    for group in &groups {
        group.workspace.set_since(args.since());
        if args.fix_since.is_some()
            && let Err(e) = group.workspace.history().as_ref()
        {
            eprintln!("error: {e}");
            return Err(EXIT_ERROR);
        }
        let files: Vec<Candidate> = group
            .files
            .iter()
            .filter(|c| c.kind.is_supported())
            .cloned()
            .collect();
        let sink = |p: &Path, t: &str, d: Vec<Diagnostic>| reporter.report(p, t, d);
        let (work, linted) = group.workspace.lint(files, &group.walked, &sink);
        let mut linted: Vec<(PathBuf, FileOutcome)> = linted
            .into_iter()
            .map(|(p, o)| {
                let o = reporter.outcome(&p, o);
                (p, o)
            })
            .collect();
        if let Some(mode) = args.fix_mode() {
            // Only the files the command line named: not the `.sql` files
            // a named Rust file runs, which are linted with it.
            let named: std::collections::HashSet<PathBuf> = group
                .files
                .iter()
                .map(|c| workspace::key(&c.path))
                .collect();
            let (fixed, notes) = fix_files(
                &group.workspace,
                reporter,
                &work,
                &mut linted,
                &named,
                mode,
                args.diff,
            );
            run.summary.fixed += fixed.0;
            run.diffs.push_str(&fixed.1);
            run.warnings.extend(notes);
        }
        outcomes.extend(linted);
    }
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(p) = &progress {
        p.finish();
    }
    let named: std::collections::HashSet<PathBuf> = paths
        .iter()
        .filter(|p| !p.is_dir())
        .map(|p| workspace::key(p))
        .collect();
    run.named_skipped = outcomes.iter().any(|(path, outcome)| {
        matches!(outcome, FileOutcome::Skipped { .. }) && named.contains(&workspace::key(path))
    });
    Ok(outcomes.into_iter().map(|(_, o)| o).collect())
}

fn check(args: CheckArgs) -> i32 {
    let configs = Arc::new(resolver(&args));
    // The configuration of the working directory is checked first, as a
    // mistake in it is a mistake in the command.
    if let Err(e) = configs.for_path(Path::new(".")) {
        eprintln!("error: {e}");
        return EXIT_ERROR;
    }
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
    let mut reporter = Reporter {
        color: use_color(&args),
        human: args.format == Format::Human,
        cwd: std::env::current_dir().ok(),
        baseline: baseline.as_ref(),
        held_back: Default::default(),
        progress: None,
    };

    let mut run = Gathered::default();
    let outcomes = match &args.stdin_filename {
        Some(name) => match check_stdin(&args, name, configs, &reporter) {
            Ok(outcome) => {
                run.named_skipped = matches!(outcome, FileOutcome::Skipped { .. });
                vec![outcome]
            }
            Err(code) => return code,
        },
        None => match check_paths(&args, &configs, &mut reporter, &mut run) {
            Ok(outcomes) => outcomes,
            Err(code) => return code,
        },
    };
    let Gathered {
        mut warnings,
        mut summary,
        diffs,
        named_skipped,
    } = run;
    let mut reports = Vec::new();
    for outcome in outcomes {
        match outcome {
            FileOutcome::Linted(report) => {
                summary.files_linted += 1;
                summary.files_with_findings += usize::from(!report.diagnostics.is_empty());
                for d in &report.diagnostics {
                    summary.add(&d.diag);
                }
                reports.push(report);
            }
            FileOutcome::Skipped { path, reason } => {
                summary.files_skipped += 1;
                warnings.push(format!("{path} {reason}"));
            }
        }
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    summary.baselined = reporter
        .held_back
        .load(std::sync::atomic::Ordering::Relaxed);
    if let Some(path) = &args.write_baseline {
        let baseline = crate::baseline::Baseline::of(&reports, path);
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
        Format::Concise => report::human::render_concise(&reports, &summary),
    };
    let text = if args.statistics && matches!(args.format, Format::Human | Format::Concise) {
        format!("{text}{}", report::human::render_statistics(&summary))
    } else {
        text
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
    if named_skipped {
        EXIT_ERROR
    } else if summary.failed() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}

/// Applies the fixes of the `named` files (by key) that have some (`--fix`), or
/// shows them (`--diff`): migrations chain by chain, other files one by
/// one, each job within its time budget. The reports of fixed files are
/// replaced by what remains. Returns the number of fixes applied and the
/// diffs, and the warnings.
fn fix_files(
    ws: &Workspace,
    reporter: &Reporter,
    work: &[Work],
    outcomes: &mut [(PathBuf, FileOutcome)],
    named: &std::collections::HashSet<PathBuf>,
    mode: crate::fix::Mode,
    diff: bool,
) -> ((usize, String), Vec<String>) {
    let fixable: std::collections::HashSet<&PathBuf> = outcomes
        .iter()
        .filter(|(_, outcome)| {
            let fixable = |r: &FileReport| {
                r.diagnostics
                    .iter()
                    .any(|d| d.diag.fix.as_ref().is_some_and(|f| mode.applies(f)))
            };
            matches!(outcome, FileOutcome::Linted(r) if fixable(r))
        })
        .filter(|(path, _)| named.contains(&workspace::key(path)))
        .map(|(path, _)| path)
        .collect();
    let mut jobs: Vec<FixJob> = Vec::new();
    for w in work {
        match w {
            Work::Chain(chain, members, wanted) => {
                let targets: Vec<PathBuf> = members
                    .iter()
                    .filter(|m| wanted.contains(*m) && fixable.contains(m))
                    .cloned()
                    .collect();
                if !targets.is_empty() {
                    jobs.push(FixJob::Chain(chain, members, targets));
                }
            }
            Work::File(path, host) if fixable.contains(path) => {
                jobs.push(FixJob::File(path, host));
            }
            Work::File(..) => {}
        }
    }
    // Per job: what each file came to, and the warnings.
    type Done = (Vec<(PathBuf, FixOutcome)>, Vec<String>);
    let fixed: Vec<Done> = ws.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|j| {
                let mut notes = Vec::new();
                // The same budget the file or chain was linted within.
                let limit = match j {
                    FixJob::File(path, _) => ws.effective(path).limits.budget(1),
                    FixJob::Chain(chain, members, _) => {
                        ws.effective_in(&chain.root).limits.budget(members.len())
                    }
                };
                // `finish_fix` writes nothing once the budget ran out.
                let (done, _) = crate::budget::run_within(limit, || {
                    let results = match j {
                        FixJob::File(path, host) => vec![
                            ws.fix_file(path, host, mode)
                                .map_err(|reason| (path.to_path_buf(), reason)),
                        ],
                        FixJob::Chain(chain, members, targets) => {
                            ws.fix_chain(chain, members, targets, mode)
                        }
                    };
                    results
                        .into_iter()
                        .filter_map(|r| match r {
                            Ok(file) => {
                                let outcome = finish_fix(ws, reporter, &file, diff, &mut notes);
                                Some((file.path, outcome))
                            }
                            Err((path, reason)) => {
                                notes.push(format!("{} {reason}", reporter.display_path(&path)));
                                None
                            }
                        })
                        .collect::<Vec<_>>()
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
    let mut applied_total = 0;
    let mut warnings = Vec::new();
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
                applied_total += applied;
                if let Some(d) = diff {
                    diff_of.push((path.clone(), d));
                }
                if let Some(&i) = index.get(&path) {
                    outcomes[i].1 = FileOutcome::Linted(report);
                }
            }
        }
    }
    diff_of.sort();
    let diffs = diff_of.into_iter().map(|(_, d)| d).collect();
    ((applied_total, diffs), warnings)
}

/// Reports what fixing a file came to, and writes it (or, with `diff`,
/// only shows the change).
fn finish_fix(
    ws: &Workspace,
    reporter: &Reporter,
    file: &FixedFile,
    diff: bool,
    warnings: &mut Vec<String>,
) -> FixOutcome {
    let (path, original, fixed) = (&file.path, &file.original, &file.fixed);
    let shown = reporter.display_path(path);
    warnings.extend(rejected(&shown, fixed));
    if fixed.unfinished {
        warnings.push(format!(
            "{shown}: fixes still applied after {} passes; run again to apply the rest",
            crate::fix::MAX_PASSES
        ));
    }
    if fixed.applied == 0 || fixed.text == *original {
        return FixOutcome::Unchanged;
    }
    if crate::budget::expired() {
        warnings.push(format!(
            "{shown}: fixing took longer than {:?} (--file-timeout); the file is left as it was",
            ws.effective(path).limits.file_timeout
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
        report: reporter.report(path, &fixed.text, fixed.remaining.clone()),
        applied: fixed.applied,
        diff,
    }
}

/// `--fix` or `--diff` on standard input: the fixed text (or the diff) goes
/// to standard output, the findings that remain to standard error.
fn fix_stdin(
    ws: &Workspace,
    reporter: &Reporter,
    name: &Path,
    text: &str,
    args: &CheckArgs,
) -> i32 {
    let mode = args.fix_mode().unwrap_or(crate::fix::Mode::Safe);
    let host = ws.host_of(name);
    let fixed = ws.fix_text(name, text, &host, mode);
    let shown = reporter.display_path(name);
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
        .unparseable()
        .map(|w| {
            let (rule, title) = (w.rule, &w.title);
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

/// Writes to standard output, ignoring a closed pipe (`querylint ... | head`).
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// The working directory as the fallback of [`workspace::project_root`].
fn working_directory(cwd: Option<&std::path::Path>) -> workspace::Fallback<'_> {
    cwd.map_or(
        workspace::Fallback::None,
        workspace::Fallback::WorkingDirectory,
    )
}
