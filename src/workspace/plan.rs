//! The plan: what each file to lint is and how it is linted. A `.sql` file
//! is a migration if its layout, the configuration's `migrations` globs or
//! a `sqlx::migrate!` call says so, and migrations are grouped into the
//! chains their tools run; a `.sql` file that Rust code runs with
//! `query_file!` is linted as the query those calls make.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::{Workspace, key};
use crate::discover::{Candidate, FileKind};
use crate::migrate::layout::{members_of, root_of};
use crate::migrate::{Chain, Tool};
use crate::rust::QueryFile;

/// How a file is linted, alone or again while it is fixed.
#[derive(Clone, Debug)]
pub enum Host {
    File(FileKind),
    /// A `.sql` file that `query_file!` runs, read the way those calls do.
    QueryFile(Vec<QueryFile>),
}

impl Workspace {
    /// The open buffers of migrations of the chain rooted at `root`.
    fn buffered_migrations(&self, root: &Path) -> Vec<PathBuf> {
        let overlay = self.overlay.read().unwrap_or_else(|e| e.into_inner());
        let root = key(root);
        overlay
            .keys()
            .filter(|p| {
                let kind = crate::discover::classify(p);
                let migration = kind == Some(FileKind::MigrationSql)
                    || kind == Some(FileKind::Sql) && self.effective(p).settings.is_migration(p);
                migration && key(&root_of(p).0) == root
            })
            .cloned()
            .collect()
    }
}

/// A unit of parallel work: a file on its own, or a chain of migrations
/// with the members to report on.
pub enum Work {
    File(PathBuf, Host),
    /// A chain, its members in the order the tool runs them, and the ones
    /// to report on.
    Chain(Chain, Vec<PathBuf>, HashSet<PathBuf>),
}

impl Workspace {
    /// The plan of one document of the project: the piece of work that
    /// lints it, and none for the other files its plan names (the `.sql`
    /// files a Rust document runs with `query_file!`).
    pub fn plan_document(&self, path: &Path) -> Option<Work> {
        let kind = crate::discover::classify(path)?;
        let file = Candidate {
            path: path.to_path_buf(),
            kind,
        };
        let me = key(path);
        self.plan(vec![file], &[]).into_iter().find(|w| match w {
            Work::File(p, _) => key(p) == me,
            Work::Chain(_, _, wanted) => wanted.iter().any(|w| key(w) == me),
        })
    }

    /// How the file at `path` is linted as a document of the project.
    pub fn host_of(&self, path: &Path) -> Host {
        match self.plan_document(path) {
            Some(Work::File(_, host)) => host,
            Some(Work::Chain(..)) => Host::File(FileKind::MigrationSql),
            None => Host::File(crate::discover::classify(path).unwrap_or(FileKind::Sql)),
        }
    }

    /// Plans the linting of `files`. `walked` are the folders they were
    /// found in: a `.sql` file that a Rust file among them runs with
    /// `query_file!` is linted too when it lies outside them (but not when
    /// a walk passed it over: it is ignored or excluded).
    pub fn plan(&self, files: Vec<Candidate>, walked: &[PathBuf]) -> Vec<Work> {
        let needs_rust = files.iter().any(|c| {
            matches!(
                c.kind,
                FileKind::Sql | FileKind::MigrationSql | FileKind::Rust
            )
        }) && self.has(&[FileKind::Rust]);
        let mut work = Vec::new();
        let mut planned: HashSet<PathBuf> = HashSet::new();
        let mut roots: BTreeMap<PathBuf, (Option<Tool>, Vec<PathBuf>)> = BTreeMap::new();
        let mut extra: Vec<(PathBuf, Vec<QueryFile>)> = Vec::new();
        // `.sql` files: the `query_file!` calls that run each, and whether a
        // `migrate!` call names its folder.
        let mut sql_hosts: Vec<(Candidate, Option<Vec<QueryFile>>, bool)> = Vec::new();
        let mut others = Vec::new();
        for c in files {
            if matches!(c.kind, FileKind::Sql | FileKind::MigrationSql) {
                sql_hosts.push((c, None, false));
            } else {
                others.push(c);
            }
        }
        if needs_rust {
            self.with_rust(|rust| {
                for (c, uses, in_sqlx_dir) in &mut sql_hosts {
                    let k = key(&c.path);
                    if c.kind == FileKind::Sql {
                        *uses = rust.query_file_uses(&k).cloned();
                    }
                    *in_sqlx_dir = k.parent().is_some_and(|p| rust.is_migration_dir(p));
                }
                for c in others.iter().filter(|c| c.kind == FileKind::Rust) {
                    for file in rust.query_files_of(&key(&c.path)) {
                        if let Some(uses) = rust.query_file_uses(&file) {
                            extra.push((file, uses.clone()));
                        }
                    }
                }
            });
        }
        for (mut c, uses, in_sqlx_dir) in sql_hosts {
            planned.insert(key(&c.path));
            // The kind a path says, read below the root, so the same from
            // any working directory; a folder-per-migration file
            // (`<version>_<name>/up.sql`) says so with its own folder,
            // wherever the root is.
            let below = crate::discover::below(&c.path, Some(&self.root));
            let per_folder = c
                .path
                .file_name()
                .is_some_and(|n| n == "migration.sql" || n == "up.sql" || n == "down.sql");
            let own_folder = per_folder.then(|| key(&c.path)).and_then(|absolute| {
                let folder = absolute.parent()?.file_name()?;
                Some(Path::new(folder).join(absolute.file_name()?))
            });
            let kinds = [Some(below.as_ref()), own_folder.as_deref()];
            let kinds = kinds
                .iter()
                .flatten()
                .filter_map(|p| crate::discover::classify(p));
            if let Some(kind) = kinds.max_by_key(|k| *k == FileKind::MigrationSql) {
                c.kind = kind;
            }
            if let Some(uses) = uses {
                work.push(Work::File(c.path, Host::QueryFile(uses)));
                continue;
            }
            if self.effective(&c.path).settings.is_migration(&c.path) || in_sqlx_dir {
                c.kind = FileKind::MigrationSql;
            }
            if c.kind == FileKind::MigrationSql {
                // A folder-per-migration file (`<root>/<version>/up.sql`)
                // given from inside its own folder names its chain's
                // folder only once it is absolute.
                if per_folder && c.path.is_relative() && c.path.components().count() < 3 {
                    c.path = key(&c.path);
                }
                let (root, hint) = root_of(&c.path);
                let hint = hint.or(in_sqlx_dir.then_some(Tool::Sqlx));
                let entry = roots.entry(root).or_default();
                entry.0 = entry.0.or(hint);
                entry.1.push(c.path);
            } else {
                work.push(Work::File(c.path, Host::File(c.kind)));
            }
        }
        for c in others {
            planned.insert(key(&c.path));
            work.push(Work::File(c.path, Host::File(c.kind)));
        }
        let walked: Vec<PathBuf> = walked.iter().map(|w| key(w)).collect();
        extra.sort_by(|a, b| a.0.cmp(&b.0));
        extra.dedup_by(|a, b| a.0 == b.0);
        for (path, uses) in extra {
            let walked_past = walked.iter().any(|dir| path.starts_with(dir));
            if !walked_past && !planned.contains(&path) && path.is_file() {
                work.push(Work::File(path, Host::QueryFile(uses)));
            }
        }
        let mut chains = Vec::new();
        for (root, (hint, wanted)) in roots {
            let mut members = members_of(&root);
            let on_disk: HashSet<PathBuf> = members.iter().cloned().collect();
            members.extend(wanted.iter().filter(|w| !on_disk.contains(*w)).cloned());
            // An open buffer of a migration not saved yet is a member too.
            let buffered = self.buffered_migrations(&root);
            if !buffered.is_empty() {
                let mut seen: HashSet<PathBuf> = members.iter().map(|m| key(m)).collect();
                members.extend(buffered.into_iter().filter(|m| seen.insert(key(m))));
            }
            let settings = &self.effective_in(&root).settings;
            let tool = wanted
                .first()
                .and_then(|w| crate::config::tool_override(w, settings));
            let mut chain = Chain::new(root, hint, &members);
            if let Some(tool) = tool {
                chain.tool = tool;
            }
            let mut wanted: HashSet<PathBuf> = wanted.into_iter().collect();
            // Files in a drizzle-kit folder that its journal does not list
            // are not run by drizzle-kit: they are applied by hand, one
            // statement at a time.
            if chain.tool == Tool::Drizzle && tool.is_none() {
                let project = self.project();
                let (listed, unlisted): (Vec<PathBuf>, Vec<PathBuf>) =
                    members.into_iter().partition(|m| {
                        project.journal_lists(&key(&chain.root), &key(m)) != Some(false)
                    });
                members = listed;
                if !unlisted.is_empty() {
                    let by_hand = Chain {
                        root: chain.root.clone(),
                        tool: Tool::Plain,
                    };
                    let mine: HashSet<PathBuf> = unlisted
                        .iter()
                        .filter(|m| wanted.contains(*m))
                        .cloned()
                        .collect();
                    wanted.retain(|w| !mine.contains(w));
                    let mut unlisted = unlisted;
                    by_hand.sort(&mut unlisted);
                    if !mine.is_empty() {
                        chains.push(Work::Chain(by_hand, unlisted, mine));
                    }
                }
            }
            chain.sort(&mut members);
            if !wanted.is_empty() {
                chains.push(Work::Chain(chain, members, wanted));
            }
        }
        // Chains first: a chain is replayed on one thread, so it should
        // start while the other threads take the single files.
        chains.sort_by_key(|w| match w {
            Work::Chain(_, members, _) => std::cmp::Reverse(members.len()),
            Work::File(..) => std::cmp::Reverse(0),
        });
        chains.extend(work);
        chains
    }
}
