//! Where the time goes: reads a corpus of `.sql` files and times each stage
//! of the pipeline on one core.
//!
//!     cargo bench --bench phases -- <folder>
//!
//! `scripts/bench.py --keep <folder>` makes a corpus.

use std::time::Instant;

use querylint::config::Settings;
use querylint::discover::{FileKind, discover};
use querylint::lint::lint_text;
use querylint::parse::{Dialect, parse_all};
use querylint::report::locate;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::Tokenizer;

fn main() {
    let Some(dir) = std::env::args().skip(1).find(|a| !a.starts_with('-')) else {
        eprintln!("usage: cargo bench --bench phases -- <folder of .sql files>");
        return;
    };
    let t = Instant::now();
    let found = discover(&[dir.into()], &[]).expect("folder exists");
    let walk = t.elapsed();
    let t = Instant::now();
    let texts: Vec<(String, FileKind)> = found
        .files
        .iter()
        .filter(|c| c.kind.is_supported())
        .filter_map(|c| Some((std::fs::read_to_string(&c.path).ok()?, c.kind)))
        .collect();
    let read = t.elapsed();
    let bytes: usize = texts.iter().map(|(t, _)| t.len()).sum();

    let t = Instant::now();
    let mut tokens = 0;
    for (text, _) in &texts {
        tokens += Tokenizer::new(&PostgreSqlDialect {}, text)
            .tokenize_with_location()
            .map_or(0, |v| v.len());
    }
    let tokenize = t.elapsed();

    let t = Instant::now();
    let mut statements = 0;
    for (text, _) in &texts {
        statements += parse_all(text, Dialect::Postgres).len();
    }
    let parse = t.elapsed();

    let settings = Settings::default();
    let t = Instant::now();
    let mut findings = 0;
    for (text, kind) in &texts {
        findings += locate(text, lint_text(text, *kind, &settings)).len();
    }
    let lint = t.elapsed();

    let mb = bytes as f64 / 1e6;
    println!(
        "{} files, {mb:.1} MB, {tokens} tokens, {statements} statements, {findings} findings",
        texts.len()
    );
    for (name, d) in [
        ("walk", walk),
        ("read", read),
        ("tokenize", tokenize),
        ("tokenize+split+parse", parse),
        ("full lint (parse+rules+positions)", lint),
    ] {
        println!(
            "{name:<36} {:8.3} s {:8.1} MB/s",
            d.as_secs_f64(),
            mb / d.as_secs_f64()
        );
    }
}
