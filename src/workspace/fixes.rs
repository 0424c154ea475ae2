//! Fixes: what a file's text becomes once its fixes are applied, linted
//! after each pass with the same function as every other lint, so a fix
//! sees the project's facts. Writing the result is the caller's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Workspace;
use super::plan::Host;
use crate::budget;
use crate::diagnostic::Diagnostic;
use crate::discover::FileKind;
use crate::fix::{Fixed, Fixing, MAX_PASSES, Mode};
use crate::lint;
use crate::migrate::Chain;

/// A file's fixes: its text as read, and what fixing it came to.
pub struct FixedFile {
    pub path: PathBuf,
    pub original: String,
    pub fixed: Fixed,
}

impl Workspace {
    /// Fixes a text that stands for the file at `path`.
    pub fn fix_text(&self, path: &Path, text: &str, host: &Host, mode: Mode) -> Fixed {
        let kind = match host {
            Host::File(kind) => *kind,
            Host::QueryFile(_) => FileKind::Sql,
        };
        crate::fix::fix(
            text,
            mode,
            |t| self.lint_text(path, t, host),
            |t| lint::syntax_errors(path, t, kind, &self.effective(path).settings),
        )
    }

    /// Fixes the file at `path`, read from its buffer or the disk.
    pub fn fix_file(&self, path: &Path, host: &Host, mode: Mode) -> Result<FixedFile, String> {
        let original = self.read(path)?;
        let fixed = self.fix_text(path, &original, host, mode);
        Ok(FixedFile {
            path: path.to_path_buf(),
            original,
            fixed,
        })
    }

    /// Fixes the `targets` of a chain together: each pass lints the chain
    /// once, with the texts fixed so far standing in for the files, so
    /// every migration is fixed with its history (and its future, for
    /// findings that later migrations settle) at the cost of one replay.
    /// A target that cannot be read is an error of its own.
    pub fn fix_chain(
        &self,
        chain: &Chain,
        members: &[PathBuf],
        targets: &[PathBuf],
        mode: Mode,
    ) -> Vec<Result<FixedFile, (PathBuf, String)>> {
        let config = self.effective_in(&chain.root);
        let settings = &config.settings;
        let syntax = |path: &Path, text: &str| {
            lint::syntax_errors(path, text, FileKind::MigrationSql, settings)
        };
        let mut out = Vec::new();
        let mut states: Vec<(PathBuf, String, Fixing)> = Vec::new();
        for path in targets {
            match self.read(path) {
                Ok(text) => {
                    let state = Fixing::new(&text, &|t: &str| syntax(path, t));
                    states.push((path.clone(), text, state));
                }
                Err(reason) => out.push(Err((path.clone(), reason))),
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
                settings,
            );
            let mut by_path: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
            for (i, result) in results {
                if let Ok((_, diags)) = result {
                    by_path.insert(members[i].clone(), diags);
                }
            }
            by_path
        };
        let mut found = lint_all(&states);
        let mut last_pass = true;
        for _ in 0..MAX_PASSES {
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
        for (path, original, state) in states {
            let diags = found.remove(&path).unwrap_or_default();
            let fixed = state.done(diags, last_pass, mode);
            out.push(Ok(FixedFile {
                path,
                original,
                fixed,
            }));
        }
        out
    }
}
