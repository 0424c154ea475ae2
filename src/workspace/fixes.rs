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
use crate::fix::{Fixed, Fixing, Linted, MAX_PASSES, Mode};
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
        crate::fix::fix(text, mode, |t| self.judged(path, t, host, kind))
    }

    /// What the lint of `text` as the file at `path` says, to judge a fix.
    fn judged(&self, path: &Path, text: &str, host: &Host, kind: FileKind) -> Linted {
        Linted {
            syntax_errors: lint::syntax_errors(path, text, kind, &self.effective(path).settings),
            findings: self.lint_text(path, text, host),
        }
    }

    /// Judges each fix of `diags`, the findings of `text` as the file at
    /// `path`, on its own, as an editor applies one: a fix whose result
    /// parses worse, or has a new warning or error, becomes a
    /// suggestion that says why. The first 20 fixes are judged one by one;
    /// a document over 1 MB is not judged, as each judgement lints it again.
    pub fn judge_fixes(&self, path: &Path, text: &str, diags: &mut [Diagnostic]) {
        if text.len() > 1 << 20 {
            return;
        }
        let host = self.host_of(path);
        let kind = match host {
            Host::File(kind) => kind,
            Host::QueryFile(_) => FileKind::Sql,
        };
        let settings = &self.effective(path).settings;
        let current = lint::syntax_errors(path, text, kind, settings);
        let judge = |t: &str| self.judged(path, t, &host, kind);
        crate::fix::judge_each(text, diags, Mode::Unsafe, current, &judge, 20);
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
                    let state = Fixing::new(&text, syntax(path, &text));
                    states.push((path.clone(), text, state));
                }
                Err(reason) => out.push(Err((path.clone(), reason))),
            }
        }
        // Lints the chain with the `texts` standing in for their files.
        let lint_all = |texts: &[(PathBuf, String)]| {
            let fixing = |p: &Path| texts.iter().find(|(q, _)| q == p);
            let results = lint::lint_chain(
                chain,
                members,
                &|p| fixing(p).is_some(),
                &|p| match fixing(p) {
                    Some((_, text)) => Ok(text.clone()),
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
        let texts = |states: &[(PathBuf, String, Fixing)]| -> Vec<(PathBuf, String)> {
            states
                .iter()
                .map(|(p, _, s)| (p.clone(), s.text().to_owned()))
                .collect()
        };
        let mut found = lint_all(&texts(&states));
        let mut last_pass = true;
        for _ in 0..MAX_PASSES {
            if budget::expired() {
                break;
            }
            let mut changed = false;
            let mut next: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
            for i in 0..states.len() {
                let now = texts(&states);
                let (path, _, state) = &mut states[i];
                let diags = found.get(path).map_or(&[][..], Vec::as_slice);
                // A fix is judged in the chain, the other targets as fixed
                // so far.
                let judge = |t: &str| {
                    let mut with = now.clone();
                    with[i].1 = t.to_owned();
                    Linted {
                        syntax_errors: syntax(path, t),
                        findings: lint_all(&with).remove(path.as_path()).unwrap_or_default(),
                    }
                };
                if let Some(findings) = state.pass(diags, mode, &judge) {
                    changed = true;
                    next.insert(path.clone(), findings);
                }
            }
            if !changed {
                last_pass = false;
                break;
            }
            // A lone target's pass linted the chain as it now stands; with
            // more, each was linted before the others' fixes of the round.
            found = if states.len() == 1 {
                next
            } else {
                lint_all(&texts(&states))
            };
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
