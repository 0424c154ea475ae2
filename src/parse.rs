//! Splitting SQL into statements and parsing each one.
//!
//! The whole unit is tokenized once with the `sqlparser` tokenizer, which
//! knows strings, quoted identifiers, comments and dollar-quoted bodies. The
//! token stream is cut at top-level semicolons, and each statement's tokens
//! go to the parser on their own, so one statement the parser does not know
//! costs only that statement. Parsing never fails: a statement that does not
//! parse keeps its tokens and carries a [`SyntaxError`].

use std::ops::Range;

use sqlparser::ast;
use sqlparser::dialect::{
    ClickHouseDialect, Dialect as SqlDialect, GenericDialect, MsSqlDialect, MySqlDialect,
    PostgreSqlDialect, SQLiteDialect,
};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Tokenizer, Whitespace};

/// The SQL dialect statements are parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Dialect {
    #[default]
    Postgres,
    /// CockroachDB: PostgreSQL syntax, but its own locking and online schema
    /// changes, so the PostgreSQL migration rules do not apply.
    Cockroachdb,
    Mysql,
    Sqlite,
    Mssql,
    Clickhouse,
    Generic,
}

impl Dialect {
    /// Whether the PostgreSQL lock and rewrite rules apply to SQL in this
    /// dialect.
    pub fn is_postgres(self) -> bool {
        self == Dialect::Postgres
    }

    /// Whether querylint lints SQL in this dialect. ClickHouse's DDL
    /// (table engines, `ORDER BY` keys) is beyond the parser, and its
    /// queries beyond what the rules know.
    pub fn is_lintable(self) -> bool {
        self != Dialect::Clickhouse
    }

    /// The dialect's name in the configuration.
    pub fn key(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Cockroachdb => "cockroachdb",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
            Dialect::Mssql => "mssql",
            Dialect::Clickhouse => "clickhouse",
            Dialect::Generic => "generic",
        }
    }

    /// The dialect's name in prose.
    pub fn title(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::Cockroachdb => "CockroachDB",
            Dialect::Mysql => "MySQL",
            Dialect::Sqlite => "SQLite",
            Dialect::Mssql => "SQL Server",
            Dialect::Clickhouse => "ClickHouse",
            Dialect::Generic => "generic SQL",
        }
    }

    /// The dialect a database or provider name stands for: `postgresql`,
    /// `pg`, `mysql`, `sqlite`, `sqlserver`, `cockroachdb`, `clickhouse`.
    pub fn from_name(name: &str) -> Option<Dialect> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Dialect::Postgres,
            "cockroach" | "cockroachdb" => Dialect::Cockroachdb,
            "mysql" | "mariadb" | "maria" | "singlestore" => Dialect::Mysql,
            "sqlite" | "sqlite3" | "turso" | "libsql" => Dialect::Sqlite,
            "sqlserver" | "mssql" => Dialect::Mssql,
            "clickhouse" => Dialect::Clickhouse,
            _ => return None,
        })
    }

    fn sqlparser(self) -> &'static dyn SqlDialect {
        match self {
            Dialect::Postgres | Dialect::Cockroachdb => &PostgreSqlDialect {},
            Dialect::Mssql => &MsSqlDialect {},
            Dialect::Clickhouse => &ClickHouseDialect {},
            Dialect::Mysql => &MySqlDialect {},
            Dialect::Sqlite => &SQLiteDialect {},
            Dialect::Generic => &GenericDialect {},
        }
    }
}

/// How deep the parser may nest before it gives up on a statement. Deeper
/// input is reported as a syntax error rather than risking the stack.
pub const RECURSION_LIMIT: usize = 50;

/// A token kind, reduced to what rules look at. The token's text is the
/// unit's text at its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// An unquoted word; `Keyword::NoKeyword` for a plain identifier.
    Word(Keyword),
    QuotedIdent,
    String,
    Number,
    Placeholder,
    LParen,
    RParen,
    Comma,
    SemiColon,
    Eq,
    Neq,
    Period,
    /// Any other operator or punctuation.
    Other,
}

/// A significant token (not whitespace, not a comment) and its byte range in
/// the unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub kind: TokKind,
    pub range: Range<usize>,
    /// Where the tokenizer says the token starts and ends; AST spans are
    /// made of these, so they resolve to byte offsets by binary search.
    start_loc: Location,
    end_loc: Location,
}

impl Tok {
    pub fn is_keyword(&self, kw: Keyword) -> bool {
        self.kind == TokKind::Word(kw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    /// Where the parser stopped, in unit offsets.
    pub range: Range<usize>,
}

#[derive(Debug)]
pub struct Statement {
    /// From the first significant token to the end of the terminating
    /// semicolon, or of the last token if there is none.
    pub range: Range<usize>,
    pub tokens: Vec<Tok>,
    pub ast: Option<ast::Statement>,
    pub error: Option<SyntaxError>,
}

impl Statement {
    /// The byte range of an AST span whose ends are token boundaries, found
    /// by binary search over the statement's tokens.
    pub fn span_range(&self, span: Span) -> Option<Range<usize>> {
        let toks = &self.tokens;
        let first = toks.get(toks.partition_point(|t| t.start_loc < span.start))?;
        let last = toks.get(toks.partition_point(|t| t.end_loc < span.end))?;
        (first.start_loc == span.start
            && last.end_loc == span.end
            && first.range.start < last.range.end)
            .then_some(first.range.start..last.range.end)
    }
}

/// What is known of a unit beyond one statement.
#[derive(Debug)]
pub struct ParsedUnit {
    /// Byte ranges of the unit's comments, in order: while statements are
    /// being handed out, every comment up to the current statement's end.
    pub comments: Vec<Range<usize>>,
    lines: TokenizerLines,
}

impl ParsedUnit {
    /// The byte range in the unit of an AST span, or `None` for the empty
    /// spans `sqlparser` leaves on some nodes. This counts characters from
    /// the start of the line; [`Statement::span_range`] is the fast path.
    pub fn span_range(&self, text: &str, span: Span) -> Option<Range<usize>> {
        let start = self.lines.offset(text, span.start)?;
        let end = self.lines.offset(text, span.end)?;
        (start < end).then_some(start..end)
    }
}

/// Line starts as the `sqlparser` tokenizer counts them: only `\n` ends a
/// line, and every other character, `\r` included, is one column.
#[derive(Debug)]
struct TokenizerLines {
    starts: Vec<usize>,
}

impl TokenizerLines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        TokenizerLines { starts }
    }

    fn offset(&self, text: &str, loc: Location) -> Option<usize> {
        if loc.line == 0 || loc.column == 0 {
            return None;
        }
        let start = *self.starts.get(usize::try_from(loc.line - 1).ok()?)?;
        let skip = usize::try_from(loc.column - 1).ok()?;
        let rest = &text[start..];
        match rest.char_indices().nth(skip) {
            Some((i, _)) => Some(start + i),
            None if rest.chars().count() == skip => Some(text.len()),
            None => None,
        }
    }
}

/// Walks the text alongside the token stream to turn token locations into
/// byte offsets in one pass.
struct Cursor<'a> {
    text: &'a str,
    byte: usize,
    line: u64,
    column: u64,
}

impl Cursor<'_> {
    fn advance_to(&mut self, loc: Location) -> usize {
        while (self.line, self.column) < (loc.line, loc.column) {
            let Some(c) = self.text[self.byte..].chars().next() else {
                break;
            };
            self.byte += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.byte
    }
}

fn tok_kind(token: &Token) -> Option<TokKind> {
    Some(match token {
        Token::EOF | Token::Whitespace(_) => return None,
        Token::Word(w) if w.quote_style.is_some() => TokKind::QuotedIdent,
        Token::Word(w) => TokKind::Word(w.keyword),
        Token::Number(..) => TokKind::Number,
        Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::TripleSingleQuotedString(_)
        | Token::TripleDoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_) => TokKind::String,
        Token::Placeholder(_) => TokKind::Placeholder,
        Token::LParen => TokKind::LParen,
        Token::RParen => TokKind::RParen,
        Token::Comma => TokKind::Comma,
        Token::SemiColon => TokKind::SemiColon,
        Token::Eq | Token::DoubleEq => TokKind::Eq,
        Token::Neq => TokKind::Neq,
        Token::Period => TokKind::Period,
        _ => TokKind::Other,
    })
}

fn is_comment(token: &Token) -> bool {
    matches!(
        token,
        Token::Whitespace(Whitespace::SingleLineComment { .. } | Whitespace::MultiLineComment(_))
    )
}

/// The significant tokens of `text` with their byte ranges, up to the first
/// tokenizer error.
pub fn significant_tokens(text: &str, dialect: Dialect) -> Vec<Tok> {
    let mut raw = Vec::new();
    let _ = Tokenizer::new(dialect.sqlparser(), text).tokenize_with_location_into_buf(&mut raw);
    let mut cursor = Cursor {
        text,
        byte: 0,
        line: 1,
        column: 1,
    };
    raw.into_iter()
        .filter_map(|token| {
            let start = cursor.advance_to(token.span.start);
            let end = cursor.advance_to(token.span.end).max(start);
            Some(Tok {
                kind: tok_kind(&token.token)?,
                range: start..end,
                start_loc: token.span.start,
                end_loc: token.span.end,
            })
        })
        .collect()
}

/// Collects the tokens of one statement while the stream is cut.
#[derive(Default)]
struct Pending {
    raw: Vec<TokenWithSpan>,
    toks: Vec<Tok>,
    /// Parentheses open at this point.
    parens: usize,
    /// `BEGIN ATOMIC` bodies (and T-SQL `BEGIN ... END` blocks) and `CASE`
    /// expressions open inside them, whose semicolons do not end the
    /// statement.
    atomic: usize,
    cases: usize,
    /// Whether a bare `BEGIN` opens a block (T-SQL) rather than a
    /// transaction.
    blocks: bool,
}

impl Pending {
    fn at_top_level(&self) -> bool {
        self.parens == 0 && self.atomic == 0
    }

    fn for_dialect(dialect: Dialect) -> Pending {
        Pending {
            blocks: dialect == Dialect::Mssql,
            ..Pending::default()
        }
    }

    fn track(&mut self, tok: &Tok) {
        let after_begin = self
            .toks
            .last()
            .is_some_and(|t| t.is_keyword(Keyword::BEGIN));
        match tok.kind {
            // T-SQL: `BEGIN` opens a block unless it starts a transaction
            // (`BEGIN TRAN`, `BEGIN TRANSACTION`,
            // `BEGIN;`).
            TokKind::Word(Keyword::TRAN | Keyword::TRANSACTION) | TokKind::SemiColon
                if self.blocks && after_begin => {}
            _ if self.blocks && after_begin => {
                self.atomic += 1;
                self.track_token(tok);
            }
            _ => self.track_token(tok),
        }
    }

    fn track_token(&mut self, tok: &Tok) {
        match tok.kind {
            TokKind::LParen => self.parens += 1,
            TokKind::RParen => self.parens = self.parens.saturating_sub(1),
            TokKind::Word(Keyword::ATOMIC)
                if !self.blocks
                    && self
                        .toks
                        .last()
                        .is_some_and(|t| t.is_keyword(Keyword::BEGIN)) =>
            {
                self.atomic += 1
            }
            TokKind::Word(Keyword::CASE) if self.atomic > 0 => self.cases += 1,
            TokKind::Word(Keyword::END) if self.atomic > 0 => {
                if self.cases > 0 {
                    self.cases -= 1;
                } else {
                    self.atomic -= 1;
                }
            }
            _ => {}
        }
    }
}

/// Splits `text` into statements and parses each one with `dialect`,
/// collecting them all. The linter streams with [`each_statement`] instead.
pub fn parse_all(text: &str, dialect: Dialect) -> Vec<Statement> {
    parse_unit(text, dialect).1
}

/// Splits and parses `text`, keeping every statement and what is known of
/// the unit as a whole.
pub fn parse_unit(text: &str, dialect: Dialect) -> (ParsedUnit, Vec<Statement>) {
    let mut out = Vec::new();
    let unit = each_statement(text, dialect, |_, stmt| out.push(stmt));
    (unit, out)
}

/// Splits `text` into statements, parses each one with `dialect`, and hands
/// it to `f` in order. A statement is dropped once `f` returns, so memory
/// stays bounded by the largest statement, not by the file. Returns what is
/// known of the whole unit.
pub fn each_statement(
    text: &str,
    dialect: Dialect,
    mut f: impl FnMut(&ParsedUnit, Statement),
) -> ParsedUnit {
    let sql_dialect = dialect.sqlparser();
    let mut raw = Vec::new();
    let tokenize_error = Tokenizer::new(sql_dialect, text)
        .tokenize_with_location_into_buf(&mut raw)
        .err();
    let mut unit = ParsedUnit {
        comments: Vec::new(),
        lines: TokenizerLines::new(text),
    };

    let mut cursor = Cursor {
        text,
        byte: 0,
        line: 1,
        column: 1,
    };
    let mut pending = Pending::for_dialect(dialect);
    for token in raw {
        let start = cursor.advance_to(token.span.start);
        let end = cursor.advance_to(token.span.end).max(start);
        if pending.blocks && is_batch_separator(&token.token, text, start, end) {
            // `GO` ends a batch in T-SQL tools; it is not SQL.
            let done = std::mem::replace(&mut pending, Pending::for_dialect(dialect));
            if let Some(stmt) = finish(done, dialect, None) {
                f(&unit, stmt);
            }
            continue;
        }
        if is_comment(&token.token) {
            unit.comments.push(start..end);
        }
        let kind = tok_kind(&token.token);
        let ends_statement = kind == Some(TokKind::SemiColon) && pending.at_top_level();
        if let Some(kind) = kind {
            let tok = Tok {
                kind,
                range: start..end,
                start_loc: token.span.start,
                end_loc: token.span.end,
            };
            pending.track(&tok);
            pending.toks.push(tok);
        }
        pending.raw.push(token);
        if ends_statement {
            let done = std::mem::replace(&mut pending, Pending::for_dialect(dialect));
            if let Some(stmt) = finish(done, dialect, None) {
                f(&unit, stmt);
            }
            if crate::budget::expired() {
                return unit;
            }
        }
    }
    let error = tokenize_error.map(|e| {
        let at = unit.lines.offset(text, e.location).unwrap_or(text.len());
        SyntaxError {
            message: e.message,
            range: at..text.len(),
        }
    });
    if let Some(stmt) = finish(pending, dialect, error) {
        f(&unit, stmt);
    }
    // Marks the file as over its budget if it now is, as after each
    // statement above.
    crate::budget::expired();
    unit
}

/// Whether `token`, at `start..end` of `text`, is T-SQL's `GO` alone on
/// its line.
fn is_batch_separator(token: &Token, text: &str, start: usize, end: usize) -> bool {
    let Token::Word(word) = token else {
        return false;
    };
    let alone = |s: &str| s.chars().all(|c| c == ' ' || c == '\t' || c == '\r');
    word.quote_style.is_none()
        && word.value.eq_ignore_ascii_case("GO")
        && alone(text[..start].rsplit('\n').next().unwrap_or(""))
        && alone(text[end..].split('\n').next().unwrap_or(""))
}

fn finish(
    pending: Pending,
    dialect: Dialect,
    tokenize_error: Option<SyntaxError>,
) -> Option<Statement> {
    let Pending { mut raw, toks, .. } = pending;
    let significant = toks.iter().any(|t| t.kind != TokKind::SemiColon);
    if !significant && tokenize_error.is_none() {
        return None;
    }
    let start = toks
        .first()
        .map(|t| t.range.start)
        .or_else(|| tokenize_error.as_ref().map(|e| e.range.start))
        .unwrap_or(0);
    let end = match &tokenize_error {
        Some(e) => e.range.end,
        None => toks.last().map_or(start, |t| t.range.end),
    };
    if let Some(error) = tokenize_error {
        return Some(Statement {
            range: start..end,
            tokens: toks,
            ast: None,
            error: Some(error),
        });
    }
    if is_opaque(&toks) {
        return Some(Statement {
            range: start..end,
            tokens: toks,
            ast: None,
            error: None,
        });
    }
    if starts_with_keywords(
        &toks,
        &[Keyword::DROP, Keyword::INDEX, Keyword::CONCURRENTLY],
    ) {
        // `sqlparser` does not know `DROP INDEX CONCURRENTLY`: parse the
        // statement without the word, which stays among the tokens for the
        // rules to see.
        if let Some(i) = raw
            .iter()
            .position(|t| matches!(&t.token, Token::Word(w) if w.keyword == Keyword::CONCURRENTLY))
        {
            raw.remove(i);
        }
    }
    if let Some(at) = index_on_only(&toks) {
        // Nor `CREATE INDEX ... ON ONLY parent`: parse it without `ONLY`,
        // which stays among the tokens (see [`index_on_only`]).
        let only = &toks[at];
        if let Some(i) = raw.iter().position(|t| t.span.start == only.start_loc) {
            raw.remove(i);
        }
    }
    if starts_with_keywords(&toks, &[Keyword::CREATE, Keyword::TABLE]) {
        // Nor PostgreSQL 18's named not-null table constraints, which
        // `pg_dump` writes: `CONSTRAINT name NOT NULL column`. Parse the
        // table without them; they stay among the tokens.
        drop_not_null_table_constraints(&mut raw);
    }
    let postgres_family = matches!(
        dialect,
        Dialect::Postgres | Dialect::Cockroachdb | Dialect::Generic
    );
    let mut parser = Parser::new(dialect.sqlparser())
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(raw);
    let result = parser.parse_statement().and_then(|stmt| {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            Ok(stmt)
        } else {
            // `Location` displays itself as ` at Line: L, Column: C`.
            Err(ParserError::ParserError(format!(
                "Expected end of statement, found: {}{}",
                next.token, next.span.start
            )))
        }
    });
    // Looked at only when the parse failed, on the tokens the parser had.
    let known_form = result.is_err() && postgres_family && is_known_form(&parser.into_tokens());
    let (ast, error) = match result {
        Ok(stmt) => (Some(stmt), None),
        // Valid PostgreSQL the parser only partly knows: no note.
        Err(_) if known_form => (None, None),
        Err(err) => (None, Some(syntax_error(err, &toks, start))),
    };
    Some(Statement {
        range: start..end,
        tokens: toks,
        ast,
        error,
    })
}

/// For `CREATE [UNIQUE] INDEX ... ON ONLY table`, the index of the `ONLY`
/// token. Such an index is built on the partitioned parent alone, which
/// holds no rows: it takes no time and blocks nothing.
pub fn index_on_only(toks: &[Tok]) -> Option<usize> {
    let create_index = starts_with_keywords(toks, &[Keyword::CREATE, Keyword::INDEX])
        || starts_with_keywords(toks, &[Keyword::CREATE, Keyword::UNIQUE, Keyword::INDEX]);
    if !create_index {
        return None;
    }
    let on = toks.iter().position(|t| t.is_keyword(Keyword::ON))?;
    toks.get(on + 1)
        .is_some_and(|t| t.is_keyword(Keyword::ONLY))
        .then_some(on + 1)
}

/// Whether the statement's first tokens are the given keywords.
pub fn starts_with_keywords(toks: &[Tok], keywords: &[Keyword]) -> bool {
    toks.len() >= keywords.len() && toks.iter().zip(keywords).all(|(t, &k)| t.is_keyword(k))
}

/// Valid PostgreSQL statements the parser does not know and that no rule
/// needs a syntax tree for: an anonymous `DO` block (drizzle-kit wraps every
/// foreign key in one), `REINDEX`, `CLUSTER`, `VACUUM` (whose
/// parenthesized options the parser does not read), `ALTER INDEX ...
/// ATTACH PARTITION` and SQLite's `PRAGMA` (whose `ON`/`OFF` values the
/// parser refuses). They carry neither a syntax
/// tree nor an error, so they raise no `parse-error` note.
fn is_opaque(toks: &[Tok]) -> bool {
    let significant: Vec<&Tok> = toks
        .iter()
        .filter(|t| t.kind != TokKind::SemiColon)
        .collect();
    match significant.as_slice() {
        [first, rest @ ..] if first.is_keyword(Keyword::DO) => {
            // DO [LANGUAGE name] 'body' [LANGUAGE name]
            let strings = rest.iter().filter(|t| t.kind == TokKind::String).count();
            strings == 1
                && rest.iter().all(|t| {
                    matches!(
                        t.kind,
                        TokKind::String | TokKind::QuotedIdent | TokKind::Word(_)
                    )
                })
        }
        [first, ..] => {
            first.is_keyword(Keyword::REINDEX)
                || first.is_keyword(Keyword::CLUSTER)
                || first.is_keyword(Keyword::VACUUM)
                || first.is_keyword(Keyword::PRAGMA)
                || (starts_with_keywords(toks, &[Keyword::ALTER, Keyword::INDEX])
                    && toks.iter().any(|t| t.is_keyword(Keyword::ATTACH)))
        }
        [] => false,
    }
}

/// Removes `CONSTRAINT name NOT NULL column` items, and the commas they
/// leave doubled, from the column list of a `CREATE TABLE`.
fn drop_not_null_table_constraints(raw: &mut Vec<TokenWithSpan>) {
    let sig: Vec<usize> = (0..raw.len())
        .filter(|&i| !matches!(raw[i].token, Token::Whitespace(_)))
        .collect();
    let word = |i: usize, kw: Keyword| matches!(&raw[i].token, Token::Word(w) if w.keyword == kw);
    let any_word = |i: usize| matches!(&raw[i].token, Token::Word(_));
    let mut items = Vec::new();
    let mut depth = 0usize;
    for (n, &i) in sig.iter().enumerate() {
        match raw[i].token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
        let Some(&[name, not, null, column, after]) = sig.get(n + 1..n + 6) else {
            continue;
        };
        let item_start = n
            .checked_sub(1)
            .is_some_and(|b| matches!(raw[sig[b]].token, Token::Comma | Token::LParen));
        if depth == 1
            && item_start
            && word(i, Keyword::CONSTRAINT)
            && any_word(name)
            && word(not, Keyword::NOT)
            && word(null, Keyword::NULL)
            && any_word(column)
            && matches!(raw[after].token, Token::Comma | Token::RParen)
        {
            items.extend([i, name, not, null, column]);
        }
    }
    if items.is_empty() {
        return;
    }
    // The commas the items were separated by: one after `(` or another
    // comma, or before `)`, once the items are gone.
    let mut kept: Vec<usize> = Vec::new();
    let mut commas = Vec::new();
    for i in sig.into_iter().filter(|i| !items.contains(i)) {
        let last = kept.last().map(|&k| &raw[k].token);
        match raw[i].token {
            Token::Comma if matches!(last, Some(Token::LParen | Token::Comma)) => {
                commas.push(i);
                continue;
            }
            Token::RParen if matches!(last, Some(Token::Comma)) => {
                commas.extend(kept.pop());
            }
            _ => {}
        }
        kept.push(i);
    }
    let mut index = 0;
    raw.retain(|_| {
        index += 1;
        !items.contains(&(index - 1)) && !commas.contains(&(index - 1))
    });
}

/// PostgreSQL statements that sqlparser reads only in part (function
/// options such as `COST` or `SET search_path`, `ALTER SEQUENCE`, `COMMENT
/// ON FUNCTION f(args)`, `GRANT` on routines, roles, policies, triggers,
/// types...) and that no rule needs a syntax tree for: the words they start
/// with. When one of them does not parse, it keeps its tokens and gets no
/// `parse-error` note. Statements the rules read (`CREATE TABLE`, `ALTER
/// TABLE`, `CREATE INDEX`, `SELECT`...) are not among them.
const KNOWN_FORMS: &[&[&str]] = &[
    &["ANALYZE"],
    &["CHECKPOINT"],
    &["COMMENT", "ON"],
    &["DISCARD"],
    &["GRANT"],
    &["IMPORT", "FOREIGN"],
    &["LISTEN"],
    &["LOAD"],
    &["NOTIFY"],
    &["REASSIGN", "OWNED"],
    &["REFRESH", "MATERIALIZED"],
    &["REVOKE"],
    &["SECURITY", "LABEL"],
    &["UNLISTEN"],
];

/// The objects of `CREATE`, `ALTER` and `DROP` statements in
/// [`KNOWN_FORMS`]'s sense.
const KNOWN_OBJECTS: &[&str] = &[
    "ACCESS",
    "AGGREGATE",
    "CAST",
    "COLLATION",
    "CONVERSION",
    "DEFAULT",
    "DOMAIN",
    "EVENT",
    "EXTENSION",
    "FOREIGN",
    "FUNCTION",
    "GROUP",
    "LANGUAGE",
    "OPERATOR",
    "OWNED",
    "POLICY",
    "PROCEDURAL",
    "PROCEDURE",
    "PUBLICATION",
    "ROLE",
    "ROUTINE",
    "RULE",
    "SCHEMA",
    "SEQUENCE",
    "SERVER",
    "STATISTICS",
    "SUBSCRIPTION",
    "TEXT",
    "TRANSFORM",
    "TRIGGER",
    "TRUSTED",
    "TYPE",
    "USER",
];

fn is_known_form(raw: &[TokenWithSpan]) -> bool {
    // The statement's words, upper-cased; other tokens as empty strings.
    let words: Vec<String> = raw
        .iter()
        .filter_map(|t| match &t.token {
            Token::Word(w) => Some(w.value.to_ascii_uppercase()),
            Token::Whitespace(_) => None,
            _ => Some(String::new()),
        })
        .collect();
    let word = |i: usize| words.get(i).map_or("", String::as_str);
    if KNOWN_FORMS
        .iter()
        .any(|form| form[0] == word(0) && form.get(1).is_none_or(|w| *w == word(1)))
    {
        return true;
    }
    if word(0) == "ALTER" && word(1) == "TABLE" {
        // ALTER CONSTRAINT c [NOT] DEFERRABLE, and PostgreSQL 18's
        // ADD CONSTRAINT c NOT NULL column.
        return words.windows(5).any(|w| {
            (w[0] == "ALTER" && w[1] == "CONSTRAINT")
                || (w[0] == "ADD" && w[1] == "CONSTRAINT" && w[3] == "NOT" && w[4] == "NULL")
        });
    }
    if !matches!(word(0), "CREATE" | "ALTER" | "DROP") {
        return false;
    }
    // CREATE [OR REPLACE] [CONSTRAINT] TRIGGER ...
    let mut at = 1;
    if word(at) == "OR" {
        at += 2;
    }
    if word(at) == "CONSTRAINT" {
        at += 1;
    }
    KNOWN_OBJECTS.contains(&word(at))
}

/// Turns a parser error into a message and the range of the token where the
/// parser stopped. `sqlparser` puts the location in the message text as
/// `at Line: L, Column: C`; it is moved from the message into the range.
fn syntax_error(err: ParserError, toks: &[Tok], stmt_start: usize) -> SyntaxError {
    let message = match err {
        ParserError::RecursionLimitExceeded => {
            let first = toks
                .first()
                .map_or(stmt_start..stmt_start, |t| t.range.clone());
            return SyntaxError {
                message: format!("statement nests more than {RECURSION_LIMIT} levels deep"),
                range: first,
            };
        }
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
    };
    let (message, at) = match message.rfind(" at Line: ") {
        Some(pos) => {
            let loc = parse_location(&message[pos + " at ".len()..]);
            (message[..pos].to_owned(), loc)
        }
        None => (message, None),
    };
    let range = at
        .and_then(|at| toks.get(toks.partition_point(|t| t.start_loc < at)))
        .or(toks.last())
        .map_or(stmt_start..stmt_start, |t| t.range.clone());
    SyntaxError { message, range }
}

fn parse_location(s: &str) -> Option<Location> {
    let rest = s.strip_prefix("Line: ")?;
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(Location::new(line.parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        parse_all(sql, Dialect::Postgres)
            .iter()
            .map(|s| &sql[s.range.clone()])
            .collect()
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "SELECT ';' ; -- a; comment\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n/* ; */ SELECT \"a;b\" FROM t";
        assert_eq!(
            texts(sql),
            vec![
                "SELECT ';' ;",
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;",
                "SELECT \"a;b\" FROM t"
            ]
        );
    }

    #[test]
    fn begin_atomic_bodies_stay_in_one_statement() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; SELECT 2; END; SELECT 3;";
        let parts = texts(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[1], "SELECT 3;");
    }

    #[test]
    fn t_sql_blocks_stay_whole_and_go_separates_batches() {
        let sql = "IF OBJECT_ID('t') IS NULL\n  BEGIN\n    CREATE TABLE t (id INT);\n  END;\nGO\nBEGIN TRAN;\nSELECT a AS go\nFROM t\ngo\n";
        let unit = parse_all(sql, Dialect::Mssql);
        let parts: Vec<&str> = unit.iter().map(|s| sql[s.range.clone()].trim()).collect();
        assert_eq!(
            parts,
            vec![
                "IF OBJECT_ID('t') IS NULL\n  BEGIN\n    CREATE TABLE t (id INT);\n  END;",
                "BEGIN TRAN;",
                "SELECT a AS go\nFROM t"
            ]
        );
        assert!(
            unit.iter().all(|s| s.ast.is_some()),
            "{:?}",
            unit.iter().map(|s| &s.error).collect::<Vec<_>>()
        );
        // Elsewhere `BEGIN;` is a transaction and `GO` a name.
        assert_eq!(
            parse_all("BEGIN;\nSELECT 1 AS\ngo\n;", Dialect::Postgres).len(),
            2
        );
    }

    #[test]
    fn a_statement_that_does_not_parse_keeps_its_tokens() {
        let sql = "SELECT 1;\nFROBNICATE the table;\nSELECT 2;";
        let unit = parse_all(sql, Dialect::Postgres);
        assert_eq!(unit.len(), 3);
        let bad = &unit[1];
        assert!(bad.ast.is_none());
        let err = bad.error.as_ref().unwrap();
        assert_eq!(&sql[err.range.clone()], "FROBNICATE");
        assert_eq!(bad.tokens.len(), 4);
        assert!(unit[2].ast.is_some());
    }

    #[test]
    fn an_unterminated_string_ends_the_unit_with_an_error() {
        let sql = "SELECT 1; SELECT 'oops";
        let unit = parse_all(sql, Dialect::Postgres);
        assert_eq!(unit.len(), 2);
        let err = unit[1].error.as_ref().unwrap();
        assert!(err.message.contains("Unterminated"), "{}", err.message);
    }

    #[test]
    fn do_blocks_reindex_and_cluster_are_known_without_a_tree() {
        let sql = "DO $$ BEGIN ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES b(id); EXCEPTION WHEN duplicate_object THEN null; END $$;\nDO LANGUAGE plpgsql $x$ BEGIN END $x$;\nREINDEX INDEX CONCURRENTLY idx;\nCLUSTER users USING users_pkey;\nDO nothing useful;";
        let unit = parse_all(sql, Dialect::Postgres);
        let errors: Vec<bool> = unit.iter().map(|s| s.error.is_some()).collect();
        assert_eq!(errors, vec![false, false, false, false, true]);
    }

    #[test]
    fn postgres_forms_the_parser_reads_in_part_are_no_error_in_postgres_only() {
        let sql = "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql COST 100 AS $b$ SELECT a $b$;\n\
            ALTER SEQUENCE s OWNED BY t.id;\n\
            COMMENT ON FUNCTION f(int) IS 'old';\n\
            ANALYZE a, b;\n\
            CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t DEFERRABLE FOR EACH ROW EXECUTE FUNCTION g();\n\
            ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO reader;\n\
            ALTER TABLE t ALTER CONSTRAINT t_fk NOT DEFERRABLE;\n\
            ALTER TABLE t ADD CONSTRAINT t_a_not_null NOT NULL a;\n\
            CREATE TABLE broken (id int,,);";
        let errors = |dialect| -> Vec<bool> {
            parse_all(sql, dialect)
                .iter()
                .map(|s| s.error.is_some())
                .collect()
        };
        assert_eq!(
            errors(Dialect::Postgres),
            vec![false, false, false, false, false, false, false, false, true]
        );
        assert!(errors(Dialect::Mysql).iter().filter(|e| **e).count() > 1);
    }

    #[test]
    fn named_not_null_table_constraints_leave_the_table_readable() {
        for sql in [
            "CREATE TABLE t (id int, a text, CONSTRAINT t_a_not_null NOT NULL a, PRIMARY KEY (id));",
            "CREATE TABLE t (id int, a text, CONSTRAINT t_a_not_null NOT NULL a);",
            "CREATE TABLE t (CONSTRAINT t_a_not_null NOT NULL a, a text);",
            "CREATE TABLE t (a text, b int, CONSTRAINT t_a_not_null NOT NULL a, CONSTRAINT t_b_not_null NOT NULL b);",
            "CREATE TABLE t (CONSTRAINT t_a_not_null NOT NULL a, CONSTRAINT t_b_not_null NOT NULL b, a text);",
        ] {
            let stmts = parse_all(sql, Dialect::Postgres);
            assert!(stmts[0].ast.is_some(), "{sql}: {:?}", stmts[0].error);
            // The tokens are all still there, for the rules and the fixes.
            assert!(
                stmts[0]
                    .tokens
                    .iter()
                    .any(|t| &sql[t.range.clone()] == "t_a_not_null")
            );
        }
    }

    #[test]
    fn copy_from_stdin_rows_are_data_not_statements() {
        let sql = "COPY public.users (id, name) FROM stdin;\n1\tO'Brien; DROP\n2\tZoë \"x\n\\.\n\nCREATE INDEX i ON users (name);\n";
        let stmts = parse_all(sql, Dialect::Postgres);
        // The tokenizer keeps the rows, up to `\.`, with their statement.
        let texts: Vec<&str> = stmts.iter().map(|s| &sql[s.range.clone()]).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].starts_with("COPY") && texts[0].ends_with("\\.\n"));
        assert_eq!(texts[1], "CREATE INDEX i ON users (name);");
        assert!(stmts.iter().all(|s| s.error.is_none()), "{stmts:?}");
    }

    #[test]
    fn an_extra_token_after_a_statement_is_an_error_at_that_token() {
        let sql = "SELECT 1 FROM t AS t2\nCREATE TABLE x (id int);";
        let unit = parse_all(sql, Dialect::Postgres);
        let err = unit[0].error.as_ref().unwrap();
        assert_eq!(err.message, "Expected end of statement, found: CREATE");
        assert_eq!(&sql[err.range.clone()], "CREATE");
    }

    #[test]
    fn ast_spans_resolve_through_the_statements_tokens() {
        use sqlparser::ast::Spanned;
        let sql = "SELECT 1;\nSELECT \"é\" FROM café WHERE b = NULL;";
        let stmts = parse_all(sql, Dialect::Postgres);
        let stmt = &stmts[1];
        let Some(ast::Statement::Query(q)) = &stmt.ast else {
            panic!("parsed")
        };
        let ast::SetExpr::Select(select) = q.body.as_ref() else {
            panic!("select")
        };
        let range = stmt.span_range(select.selection.as_ref().unwrap().span());
        assert_eq!(range.map(|r| &sql[r]), Some("b = NULL"));
        let from = stmt.span_range(select.from[0].relation.span());
        assert_eq!(from.map(|r| &sql[r]), Some("café"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        let unit = parse_all(&sql, Dialect::Postgres);
        let err = unit[0].error.as_ref().unwrap();
        assert!(err.message.contains("nests"), "{}", err.message);
    }

    #[test]
    fn token_ranges_are_byte_ranges_with_non_ascii_and_crlf() {
        let sql = "SELECT \"prénom\"\r\nFROM café WHERE x = 'é';";
        let unit = parse_all(sql, Dialect::Postgres);
        let toks: Vec<&str> = unit[0]
            .tokens
            .iter()
            .map(|t| &sql[t.range.clone()])
            .collect();
        assert_eq!(
            toks,
            vec![
                "SELECT",
                "\"prénom\"",
                "FROM",
                "café",
                "WHERE",
                "x",
                "=",
                "'é'",
                ";"
            ]
        );
    }
}
