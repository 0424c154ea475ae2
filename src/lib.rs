//! querylint: a static linter for database access code.
//!
//! The pipeline, one module a stage: [`workspace`] finds a project's root,
//! configuration and files, gathers its facts and plans each file;
//! [`discover`] walks folders, [`extract`] and the front ends
//! ([`typescript`], [`rust`]) turn a file into SQL units and calls,
//! [`parse`] splits and parses them, [`rules`] check each statement, [`lint`]
//! runs the rules and maps what they find into the host file as
//! [`diagnostic::Diagnostic`]s (migrations through [`migrate::replay`]), and
//! [`report`] renders them. [`cli`] and [`server`] are the two entries; both
//! ask the workspace, and neither imports the other.

pub mod baseline;
pub mod budget;
pub mod cli;
pub mod config;
pub mod context;
pub mod diagnostic;
pub mod discover;
pub mod extract;
pub mod fix;
pub mod lint;
pub mod mask;
pub mod migrate;
pub mod model;
pub mod parse;
pub mod report;
pub mod rules;
pub mod rust;
pub mod server;
pub mod source;
pub mod suppress;
pub mod typescript;
mod units;
pub mod workspace;
