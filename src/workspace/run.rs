//! Running the plan: files and chains in parallel, each within its time
//! budget, every file through one function ([`Workspace::lint_text`])
//! whether it is one of a tree or a document alone.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::facts::{RsScan, RustFacts, Scans, TsFacts, TsScan, digest};
use super::plan::{Host, Work};
use super::{Workspace, key};
use crate::budget;
use crate::config::for_path;
use crate::diagnostic::Diagnostic;
use crate::discover::{Candidate, FileKind};
use crate::lint;
use crate::migrate::Chain;

/// What became of a file.
pub enum Outcome<T> {
    /// Linted: what the sink made of its text and diagnostics.
    Linted(T),
    /// Not linted, and why: it cannot be read, is too large, took too long.
    Skipped(String),
}

/// What the caller makes of each linted file, from its text and its
/// diagnostics (sorted, every range a byte range of the text), while the
/// run goes on: the texts of a large tree are never all kept.
pub type Sink<'a, T> = &'a (dyn Fn(&Path, &str, Vec<Diagnostic>) -> T + Sync);

/// A scan made while the facts were built, for the file it is of.
enum Cached {
    Ts(u64, TsScan),
    Rust(u64, RsScan),
}

impl Workspace {
    /// Lints these files of the project: builds the facts they need, plans
    /// them and runs the plan. `walked` are the folders they were found in
    /// (see [`Workspace::plan`]). Returns the plan, for the fixes, and each
    /// file's outcome, in path order.
    pub fn lint<T: Send>(
        &self,
        files: Vec<Candidate>,
        walked: &[PathBuf],
        sink: Sink<T>,
    ) -> (Vec<Work>, Vec<(PathBuf, Outcome<T>)>) {
        self.install(|| {
            let has = |kinds: &[FileKind]| files.iter().any(|c| kinds.contains(&c.kind));
            let scans = self.prepare(
                has(&[FileKind::TypeScript, FileKind::Tsx]),
                has(&[FileKind::Rust]),
            );
            let work = self.plan(files, walked);
            let mut outcomes = self.run(&work, scans, sink);
            outcomes.sort_by(|a, b| a.0.cmp(&b.0));
            (work, outcomes)
        })
    }

    /// Lints one document as part of its project: the file at `path`, its
    /// text its open buffer if it has one, else the file on disk.
    pub fn lint_document<T: Send>(&self, path: &Path, sink: Sink<T>) -> Outcome<T> {
        let Some(kind) = crate::discover::classify(path).filter(|k| k.is_supported()) else {
            return Outcome::Skipped("is not a file kind querylint lints, skipped".to_owned());
        };
        // The facts on the pool; the document itself on this thread, as an
        // editor's lint thread or a command line's main thread would: a
        // document's lint is one piece of work.
        let has = |kinds: &[FileKind]| kinds.contains(&kind);
        let scans = self.install(|| {
            self.prepare(
                has(&[FileKind::TypeScript, FileKind::Tsx]),
                has(&[FileKind::Rust]),
            )
        });
        let me = key(path);
        let work: Vec<Work> = self.plan_document(path).into_iter().collect();
        self.run(&work, scans, sink)
            .into_iter()
            .find(|(p, _)| key(p) == me)
            .map(|(_, o)| o)
            .unwrap_or_else(|| Outcome::Skipped("was not linted".to_owned()))
    }

    /// Runs `f` on the workspace's thread pool, whose threads have room
    /// for deeply nested input.
    pub fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }

    fn run<T: Send>(
        &self,
        work: &[Work],
        mut scans: Scans,
        sink: Sink<T>,
    ) -> Vec<(PathBuf, Outcome<T>)> {
        let items: Vec<(&Work, Option<Cached>)> = work
            .iter()
            .map(|w| {
                let cached = match w {
                    Work::File(path, Host::File(FileKind::TypeScript | FileKind::Tsx)) => scans
                        .ts
                        .remove(&key(path))
                        .map(|(sum, s)| Cached::Ts(sum, s)),
                    Work::File(path, Host::File(FileKind::Rust)) => scans
                        .rust
                        .remove(&key(path))
                        .map(|(sum, s)| Cached::Rust(sum, s)),
                    _ => None,
                };
                (w, cached)
            })
            .collect();
        let one = |(w, cached): (&Work, Option<Cached>)| match w {
            Work::File(path, host) => {
                vec![(path.clone(), self.run_file(path, host, cached, sink))]
            }
            Work::Chain(chain, members, wanted) => self.run_chain(chain, members, wanted, sink),
        };
        if items.len() == 1 {
            return items.into_iter().flat_map(one).collect();
        }
        items
            .into_par_iter()
            // One piece of work a piece: files that talk to a database
            // cluster in a few folders, and coarse pieces would leave one
            // core with all of them.
            .with_max_len(1)
            .flat_map_iter(one)
            .collect()
    }

    fn run_file<T>(
        &self,
        path: &Path,
        host: &Host,
        cached: Option<Cached>,
        sink: Sink<T>,
    ) -> Outcome<T> {
        match &cached {
            // A file that says nothing about databases is not read again.
            Some(Cached::Ts(_, TsScan::Clean)) => {
                return Outcome::Linted(sink(path, "", Vec::new()));
            }
            Some(Cached::Ts(_, TsScan::TooSlow) | Cached::Rust(_, RsScan::TooSlow)) => {
                return Outcome::Skipped(self.too_slow(path));
            }
            _ => {}
        }
        let text = match self.read(path) {
            Ok(text) => text,
            Err(reason) => return Outcome::Skipped(reason),
        };
        let limit = self.effective(path).limits.budget(1);
        budget::within(limit, || {
            let diags = self.lint_with(path, &text, host, cached);
            Outcome::Linted(sink(path, &text, diags))
        })
        .unwrap_or_else(|_| Outcome::Skipped(self.too_slow(path)))
    }

    /// Why a file was skipped for its time.
    pub fn too_slow(&self, path: &Path) -> String {
        format!(
            "took longer than {:?} to lint (--file-timeout), skipped",
            self.effective(path).limits.file_timeout
        )
    }

    fn run_chain<T>(
        &self,
        chain: &Chain,
        members: &[PathBuf],
        wanted: &HashSet<PathBuf>,
        sink: Sink<T>,
    ) -> Vec<(PathBuf, Outcome<T>)> {
        // A chain is replayed whole, with the configuration of its folder:
        // its budget is its files' together.
        let config = self.effective_in(&chain.root);
        let limit = config.limits.budget(members.len());
        let run = || {
            lint::lint_chain(
                chain,
                members,
                &|p| wanted.contains(p),
                &|p| self.read(p),
                &config.settings,
            )
        };
        let Ok(results) = budget::within(limit, run) else {
            return members
                .iter()
                .filter(|m| wanted.contains(*m))
                .map(|m| (m.clone(), Outcome::Skipped(self.too_slow(m))))
                .collect();
        };
        results
            .into_iter()
            .map(|(i, result)| {
                let file = &members[i];
                let outcome = match result {
                    Ok((text, mut diags)) => {
                        self.hold_back(file, chain, members, &mut diags);
                        Outcome::Linted(sink(file, &text, diags))
                    }
                    Err(reason) => Outcome::Skipped(reason),
                };
                (file.clone(), outcome)
            })
            .collect()
    }

    /// Lints `text` as the file at `path`, linted as `host` says, with the
    /// project's facts: the one function every file goes through, in a
    /// tree, alone, from standard input, in an editor and while it is
    /// fixed.
    pub fn lint_text(&self, path: &Path, text: &str, host: &Host) -> Vec<Diagnostic> {
        self.lint_with(path, text, host, None)
    }

    fn lint_with(
        &self,
        path: &Path,
        text: &str,
        host: &Host,
        cached: Option<Cached>,
    ) -> Vec<Diagnostic> {
        let config = self.effective(path);
        let settings = &config.settings;
        match host {
            Host::QueryFile(uses) => lint::lint_query_file(path, text, uses, settings),
            Host::File(FileKind::MigrationSql) => self.lint_migration(path, text),
            Host::File(kind @ (FileKind::TypeScript | FileKind::Tsx)) => {
                let scanned = match cached {
                    Some(Cached::Ts(sum, TsScan::Found(file))) if sum == digest(text) => Some(file),
                    _ => None,
                };
                self.lint_typescript(path, text, *kind, scanned)
            }
            Host::File(FileKind::Rust) => {
                let scanned = match cached {
                    Some(Cached::Rust(sum, RsScan::Kept(file))) if sum == digest(text) => {
                        Some(file)
                    }
                    _ => None,
                };
                let key = key(path);
                let (file, more) = self.with_rust(|rust| rust.scan(&key, text, scanned));
                // An open buffer's facts come from the scan its lint makes.
                if self.buffer_is(path, text) && self.in_project(path) {
                    let own = RustFacts::own(&key, text, &file);
                    if self.with_rust(|rust| rust.differs(&key, &own)) {
                        let changed = self
                            .rust_mut(|rust| rust.set_file(&key, Some(own)))
                            .unwrap_or(false);
                        self.note_change(changed);
                    }
                }
                let (mut file, mut more) = (file, more);
                if in_process(settings, path) {
                    for call in file.calls.iter_mut().chain(more.iter_mut()) {
                        call.in_process = true;
                    }
                }
                lint::lint_rust_scan(path, text, &file, &more, settings)
            }
            Host::File(kind) => lint::lint_file(path, text, *kind, settings),
        }
    }

    /// Lints `text` as the migration at `path`, replayed in the chain its
    /// plan puts it in, as every run of it is.
    fn lint_migration(&self, path: &Path, text: &str) -> Vec<Diagnostic> {
        let Some(Work::Chain(chain, members, _)) = self.plan_document(path) else {
            let config = self.effective(path);
            return lint::lint_file(path, text, FileKind::Sql, &config.settings);
        };
        let me = key(path);
        let load = |p: &Path| {
            if key(p) == me {
                Ok(text.to_owned())
            } else {
                self.read(p)
            }
        };
        let config = self.effective_in(&chain.root);
        let mut diags =
            lint::lint_chain(&chain, &members, &|p| key(p) == me, &load, &config.settings)
                .into_iter()
                .find_map(|(_, result)| result.ok())
                .map(|(_, diags)| diags)
                .unwrap_or_default();
        self.hold_back(path, &chain, &members, &mut diags);
        diags
    }

    fn lint_typescript(
        &self,
        path: &Path,
        text: &str,
        kind: FileKind,
        scanned: Option<crate::typescript::TsFile>,
    ) -> Vec<Diagnostic> {
        let key = key(path);
        let mut file = match scanned {
            Some(file) => file,
            None => {
                // An open document is parsed again from its last tree.
                let previous = self.take_tree(&key);
                let (file, tree) = self.with_ts(|ts| ts.scan(text, kind, previous));
                if let Some(tree) = tree {
                    self.keep_tree(&key, tree);
                }
                file
            }
        };
        // An open buffer's facts come from the scan its lint makes.
        if self.buffer_is(path, text) && self.in_project(path) {
            let own = TsFacts::own(text, &file);
            if self.with_ts(|ts| ts.differs(&key, &own)) {
                let read = |p: &Path| self.read(p).ok();
                let changed = self
                    .ts_mut(|ts| ts.set_file(&key, kind, Some(own), &read))
                    .unwrap_or(false);
                self.note_change(changed);
            }
        }
        if file.is_empty() {
            return Vec::new();
        }
        self.with_ts(|ts| ts.link(&key, &mut file));
        let config = self.effective(path);
        if in_process(&config.settings, path) {
            for call in &mut file.calls {
                call.in_process = true;
            }
        }
        lint::lint_scanned(text, kind, &file, &for_path(path, &config.settings))
    }
}

/// Whether the file at `path` belongs to a package or crate whose only
/// database is embedded (better-sqlite3, rusqlite): each query is a
/// function call in its own process, with no round trip to save.
fn in_process(settings: &crate::config::Settings, path: &Path) -> bool {
    settings
        .project
        .as_deref()
        .is_some_and(|p| p.database_in_process(&crate::discover::absolute(path)))
}
