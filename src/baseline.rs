//! Baselines: the findings a codebase had when it adopted querylint, so
//! that only new ones are reported.
//!
//! A finding is recorded by its rule, its path (as reported, relative to
//! the working directory) and its fingerprint, which does not change when
//! lines above it move (see [`crate::report::fingerprint`]). Writing the
//! baseline again records only the findings that remain, so fixed ones
//! drop out.

use std::collections::HashSet;
use std::path::Path;

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
}

impl Baseline {
    /// The findings of a run.
    pub fn of(reports: &[FileReport]) -> Baseline {
        let entries = reports
            .iter()
            .flat_map(|r| {
                r.diagnostics.iter().map(|l| Entry {
                    rule: l.diag.rule.to_owned(),
                    path: r.path.replace('\\', "/"),
                    fingerprint: l.fingerprint.clone(),
                })
            })
            .collect();
        Baseline { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, rule: &str, path: &str, fingerprint: &str) -> bool {
        self.entries.contains(&Entry {
            rule: rule.to_owned(),
            path: path.replace('\\', "/"),
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
