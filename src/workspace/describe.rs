//! What querylint knows of each file before linting it, as `querylint
//! files` prints it: its role, its dialect and, for a migration, the tool
//! that runs it and how, each with the evidence it was read from.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Workspace;
use super::plan::{Host, Work};
use crate::context::Fact;
use crate::discover::Candidate;
use crate::migrate::{Chain, Tool, TxMode, TxOverride};

/// One file as querylint sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    pub path: PathBuf,
    /// How it is read: `sql`, `migration`, `typescript`, `rust`...
    pub kind: &'static str,
    pub role: Fact<&'static str>,
    pub dialect: Fact<&'static str>,
    /// For a migration: the tool that runs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<Fact<&'static str>>,
    /// For a migration: how its statements are grouped into transactions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Fact<&'static str>>,
}

impl Workspace {
    /// Describes `files` of the project, planned as a run would lint them.
    pub fn describe(&self, files: Vec<Candidate>, walked: &[PathBuf]) -> Vec<Described> {
        let mut out = Vec::new();
        for work in self.plan(files, walked) {
            match work {
                Work::File(path, host) => {
                    let kind = match &host {
                        Host::File(kind) => kind.name(),
                        Host::QueryFile(_) => "sql (run by Rust code)",
                    };
                    out.push(self.describe_file(&path, kind, false));
                }
                Work::Chain(chain, _, wanted) => {
                    for path in wanted {
                        let mut d = self.describe_file(&path, "migration", true);
                        let (tool, transactions) = self.describe_migration(&chain, &path);
                        d.tool = Some(tool);
                        d.transactions = transactions;
                        out.push(d);
                    }
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    fn describe_file(&self, path: &Path, kind: &'static str, migration: bool) -> Described {
        let settings = &self.effective(path).settings;
        let text = self.read(path).ok();
        let context = crate::config::context(path, settings, migration, text.as_deref());
        Described {
            path: path.to_path_buf(),
            kind,
            role: Fact::new(context.role.value.name(), context.role.evidence),
            dialect: Fact::new(context.dialect.value.key(), context.dialect.evidence),
            tool: None,
            transactions: None,
        }
    }

    fn describe_migration(
        &self,
        chain: &Chain,
        path: &Path,
    ) -> (Fact<&'static str>, Option<Fact<&'static str>>) {
        let settings =
            crate::config::for_migration(path, &self.effective(path).settings).into_owned();
        let said = "`[[overrides]]` in the configuration";
        let project = self.project();
        let listed = project.journal_lists(&super::key(&chain.root), &super::key(path));
        let evidence = if crate::config::tool_override(path, &settings).is_some() {
            said.to_owned()
        } else if chain.tool == Tool::Plain && listed == Some(false) {
            "a drizzle-kit folder whose meta/_journal.json does not list it: applied by hand"
                .to_owned()
        } else {
            chain.evidence()
        };
        let tool = Fact::new(chain.tool.key(), evidence);
        let Ok(text) = self.read(path) else {
            return (tool, None);
        };
        let migration = chain.migration(path);
        let mode = chain.tx_mode(&migration, &text, settings.transactions);
        let default = chain.tx_mode(&migration, "", TxOverride::Auto);
        let evidence = match settings.transactions {
            TxOverride::Auto if mode == default => format!("what {} does", chain.tool.name()),
            TxOverride::Auto => "a marker in the file".to_owned(),
            _ => "`migration-transactions` or `[[overrides]]` in the configuration".to_owned(),
        };
        let name = match mode {
            TxMode::Wrapped => "wrapped",
            TxMode::Implicit => "implicit",
            TxMode::None => "none",
        };
        (tool, Some(Fact::new(name, evidence)))
    }
}
