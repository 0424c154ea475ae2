//! The plan: what each file to lint is and how it is linted. A `.sql` file
//! is a migration if its layout, the configuration's `migrations` globs or
//! a `sqlx::migrate!` call says so, and migrations are grouped into the
//! chains their tools run; a `.sql` file that Rust code runs with
//! `query_file!` is linted as the query those calls make.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

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

/// A unit of parallel work: a file on its own, or a chain of migrations
/// with the members to report on.
pub enum Work {
    File(PathBuf, Host),
    /// A chain, its members in the order the tool runs them, and the ones
    /// to report on.
    Chain(Chain, Vec<PathBuf>, HashSet<PathBuf>),
}

impl Workspace {
    /// How the file at `path` is linted as a document of the project.
    pub fn host_of(&self, path: &std::path::Path) -> Host {
        let kind = crate::discover::classify(path).unwrap_or(FileKind::Sql);
        let file = Candidate {
            path: path.to_path_buf(),
            kind,
        };
        match self.plan(vec![file], &[]).pop() {
            Some(Work::File(_, host)) => host,
            Some(Work::Chain(..)) => Host::File(FileKind::MigrationSql),
            None => Host::File(kind),
        }
    }

    /// Plans the linting of `files`. `walked` are the folders they were
    /// found in: a `.sql` file that a Rust file among them runs with
    /// `query_file!` is linted too when it lies outside them (but not when
    /// a walk passed it over: it is ignored or excluded).
    pub fn plan(&self, files: Vec<Candidate>, walked: &[PathBuf]) -> Vec<Work> {
        let settings = &self.config.settings;
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
            if let Some(uses) = uses {
                work.push(Work::File(c.path, Host::QueryFile(uses)));
                continue;
            }
            if settings.is_migration(&c.path) || in_sqlx_dir {
                c.kind = FileKind::MigrationSql;
            }
            if c.kind == FileKind::MigrationSql {
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
            let chain = Chain::new(root, hint, &members);
            chain.sort(&mut members);
            chains.push(Work::Chain(chain, members, wanted.into_iter().collect()));
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
