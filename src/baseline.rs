//! Baselines: the findings a codebase had when it adopted querylint, so
//! that only new ones are reported.
//!
//! A finding is recorded by its rule, its path (relative to the baseline
//! file's folder, with `/`, so that the baseline works from any folder and
//! on any system) and its fingerprint, which does not change when
//! lines above it move (see [`crate::report::fingerprint`]). Writing the
//! baseline again records only the findings that remain, so fixed ones
//! drop out.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::FileReport;

/// The version of the baseline file's shape.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
struct Entry {
    rule: String,
    path: String,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Debug, Default)]
pub struct Baseline {
    entries: HashSet<Entry>,
    /// The folder of the baseline file, absolute: paths are relative to it.
    dir: PathBuf,
}

/// The folder of the baseline file at `file`, absolute.
fn folder_of(file: &Path) -> PathBuf {
    let file = crate::discover::absolute(file);
    file.parent().map(Path::to_path_buf).unwrap_or(file)
}

/// `path` (as reported: relative to the working directory, or absolute)
/// relative to `dir`, with `/` between its parts.
fn relative(path: &str, dir: &Path) -> String {
    let path = crate::discover::absolute(Path::new(path));
    let common = path
        .components()
        .zip(dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = dir.components().skip(common).map(|_| "..".to_owned());
    let downs = path.components().skip(common).filter_map(|c| match c {
        Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
        _ => None,
    });
    ups.chain(downs).collect::<Vec<_>>().join("/")
}

impl Baseline {
    /// The findings of a run, for a baseline file at `file`.
    pub fn of(reports: &[FileReport], file: &Path) -> Baseline {
        let dir = folder_of(file);
        let entries = reports
            .iter()
            .flat_map(|r| {
                let path = relative(&r.path, &dir);
                r.diagnostics.iter().map(move |l| Entry {
                    rule: l.diag.rule.to_owned(),
                    path: path.clone(),
                    fingerprint: l.fingerprint.clone(),
                })
            })
            .collect();
        Baseline { entries, dir }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the baseline holds a finding of `rule` with `fingerprint` in
    /// the file at `path`, as reported.
    pub fn contains(&self, rule: &str, path: &str, fingerprint: &str) -> bool {
        self.entries.contains(&Entry {
            rule: rule.to_owned(),
            path: relative(path, &self.dir),
            fingerprint: fingerprint.to_owned(),
        })
    }

    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a querylint baseline: {e}", path.display()))?;
        if file.version != VERSION {
            return Err(format!(
                "{} is a baseline of version {}; this querylint reads version {VERSION}",
                path.display(),
                file.version
            ));
        }
        Ok(Baseline {
            entries: file.findings.into_iter().collect(),
            dir: folder_of(path),
        })
    }

    /// Writes the baseline, sorted, so that it diffs well in review.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut findings: Vec<Entry> = self.entries.iter().cloned().collect();
        findings.sort();
        let file = File {
            version: VERSION,
            findings,
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        std::fs::write(path, text)
            .map_err(|e| format!("cannot write the baseline {}: {e}", path.display()))
    }
}
