//! The SQL splitter and parser in every dialect, then every rule on the
//! text as a plain `.sql` file and as a migration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querylint::discover::FileKind;
use querylint::parse::{Dialect, each_statement};

#[path = "check.rs"]
mod check;

const DIALECTS: &[Dialect] = &[
    Dialect::Postgres,
    Dialect::Cockroachdb,
    Dialect::Mysql,
    Dialect::Sqlite,
    Dialect::Mssql,
    Dialect::Clickhouse,
    Dialect::Generic,
];

fuzz_target!(|data: &[u8]| {
    let Some((pick, text)) = check::pick_and_text(data) else {
        return;
    };
    let dialect = DIALECTS[usize::from(pick) % DIALECTS.len()];
    let mut last_end = 0;
    each_statement(text, dialect, |_, stmt| {
        check::range_in(text, &stmt.range, "a statement");
        assert!(stmt.range.start >= last_end, "statements overlap");
        last_end = stmt.range.end;
        for tok in &stmt.tokens {
            check::range_in(text, &tok.range, "a token");
        }
        if let Some(e) = &stmt.error {
            check::range_in(text, &e.range, "a syntax error");
        }
    });
    let kind = if pick & 0x80 == 0 {
        FileKind::Sql
    } else {
        FileKind::MigrationSql
    };
    check::lint(text, kind);
});
