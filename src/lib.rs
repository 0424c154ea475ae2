//! querylint: a static linter for database access code.
//!
//! The pipeline, one module a stage: [`discover`] finds files, [`extract`]
//! turns a file into SQL units, [`parse`] splits and parses them, [`rules`]
//! check each statement, [`lint`] runs the rules and maps what they find into
//! the host file as [`diagnostic::Diagnostic`]s, and [`report`] renders them.
//! Only [`cli`] touches the file system.

pub mod baseline;
pub mod budget;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod extract;
pub mod fix;
pub mod lint;
pub mod migrate;
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
