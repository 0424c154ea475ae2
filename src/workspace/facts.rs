//! Project facts: what the files of a workspace say that other files need.
//!
//! - TypeScript and JavaScript: the names modules export as database
//!   clients, the to-many relations of the Prisma schemas, and each
//!   module's exported functions that run a query (the module index a call
//!   in a loop is resolved against).
//! - Rust: each crate's functions (a call in a loop is followed into the
//!   function of another file that runs a query), the folders
//!   `sqlx::migrate!` names and the `.sql` files `query_file!` runs.
//!
//! Facts are kept per file, so one file's new text changes its own facts
//! and the indexes built from them, without reading the others again.
//! Each front end's facts are built on first need: a workspace linted for
//! its SQL alone never parses its TypeScript.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::budget;
use crate::config::Limits;
use crate::discover::{Candidate, FileKind, normalize};
use crate::model::{Orm, OrmCall};
use crate::rust::{
    Callers, CrateIndex, Function, LoopedCall, Names, Parameter, Pass, QueryFile, RsFile, Wrappers,
};
use crate::typescript::tsconfig::Aliases;
use crate::typescript::{Exports, ModuleIndex, Parsed, Project, Relation, Sink, TsFile};

/// Reads a file of the workspace: its open buffer if any, else the disk.
pub type Read<'a> = &'a (dyn Fn(&Path) -> Result<String, String> + Sync);

/// A digest of a file's text, to tell whether it changed between reads.
/// Eight bytes at a time, so that it costs little beside reading the file;
/// it guards against a file changing during a run, not against an
/// adversary.
pub fn digest(text: &str) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes = text.as_bytes();
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let word = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &b in words.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h
}

/// How a TypeScript file's scan came out while the facts were built.
pub enum TsScan {
    /// Nothing about databases: nothing to lint.
    Clean,
    Found(TsFile),
    /// The scan took longer than the file's budget.
    TooSlow,
}

/// The scans made while facts were built, kept for the run that asked for
/// them so a file is not scanned twice: by key, with the digest of the
/// text scanned.
#[derive(Default)]
pub struct Scans {
    pub ts: HashMap<PathBuf, (u64, TsScan)>,
    pub rust: HashMap<PathBuf, (u64, RsScan)>,
}

/// How a Rust file's scan came out while the facts were built.
pub enum RsScan {
    /// Kept for the file's lint.
    Kept(RsFile),
    /// Let go, to keep the memory the kept scans take within
    /// [`Limits::kept_scans`]: the file is scanned again when it is
    /// linted. What is left is what the facts' later rounds read of the
    /// scan: the function bodies it left unread.
    Dropped(Vec<Range<usize>>),
    /// The scan took longer than the file's budget.
    TooSlow,
}

impl RsScan {
    /// The function bodies the scan left unread, if it was made in time.
    fn blanked(&self) -> Option<&[Range<usize>]> {
        match self {
            RsScan::Kept(file) => Some(&file.blanked),
            RsScan::Dropped(blanked) => Some(blanked),
            RsScan::TooSlow => None,
        }
    }
}

/// Keeps a file's scan for its lint if the scans kept so far, `kept`
/// bytes, leave room for it within `limit`; else keeps only what the
/// facts read of it again.
fn keep(mut file: RsFile, kept: &AtomicUsize, limit: usize) -> RsScan {
    file.shrink();
    let weight = file.weight();
    let fits = kept
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |k| {
            k.checked_add(weight).filter(|&total| total <= limit)
        })
        .is_ok();
    if fits {
        RsScan::Kept(file)
    } else {
        RsScan::Dropped(file.blanked)
    }
}

/// What one TypeScript or JavaScript file says for the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TsFileFacts {
    /// Names it exports as database clients, and renaming re-exports.
    clients: Vec<String>,
    renames: Vec<(String, String)>,
    /// The local names it imports from the project's modules.
    imports: Vec<String>,
    /// Its exports, if its scan found anything (it is then in the module
    /// index).
    module: Option<Exports>,
}

/// The TypeScript and JavaScript facts of a workspace.
#[derive(Default)]
pub struct TsFacts {
    files: HashMap<PathBuf, (FileKind, TsFileFacts)>,
    schemas: HashMap<PathBuf, Vec<(String, String, Relation)>>,
    /// Clients and relations: what a file is scanned with.
    base: Project,
    /// The same, and the names of the project's query functions: what a
    /// file that imports one of them is scanned with.
    full: Project,
    names: HashSet<String>,
    /// The names of the project's classes that keep a client in a field
    /// and of its functions that return one: a file that imports one is
    /// scanned with them known.
    providers: HashSet<String>,
    /// `.name(` for each function of the project that pastes a parameter
    /// into SQL: a file that imports a module as a namespace and calls one
    /// so (`helpers.columnExists(...)`) is scanned as its caller.
    pasted_calls: Option<aho_corasick::AhoCorasick>,
    /// The `tsconfig.json` aliases in force, by the folder of the
    /// configuration that sets them.
    configs: Vec<(PathBuf, Aliases)>,
    modules: ModuleIndex,
}

impl TsFacts {
    /// The facts of the given files (the workspace's TypeScript files and
    /// Prisma schemas), and the scans made on the way.
    pub fn build(
        files: &[Candidate],
        keys: &[PathBuf],
        read: Read,
        limits: &Limits,
    ) -> (TsFacts, HashMap<PathBuf, (u64, TsScan)>) {
        use crate::typescript::{exported_clients, prisma_relations, project_imports, scan};
        let mut facts = TsFacts::default();
        let indexed: Vec<(&Candidate, &PathBuf)> = files.iter().zip(keys).collect();
        // Clients and relations first: every scan needs them.
        let first: Vec<(
            PathBuf,
            FileKind,
            Option<TsFileFacts>,
            Vec<(String, String, Relation)>,
        )> = indexed
            .par_iter()
            .filter_map(|(c, key)| {
                let text = read(&c.path).ok()?;
                Some(match c.kind {
                    FileKind::PrismaSchema => {
                        ((*key).clone(), c.kind, None, prisma_relations(&text))
                    }
                    _ => {
                        let (clients, renames) = exported_clients(&text);
                        let own = TsFileFacts {
                            clients,
                            renames,
                            imports: project_imports(&text),
                            module: None,
                        };
                        ((*key).clone(), c.kind, Some(own), Vec::new())
                    }
                })
            })
            .collect();
        for (key, kind, own, relations) in first {
            match own {
                Some(own) => {
                    facts.files.insert(key, (kind, own));
                }
                None => {
                    facts.schemas.insert(key, relations);
                }
            }
        }
        facts.derive_project();
        facts.configs = ts_configs(keys, read);
        // Every file with a sign of a database is scanned; one file a piece,
        // as the files that talk to a database cluster in a few folders.
        let base = &facts.base;
        let scanned: Vec<(PathBuf, FileKind, u64, TsScan)> = indexed
            .par_iter()
            .with_max_len(1)
            .filter(|(c, _)| matches!(c.kind, FileKind::TypeScript | FileKind::Tsx))
            .filter_map(|(c, key)| {
                let text = read(&c.path).ok()?;
                let scan = match budget::within(limits.budget(1), || scan(&text, c.kind, base)) {
                    Err(_) => TsScan::TooSlow,
                    Ok(file) if file.is_empty() => TsScan::Clean,
                    Ok(file) => TsScan::Found(file),
                };
                Some(((*key).clone(), c.kind, digest(&text), scan))
            })
            .collect();
        let mut scans: HashMap<PathBuf, (u64, TsScan)> = HashMap::new();
        for (key, kind, sum, scan) in scanned {
            if let TsScan::Found(file) = &scan
                && let Some((_, own)) = facts.files.get_mut(&key)
            {
                own.module = Some(file.exports.clone());
            }
            facts
                .files
                .entry(key.clone())
                .or_insert_with(|| (kind, TsFileFacts::default()));
            scans.insert(key, (sum, scan));
        }
        facts.derive_names();
        // A file with no sign of a database may still call, in a loop, a
        // function of the project that runs a query: those that import one
        // by name are scanned again, as callers.
        // So are those that import a project module as a namespace, if
        // their text calls a pasting function through it (checked once the
        // text is read): `scan` decides the same way.
        let imports = |key: &Path| {
            facts
                .files
                .get(key)
                .map_or(&[][..], |(_, f)| &f.imports[..])
        };
        let callers: Vec<(PathBuf, FileKind, PathBuf, bool)> = indexed
            .iter()
            .filter_map(|(c, key)| {
                let named = match scans.get(*key) {
                    Some((_, TsScan::Clean)) => {
                        facts.imports_query_function(key) || facts.imports_provider(key)
                    }
                    Some((_, TsScan::Found(_))) => facts.imports_provider(key),
                    _ => return None,
                };
                let namespace = imports(key).iter().any(|i| i.starts_with('*'));
                (named || (namespace && facts.pasted_calls.is_some()))
                    .then(|| ((*key).clone(), c.kind, c.path.clone(), named))
            })
            .collect();
        let full = &facts.full;
        let rescanned: Vec<(PathBuf, u64, TsFile)> = callers
            .par_iter()
            .with_max_len(1)
            .filter_map(|(key, kind, path, named)| {
                let text = read(path).ok()?;
                if !named && !facts.pasted_on_namespace(imports(key), &text) {
                    return None;
                }
                let file = budget::within(limits.budget(1), || scan(&text, *kind, full)).ok()?;
                (!file.is_empty()).then(|| (key.clone(), digest(&text), file))
            })
            .collect();
        for (key, sum, file) in rescanned {
            if let Some((_, own)) = facts.files.get_mut(&key) {
                own.module = Some(file.exports.clone());
            }
            scans.insert(key, (sum, TsScan::Found(file)));
        }
        facts.derive_modules();
        (facts, scans)
    }

    /// The clients and relations, from every file's own.
    fn derive_project(&mut self) {
        let mut clients: HashSet<String> = self
            .files
            .values()
            .flat_map(|(_, f)| f.clients.iter().cloned())
            .collect();
        // Renaming re-exports, followed until nothing new is learnt.
        let renames: Vec<&(String, String)> =
            self.files.values().flat_map(|(_, f)| &f.renames).collect();
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
        let mut relations: HashMap<String, HashMap<String, Relation>> = HashMap::new();
        let mut schemas: Vec<&PathBuf> = self.schemas.keys().collect();
        schemas.sort();
        for schema in schemas {
            for (model, field, relation) in &self.schemas[schema] {
                relations
                    .entry(model.clone())
                    .or_default()
                    .insert(field.clone(), relation.clone());
            }
        }
        self.base = Project {
            clients,
            prisma_relations: relations,
            ..Project::default()
        };
    }

    /// The names of the exported functions that run a query, and the
    /// project a caller of one is scanned with.
    fn derive_names(&mut self) {
        self.names = self
            .files
            .values()
            .filter_map(|(_, f)| f.module.as_ref())
            .flat_map(|m| m.queries.iter().map(|(name, _, _, _)| name.clone()))
            .collect();
        let modules = || self.files.values().filter_map(|(_, f)| f.module.as_ref());
        let mut declared: HashMap<&str, (Option<&str>, Vec<&str>)> = HashMap::new();
        for (name, base, fields) in modules().flat_map(|m| &m.classes) {
            let entry = declared.entry(name).or_default();
            entry.0 = entry.0.or(base.as_deref());
            entry.1.extend(fields.iter().map(String::as_str));
        }
        // A class's client fields, its base classes' included.
        let mut client_classes: HashMap<String, Vec<String>> = HashMap::new();
        for name in declared.keys() {
            let mut fields: Vec<String> = Vec::new();
            let mut class = Some(*name);
            for _ in 0..8 {
                let Some((base, own)) = class.and_then(|c| declared.get(c)) else {
                    break;
                };
                for field in own {
                    if !fields.iter().any(|f| f == field) {
                        fields.push((*field).to_owned());
                    }
                }
                class = *base;
            }
            if !fields.is_empty() {
                client_classes.insert((*name).to_owned(), fields);
            }
        }
        let client_functions: HashSet<String> = modules()
            .flat_map(|m| m.client_functions.iter().cloned())
            .collect();
        let sink_functions: HashMap<String, Sink> = modules()
            .flat_map(|m| m.sink_functions.iter().cloned())
            .collect();
        let mut pasted_functions: HashMap<String, Vec<(usize, Option<String>)>> = HashMap::new();
        for (name, parameter, key) in modules().flat_map(|m| &m.pasted_functions) {
            let positions = pasted_functions.entry(name.clone()).or_default();
            let position = (*parameter, key.clone());
            if !positions.contains(&position) {
                positions.push(position);
            }
        }
        let calls: Vec<String> = pasted_functions
            .keys()
            .filter(|n| *n != "default")
            .map(|n| format!(".{n}("))
            .collect();
        self.pasted_calls = (!calls.is_empty())
            .then(|| aho_corasick::AhoCorasick::new(&calls).ok())
            .flatten();
        self.providers = client_classes
            .keys()
            .cloned()
            .chain(client_functions.iter().cloned())
            .chain(sink_functions.keys().cloned())
            .chain(pasted_functions.keys().cloned())
            .filter(|n| n != "default")
            .collect();
        let mut names: Vec<&str> = self
            .names
            .iter()
            .chain(&self.providers)
            .map(String::as_str)
            .filter(|n| *n != "default")
            .collect();
        names.sort_unstable();
        names.dedup();
        self.full = Project {
            query_functions: (!names.is_empty())
                .then(|| aho_corasick::AhoCorasick::new(&names).ok())
                .flatten(),
            client_classes,
            client_functions,
            sink_functions,
            pasted_functions,
            ..self.base.clone()
        };
    }

    fn derive_modules(&mut self) {
        let mut modules: Vec<(PathBuf, Exports)> = self
            .files
            .iter()
            .filter_map(|(key, (_, f))| Some((key.clone(), f.module.clone()?)))
            .collect();
        modules.sort_by(|a, b| a.0.cmp(&b.0));
        self.modules = ModuleIndex::new(modules, self.configs.clone());
    }

    fn imports_provider(&self, key: &Path) -> bool {
        self.files
            .get(key)
            .is_some_and(|(_, f)| f.imports.iter().any(|i| self.providers.contains(i)))
    }

    /// Whether a file that imports `imports` calls a pasting function of
    /// the project through a namespace import (`*helpers`):
    /// `helpers.columnExists(...)`.
    fn pasted_on_namespace(&self, imports: &[String], text: &str) -> bool {
        imports.iter().any(|i| i.starts_with('*'))
            && self.pasted_calls.as_ref().is_some_and(|f| f.is_match(text))
    }

    fn imports_query_function(&self, key: &Path) -> bool {
        self.files
            .get(key)
            .is_some_and(|(_, f)| f.imports.iter().any(|i| self.names.contains(i)))
    }

    /// Scans a TypeScript file of the project as the facts say: with the
    /// project's clients and relations, and if it finds nothing but the
    /// file imports a query function of the project, again as a caller of
    /// it. `previous` is the file's last tree, which a re-parse reuses.
    pub fn scan(
        &self,
        text: &str,
        kind: FileKind,
        previous: Option<Parsed>,
    ) -> (TsFile, Option<Parsed>) {
        use crate::typescript::{project_imports, scan_again};
        let imports = project_imports(text);
        if imports.iter().any(|i| self.providers.contains(i))
            || self.pasted_on_namespace(&imports, text)
        {
            return scan_again(text, kind, &self.full, previous);
        }
        let (file, tree) = scan_again(text, kind, &self.base, previous);
        let caller = file.is_empty() && imports.iter().any(|i| self.names.contains(i));
        if caller {
            return scan_again(text, kind, &self.full, tree);
        }
        (file, tree)
    }

    /// Adds to a file's scan the calls it makes in loops of the query
    /// functions other modules export.
    pub fn link(&self, key: &Path, file: &mut TsFile) {
        self.modules.link(key, file);
    }

    /// Takes a file's new text (`None`: it is gone) into the facts.
    /// Returns whether anything another file depends on changed.
    pub fn update(
        &mut self,
        key: &Path,
        kind: FileKind,
        text: Option<&str>,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> bool {
        use crate::typescript::prisma_relations;
        if kind == FileKind::PrismaSchema {
            let relations = text.map(prisma_relations).unwrap_or_default();
            if self.schemas.get(key) == Some(&relations) {
                return false;
            }
            self.schemas.insert(key.to_path_buf(), relations);
            self.derive_project();
            self.derive_names();
            return true;
        }
        let own = text.map(|t| {
            let (file, _) = self.scan(t, kind, None);
            TsFacts::own(t, &file)
        });
        self.set_file(key, kind, own, read)
    }

    /// Whether `own` differs from what the facts hold for the file.
    pub fn differs(&self, key: &Path, own: &TsFileFacts) -> bool {
        self.files.get(key).map(|(_, f)| f) != Some(own)
    }

    /// Sets a file's own facts (`None`: it is gone). Returns whether
    /// anything another file depends on changed. Files that import a
    /// client or query-function name that appeared or went are scanned
    /// again: their own exports depend on it.
    pub fn set_file(
        &mut self,
        key: &Path,
        kind: FileKind,
        own: Option<TsFileFacts>,
        read: &dyn Fn(&Path) -> Option<String>,
    ) -> bool {
        let old = self.files.get(key).map(|(_, f)| f);
        if own.as_ref() == old {
            return false;
        }
        let (clients, names, providers) = (
            self.base.clients.clone(),
            self.names.clone(),
            self.providers.clone(),
        );
        match own {
            Some(own) => self.files.insert(key.to_path_buf(), (kind, own)),
            None => self.files.remove(key),
        };
        self.derive_project();
        self.derive_names();
        let changed: HashSet<&String> = clients
            .symmetric_difference(&self.base.clients)
            .chain(names.symmetric_difference(&self.names))
            .chain(providers.symmetric_difference(&self.providers))
            .collect();
        if !changed.is_empty() {
            let dependents: Vec<(PathBuf, FileKind)> = self
                .files
                .iter()
                .filter(|(k, (_, f))| {
                    k.as_path() != key && f.imports.iter().any(|i| changed.contains(i))
                })
                .map(|(k, (kind, _))| (k.clone(), *kind))
                .collect();
            for (other, kind) in dependents {
                if let Some(text) = read(&other) {
                    let (file, _) = self.scan(&text, kind, None);
                    self.files.insert(other, (kind, TsFacts::own(&text, &file)));
                }
            }
            self.derive_project();
            self.derive_names();
        }
        self.derive_modules();
        true
    }

    /// A file's own facts, from its text and its scan.
    pub fn own(text: &str, file: &TsFile) -> TsFileFacts {
        use crate::typescript::{exported_clients, project_imports};
        let (clients, renames) = exported_clients(text);
        TsFileFacts {
            clients,
            renames,
            imports: project_imports(text),
            module: (!file.is_empty()).then(|| file.exports.clone()),
        }
    }
}

/// The aliases of the `tsconfig.json` nearest above each of the files,
/// each with its `extends` chain merged, by the configuration's folder.
/// Only relative `extends` are followed; a configuration that cannot be
/// read or parsed adds nothing.
fn ts_configs(keys: &[PathBuf], read: Read) -> Vec<(PathBuf, Aliases)> {
    use crate::typescript::tsconfig::{TsConfig, parse};
    let mut nearest: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let mut parsed: HashMap<PathBuf, Option<TsConfig>> = HashMap::new();
    let load = |path: &Path, parsed: &mut HashMap<PathBuf, Option<TsConfig>>| {
        parsed
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let text = read(path).ok()?;
                parse(&text, path.parent()?)
            })
            .clone()
    };
    let mut found: Vec<PathBuf> = Vec::new();
    for key in keys {
        // The folders above the file, up to one already answered.
        let mut unanswered = Vec::new();
        let mut dir = key.parent();
        let mut answer = None;
        while let Some(d) = dir {
            if let Some(known) = nearest.get(d) {
                answer = known.clone();
                break;
            }
            let config = d.join("tsconfig.json");
            unanswered.push(d.to_path_buf());
            if load(&config, &mut parsed).is_some() {
                answer = Some(config);
                break;
            }
            dir = d.parent();
        }
        for d in unanswered {
            nearest.insert(d, answer.clone());
        }
        if let Some(config) = answer
            && !found.contains(&config)
        {
            found.push(config);
        }
    }
    let mut configs: Vec<(PathBuf, Aliases)> = found
        .into_iter()
        .filter_map(|path| {
            let mut chain = Vec::new();
            let mut next = vec![path.clone()];
            while let Some(file) = next.pop() {
                if chain.len() >= 8 {
                    break;
                }
                let Some(config) = load(&file, &mut parsed) else {
                    continue;
                };
                let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
                // `extends: [a, b]`: b overrides a, so b is read first.
                for parent in config.extends.iter().filter(|e| e.starts_with('.')) {
                    let mut parent = normalize(&dir.join(parent));
                    if parent.extension().is_none_or(|e| e != "json") {
                        parent.set_extension("json");
                    }
                    next.push(parent);
                }
                chain.push(config);
            }
            // A configuration without aliases still stops the search: the
            // files under it do not use an outer one's.
            let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
            Some((dir, Aliases::of(&chain)))
        })
        .collect();
    // The deepest folder first: a file's configuration is the first whose
    // folder holds it.
    configs.sort_by_key(|(dir, _)| std::cmp::Reverse(dir.components().count()));
    configs
}

/// What one Rust file says for the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RsFileFacts {
    /// The crate it belongs to: the nearest folder above it with a
    /// `Cargo.toml`.
    crate_root: Option<PathBuf>,
    functions: Vec<Function>,
    /// Folders named by `sqlx::migrate!("dir")`, resolved in the crate.
    migrate_dirs: Vec<PathBuf>,
    /// `.sql` files run by `query_file!` and its kin, resolved in the
    /// crate, with the calls.
    query_files: Vec<(PathBuf, QueryFile)>,
    /// What its calls of project functions pass.
    passes: Vec<Pass>,
    /// The functions whose text parameters it pastes into SQL.
    pasting: Vec<String>,
    /// The parameters of its functions that it runs as SQL whole.
    sinks: Vec<Parameter>,
}

/// The Rust facts of a workspace.
#[derive(Default)]
pub struct RustFacts {
    files: HashMap<PathBuf, RsFileFacts>,
    crates: HashMap<Option<PathBuf>, CrateIndex>,
    /// The calls of the workspace, to decide what public parameters hold.
    callers: Callers,
    /// The names of functions whose text parameters are pasted into SQL:
    /// a file that names one is parsed for what it passes.
    pasting: Option<Names>,
    /// The names of functions that hand a parameter of their own on to a
    /// pasting function (a store method between a handler and the SQL):
    /// pasting too, for which files are read for what they pass.
    handing: HashSet<String>,
    /// The project's functions that run a text parameter as SQL: a file
    /// that names one is read with them.
    wrappers: Wrappers,
    /// Every name a file is searched for when it is linted: the query
    /// functions of every crate, the pasting functions and the wrappers,
    /// found in one reading of the file.
    names: Option<Names>,
    migration_dirs: HashSet<PathBuf>,
    query_files: BTreeMap<PathBuf, Vec<QueryFile>>,
}

/// The crate a Rust file belongs to: the nearest folder above it with a
/// `Cargo.toml`.
fn crate_root(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|d| d.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

impl RustFacts {
    /// The facts of the given Rust files, and their scans.
    pub fn build(
        files: &[Candidate],
        keys: &[PathBuf],
        read: Read,
        limits: &Limits,
    ) -> (RustFacts, HashMap<PathBuf, (u64, RsScan)>) {
        let kept = AtomicUsize::new(0);
        let scanned: Vec<(PathBuf, u64, RsScan, RsFileFacts, bool)> = files
            .par_iter()
            .zip(keys)
            .with_max_len(1)
            .filter_map(|(c, key)| {
                let text = read(&c.path).ok()?;
                let file = budget::within(limits.budget(1), || rust_scan(&text)).ok();
                let own = rust_file_facts(key, &text, file.as_ref());
                let plain = !crate::rust::might_touch_database(&text);
                let scan = match file {
                    Some(file) => keep(file, &kept, limits.kept_scans),
                    None => RsScan::TooSlow,
                };
                Some((key.clone(), digest(&text), scan, own, plain))
            })
            .collect();
        let mut facts = RustFacts::default();
        let mut scans = HashMap::new();
        let mut plain = HashSet::new();
        for (key, sum, file, own, no_database) in scanned {
            if no_database {
                plain.insert(key.clone());
            }
            facts.files.insert(key.clone(), own);
            scans.insert(key, (sum, file));
        }
        facts.derive();
        // What files pass to the functions whose parameters are pasted
        // into SQL: a handler calling a store. Only the files that name one
        // where the first reading did not look (a file with no sign of a
        // database, a function body left unread) are read again.
        // A function that hands its parameter on to a pasting function is
        // followed the same way, to the call that decides it: as many
        // rounds as the callers are followed deep.
        // After the first round, only the files that name a function
        // added in the round before are read again.
        let mut fresh: Option<Names> = None;
        for _ in 0..crate::rust::MAX_CALL_DEPTH {
            let Some(pasting) = &facts.pasting else {
                break;
            };
            let looking = fresh.as_ref().unwrap_or(pasting);
            let again: Vec<(PathBuf, RsFile)> = files
                .par_iter()
                .zip(keys)
                .with_max_len(1)
                .filter_map(|(c, key)| {
                    let no_database = plain.contains(key);
                    let blanked = scans.get(key)?.1.blanked();
                    if !no_database && blanked.is_none_or(<[_]>::is_empty) {
                        return None;
                    }
                    let text = read(&c.path).ok()?;
                    if !names_unread(&text, blanked, looking) {
                        return None;
                    }
                    let file =
                        budget::within(limits.budget(1), || scan_naming(&text, pasting)).ok()?;
                    Some((key.clone(), file))
                })
                .collect();
            let read_again = !again.is_empty();
            for (key, file) in again {
                if let Some(own) = facts.files.get_mut(&key) {
                    own.passes = file.passes.clone();
                }
                if !plain.contains(&key) {
                    // This reading holds all the first one did, and more.
                    if let Some(entry) = scans.get_mut(&key) {
                        entry.1 = match entry.1 {
                            RsScan::Dropped(_) => RsScan::Dropped(file.blanked),
                            _ => RsScan::Kept(file),
                        };
                    }
                }
            }
            // The passes just read may hand on to a pasting function; the
            // pasting names themselves do not change with them. One
            // derivation takes in both.
            let added = facts.hand_on();
            if read_again || !added.is_empty() {
                facts.derive();
            }
            if added.is_empty() {
                break;
            }
            fresh = Some(Names::new(added.iter().map(String::as_str)));
        }
        (facts, scans)
    }

    /// Adds to [`RustFacts::handing`] the functions whose calls of a
    /// pasting function pass one of their own parameters; returns the new
    /// ones. A name as common as `new` or `get` is left out: its calls
    /// cannot be told apart, and every file would be read for them.
    fn hand_on(&mut self) -> Vec<String> {
        let Some(pasting) = &self.pasting else {
            return Vec::new();
        };
        let mut added = Vec::new();
        for own in self.files.values() {
            for pass in &own.passes {
                if !pasting.contains(&pass.function) {
                    continue;
                }
                for through in &pass.through {
                    let name = &through.function;
                    if !pasting.contains(name)
                        && crate::rust::resolvable_method(name)
                        && self.handing.insert(name.clone())
                    {
                        added.push(name.clone());
                    }
                }
            }
        }
        added
    }

    fn derive(&mut self) {
        self.crates.clear();
        self.migration_dirs.clear();
        self.query_files.clear();
        self.callers = Callers::default();
        let mut pasting = HashSet::new();
        let mut sinks = Vec::new();
        let mut keys: Vec<&PathBuf> = self.files.keys().collect();
        keys.sort();
        for key in keys {
            let own = &self.files[key];
            self.callers.add(key, &own.passes, &own.functions);
            pasting.extend(own.pasting.iter().map(String::as_str));
            pasting.extend(self.handing.iter().map(String::as_str));
            sinks.extend(own.sinks.iter().cloned());
            self.crates
                .entry(own.crate_root.clone())
                .or_default()
                .add(&own.functions);
            self.migration_dirs.extend(own.migrate_dirs.iter().cloned());
            for (file, q) in &own.query_files {
                self.query_files
                    .entry(file.clone())
                    .or_default()
                    .push(q.clone());
            }
        }
        self.wrappers = Wrappers::new(sinks, &self.callers);
        let mut all: HashSet<&str> = pasting.clone();
        all.extend(self.wrappers.names());
        for index in self.crates.values() {
            all.extend(index.query_functions());
        }
        self.pasting = (!pasting.is_empty()).then(|| Names::new(pasting));
        self.names = (!all.is_empty()).then(|| Names::new(all));
    }

    /// Takes a file's new text (`None`: it is gone) into the facts.
    /// Returns whether anything another file depends on changed.
    pub fn update(&mut self, key: &Path, text: Option<&str>) -> bool {
        let own = text.map(|t| {
            let file = rust_scan(t);
            let file = match &self.pasting {
                Some(p) if names_unread(t, Some(&file.blanked), p) => scan_naming(t, p),
                _ => file,
            };
            Self::own(key, t, &file)
        });
        self.set_file(key, own)
    }

    /// Whether `own` differs from what the facts hold for the file.
    pub fn differs(&self, key: &Path, own: &RsFileFacts) -> bool {
        self.files.get(key) != Some(own)
    }

    /// Sets a file's own facts (`None`: it is gone). Returns whether they
    /// changed.
    pub fn set_file(&mut self, key: &Path, own: Option<RsFileFacts>) -> bool {
        if self.files.get(key) == own.as_ref() {
            return false;
        }
        match own {
            Some(own) => self.files.insert(key.to_path_buf(), own),
            None => self.files.remove(key),
        };
        self.derive();
        true
    }

    /// A file's own facts, from its text and the scan its lint made. The
    /// functions of a file with no sign of a database are not facts, as a
    /// run of the whole project does not parse it for them.
    pub fn own(key: &Path, text: &str, file: &RsFile) -> RsFileFacts {
        if crate::rust::might_touch_database(text) {
            return rust_file_facts(key, text, Some(file));
        }
        RsFileFacts {
            passes: file.passes.clone(),
            ..rust_file_facts(key, text, None)
        }
    }

    /// Whether the folder (a key) is one `sqlx::migrate!` names.
    pub fn is_migration_dir(&self, dir: &Path) -> bool {
        self.migration_dirs.contains(dir)
    }

    /// The `query_file!` calls that run the `.sql` file (a key).
    pub fn query_file_uses(&self, key: &Path) -> Option<&Vec<QueryFile>> {
        self.query_files.get(key)
    }

    /// The `.sql` files the Rust file (a key) runs with `query_file!`.
    pub fn query_files_of(&self, key: &Path) -> Vec<PathBuf> {
        self.files
            .get(key)
            .map(|f| f.query_files.iter().map(|(p, _)| p.clone()).collect())
            .unwrap_or_default()
    }

    /// The calls in loops of a Rust file of the crate at `root` that run a
    /// query through a function of another file of the crate.
    fn through(&self, root: &Option<PathBuf>, looped: &[LoopedCall]) -> Vec<OrmCall> {
        let Some(index) = self.crates.get(root) else {
            return Vec::new();
        };
        looped
            .iter()
            .filter_map(|call| {
                let function = index.resolve_function(call)?;
                let mut through = OrmCall::through_named(
                    call.name.clone(),
                    call.range.clone(),
                    call.each.clone(),
                    function.runs.clone()?,
                    Orm::Sql,
                );
                through.in_process = function.embedded;
                if call.kept && function.creates {
                    through.keeps_created();
                }
                Some(through)
            })
            .collect()
    }
    /// What a Rust file of the project sends to a database, with the calls
    /// it makes in loops of the query functions of its crate: its scan
    /// (`scanned`, if one was made of this text) and those calls. A file
    /// with no sign of a database is parsed only if it names one of its
    /// crate's query functions.
    pub fn scan(&self, key: &Path, text: &str, scanned: Option<RsFile>) -> (RsFile, Vec<OrmCall>) {
        let root = match self.files.get(key) {
            Some(own) => own.crate_root.clone(),
            None => crate_root(key),
        };
        // A file with no sign of a database is read only for its calls:
        // of the crate's query functions in loops, of functions whose
        // parameters are pasted into SQL, or of the project's wrappers.
        let plain = !crate::rust::might_touch_database(text);
        // The names the file holds, read once.
        let found: Vec<(usize, &str)> = match &self.names {
            Some(names) => names.found(text).collect(),
            None => Vec::new(),
        };
        let calls_wrapper = found.iter().any(|(_, w)| self.wrappers.has(w));
        let index = self.crates.get(&root);
        let pasting = |w: &str| self.pasting.as_ref().is_some_and(|p| p.contains(w));
        // Calls of the crate's query functions and of the functions whose
        // parameters are pasted into SQL.
        let wanted = |w: &str| index.is_some_and(|i| i.runs_query(w)) || pasting(w);
        let names = |b: &str| {
            self.names
                .as_ref()
                .is_some_and(|n| n.found(b).any(|(_, w)| wanted(w)))
        };
        let names_pasting = plain && found.iter().any(|(_, w)| pasting(w));
        let reread =
            calls_wrapper || (plain && (names_pasting || found.iter().any(|(_, w)| wanted(w))));
        let mut file = if reread {
            // Read again with the wrappers, whose calls are queries too.
            crate::rust::scan_keeping(text, &self.wrappers, &names)
        } else {
            scanned.unwrap_or_else(|| rust_scan(text))
        };
        let unread = |at: usize| file.blanked.iter().any(|r| r.contains(&at));
        if !reread && found.iter().any(|&(at, w)| wanted(w) && unread(at)) {
            // A body left unread calls one of them.
            file = crate::rust::scan_keeping(text, &self.wrappers, &names);
        }
        if plain && reread {
            // A file that does not parse went unread before, and still
            // holds no SQL to lint.
            file.parse_error = None;
            if !names_pasting {
                // What it passes is no fact of the workspace (see `build`).
                file.passes.clear();
            }
        }
        let mut more = self.through(&root, &file.looped_calls);
        // A turn that keeps a row a function of the crate created is
        // per-item work; the loop's other queries ride along.
        let creating = crate::model::own_row_loops(&more);
        for each in file
            .calls
            .iter_mut()
            .chain(more.iter_mut())
            .filter_map(|c| c.in_loop.as_mut())
        {
            if creating.contains(&each.head) {
                each.writes_rows = true;
            }
        }
        self.callers.link(&mut file);
        // A loop that also awaits a function of the crate that runs no
        // query (an HTTP request, a message pushed to a queue) does work
        // outside the database per item.
        if let Some(index) = self.crates.get(&root) {
            let looped = &file.looped_calls;
            for each in file
                .calls
                .iter_mut()
                .chain(more.iter_mut())
                .filter_map(|c| c.in_loop.as_mut())
            {
                each.other_work |= awaits_other_work(index, looped, &each.head);
            }
        }
        (file, more)
    }
}

/// Whether the loop with head `head` awaits a call that no function of the
/// crate running a query answers to.
fn awaits_other_work(index: &CrateIndex, looped: &[LoopedCall], head: &Range<usize>) -> bool {
    looped
        .iter()
        .any(|c| c.awaited && c.each.head == *head && index.resolve(c).is_none())
}

/// Whether the scan of `text`, which left the function bodies `blanked`
/// unread (`None`: it was not made), left unread a name `pasting` finds: in a file with no sign of a database, which is
/// not parsed, anywhere; else in a function body it left unread. What
/// such a file passes to the functions whose parameters are pasted into
/// SQL is read again with [`scan_naming`].
fn names_unread(text: &str, blanked: Option<&[Range<usize>]>, pasting: &Names) -> bool {
    match blanked {
        Some(b) if crate::rust::might_touch_database(text) => hides(text, b, pasting),
        _ => pasting.is_match(text),
    }
}

/// A scan that also reads the function bodies naming a function whose
/// parameters are pasted into SQL.
fn scan_naming(text: &str, pasting: &Names) -> RsFile {
    let also = |b: &str| pasting.is_match(b);
    crate::rust::scan_keeping(text, &Wrappers::default(), &also)
}

/// Whether one of the function bodies `blanked` of `text` holds what
/// `finder` looks for.
fn hides(text: &str, blanked: &[Range<usize>], finder: &Names) -> bool {
    blanked.iter().any(|r| finder.is_match(&text[r.clone()]))
}

/// The scan of a Rust file on its own: parsed only if it mentions a
/// database API.
fn rust_scan(text: &str) -> RsFile {
    if crate::rust::might_touch_database(text) {
        crate::rust::scan_parsed(text)
    } else {
        RsFile::default()
    }
}

/// A Rust file's own facts: its crate, its functions, the folders its
/// `migrate!` calls name and the files its `query_file!` calls run, both
/// resolved against the crate root without touching the file system.
fn rust_file_facts(key: &Path, text: &str, file: Option<&RsFile>) -> RsFileFacts {
    let crate_root = crate_root(key);
    let in_crate = |p: &str| crate_root.as_ref().map(|r| normalize(&r.join(p)));
    let migrate_dirs = text
        .match_indices("migrate!(")
        .filter_map(|(i, m)| {
            let rest = text[i + m.len()..].trim_start().strip_prefix('"')?;
            in_crate(&rest[..rest.find('"')?])
        })
        .collect();
    let (functions, query_files, passes, mut pasting, sinks) = match file {
        Some(f) => (
            f.functions.clone(),
            f.query_files
                .iter()
                .filter_map(|q| Some((in_crate(&q.path)?, q.clone())))
                .collect(),
            f.passes.clone(),
            f.pasted
                .iter()
                .flat_map(|p| &p.params)
                .map(|p| p.function.clone())
                .collect::<Vec<_>>(),
            f.sinks.clone(),
        ),
        None => Default::default(),
    };
    pasting.sort();
    pasting.dedup();
    RsFileFacts {
        crate_root,
        functions,
        migrate_dirs,
        query_files,
        passes,
        pasting,
        sinks,
    }
}
