//! Which migrations already ran somewhere, so that fixes leave them alone.
//!
//! Migration tools keep a record of each migration they applied, and most
//! keep its checksum too: Prisma Migrate, sqlx and Flyway refuse to go on,
//! or report drift, once an applied migration changes, and the others never
//! run it again, so an edit would not reach the databases that ran it. A fix
//! is written to a migration only when the migration is new:
//!
//! - in git, when the file is not in the tree of the merge-base of `HEAD`
//!   and the default branch (or of `--fix-since`): untracked, or added on
//!   this branch. A file the default branch already had is taken as
//!   applied, even if this branch changed it: the change is what would
//!   break the checksum;
//! - outside git, when it is the newest migration of its chain (with its
//!   down migration).
//!
//! `--fix-applied` lifts the guard. A fix the guard holds back is shown as
//! a suggestion that says why.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diagnostic::Diagnostic;
use crate::migrate::{Chain, Tool};

/// Which migrations fixes may edit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Since {
    /// The ones added since the merge-base with the default branch.
    #[default]
    DefaultBranch,
    /// The ones added since the merge-base with this git revision.
    Ref(String),
    /// Every migration (`--fix-applied`).
    Everything,
}

/// What is known of a project's history.
#[derive(Debug)]
pub struct History {
    known: Known,
}

#[derive(Debug)]
enum Known {
    /// Every migration may be fixed.
    Everything,
    /// The files of the base revision's tree (absolute, links resolved),
    /// and how the base is named in messages.
    Git {
        base_files: HashSet<PathBuf>,
        base: String,
    },
    /// No git: only the newest migration of a chain is new.
    NoGit,
}

impl History {
    /// Reads the history of the project at `root`, a folder in it.
    /// A `--fix-since` revision that git does not know is an error.
    pub fn read(root: &Path, since: &Since) -> Result<History, String> {
        if *since == Since::Everything {
            return Ok(History {
                known: Known::Everything,
            });
        }
        let Some(top) = git(root, &["rev-parse", "--show-toplevel"]) else {
            if let Since::Ref(name) = since {
                return Err(format!(
                    "--fix-since {name}: {} is not in a git repository",
                    root.display()
                ));
            }
            return Ok(History {
                known: Known::NoGit,
            });
        };
        let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
        let base = match since {
            Since::Ref(name) => {
                if git(
                    &top,
                    &["rev-parse", "--verify", "-q", &format!("{name}^{{commit}}")],
                )
                .is_none()
                {
                    return Err(format!("--fix-since {name}: git knows no such revision"));
                }
                Some(name.clone())
            }
            _ => default_branch(&top),
        };
        // Without a commit (a new repository), nothing ran yet.
        let Some(head) = git(&top, &["rev-parse", "--verify", "-q", "HEAD^{commit}"]) else {
            return Ok(History {
                known: Known::Git {
                    base_files: HashSet::new(),
                    base: "HEAD".to_owned(),
                },
            });
        };
        let (commit, shown) = match &base {
            Some(name) => match git(&top, &["merge-base", "HEAD", name]) {
                Some(commit) => (commit, format!("the merge-base with `{name}`")),
                None => (head, "`HEAD`".to_owned()),
            },
            None => (head, "`HEAD`".to_owned()),
        };
        let listing = git(
            &top,
            &[
                "ls-tree",
                "-r",
                "-z",
                "--name-only",
                "--full-tree",
                commit.trim(),
            ],
        )
        .unwrap_or_default();
        let base_files = listing
            .split('\0')
            .filter(|p| !p.is_empty())
            .map(|p| top.join(p))
            .collect();
        Ok(History {
            known: Known::Git {
                base_files,
                base: shown,
            },
        })
    }

    /// Why the fixes of `path`, a migration of `chain` whose members are
    /// `members` (in the order they run), may not be written; none when it
    /// is new.
    pub fn applied(&self, path: &Path, chain: &Chain, members: &[PathBuf]) -> Option<String> {
        let why = match &self.known {
            Known::Everything => return None,
            Known::Git { base_files, base } => {
                // git names the top with links resolved; a file not on
                // disk (an unsaved buffer) is new.
                let real = std::fs::canonicalize(path);
                if !real.is_ok_and(|real| base_files.contains(&real)) {
                    return None;
                }
                format!("this migration is already in {base}")
            }
            Known::NoGit => {
                if newest(chain, members, path) {
                    return None;
                }
                "outside git, only the newest migration of a folder is fixed".to_owned()
            }
        };
        Some(format!(
            "{why}, and {} (`--fix-applied` writes it anyway)",
            consequence(chain.tool)
        ))
    }
}

/// Turns the fixes of a migration's findings into suggestions that say
/// `why` they are not written.
pub fn hold_back(diags: &mut [Diagnostic], why: &str) {
    for fix in diags.iter_mut().filter_map(|d| d.fix.as_mut()) {
        fix.withhold(why);
    }
}

/// What editing an applied migration does, with its tool.
fn consequence(tool: Tool) -> &'static str {
    match tool {
        Tool::Prisma => "Prisma Migrate keeps a checksum of each applied migration",
        Tool::Sqlx => "sqlx refuses to run once an applied migration's checksum changes",
        Tool::Flyway => "Flyway's validation fails once an applied migration's checksum changes",
        _ => {
            "an applied migration never runs again, so the edit would not reach the databases that ran it"
        }
    }
}

/// Whether `path` is the newest up migration of the chain, or its down
/// migration.
fn newest(chain: &Chain, members: &[PathBuf], path: &Path) -> bool {
    use crate::migrate::Direction;
    let Some(last) = members
        .iter()
        .rev()
        .find(|m| chain.migration(m).direction == Direction::Up)
    else {
        return true;
    };
    let key = crate::workspace::key;
    if key(last) == key(path) {
        return true;
    }
    // Its down migration: the same name with `down` for `up`, or Flyway's
    // `U` for `V`.
    let up = chain.key(last);
    let me = chain.key(path);
    chain.migration(path).direction == Direction::Down
        && (me.replace("down", "up") == up
            || me
                .rsplit_once('/')
                .map_or(me.strip_prefix('U'), |(_, name)| name.strip_prefix('U'))
                .zip(up.rsplit('/').next().and_then(|n| n.strip_prefix('V')))
                .is_some_and(|(a, b)| a == b))
}

/// The default branch: what `origin/HEAD` points at, else the first of
/// `origin/main`, `origin/master`, `main` and `master` that exists.
fn default_branch(top: &Path) -> Option<String> {
    if let Some(name) = git(
        top,
        &["symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD"],
    ) {
        return Some(name.trim().to_owned());
    }
    ["origin/main", "origin/master", "main", "master"]
        .into_iter()
        .find(|name| {
            git(
                top,
                &["rev-parse", "--verify", "-q", &format!("{name}^{{commit}}")],
            )
            .is_some()
        })
        .map(str::to_owned)
}

/// Runs git in `dir`; its output when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim_end_matches(['\n', '\r']).to_owned())
}
