//! The workspace: one project, and everything querylint knows of it before
//! it lints a file. It owns, in this order:
//!
//! 1. the root and the configuration ([`project_root`], [`Workspace::new`]);
//! 2. the inventory: every file under the root that querylint reads;
//! 3. the project facts ([`facts`]), built once, on first need, and
//!    updated one file at a time;
//! 4. the plan ([`plan`]): each file's kind, the migration chains, the
//!    `.sql` files Rust code runs;
//! 5. running ([`run`]): in parallel, each file within its time budget;
//! 6. results: each file's diagnostics, and the fixes ([`fixes`]).
//!
//! It answers two questions with the same code: lint these files of the
//! project (the tree a command line names), and lint this one document as
//! part of its project (a single file, standard input, an editor's
//! buffer). Both plan the files they are given against the same facts and
//! lint each with the same function; a document's text is an open buffer,
//! which wins over the disk wherever the project is read.

pub mod describe;
pub mod facts;
pub mod fixes;
pub mod history;
pub mod plan;
pub mod run;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::config::{Effective, Resolver};
use crate::discover::{self, Candidate, FileKind};
use facts::{RustFacts, Scans, TsFacts};

pub use run::Outcome;

/// A project: its root, its configuration, its files and their facts.
pub struct Workspace {
    root: PathBuf,
    /// The configuration of each file.
    configs: Arc<Resolver>,
    /// The configuration of the root: what the walk of the project skips.
    config: Arc<Effective>,
    /// Each configuration file's, for this root, by file.
    effective: Mutex<HashMap<Option<PathBuf>, Arc<Effective>>>,
    /// The same by folder, for the files of each.
    folders: RwLock<HashMap<std::ffi::OsString, Arc<Effective>>>,
    /// Open buffers by key: they win over the disk.
    overlay: RwLock<HashMap<PathBuf, String>>,
    inventory: Mutex<Option<Arc<Vec<Candidate>>>>,
    /// The keys of the inventory's files.
    members: Mutex<Option<Arc<std::collections::HashSet<PathBuf>>>>,
    ts: RwLock<Option<TsFacts>>,
    rust: RwLock<Option<RustFacts>>,
    /// The last syntax tree of each open TypeScript buffer: a change is
    /// parsed again only where it changed the text.
    trees: Mutex<HashMap<PathBuf, crate::typescript::Parsed>>,
    /// Threads with room for deeply nested input.
    pool: Option<rayon::ThreadPool>,
    /// Whether a buffer's lint changed a fact other files depend on since
    /// the last [`Workspace::take_facts_changed`].
    facts_changed: std::sync::atomic::AtomicBool,
    /// Which migrations fixes may edit, and what git says of them, read
    /// when a migration first has a fix ([`history`]).
    since: RwLock<history::Since>,
    history: Mutex<Option<Arc<Result<history::History, String>>>>,
    /// What the project's tool configurations say, read on first need.
    project: Mutex<Option<Arc<crate::context::Project>>>,
}

/// The key a file is known by in the facts: its absolute path, with `.`
/// and `..` resolved as written.
pub fn key(path: &Path) -> PathBuf {
    discover::absolute(path)
}

/// The files whose folder is the top of a project: a package manifest of
/// a language or a migration tool's configuration.
const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "deno.json",
    "go.mod",
    "pyproject.toml",
    "requirements.txt",
    "Gemfile",
    "composer.json",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "mix.exs",
    "flyway.conf",
    "flyway.toml",
];

/// Where a path's project is looked for when nothing above it says.
#[derive(Debug, Clone, Copy)]
pub enum Fallback<'p> {
    /// None: the path's own folder.
    None,
    /// The working directory of a command line: a project if it holds a
    /// project's manifest (`Cargo.toml`, `package.json`, ...). A folder
    /// that only holds other folders, such as `/tmp` or a folder of
    /// checkouts, is no project, and reading all of it would read other
    /// projects.
    WorkingDirectory(&'p Path),
    /// A workspace folder the editor opened: a project as it is.
    WorkspaceFolder(&'p Path),
}

/// The folder of the project a file or folder belongs to: the top of its
/// git work tree; else the nearest folder above it (or itself) that holds a
/// querylint configuration file; else the [`Fallback`] if the path lies
/// under it and it is neither the file system's root nor the home folder;
/// else the path's own folder.
pub fn project_root(path: &Path, fallback: Fallback<'_>) -> PathBuf {
    let path = key(path);
    let start = if path.is_dir() {
        path.clone()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let has = |dir: &Path, names: &[&str]| names.iter().any(|n| dir.join(n).exists());
    if let Some(dir) = start.ancestors().find(|d| has(d, &[".git"])) {
        return dir.to_path_buf();
    }
    if let Some(dir) = start
        .ancestors()
        .find(|d| has(d, crate::config::FILE_NAMES))
    {
        return dir.to_path_buf();
    }
    let home = std::env::var_os("HOME").map(|h| key(Path::new(&h)));
    let fallback = match fallback {
        Fallback::None => None,
        Fallback::WorkingDirectory(f) => Some(key(f)).filter(|f| has(f, MANIFESTS)),
        Fallback::WorkspaceFolder(f) => Some(key(f)),
    };
    match fallback {
        Some(f) if path.starts_with(&f) && f.parent().is_some() && Some(&f) != home.as_ref() => f,
        _ => start,
    }
}

impl Workspace {
    /// The workspace rooted at `root`, each file linted with the
    /// configuration `configs` gives it. A configuration that cannot be
    /// read gives way to the defaults: callers that must report it ask
    /// `configs` first.
    pub fn new(root: &Path, configs: Arc<Resolver>) -> Workspace {
        let root = key(root);
        let config = configs.for_path(&root).unwrap_or_default();
        Workspace {
            root,
            configs,
            config,
            effective: Default::default(),
            folders: Default::default(),
            overlay: Default::default(),
            inventory: Default::default(),
            members: Default::default(),
            ts: Default::default(),
            rust: Default::default(),
            trees: Default::default(),
            facts_changed: Default::default(),
            since: Default::default(),
            history: Default::default(),
            project: Default::default(),
            pool: rayon::ThreadPoolBuilder::new()
                .stack_size(16 * 1024 * 1024)
                .build()
                .ok(),
        }
    }

    /// Sets which migrations fixes may edit (`--fix-since`,
    /// `--fix-applied`).
    pub fn set_since(&self, since: history::Since) {
        *self.since.write().unwrap_or_else(|e| e.into_inner()) = since;
        self.forget_history();
    }

    /// Reads the project's history again when it is next needed: files
    /// were added or committed.
    pub fn forget_history(&self) {
        *self.history.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The project's history, read once (a `--fix-since` git does not
    /// know is an error).
    pub fn history(&self) -> Arc<Result<history::History, String>> {
        let mut cached = self.history.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .get_or_insert_with(|| {
                let since = self.since.read().unwrap_or_else(|e| e.into_inner()).clone();
                Arc::new(history::History::read(&self.root, &since))
            })
            .clone()
    }

    /// Holds back the fixes of a migration that already ran (see
    /// [`history`]): they become suggestions that say why.
    pub(crate) fn hold_back(
        &self,
        path: &Path,
        chain: &crate::migrate::Chain,
        members: &[PathBuf],
        diags: &mut [crate::diagnostic::Diagnostic],
    ) {
        let fixable = |d: &crate::diagnostic::Diagnostic| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.safety != crate::diagnostic::FixSafety::DisplayOnly)
        };
        if !diags.iter().any(fixable) {
            return;
        }
        let history = self.history();
        let why = match history.as_ref() {
            Ok(history) => history.applied(path, chain, members),
            // The run reported it; no migration is fixed.
            Err(e) => Some(e.clone()),
        };
        if let Some(why) = why {
            history::hold_back(diags, &why);
        }
    }

    /// The last tree of an open buffer's parse, if any.
    pub(crate) fn take_tree(&self, key: &Path) -> Option<crate::typescript::Parsed> {
        if !self.has_buffer(key) {
            return None;
        }
        self.trees
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
    }

    /// Keeps the tree of an open buffer's parse for its next change.
    pub(crate) fn keep_tree(&self, key: &Path, tree: crate::typescript::Parsed) {
        if self.has_buffer(key) {
            self.trees
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.to_path_buf(), tree);
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configuration of a file of the project, its settings knowing
    /// the project's root.
    pub fn effective(&self, path: &Path) -> Arc<Effective> {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        // Keyed by the folder's bytes: hashing a `Path` parses it.
        let name = folder.as_os_str();
        if let Some(found) = self
            .folders
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return Arc::clone(found);
        }
        let found = self.effective_from(self.configs.file_in(folder));
        self.folders
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_owned(), Arc::clone(&found));
        found
    }

    /// The configuration of the files of a folder of the project.
    pub fn effective_in(&self, folder: &Path) -> Arc<Effective> {
        self.effective_from(self.configs.file_in(folder))
    }

    fn effective_from(&self, file: Option<PathBuf>) -> Arc<Effective> {
        let project = self.project();
        let mut cache = self.effective.lock().unwrap_or_else(|e| e.into_inner());
        let found = cache.entry(file).or_insert_with_key(|file| {
            let mut config = (*self.configs.read(file.clone()).unwrap_or_default()).clone();
            config.settings.root = Some(Arc::new(self.root.clone()));
            config.settings.project = Some(project);
            Arc::new(config)
        });
        Arc::clone(found)
    }

    /// What the project's tool configurations say of its files
    /// ([`crate::context::project`]), read once.
    pub fn project(&self) -> Arc<crate::context::Project> {
        let mut cached = self.project.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .get_or_insert_with(|| {
                // Configurations are small; one over a megabyte is not one.
                let read = |p: &Path| {
                    self.buffer(p).or_else(|| {
                        let small = std::fs::metadata(p).is_ok_and(|m| m.len() < 1 << 20);
                        small.then(|| std::fs::read_to_string(p).ok()).flatten()
                    })
                };
                Arc::new(crate::context::Project::read(
                    &self.root,
                    &self.config.exclude,
                    &read,
                ))
            })
            .clone()
    }

    /// Reads the tool configurations again when they are next needed: one
    /// of them changed.
    pub fn forget_project(&self) {
        *self.project.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.effective
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.folders
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Reads a file of the workspace: its open buffer, else the disk.
    /// Files over the size limit, binary files and text that is not UTF-8
    /// are refused with the reason.
    pub fn read(&self, path: &Path) -> Result<String, String> {
        let max = self.effective(path).limits.max_file_size;
        let too_big = |len: u64| {
            format!("is {len} bytes, over the {max}-byte limit (--max-file-size), skipped")
        };
        if let Some(text) = self.buffer(path) {
            if text.len() as u64 > max {
                return Err(too_big(text.len() as u64));
            }
            return Ok(text);
        }
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read ({e}), skipped"))?;
        if meta.len() > max {
            return Err(too_big(meta.len()));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("cannot be read ({e}), skipped"))?;
        crate::source::decode(bytes)
    }

    /// The open buffer of a file, if any.
    fn buffer(&self, path: &Path) -> Option<String> {
        let overlay = self.overlay.read().unwrap_or_else(|e| e.into_inner());
        if overlay.is_empty() {
            return None;
        }
        overlay.get(&key(path)).cloned()
    }

    /// Whether a file has an open buffer.
    pub(crate) fn has_buffer(&self, path: &Path) -> bool {
        let overlay = self.overlay.read().unwrap_or_else(|e| e.into_inner());
        !overlay.is_empty() && overlay.contains_key(&key(path))
    }

    /// Whether `text` is the open buffer of a file: only the buffer's own
    /// text gives it facts (a fix judged on a candidate text does not).
    pub(crate) fn buffer_is(&self, path: &Path, text: &str) -> bool {
        let overlay = self.overlay.read().unwrap_or_else(|e| e.into_inner());
        !overlay.is_empty() && overlay.get(&key(path)).is_some_and(|b| b == text)
    }

    /// Sets (or, with `None`, drops) the open buffer of a file. A buffer's
    /// facts are taken from the scan its lint makes
    /// ([`Workspace::lint_document`]); a dropped buffer's file on disk
    /// stands for it again at once. Returns whether a fact other files
    /// depend on changed, so that they are linted again.
    pub fn set_buffer(&self, path: &Path, text: Option<String>) -> bool {
        let key = key(path);
        let dropped = text.is_none();
        {
            let mut overlay = self.overlay.write().unwrap_or_else(|e| e.into_inner());
            match text {
                Some(t) => overlay.insert(key.clone(), t),
                None => overlay.remove(&key),
            };
        }
        if !dropped {
            return false;
        }
        self.trees
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.file_changed(path)
    }

    /// Whether linting a buffer changed a fact other files depend on since
    /// the last call.
    pub fn take_facts_changed(&self) -> bool {
        self.facts_changed
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }

    fn note_change(&self, changed: bool) {
        if changed {
            self.facts_changed
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Runs `f` on the TypeScript facts, if they are built.
    pub(crate) fn ts_mut<T>(&self, f: impl FnOnce(&mut TsFacts) -> T) -> Option<T> {
        let mut ts = self.ts.write().unwrap_or_else(|e| e.into_inner());
        ts.as_mut().map(f)
    }

    /// Runs `f` on the Rust facts, if they are built.
    pub(crate) fn rust_mut<T>(&self, f: impl FnOnce(&mut RustFacts) -> T) -> Option<T> {
        let mut rust = self.rust.write().unwrap_or_else(|e| e.into_inner());
        rust.as_mut().map(f)
    }

    /// Takes the file's current text (its buffer, else the disk) into the
    /// facts already built. Returns whether a fact other files depend on
    /// changed.
    pub fn file_changed(&self, path: &Path) -> bool {
        let Some(kind) = discover::classify(path) else {
            return false;
        };
        if !self.in_project_now(path) {
            return false;
        }
        let key = key(path);
        let text = self.read(path).ok();
        let read = |p: &Path| self.read(p).ok();
        match kind {
            FileKind::TypeScript | FileKind::Tsx | FileKind::PrismaSchema => {
                let mut ts = self.ts.write().unwrap_or_else(|e| e.into_inner());
                ts.as_mut()
                    .is_some_and(|f| f.update(&key, kind, text.as_deref(), &read))
            }
            FileKind::Rust => {
                let mut rust = self.rust.write().unwrap_or_else(|e| e.into_inner());
                rust.as_mut()
                    .is_some_and(|f| f.update(&key, text.as_deref()))
            }
            _ => false,
        }
    }

    /// Every file under the root that querylint reads, found once.
    pub fn inventory(&self) -> Arc<Vec<Candidate>> {
        let mut inventory = self.inventory.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(files) = &*inventory {
            return Arc::clone(files);
        }
        let walked = discover::discover(&[self.shown(&self.root)], &self.config.exclude)
            .map(|d| d.files)
            .unwrap_or_default();
        let files = Arc::new(walked);
        *inventory = Some(Arc::clone(&files));
        files
    }

    /// Whether a file is one of the project's: in its inventory, or not on
    /// disk yet (a new buffer). A buffer of a file the walk skips (ignored,
    /// excluded) says nothing for the other files, as the file on disk
    /// says nothing to a run.
    pub fn in_project(&self, path: &Path) -> bool {
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        let keys = members.get_or_insert_with(|| {
            Arc::new(self.inventory().iter().map(|c| key(&c.path)).collect())
        });
        keys.contains(&key(path)) || !path.exists()
    }

    /// [`Workspace::in_project`] for a file that changed on disk: one that
    /// is not in the inventory may have just appeared, so the root is
    /// walked again before the answer is no.
    fn in_project_now(&self, path: &Path) -> bool {
        if self.in_project(path) {
            return true;
        }
        *self.inventory.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.members.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.in_project(path)
    }

    /// Gives the inventory from a walk already made of the root (the files
    /// a command line walked when it named the root).
    pub fn set_inventory(&self, files: Vec<Candidate>) {
        *self.inventory.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(files));
    }

    /// A path as the walk should see it: relative to the working directory
    /// when it lies under it, so exclude globs read as they are written.
    fn shown(&self, path: &Path) -> PathBuf {
        match path.strip_prefix(discover::cwd()) {
            Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Ok(rel) => rel.to_path_buf(),
            Err(_) => path.to_path_buf(),
        }
    }

    /// Builds the facts the given kinds of files need, if they are not
    /// built yet; returns the scans made on the way.
    pub fn prepare(&self, need_ts: bool, need_rust: bool) -> Scans {
        let mut scans = Scans::default();
        if !need_ts && !need_rust {
            return scans;
        }
        let inventory = self.inventory();
        let read = |p: &Path| self.read(p);
        let limits = self.config.limits;
        let of = |kinds: &[FileKind]| {
            let files: Vec<Candidate> = inventory
                .iter()
                .filter(|c| kinds.contains(&c.kind))
                .cloned()
                .collect();
            let keys: Vec<PathBuf> = files.iter().map(|c| key(&c.path)).collect();
            (files, keys)
        };
        if need_ts {
            let mut ts = self.ts.write().unwrap_or_else(|e| e.into_inner());
            if ts.is_none() {
                let (files, keys) =
                    of(&[FileKind::TypeScript, FileKind::Tsx, FileKind::PrismaSchema]);
                let (facts, found) = TsFacts::build(&files, &keys, &read, &limits);
                *ts = Some(facts);
                scans.ts = found;
            }
        }
        if need_rust {
            let mut rust = self.rust.write().unwrap_or_else(|e| e.into_inner());
            if rust.is_none() {
                let (files, keys) = of(&[FileKind::Rust]);
                let (facts, found) = RustFacts::build(&files, &keys, &read, &limits);
                *rust = Some(facts);
                scans.rust = found;
            }
        }
        scans
    }

    /// Runs `f` with the TypeScript facts (built if need be).
    pub fn with_ts<T>(&self, f: impl FnOnce(&TsFacts) -> T) -> T {
        if self.ts.read().unwrap_or_else(|e| e.into_inner()).is_none() {
            self.prepare(true, false);
        }
        let ts = self.ts.read().unwrap_or_else(|e| e.into_inner());
        match &*ts {
            Some(facts) => f(facts),
            None => f(&TsFacts::default()),
        }
    }

    /// Runs `f` with the Rust facts (built if need be).
    pub fn with_rust<T>(&self, f: impl FnOnce(&RustFacts) -> T) -> T {
        if self
            .rust
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
        {
            self.prepare(false, true);
        }
        let rust = self.rust.read().unwrap_or_else(|e| e.into_inner());
        match &*rust {
            Some(facts) => f(facts),
            None => f(&RustFacts::default()),
        }
    }

    /// Whether any file of the inventory is of one of these kinds.
    fn has(&self, kinds: &[FileKind]) -> bool {
        self.inventory().iter().any(|c| kinds.contains(&c.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;

    /// Lints every file of a fixture project, the Rust scans made for the
    /// facts kept for the lint up to `kept_scans` bytes.
    fn lint_project(project: &str, kept_scans: usize) -> Vec<(PathBuf, Diagnostic)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/projects")
            .join(project);
        let configs = Arc::new(Resolver::nearest(crate::config::Options::default()));
        let mut workspace = Workspace::new(&root, configs);
        let mut config = (*workspace.config).clone();
        config.limits.kept_scans = kept_scans;
        workspace.config = Arc::new(config);
        let files = crate::discover::discover(std::slice::from_ref(&root), &[])
            .unwrap()
            .files;
        let sink = |p: &Path, _: &str, d: Vec<Diagnostic>| (p.to_path_buf(), d);
        let (_, linted) = workspace.lint(files, std::slice::from_ref(&root), &sink);
        linted
            .into_iter()
            .filter_map(|(_, outcome)| match outcome {
                Outcome::Linted(found) => Some(found),
                Outcome::Skipped(_) => None,
            })
            .flat_map(|(p, d)| d.into_iter().map(move |d| (p.clone(), d)))
            .collect()
    }

    #[test]
    fn scans_let_go_for_memory_are_made_again_with_the_same_findings() {
        let mut in_rust = 0;
        for project in ["rust-callers", "mailer", "rust-schema", "test-crates"] {
            let kept = lint_project(project, crate::config::DEFAULT_KEPT_SCANS);
            in_rust += kept
                .iter()
                .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
                .count();
            // No scan kept: every Rust file is scanned again for its lint.
            assert_eq!(kept, lint_project(project, 0), "{project}");
        }
        assert!(in_rust >= 4, "{in_rust} findings in Rust files");
    }

    #[test]
    fn the_root_is_the_git_top_else_the_configuration_s_folder_else_the_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let at = |p: &str| dir.path().join(p);
        for folder in ["repo/.git", "repo/app/src", "repo/tools", "loose/deep"] {
            std::fs::create_dir_all(at(folder)).unwrap();
        }
        std::fs::create_dir_all(at("plain/app/src")).unwrap();
        std::fs::write(at("repo/app/querylint.toml"), "").unwrap();
        std::fs::write(at("plain/app/querylint.toml"), "").unwrap();
        let root = |p: &str, fallback: Option<&Path>| {
            project_root(
                &at(p),
                fallback.map_or(Fallback::None, Fallback::WorkingDirectory),
            )
        };
        // The git work tree is the project, whatever configuration files
        // lie inside it.
        assert_eq!(root("repo/app/src/route.ts", None), key(&at("repo")));
        assert_eq!(root("repo/tools/x.sql", None), key(&at("repo")));
        // Outside one, the nearest configuration file's folder.
        assert_eq!(root("plain/app/src/route.ts", None), key(&at("plain/app")));
        assert_eq!(root("plain/app", Some(&at("plain"))), key(&at("plain/app")));
        // Outside any project: the fallback if the path is under it and it
        // holds a project's manifest, else the path's folder.
        let loose = at("loose");
        assert_eq!(
            root("loose/deep/q.sql", Some(&loose)),
            key(&at("loose/deep"))
        );
        assert_eq!(root("loose/deep", Some(&loose)), key(&at("loose/deep")));
        // An editor's workspace folder is a project as it is.
        assert_eq!(
            project_root(&at("loose/deep/q.sql"), Fallback::WorkspaceFolder(&loose)),
            key(&loose)
        );
        std::fs::write(at("loose/package.json"), "{}").unwrap();
        assert_eq!(root("loose/deep/q.sql", Some(&loose)), key(&loose));
        assert_eq!(
            root("loose/deep/q.sql", Some(&at("repo"))),
            key(&at("loose/deep"))
        );
        assert_eq!(
            root("loose/deep/q.sql", Some(Path::new("/"))),
            key(&at("loose/deep"))
        );
    }
}
