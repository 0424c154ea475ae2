//! The Rust front end: finds the SQL a `.rs` file sends to a database
//! through sqlx (macros and functions), tokio-postgres / postgres clients
//! and diesel's `sql_query`, and the loops those queries run in.
//!
//! A file is parsed with `syn` only if a cheap scan of its text mentions a
//! database API. Spans come from proc-macro2's `span-locations`, as byte
//! ranges in the text that was parsed; the thread's span table is reset
//! after each file, so a long run does not grow it. String literals are
//! decoded escape by escape into a [`SqlUnit`] whose map points every byte
//! back into the literal; `format!` strings become units whose `{}` holes
//! stand for their arguments, as `interpolated-sql` expects.

use crate::model::{Provenance, Safe};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, Lit, LitStr, Macro, Token};

use crate::discover::FileKind;
use crate::extract::{OffsetMap, Origin, SqlUnit};
use crate::model::{Items, LoopInfo, Orm, OrmCall, PerItem};
use crate::typescript::Finder;
use crate::units::UnitBuilder;

mod bodies;
mod callers;
mod dsl;
mod items;
mod names;
mod spans;
mod values;

pub use callers::{Callers, MAX_DEPTH as MAX_CALL_DEPTH, Wrappers, resolvable_method};
pub use names::Names;
use spans::Located;
use values::Val;
pub use values::{Parameter, Pass, Pasted};

/// Text without one of which a Rust file cannot reach a database through
/// an API querylint reads.
const DATABASE_SIGNS: &[&str] = &[
    "sqlx",
    "query",
    "sql_query",
    "QueryBuilder",
    "postgres",
    "raw_sql",
    "execute(",
    "diesel",
    "sea_orm",
];

static SIGNS: std::sync::LazyLock<Finder> =
    std::sync::LazyLock::new(|| Finder::new(DATABASE_SIGNS));

/// sqlx's query macros, and where their SQL argument sits.
const MACROS: &[(&str, usize)] = &[
    ("query", 0),
    ("query_unchecked", 0),
    ("query_scalar", 0),
    ("query_scalar_unchecked", 0),
    ("query_as", 1),
    ("query_as_unchecked", 1),
];

/// sqlx's macros that read their SQL from a file, and where the path
/// argument sits.
const FILE_MACROS: &[(&str, usize)] = &[
    ("query_file", 0),
    ("query_file_unchecked", 0),
    ("query_file_scalar", 0),
    ("query_file_scalar_unchecked", 0),
    ("query_file_as", 1),
    ("query_file_as_unchecked", 1),
];

/// Functions whose first argument is SQL text.
const FUNCTIONS: &[&str] = &[
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_scalar_with",
    "raw_sql",
    "sql_query",
];

/// Client methods (tokio-postgres, postgres, sqlx's `Executor`) whose first
/// argument is SQL text, and whether they read at most one row.
const CLIENT_METHODS: &[(&str, bool)] = &[
    ("query", false),
    ("query_one", true),
    ("query_opt", true),
    ("query_raw", false),
    ("execute", false),
    ("batch_execute", false),
    ("simple_query", false),
    ("prepare", false),
    // sea-orm's `ConnectionTrait`
    ("execute_unprepared", false),
    ("fetch_all", false),
    ("fetch_one", true),
    ("fetch_optional", true),
];

/// Methods that run a sqlx query, and whether they read at most one row.
const FETCHES: &[(&str, bool)] = &[
    ("fetch_all", false),
    ("fetch", false),
    ("fetch_many", false),
    ("fetch_one", true),
    ("fetch_optional", true),
    ("execute", true),
    ("execute_many", false),
];

/// Methods whose closure runs once per element of an iterator or stream.
const LOOP_METHODS: &[&str] = &[
    "map",
    "for_each",
    "filter_map",
    "flat_map",
    "then",
    "for_each_concurrent",
    "try_for_each",
    "try_for_each_concurrent",
    "and_then",
];

/// Macros whose arguments are plain expressions worth reading.
const EXPRESSION_MACROS: &[&str] = &["join", "try_join", "vec", "assert", "assert_eq", "dbg"];

/// Macros whose body is a block's statements: async-stream's `stream!`
/// and `try_stream!`, which repositories return rows through
/// (`Box::pin(stream! { let rows = sqlx::query!(..).fetch(..); ... })`).
const STATEMENT_MACROS: &[&str] = &["stream", "try_stream"];

/// Whether a Rust file can contain database code at all.
pub fn might_touch_database(text: &str) -> bool {
    SIGNS.is_match(text)
}

/// A `query_file!` family macro: the SQL is in a file of the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryFile {
    /// The path as written, relative to the crate root.
    pub path: String,
    /// The macro call in the Rust file.
    pub range: Range<usize>,
    pub api: String,
    /// Whether the code reads at most one row of the result.
    pub one_row: bool,
    /// Whether the query runs on a connection pool.
    pub pooled: bool,
}

/// What a Rust file sends to a database.
#[derive(Debug, Default)]
pub struct RsFile {
    pub units: Vec<SqlUnit>,
    /// Queries whose SQL is in another file.
    pub query_files: Vec<QueryFile>,
    /// The queries it runs, for the rules about calls (`n-plus-one`).
    pub calls: Vec<OrmCall>,
    /// Why `syn` could not parse it, and where.
    pub parse_error: Option<(Range<usize>, String)>,
    /// Every function and method it defines.
    pub functions: Vec<Function>,
    /// Calls in loops of functions it does not define, which may run a
    /// query in another file of the crate.
    pub looped_calls: Vec<LoopedCall>,
    /// The byte ranges of its test code: `#[cfg(test)]` modules and
    /// functions marked `#[test]`, `#[tokio::test]`, `#[sqlx::test]`...
    pub tests: Vec<Range<usize>>,
    /// Values pasted into its SQL that hold text parameters of functions
    /// other files call: decided by [`Callers::link`].
    pub pasted: Vec<Pasted>,
    /// What its calls of project functions pass.
    pub passes: Vec<Pass>,
    /// The text parameters of its public functions that it runs as SQL
    /// whole: a call passing SQL text there is a query ([`Wrappers`]).
    pub sinks: Vec<Parameter>,
    /// The function bodies left unread: no database sign, and no link to
    /// a body with one (see `bodies`).
    pub blanked: Vec<Range<usize>>,
}

impl RsFile {
    /// Gives back the room its lists grew into and will not use: a scan
    /// kept for a later lint holds only what it found.
    pub fn shrink(&mut self) {
        for unit in &mut self.units {
            unit.text.shrink_to_fit();
            unit.interpolations.shrink_to_fit();
        }
        self.units.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.looped_calls.shrink_to_fit();
        self.passes.shrink_to_fit();
        self.pasted.shrink_to_fit();
        self.blanked.shrink_to_fit();
    }

    /// About how many bytes the scan holds, itself and on the heap: what
    /// keeping it costs (see `Limits::kept_scans`).
    pub fn weight(&self) -> usize {
        use std::mem::size_of;
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        size_of::<RsFile>()
            + self.units.iter().map(SqlUnit::weight).sum::<usize>()
            + vec(&self.query_files)
            + vec(&self.calls)
            + self
                .calls
                .iter()
                .map(|c| c.method.capacity() + vec(&c.chain) + vec(&c.properties))
                .sum::<usize>()
            + vec(&self.functions)
            + vec(&self.looped_calls)
            + vec(&self.tests)
            + vec(&self.pasted)
            + vec(&self.passes)
            + vec(&self.sinks)
            + vec(&self.blanked)
    }
}

/// Whether attributes mark an item as test code: an attribute whose last
/// segment is `test` (`#[test]`, `#[tokio::test]`, `#[sqlx::test]`), or a
/// `#[cfg(...)]` that only builds it for tests (see [`test_only`]).
fn is_test_item(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        if path.is_ident("cfg") {
            return a.parse_args::<syn::Meta>().is_ok_and(|m| test_only(&m));
        }
        path.segments.last().is_some_and(|s| s.ident == "test")
    })
}

/// Whether a `cfg` predicate holds only in builds for tests: `test`, a
/// feature named for tests (`feature = "test-utils"`, `"testing"`,
/// `"mocks"`), `any(...)` of such predicates alone (`any(test, feature =
/// "test-helpers")`), or `all(...)` with one among them (`all(test, unix)`).
fn test_only(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::NameValue(nv) => {
            nv.path.is_ident("feature")
                && matches!(&nv.value, syn::Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. })
                    if test_feature(&s.value()))
        }
        syn::Meta::List(list) => {
            let Ok(inner) =
                list.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)
            else {
                return false;
            };
            if list.path.is_ident("any") {
                !inner.is_empty() && inner.iter().all(test_only)
            } else if list.path.is_ident("all") {
                inner.iter().any(test_only)
            } else {
                false
            }
        }
    }
}

/// Whether a Cargo feature's name, in words split at `-` and `_`, says it
/// builds what tests use: `test`, `tests`, `testing`, `test-utils`,
/// `integration-tests`, `mock`, `mocks`, `fixtures`. `latest` and
/// `contest` are other words; `ab-test` is a product's feature.
fn test_feature(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let words: Vec<&str> = name.split(['-', '_']).collect();
    !matches!(words.as_slice(), [.., "ab" | "split", _])
        && words.iter().any(|w| {
            matches!(
                *w,
                "test" | "tests" | "testing" | "testutils" | "mock" | "mocks" | "fixtures"
            )
        })
}

/// A function or method a file defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    /// The type of the `impl` block that defines a method.
    pub owner: Option<String>,
    /// Whether it takes `self`.
    pub method: bool,
    /// How many arguments it takes, `self` not counted.
    pub arity: usize,
    pub is_async: bool,
    /// The query its body runs outside any loop of its own, if any.
    pub runs: Option<String>,
    /// Whether that query inserts a row and returns it (SQL text's
    /// `INSERT ... RETURNING`): a caller that keeps the result goes on to
    /// use the row.
    pub creates: bool,
    /// Whether its file talks to an embedded SQLite database only, so the
    /// query runs in the process.
    pub embedded: bool,
}

/// A call in a loop, by the name of the function it calls.
#[derive(Debug, Clone)]
pub struct LoopedCall {
    pub name: String,
    /// The type a path call names (`User::find` calls `find` of `User`).
    pub owner: Option<String>,
    /// The function's name at the call.
    pub range: Range<usize>,
    pub each: LoopInfo,
    /// Whether it is a method call on a value (`repo.find(id)`), which
    /// only a name no other function of the crate has can resolve.
    pub method: bool,
    /// Whether its result is awaited where it is made.
    pub awaited: bool,
    /// How many arguments it passes (a method call's receiver not
    /// counted), and whether it is a path call (`f(x)`, `Type::f(x)`),
    /// which may pass a method's `self` first.
    pub args: usize,
    pub path: bool,
    /// Whether a `let` keeps its result (`let id = self.insert(..).await?`).
    pub kept: bool,
}

impl LoopedCall {
    /// Whether a function of this arity, taking `self` or not, can be
    /// the one called: `ws_client.delete(ctx, req)` is no call of the
    /// crate's `delete(&self, id)`.
    pub fn fits(&self, arity: usize, method: bool) -> bool {
        arity == self.args || (self.path && method && arity + 1 == self.args)
    }
}

/// Method names so common on standard types (maps, vectors, channels,
/// locks, builders) that a crate function of that name says nothing about
/// a call on some value.
const COMMON_METHODS: &[&str] = &[
    "get",
    "get_mut",
    "insert",
    "remove",
    "push",
    "pop",
    "len",
    "is_empty",
    "iter",
    "map",
    "clone",
    "contains",
    "contains_key",
    "extend",
    "entry",
    "new",
    "default",
    "from",
    "into",
    "send",
    "recv",
    "lock",
    "read",
    "write",
    "run",
    "call",
    "update",
    "find",
    "filter",
    "parse",
    "build",
    "finish",
    "flush",
    "next",
    "take",
    "append",
    "join",
    "split",
    "load",
    "save",
    "delete",
    "create",
    "list",
    "set",
    "add",
    "apply",
    "handle",
    "process",
];

/// The functions of one crate, so a call in a loop in one file can be
/// followed into a function of another that runs a query.
#[derive(Debug, Default)]
pub struct CrateIndex {
    /// Every function of the crate's parsed files, by name.
    by_name: HashMap<String, Vec<Function>>,
}

impl CrateIndex {
    pub fn add(&mut self, functions: &[Function]) {
        for f in functions {
            self.by_name
                .entry(f.name.clone())
                .or_default()
                .push(f.clone());
        }
    }

    /// The query a call runs through a function of the crate. Only a
    /// function no other of the crate shares its name with (its name and
    /// type, when the call names the type) is taken to be the one called.
    pub fn resolve(&self, call: &LoopedCall) -> Option<&str> {
        self.resolve_function(call)?.runs.as_deref()
    }

    /// The function of the crate a call is of, as [`CrateIndex::resolve`]
    /// finds it.
    pub fn resolve_function(&self, call: &LoopedCall) -> Option<&Function> {
        let defs = self.by_name.get(&call.name)?;
        let mut matching = defs.iter().filter(|f| {
            (call.owner.is_none() || f.owner == call.owner) && call.fits(f.arity, f.method)
        });
        let found = matching.next()?;
        if matching.next().is_some() {
            return None;
        }
        // A method of a value that is not awaited is not an async query
        // function: a builder's setter (`Record::builder().idx(n)`) made by
        // a derive shares the name.
        if call.method && found.is_async && !call.awaited {
            return None;
        }
        Some(found)
    }

    /// Whether a function of the crate of that name runs a query.
    pub fn runs_query(&self, name: &str) -> bool {
        self.by_name
            .get(name)
            .is_some_and(|defs| defs.iter().any(|f| f.runs.is_some()))
    }

    /// The names of the functions that run a query.
    pub fn query_functions(&self) -> Vec<&str> {
        self.by_name
            .keys()
            .map(String::as_str)
            .filter(|name| self.runs_query(name))
            .collect()
    }
}

/// Whether a file talks to an embedded SQLite database only (sqlx's
/// `Sqlite` pool or connection, `rusqlite`): each query runs in the
/// process, and one per item inside a transaction is how SQLite is fed.
fn embedded_database(text: &str) -> bool {
    let sqlite = [
        "SqlitePool",
        "Pool<Sqlite>",
        "SqliteConnection",
        "sqlx::sqlite",
        "rusqlite",
    ]
    .iter()
    .any(|s| text.contains(s));
    let server = [
        "Postgres",
        "PgPool",
        "PgConnection",
        "tokio_postgres",
        "MySql",
        "diesel::pg",
    ]
    .iter()
    .any(|s| text.contains(s));
    sqlite && !server
}

pub fn scan(text: &str) -> RsFile {
    if !might_touch_database(text) {
        return RsFile::default();
    }
    scan_parsed(text)
}

/// How deep brackets may nest in a Rust file. syn, and the walks over its
/// tree, recurse once or more per level: past this depth a crafted or
/// generated file could overflow the stack. Written code stays far below.
pub const MAX_NESTING: usize = 128;

/// How many tokens may lie on one path into a Rust file's tree: along the
/// nesting, the tokens of each enclosing list item (up to its `,` or `;`,
/// a block `{ ... }` that ends an item or a statement, or an attribute
/// `#[...]`, doc comments included) before the nested one. A chain of
/// unary operators, closures or method calls nests the tree once per link
/// without a bracket; this bounds that too. Written code stays far below (a 100-call builder chain is about 300).
pub const MAX_PATH: usize = 2_000;

/// The span where the file goes past [`MAX_NESTING`] or [`MAX_PATH`],
/// found without recursion, and which limit it is.
fn too_deep(tokens: &proc_macro2::TokenStream) -> Option<(proc_macro2::Span, String)> {
    use proc_macro2::{Delimiter, TokenTree};
    // For each open group: its tokens, the path length before it, the
    // tokens of its current list item, and whether the token before was
    // the `#` (or `#!`) of an attribute.
    let mut stack = vec![(tokens.clone().into_iter(), 0usize, 0usize, false)];
    while let Some((iter, before, item, hash)) = stack.last_mut() {
        let Some(tree) = iter.next() else {
            stack.pop();
            continue;
        };
        *item += 1;
        let path = *before + *item;
        if path > MAX_PATH {
            return Some((
                tree.span(),
                format!("an expression nests more than {MAX_PATH} tokens deep"),
            ));
        }
        let after_hash = std::mem::replace(hash, false);
        match tree {
            TokenTree::Punct(p) if matches!(p.as_char(), ',' | ';') => *item = 0,
            TokenTree::Punct(p) if p.as_char() == '#' => *hash = true,
            TokenTree::Punct(p) if p.as_char() == '!' && after_hash => *hash = true,
            TokenTree::Group(group) => {
                // A block ends an item or a statement, and an attribute
                // stands apart from what follows: the next token starts a
                // list item of its own.
                let delimiter = group.delimiter();
                if delimiter == Delimiter::Brace || (delimiter == Delimiter::Bracket && after_hash)
                {
                    *item = 0;
                }
                if stack.len() > MAX_NESTING {
                    return Some((
                        group.span_open(),
                        format!("brackets nest more than {MAX_NESTING} levels deep"),
                    ));
                }
                stack.push((group.stream().into_iter(), path, 0, false));
            }
            _ => {}
        }
    }
    None
}

/// A file's text parsed by syn, refused past [`MAX_NESTING`] or
/// [`MAX_PATH`].
fn parse(text: &str) -> syn::Result<syn::File> {
    match text.parse::<proc_macro2::TokenStream>() {
        Ok(tokens) => match too_deep(&tokens) {
            Some((span, limit)) => Err(syn::Error::new(
                span,
                format!("{limit}; querylint does not read this file"),
            )),
            None => syn::parse2::<syn::File>(tokens),
        },
        // The same error, as syn words it.
        Err(_) => syn::parse_str::<syn::File>(text),
    }
}

/// Where each line of a text starts, and whether it is all ASCII: turns
/// a span's line and column (counted in characters) into a byte offset.
/// proc-macro2's own `Span::byte_range` counts characters from the
/// nearest offset it has cached, in a map that grows with every span
/// asked for; a file's spans are asked for many times over. Lines end at
/// `\n` alone, as proc-macro2 counts them (`source::LineIndex` also ends
/// one at a lone `\r`).
struct Lines {
    starts: Vec<usize>,
    ascii: Vec<bool>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut all = true;
        for (i, &b) in text.as_bytes().iter().enumerate() {
            if b == b'\n' {
                ascii.push(all);
                starts.push(i + 1);
                all = true;
            } else if !b.is_ascii() {
                all = false;
            }
        }
        ascii.push(all);
        Lines { starts, ascii }
    }

    /// The byte offset in `text` of a line (1-based) and column; past
    /// the end, the text's length.
    fn offset(&self, text: &str, at: proc_macro2::LineColumn) -> usize {
        let Some(line) = at.line.checked_sub(1) else {
            return 0;
        };
        let Some(&start) = self.starts.get(line) else {
            return text.len();
        };
        if self.ascii[line] {
            return (start + at.column).min(text.len());
        }
        text[start..]
            .char_indices()
            .nth(at.column)
            .map_or(text.len(), |(i, _)| start + i)
    }
}

/// What [`scan`] finds, also in a file that mentions no database API:
/// such a file can still call, in a loop, a function of its crate that
/// runs a query.
pub fn scan_parsed(text: &str) -> RsFile {
    scan_with(text, &Wrappers::default())
}

/// [`scan_parsed`], with the project's functions that run a parameter as
/// SQL, whose calls with SQL text are queries too.
pub fn scan_with(text: &str, wrappers: &Wrappers) -> RsFile {
    scan_keeping(text, wrappers, &|_| false)
}

/// [`scan_with`], also reading the function bodies whose text `also`
/// accepts (calls of functions other files define that the caller
/// needs followed).
pub fn scan_keeping(text: &str, wrappers: &Wrappers, also: &dyn Fn(&str) -> bool) -> RsFile {
    // What syn would skip itself: a byte order mark and a shebang line.
    let mut skip = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if text[skip..].starts_with("#!") && !text[skip + 2..].trim_start().starts_with('[') {
        skip += text[skip..].find('\n').unwrap_or(text.len() - skip);
    }
    let body = &text[skip..];
    let sign = |b: &str| SIGNS.is_match(b) || also(b);
    let orms = dsl::Orms::of(text);
    let linked = |w: &str| wrappers.has(w) || orms.name(w);
    let mut blanked = Vec::new();
    let mut parsed = Err(None);
    let mut masked = None;
    if let Some((m, ranges)) = bodies::blank(body, &sign, &linked) {
        parsed = parse(&bodies::compact(&m, &ranges)).map_err(|_| None);
        if parsed.is_err() {
            proc_macro2::extra::invalidate_current_thread_spans();
        }
        blanked = ranges
            .into_iter()
            .map(|r| r.start + skip..r.end + skip)
            .collect();
        masked = Some(m);
    }
    if parsed.is_err() {
        // Nothing blanked, or the blanked text does not parse: read it all,
        // so an error is reported where the file has it.
        blanked.clear();
        masked = None;
        parsed = parse(body).map_err(Some);
    }
    let read = masked.as_deref().unwrap_or(body);
    let file = match parsed {
        Ok(file) => file,
        Err(e) => {
            let e = e.expect("the whole text was parsed");
            let range = e.span().byte_range();
            let start = (range.start + skip).min(text.len());
            let end = (range.end + skip).clamp(start, text.len());
            let out = RsFile {
                parse_error: Some((start..end, e.to_string())),
                ..RsFile::default()
            };
            proc_macro2::extra::invalidate_current_thread_spans();
            return out;
        }
    };
    let mut scan = Scan {
        text,
        skip,
        read,
        lines: Lines::new(read),
        consts: HashSet::new(),
        imported: HashMap::new(),
        locals: Vec::new(),
        values: Vec::new(),
        private_fns: HashSet::new(),
        passed: HashMap::new(),
        deferred: std::cell::RefCell::new(Vec::new()),
        raw_passes: Vec::new(),
        line_offset: text[..skip].matches('\n').count(),
        wrappers,
        enclosing: Vec::new(),
        sinks: Vec::new(),
        builders: HashSet::new(),
        paginators: Vec::new(),
        loop_heads: Vec::new(),
        assembling: HashMap::new(),
        chain_done: HashSet::new(),
        shaped: HashSet::new(),
        fetches: HashMap::new(),
        pooled: HashSet::new(),
        chunked: HashSet::new(),
        items: Vec::new(),
        binds: HashMap::new(),
        wildcards: Vec::new(),
        inserts: HashSet::new(),
        embedded: embedded_database(text),
        orms,
        number_fields: HashSet::new(),
        written_lists: HashSet::new(),
        other_fields: HashSet::new(),
        loops: Vec::new(),
        exits: 0,
        functions: Vec::new(),
        awaited: HashSet::new(),
        awaits: Vec::new(),
        owner: None,
        trait_impl: false,
        looped_calls: Vec::new(),
        object_work: Vec::new(),
        units: Vec::new(),
        query_files: Vec::new(),
        calls: Vec::new(),
        tests: Vec::new(),
    };
    for item in &file.items {
        scan.declare(item);
    }
    values::private_functions(&file.items, &mut scan.private_fns);
    scan.visit_file(&file);
    let (pasted, passes) = scan.settle_parameters();
    let looped_calls = scan.queries_through_functions();
    drop(file);
    proc_macro2::extra::invalidate_current_thread_spans();
    let functions = scan
        .functions
        .iter()
        .map(|(signature, is_async, body)| {
            let query = scan.query_in(body);
            Function {
                name: signature.function.clone(),
                owner: signature.owner.clone(),
                method: signature.method,
                arity: signature.arity,
                is_async: *is_async,
                runs: query.map(OrmCall::name),
                creates: query.is_some_and(|c| scan.inserts.contains(&c.range.start)),
                embedded: scan.embedded,
            }
        })
        .collect();
    RsFile {
        units: scan.units,
        query_files: scan.query_files,
        calls: scan.calls,
        parse_error: None,
        functions,
        looped_calls,
        tests: scan.tests,
        pasted,
        passes,
        sinks: scan.sinks,
        blanked,
    }
}

struct Scan<'t> {
    text: &'t str,
    /// Fields of the file's structs that hold numbers, booleans, dates or
    /// uuids, in every struct that has a field of that name.
    number_fields: HashSet<String>,
    /// Locals bound to a list written in the code (`let t = vec![...]`).
    written_lists: HashSet<String>,
    /// Fields of the file's structs of any other type.
    other_fields: HashSet<String>,
    /// The ORMs whose query builders the file names (diesel, sea-orm).
    orms: dsl::Orms,
    /// The project's functions that run a parameter as SQL.
    wrappers: &'t Wrappers,
    /// The functions being read, innermost last, as the parameter they
    /// would make a sink of (`position` unset).
    enclosing: Vec<Parameter>,
    /// Parameters of the file's public functions that it runs as SQL whole.
    sinks: Vec<Parameter>,
    /// Test code found so far (see [`RsFile::tests`]).
    tests: Vec<Range<usize>>,
    /// Bytes before the text syn parsed.
    skip: usize,
    /// The text syn parsed: the file after `skip`, its unread function
    /// bodies blanked (the same bytes at the same offsets otherwise).
    read: &'t str,
    /// The lines of `read`, to turn its spans into byte offsets.
    lines: Lines,
    /// `const` and `static` names of the file.
    consts: HashSet<String>,
    /// Names imported from sqlx, by local name: `use sqlx::{query,
    /// query_as as qa}` maps `query` to `query` and `qa` to `query_as`.
    imported: HashMap<String, String>,
    /// `let` bindings of the function being read whose value can be SQL
    /// text, innermost last.
    locals: Vec<(String, Expr)>,
    /// What the names of the function being read hold: its parameters,
    /// `let` and `for` bindings, innermost last.
    values: Vec<(String, Val)>,
    /// The file's private functions, whose callers are all in the file.
    private_fns: HashSet<String>,
    /// What the file's calls pass to each parameter of a private function.
    passed: HashMap<(String, usize), Val>,
    /// Pasted values (by host range) that hold a function's parameters,
    /// decided once the whole file is read.
    deferred: std::cell::RefCell<Vec<values::Deferred>>,
    /// What calls of project functions pass, with the argument's value.
    raw_passes: Vec<(Pass, Val)>,
    /// Lines before the text syn parsed.
    line_offset: usize,
    /// Locals holding a `QueryBuilder`.
    builders: HashSet<String>,
    /// Locals holding a sea-orm paginator, with the chain that made it.
    paginators: Vec<(String, Expr)>,
    /// The heads of the `while` and `loop` loops around the code being
    /// read, innermost last: a paginator read there walks its pages.
    loop_heads: Vec<Range<usize>>,
    /// The SQL `QueryBuilder` locals assemble, by local name (a
    /// `separated` helper shares its builder's).
    assembling: HashMap<String, Assembly>,
    /// Method calls of a builder chain already read with the chain.
    chain_done: HashSet<Range<usize>>,
    /// Locals built from literals alone, such as a list of placeholders
    /// (`["?"].repeat(n).join(",")`, `(1..=n).map(|i| format!("${i}"))`).
    shaped: HashSet<String>,
    /// Query expressions a fetch method runs, by start offset: whether
    /// the fetch reads at most one row.
    fetches: HashMap<usize, bool>,
    /// Query expressions run on a pool (`.execute(&pool)`), by start
    /// offset: session state they set outlives the request.
    pooled: HashSet<usize>,
    /// Loops over chunks of a list (`for ids in all.chunks(500)`), by the
    /// start of their head: a query per chunk is how batches are sent.
    chunked: HashSet<usize>,
    /// The names each loop's item binds, and the locals made from them,
    /// by the start of the loop's head, innermost last.
    items: Vec<(usize, Vec<String>)>,
    /// The values a query's placeholders are bound to, in order
    /// (`.bind(a).bind(b)`, a macro's arguments), by the query
    /// expression's start offset.
    binds: HashMap<usize, Vec<String>>,
    /// Locals bound to text that starts with a `LIKE` wildcard
    /// (`let pattern = format!("%{q}%")`), with that text.
    wildcards: Vec<(String, String)>,
    /// SQL inserts that return their rows, by the query expression's start.
    inserts: HashSet<usize>,
    /// Loops around the expression being read; `None` marks a function.
    loops: Vec<Option<LoopInfo>>,
    exits: usize,
    /// Functions of the file: signature, whether async, body.
    functions: Vec<(Parameter, bool, Range<usize>)>,
    /// The expressions awaited, by range.
    awaited: HashSet<Range<usize>>,
    /// The same, in the order of the code, with whether each ends a
    /// query's chain (`.fetch_all(&pool)`) or a transaction's step.
    awaits: Vec<(Range<usize>, bool)>,
    /// The type of the `impl` block being read.
    owner: Option<String>,
    /// Whether that block implements a trait.
    trait_impl: bool,
    looped_calls: Vec<LoopedCall>,
    /// The ranges of the queries that work on the objects they name
    /// (`ANALYZE t`, a catalog read): a function running one runs no
    /// query a batch over rows could replace.
    object_work: Vec<Range<usize>>,
    units: Vec<SqlUnit>,
    query_files: Vec<QueryFile>,
    calls: Vec<OrmCall>,
    /// Whether the file's database is an embedded SQLite file: a query
    /// costs no round trip.
    embedded: bool,
}

/// The SQL a `QueryBuilder` assembles, push by push, in the order of the
/// code: every branch's pushes, as if each condition held.
struct Assembly {
    builder: UnitBuilder,
    /// The builder's name, for the local a `separated` helper is bound to.
    of: String,
    /// Whether a push pasted text built at run time.
    runtime: bool,
    /// The source texts of the values `push_bind` binds, in order.
    binds: Vec<String>,
}

/// The unit a builder made, sent through `api`.
fn unit(builder: UnitBuilder, api: &str, runtime: bool, one_row: bool) -> SqlUnit {
    SqlUnit {
        text: builder.text,
        map: OffsetMap::with_opaque(builder.segments, builder.opaque),
        interpolations: builder.interpolations,
        origin: Origin {
            kind: FileKind::Rust,
            api: Some(api.to_owned()),
            assembled_at_runtime: runtime,
            pooled: false,
            one_row,
            masked: Vec::new(),
            // Every Rust sink runs the text it is given: a value a caller
            // chooses is reported wherever it is pasted.
            unchecked_sink: true,
            wildcard_values: Vec::new(),
            walked_by: None,
        },
        call: None,
    }
}

/// Methods that make text of text: what they return holds nothing but
/// what their receiver held.
const TEXT_OF_TEXT: &[&str] = &[
    "join",
    "concat",
    "to_string",
    "to_owned",
    "clone",
    "as_str",
    "into",
    "repeat",
    "trim",
];

/// Whether an expression is text made of literals and of the names in
/// `numbers` (positions): `"?"`, `"?".to_string()`, `String::from("?")`,
/// `format!("${}", i + 1)`, `format!("${i}")`.
fn literal_text_of(expr: &Expr, numbers: &HashSet<String>) -> bool {
    match expr {
        Expr::Lit(_) => true,
        Expr::Paren(p) => literal_text_of(&p.expr, numbers),
        Expr::Block(b) => match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(e, None)] => literal_text_of(e, numbers),
            _ => false,
        },
        Expr::Path(p) => numbers.contains(&last_segment(&p.path)),
        Expr::Binary(b) => literal_text_of(&b.left, numbers) && literal_text_of(&b.right, numbers),
        Expr::MethodCall(m) => {
            TEXT_OF_TEXT.contains(&m.method.to_string().as_str())
                && literal_text_of(&m.receiver, numbers)
        }
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if last_segment(&p.path) == "from")
                && c.args.iter().all(|a| literal_text_of(a, numbers))
        }
        Expr::Macro(m) if last_segment(&m.mac.path) == "format" => {
            let Ok(args) = m
                .mac
                .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
            else {
                return false;
            };
            let mut args = args.iter();
            let Some(Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(template),
                ..
            })) = args.next()
            else {
                return false;
            };
            // Names captured by the template (`{i}`) must be positions too.
            let template = template.value().replace("{{", "").replace("}}", "");
            let captured_ok = template.split('{').skip(1).all(|hole| {
                let name = hole.split(['}', ':']).next().unwrap_or("");
                name.is_empty() || name.parse::<usize>().is_ok() || numbers.contains(name)
            });
            captured_ok && args.all(|a| literal_text_of(a, numbers))
        }
        _ => false,
    }
}

/// A list written in the code: an array literal or `vec![...]`.
fn written_list(e: &Expr) -> bool {
    matches!(e, Expr::Array(_)) || matches!(e, Expr::Macro(m) if last_segment(&m.mac.path) == "vec")
}

/// Whether a type names `name` anywhere: `&mut QueryBuilder<'_, Postgres>`.
fn mentions(ty: &syn::Type, name: &str) -> bool {
    type_names(ty).iter().any(|n| n == name)
}

/// The names a type mentions, outermost first.
fn type_names(ty: &syn::Type) -> Vec<String> {
    struct Names(Vec<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_path_segment(&mut self, s: &'ast syn::PathSegment) {
            self.0.push(s.ident.to_string());
            syn::visit::visit_path_segment(self, s);
        }
    }
    let mut names = Names(Vec::new());
    names.visit_type(ty);
    names.0
}

/// The name a `let` pattern binds, if it binds one (`x`, `mut x`, `x: T`).
fn local_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(p) => Some(p.ident.to_string()),
        syn::Pat::Type(t) => local_name(&t.pat),
        _ => None,
    }
}

/// Whether Rust source text is a string that starts with a `LIKE`
/// wildcard: `"%term"`, `format!("%{}%", q)`, a reference to one or a
/// copy of one (`&format!(..)`, `format!(..).to_lowercase()`).
fn wildcard_text(text: &str) -> bool {
    let text = text.trim_start().trim_start_matches('&').trim_start();
    let literal = match text.strip_prefix("format!") {
        Some(rest) => rest
            .trim_start()
            .trim_start_matches(['(', '[', '{'])
            .trim_start(),
        None => text,
    };
    let literal = literal.trim_start_matches('r').trim_start_matches('#');
    literal.starts_with("\"%") || literal.starts_with("\"_%")
}

fn last_segment(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

impl Scan<'_> {
    /// The type a path call names (`User::find`), the `impl` block's for
    /// `Self::find`; `None` for a function (`find`, `users::find`).
    fn path_owner(&self, path: &syn::Path) -> Option<String> {
        let owner = path
            .segments
            .iter()
            .rev()
            .nth(1)
            .map(|s| s.ident.to_string())
            .filter(|s| s.starts_with(char::is_uppercase));
        match owner.as_deref() {
            Some("Self") => self.owner.clone(),
            _ => owner,
        }
    }

    /// A call of one of the project's wrappers with SQL text (see
    /// [`Wrappers`]) is a query through the wrapper.
    fn wrapper_call(
        &mut self,
        function: &str,
        owner: &Option<String>,
        method: bool,
        args: &Punctuated<Expr, Token![,]>,
        at: Range<usize>,
        name: Range<usize>,
    ) {
        if let Some((sink, position)) = self.wrappers.called(function, owner, method, args.len())
            && let Some(sql) = args.iter().nth(position)
        {
            // Made only if the argument is SQL text.
            self.query(at, name, sql, &sink.function_name(), None);
        }
    }

    /// Records that the function being read runs its text parameter as
    /// SQL, when `sql` is that parameter as it was passed (`&sql`,
    /// `sql.as_str()`).
    fn note_sink(&mut self, sql: &Expr) {
        let mut sql = sql;
        for _ in 0..8 {
            match sql {
                Expr::Reference(r) => sql = &r.expr,
                Expr::Paren(p) => sql = &p.expr,
                Expr::MethodCall(m)
                    if m.args.is_empty()
                        && matches!(
                            m.method.to_string().as_str(),
                            "as_str" | "as_ref" | "to_string" | "to_owned" | "clone" | "into"
                        ) =>
                {
                    sql = &m.receiver
                }
                _ => break,
            }
        }
        let Expr::Path(p) = sql else {
            return;
        };
        let Some(name) = p.path.get_ident() else {
            return;
        };
        let val = self.name_value(&name.to_string());
        let Some(function) = self.enclosing.last() else {
            return;
        };
        if let [param] = val.public.as_slice()
            && val.params.is_empty()
            && val.known.is_safe()
            && param.function == function.function
            && param.owner == function.owner
            && !self.sinks.contains(param)
        {
            self.sinks.push(param.clone());
        }
    }

    /// The line (1-based) a span starts on in the file.
    fn line(&self, span: proc_macro2::Span) -> usize {
        span.start().line + self.line_offset
    }

    /// The byte range of a node (see [`Located`]).
    fn at(&self, node: &impl Located) -> Range<usize> {
        self.range(node.located())
    }

    fn range(&self, span: proc_macro2::Span) -> Range<usize> {
        let start = self.lines.offset(self.read, span.start()) + self.skip;
        start..(self.lines.offset(self.read, span.end()) + self.skip).max(start)
    }

    fn declare(&mut self, item: &syn::Item) {
        match item {
            syn::Item::Const(c) => {
                self.consts.insert(c.ident.to_string());
            }
            syn::Item::Static(s) => {
                self.consts.insert(s.ident.to_string());
            }
            syn::Item::Use(u) => self.imports(&u.tree, false),
            syn::Item::Struct(s) => self.declare_fields(s),
            syn::Item::Mod(m) => {
                for item in m.content.iter().flat_map(|(_, items)| items) {
                    self.declare(item);
                }
            }
            _ => {}
        }
    }

    fn imports(&mut self, tree: &syn::UseTree, in_sqlx: bool) {
        match tree {
            syn::UseTree::Path(p) => self.imports(&p.tree, in_sqlx || p.ident == "sqlx"),
            syn::UseTree::Name(n) if in_sqlx => {
                self.imported
                    .insert(n.ident.to_string(), n.ident.to_string());
            }
            syn::UseTree::Rename(r) if in_sqlx => {
                self.imported
                    .insert(r.rename.to_string(), r.ident.to_string());
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.imports(t, in_sqlx);
                }
            }
            _ => {}
        }
    }

    /// The sqlx name a path calls, if it is one: `sqlx::query`, an
    /// imported `query_as`, or a renamed import.
    fn sqlx_name(&self, path: &syn::Path) -> Option<String> {
        let last = last_segment(path);
        let qualified = path.segments.len() > 1
            && path
                .segments
                .iter()
                .any(|s| s.ident == "sqlx" || s.ident == "diesel");
        let name = self.imported.get(&last).cloned().unwrap_or(last);
        (qualified || path.segments.len() == 1).then_some(name)
    }

    fn current_loop(&self) -> Option<LoopInfo> {
        self.current_head()?;
        self.loops.last()?.clone()
    }

    /// Where the head of the loop around the code being read starts, as
    /// [`Scan::current_loop`] sees it, without copying the loop.
    fn current_head(&self) -> Option<usize> {
        let info = self.loops.last()?.as_ref()?;
        (self.exits == info.exits_at).then_some(info.head.start)
    }

    /// Reads the body of a loop that does not iterate over items.
    fn event_loop(&mut self, f: impl FnOnce(&mut Self)) {
        self.loops.push(None);
        f(self);
        self.loops.pop();
    }

    fn with_loop(&mut self, info: LoopInfo, f: impl FnOnce(&mut Self)) {
        let head = info.head.clone();
        let (awaits, calls, looped) =
            (self.awaits.len(), self.calls.len(), self.looped_calls.len());
        self.loops.push(Some(info));
        f(self);
        self.loops.pop();
        // Each iteration also awaits something that is no query: an HTTP
        // request, a message sent, a pause. That costs more than the
        // query, which often depends on its answer.
        let overlaps = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
        let other = self.awaits[awaits..].iter().any(|(at, database)| {
            !database
                && !self.calls[calls..].iter().any(|c| overlaps(at, &c.range))
                && !self.looped_calls[looped..]
                    .iter()
                    .any(|c| overlaps(at, &c.range))
        });
        // A turn that writes a row of its own (values of the item, or a
        // created row it goes on to use) is per-item work; the loop's
        // other queries ride along.
        let own_row = crate::model::own_row_loops(&self.calls[calls..]).contains(&head);
        if own_row {
            for each in self.calls[calls..]
                .iter_mut()
                .filter_map(|c| c.in_loop.as_mut())
            {
                if each.head == head {
                    each.writes_rows = true;
                }
            }
            for call in &mut self.looped_calls[looped..] {
                if call.each.head == head {
                    call.each.writes_rows = true;
                }
            }
        }
        if other {
            let mine = |each: &mut LoopInfo| {
                if each.head == head {
                    each.other_work = true;
                }
            };
            self.calls[calls..]
                .iter_mut()
                .filter_map(|c| c.in_loop.as_mut())
                .for_each(mine);
            self.looped_calls[looped..]
                .iter_mut()
                .for_each(|c| mine(&mut c.each));
        }
    }

    fn loop_info(&self, kind: &str, head: Range<usize>, literal_items: bool) -> LoopInfo {
        LoopInfo {
            kind: kind.to_owned(),
            scope: head.clone(),
            head,
            over: None,
            items: if literal_items {
                Items::Fixed
            } else {
                Items::Unexamined
            },
            item: PerItem::Unexamined,
            writes_per_item: false,
            slices: false,
            other_work: false,
            writes_rows: false,
            promise_all: false,
            isolated: false,
            exits_at: self.exits,
        }
    }

    /// The SQL an expression holds, as a unit: a literal, `+`-joined
    /// literals, `concat!`, a `format!`, a `const`, or a local bound to one
    /// of these.
    fn sql_of(
        &self,
        expr: &Expr,
        builder: &mut UnitBuilder,
        runtime: &mut bool,
        depth: usize,
    ) -> bool {
        if depth > 16 {
            return false;
        }
        match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => {
                self.literal(s, builder, None);
                true
            }
            Expr::Reference(r) => self.sql_of(&r.expr, builder, runtime, depth + 1),
            Expr::Paren(p) => self.sql_of(&p.expr, builder, runtime, depth + 1),
            Expr::Group(g) => self.sql_of(&g.expr, builder, runtime, depth + 1),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
                let left = self.sql_of(&b.left, builder, runtime, depth + 1);
                if !self.sql_of(&b.right, builder, runtime, depth + 1) {
                    *runtime = true;
                    let host = self.at(&b.right);
                    let provenance = self.provenance(&b.right, host.clone());
                    builder.placeholder(host, false, provenance);
                }
                left
            }
            Expr::Macro(m) => self.macro_sql(&m.mac, builder, runtime),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "to_string" | "to_owned" | "into" | "as_str" | "as_ref" | "clone"
                ) =>
            {
                self.sql_of(&m.receiver, builder, runtime, depth + 1)
            }
            Expr::Call(c)
                if matches!(&*c.func, Expr::Path(p)
                    if last_segment(&p.path) == "from" || last_segment(&p.path) == "AssertSqlSafe")
                    && c.args.len() == 1 =>
            {
                let before = builder.interpolations.len();
                let found = self.sql_of(&c.args[0], builder, runtime, depth + 1);
                let asserted =
                    matches!(&*c.func, Expr::Path(p) if last_segment(&p.path) == "AssertSqlSafe");
                if asserted {
                    // sqlx's `AssertSqlSafe`: the author vouches for what the
                    // text holds, as a suppression comment would.
                    for i in &mut builder.interpolations[before..] {
                        i.spliced = false;
                        i.provenance = Provenance::Safe(Safe::Fragment);
                    }
                }
                found
            }
            Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = last_segment(&p.path);
                match self.locals.iter().rev().find(|(n, _)| *n == name) {
                    Some((_, init)) => self.sql_of(init, builder, runtime, depth + 1),
                    None => false,
                }
            }
            _ => false,
        }
    }

    fn macro_sql(&self, mac: &Macro, builder: &mut UnitBuilder, runtime: &mut bool) -> bool {
        let name = last_segment(&mac.path);
        let Ok(args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) else {
            return false;
        };
        match name.as_str() {
            "concat" => {
                let mut any = false;
                for arg in &args {
                    any |= self.sql_of(arg, builder, runtime, 1);
                }
                any
            }
            "format" => {
                let mut args = args.iter();
                let Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(template),
                    ..
                })) = args.next()
                else {
                    return false;
                };
                let rest: Vec<&Expr> = args.collect();
                *runtime = true;
                self.literal(template, builder, Some(&rest));
                true
            }
            _ => false,
        }
    }

    fn is_constant(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Lit(_) => true,
            Expr::Reference(r) => self.is_constant(&r.expr),
            // `placeholders.join(",")` of a list built from literals.
            Expr::MethodCall(m) if TEXT_OF_TEXT.contains(&m.method.to_string().as_str()) => {
                self.is_constant(&m.receiver)
            }
            Expr::MethodCall(_) => self.maps_to_literals(expr),
            Expr::Path(p) => self.constant_name(&last_segment(&p.path)),
            Expr::Macro(m) => last_segment(&m.mac.path) == "concat",
            _ => false,
        }
    }

    /// Whether a name holds a constant: a `const` or `static` of the file,
    /// a local built from literals, or a name written in capitals.
    fn constant_name(&self, name: &str) -> bool {
        self.consts.contains(name)
            || self.shaped.contains(name)
            || (name.len() > 1
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit()))
    }

    /// Whether a chain maps every item to text made of literals, whatever
    /// the item holds, and then only gathers or joins the results:
    /// `ids.iter().map(|_| "?").collect::<Vec<_>>().join(", ")`, or with
    /// the position of each item, `.enumerate().map(|(i, _)| format!("${}",
    /// i + 1))`. Such text depends on how many items there are, not on
    /// what they hold.
    fn maps_to_literals(&self, expr: &Expr) -> bool {
        let mut link = expr;
        while let Expr::MethodCall(m) = link {
            let method = m.method.to_string();
            if method == "map" {
                let Some(Expr::Closure(closure)) = m.args.first() else {
                    return false;
                };
                let enumerated =
                    matches!(&*m.receiver, Expr::MethodCall(r) if r.method == "enumerate");
                let mut numbers = HashSet::new();
                for input in &closure.inputs {
                    match input {
                        syn::Pat::Wild(_) => {}
                        syn::Pat::Ident(i) if i.ident.to_string().starts_with('_') => {}
                        // `(i, _)` after `.enumerate()`: the position, a number.
                        syn::Pat::Tuple(t) if enumerated && t.elems.len() == 2 => {
                            match (&t.elems[0], &t.elems[1]) {
                                (syn::Pat::Ident(i), syn::Pat::Wild(_)) => {
                                    numbers.insert(i.ident.to_string());
                                }
                                (syn::Pat::Wild(_), syn::Pat::Wild(_)) => {}
                                _ => return false,
                            }
                        }
                        _ => return false,
                    }
                }
                return literal_text_of(&closure.body, &numbers);
            }
            // Gathered (`collect`) and joined after the map.
            if method != "collect" && !TEXT_OF_TEXT.contains(&method.as_str()) {
                return false;
            }
            link = &m.receiver;
        }
        false
    }

    /// Decodes a string literal into the builder, escape by escape; with
    /// `format` arguments, each `{...}` hole becomes a placeholder for its
    /// argument.
    fn literal(&self, lit: &LitStr, builder: &mut UnitBuilder, format: Option<&[&Expr]>) {
        let whole = self.at(&lit);
        let src = &self.text[whole.clone()];
        let (raw, body) = if let Some(rest) = src.strip_prefix('r') {
            let hashes = rest.len() - rest.trim_start_matches('#').len();
            let start = whole.start + 1 + hashes + 1;
            let end = whole.end.saturating_sub(1 + hashes).max(start);
            (true, start..end)
        } else if src.starts_with('"') && src.len() >= 2 && src.ends_with('"') {
            (false, whole.start + 1..whole.end - 1)
        } else {
            return;
        };
        let text = self.text;
        let bytes = text.as_bytes();
        let mut run = body.start;
        let mut i = body.start;
        let mut positional = 0;
        let flush = |builder: &mut UnitBuilder, run: usize, i: usize| {
            if i > run {
                builder.verbatim(text, run..i);
            }
        };
        while i < body.end {
            let c = bytes[i];
            if c == b'\\' && !raw && i + 1 < body.end {
                flush(builder, run, i);
                let next = bytes[i + 1];
                let (len, decoded) = match next {
                    b'x' => {
                        let hex = text.get(i + 2..(i + 4).min(body.end)).unwrap_or("");
                        let ch = u8::from_str_radix(hex, 16).map(char::from).unwrap_or(' ');
                        (4, ch.to_string())
                    }
                    b'u' => {
                        let close = text[i..body.end].find('}').map_or(body.end - i, |c| c + 1);
                        let hex = text[i..i + close]
                            .trim_start_matches("\\u{")
                            .trim_end_matches('}');
                        let ch = u32::from_str_radix(hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .unwrap_or(' ');
                        (close, ch.to_string())
                    }
                    b'\n' | b'\r' => {
                        // A line continuation: the newline and the
                        // whitespace after it are dropped.
                        let rest = &text[i + 1..body.end];
                        let kept = rest.trim_start_matches([' ', '\t', '\n', '\r']);
                        (1 + rest.len() - kept.len(), String::new())
                    }
                    b'n' => (2, "\n".to_owned()),
                    b'r' => (2, "\r".to_owned()),
                    b't' => (2, "\t".to_owned()),
                    b'0' => (2, " ".to_owned()),
                    other => (2, char::from(other).to_string()),
                };
                let end = (i + len).min(body.end);
                builder.opaque(decoded, i..end);
                i = end;
                run = i;
                continue;
            }
            if let Some(args) = format
                && (c == b'{' || c == b'}')
            {
                flush(builder, run, i);
                if bytes.get(i + 1) == Some(&c) && i + 1 < body.end {
                    builder.opaque(char::from(c).to_string(), i..i + 2);
                    i += 2;
                } else if c == b'{' {
                    let close = text[i..body.end].find('}').map_or(body.end, |c| i + c + 1);
                    let spec = &text[i + 1..close.saturating_sub(1).max(i + 1)];
                    let key = spec.split(':').next().unwrap_or("").trim();
                    let arg = if key.is_empty() {
                        positional += 1;
                        args.get(positional - 1).copied()
                    } else if let Ok(n) = key.parse::<usize>() {
                        args.get(n).copied()
                    } else {
                        args.iter().copied().find_map(|a| match a {
                            Expr::Assign(assign) if matches!(&*assign.left, Expr::Path(p) if last_segment(&p.path) == key) => {
                                Some(&*assign.right)
                            }
                            _ => None,
                        })
                    };
                    match arg {
                        Some(arg) => {
                            let host = self.at(&arg);
                            let provenance = self.provenance(arg, host.clone());
                            builder.placeholder(host, false, provenance);
                        }
                        // `{id}` captures a variable of the same name.
                        None => {
                            let provenance = self.captured(key, i..close);
                            builder.placeholder(i..close, false, provenance);
                        }
                    }
                    i = close;
                } else {
                    builder.opaque("}".to_owned(), i..i + 1);
                    i += 1;
                }
                run = i;
                continue;
            }
            i += 1;
        }
        flush(builder, run, body.end);
    }

    /// A text local assigned again or added to (`sql.push_str(..)`, `sql
    /// += ..`, `sql = format!("{sql} ..")`): the SQL it was bound to is only
    /// the start of what is sent, which is built at run time, so it is no
    /// longer read as that text.
    fn grown(&mut self, target: &Expr) {
        let target = match target {
            Expr::Reference(r) => &*r.expr,
            other => other,
        };
        if let Expr::Path(p) = target
            && let Some(name) = p.path.get_ident()
        {
            let name = name.to_string();
            self.locals.retain(|(n, _)| *n != name);
        }
    }

    /// Whether an expression holds SQL text this scan can read.
    fn is_text(&self, expr: &Expr) -> bool {
        let mut builder = UnitBuilder::default();
        self.sql_of(expr, &mut builder, &mut false, 0) && builder.is_statement()
    }

    /// Records the SQL of a query: `at` is the query expression's range,
    /// `name` the range findings about the call point at. Returns whether
    /// it made a unit.
    fn query(
        &mut self,
        at: Range<usize>,
        name: Range<usize>,
        sql: &Expr,
        api: &str,
        one_row: Option<bool>,
    ) -> bool {
        let mut builder = UnitBuilder::default();
        let mut runtime = false;
        if !self.sql_of(sql, &mut builder, &mut runtime, 0) || !builder.is_statement() {
            return false;
        }
        let fetched = one_row.or_else(|| self.fetches.get(&at.start).copied());
        let mut found = unit(builder, api, runtime, fetched == Some(true));
        found.origin.pooled = self.pooled.contains(&at.start);
        let binds = self.binds.get(&at.start).map_or(&[][..], Vec::as_slice);
        // `$n` bound to a pattern that starts with a wildcard.
        found.origin.wildcard_values = binds
            .iter()
            .enumerate()
            .filter(|(_, b)| self.wildcard(b).is_some())
            .map(|(n, _)| format!("${}", n + 1))
            .collect();
        let lower = found.text.to_ascii_lowercase();
        let batched = lower.contains("any(")
            || lower.contains("unnest(")
            || (self.in_chunks()
                && (binds.iter().any(|b| self.mentions_item(b))
                    || self.mentions_item(&self.text[self.at(sql)])));
        // An insert that returns its row: a `let` that keeps it makes the
        // turn per-item work (see `keep_rows`).
        if lower.trim_start().starts_with("insert") && lower.contains("returning") {
            self.inserts.insert(at.start);
        }
        // Work on one object a statement names (a table to drop, a
        // catalog row, a lock) that no batched query over rows replaces.
        let per_object = crate::units::works_on_objects(&found.text);
        let sets = self.sets_from_item(&found.text, binds);
        self.units.push(found);
        if fetched.is_some() {
            self.executed(at, name, api, batched, per_object);
            if sets {
                self.writes_from_item();
            }
        }
        true
    }

    /// Tells the unit just made by [`Scan::query`] how its call binds
    /// values, for fixes that bind a value the SQL splices.
    fn call_site(
        &mut self,
        argument: Range<usize>,
        bind: (usize, &'static str),
        rename: Option<(Range<usize>, &'static str)>,
    ) {
        if let Some(unit) = self.units.last_mut() {
            let site = crate::extract::CallSite::new(self.text, unit, argument, bind, "$1", rename);
            unit.call = Some(site);
        }
    }

    /// Records a query that is run where it is written, for the rules about
    /// calls; `batched` when its SQL takes a list of keys, `per_object`
    /// when it changes the schema or works on one object it names.
    fn executed(
        &mut self,
        at: Range<usize>,
        name: Range<usize>,
        api: &str,
        batched: bool,
        per_object: bool,
    ) {
        // A batch per chunk of keys. (Pages fetched per turn are in a
        // `loop`, which `event_loop` leaves out.)
        let each = self
            .current_loop()
            .filter(|each| !per_object && !(batched && self.chunked.contains(&each.head.start)));
        if per_object {
            self.object_work.push(at.clone());
        }
        self.calls.push(OrmCall::run(
            Orm::Sql,
            api.to_owned(),
            String::new(),
            (at, name),
            Vec::new(),
            each,
            self.embedded,
        ));
    }

    /// Reads a chain of calls on a `QueryBuilder` local, innermost first
    /// (`qb.push(" AND a = ").push_bind(a)`), into the SQL it assembles;
    /// `build()` and its kin send it.
    fn assemble(&mut self, outer: &syn::ExprMethodCall) {
        let mut links = vec![outer];
        let mut root = &*outer.receiver;
        while let Expr::MethodCall(m) = root {
            links.push(m);
            root = &m.receiver;
        }
        let Expr::Path(p) = root else { return };
        let local = last_segment(&p.path);
        let Some(of) = self.assembling.get(&local).map(|a| a.of.clone()) else {
            return;
        };
        let Some(mut assembly) = self.assembling.remove(&of) else {
            return;
        };
        for link in links.iter().rev() {
            let host = self.at(&link);
            self.chain_done.insert(host.clone());
            let arg = link.args.first();
            // What a push pastes is read at the push (`interpolated-sql`).
            let kept = assembly.builder.interpolations.len();
            match link.method.to_string().as_str() {
                "push" | "push_unseparated" => {
                    let Some(arg) = arg else { continue };
                    let before = assembly.builder.text.len();
                    let b = &mut assembly.builder;
                    if !self.sql_of(arg, b, &mut assembly.runtime, 0) {
                        // Text from elsewhere; `interpolated-sql` reads
                        // the push itself.
                        b.text.truncate(before);
                        b.placeholder(self.at(&arg), false, Provenance::Safe(Safe::Fragment));
                    }
                }
                "push_bind" | "push_bind_unseparated" => {
                    let Some(arg) = arg else { continue };
                    assembly.binds.push(self.text[self.at(&arg)].to_owned());
                    assembly
                        .builder
                        .placeholder(self.at(&arg), true, Provenance::BOUND);
                }
                "push_values" | "push_tuples" => {
                    let keyword = if link.method == "push_values" {
                        " VALUES "
                    } else {
                        " "
                    };
                    assembly.builder.opaque(format!("{keyword}($1)"), host);
                }
                "build" | "build_query_as" | "build_query_scalar" => {
                    let name = self.at(&link.method);
                    let at = self.at(&root).start;
                    let sql = &assembly.builder.text;
                    // Pushes from branches that exclude each other can
                    // make text no database would be sent: nothing to read.
                    let dialect = sqlparser::dialect::PostgreSqlDialect {};
                    if assembly.builder.is_statement()
                        && sqlparser::parser::Parser::parse_sql(&dialect, sql).is_ok()
                    {
                        let fetched = self.fetches.get(&at).copied();
                        let b = &assembly.builder;
                        let copy = UnitBuilder {
                            text: b.text.clone(),
                            segments: b.segments.clone(),
                            opaque: b.opaque.clone(),
                            interpolations: b.interpolations.clone(),
                            parameters: b.parameters,
                        };
                        let mut found = unit(
                            copy,
                            "QueryBuilder",
                            assembly.runtime,
                            fetched == Some(true),
                        );
                        found.origin.pooled = self.pooled.contains(&at);
                        let lower = found.text.to_ascii_lowercase();
                        let batched = lower.contains("any(")
                            || lower.contains("unnest(")
                            || lower.contains(" values ($1)");
                        let sets = self.sets_from_item(&found.text, &assembly.binds);
                        self.units.push(found);
                        if fetched.is_some() {
                            let per_object = crate::units::works_on_objects(&lower);
                            self.executed(
                                host.clone(),
                                name,
                                "QueryBuilder::build",
                                batched,
                                per_object,
                            );
                            if sets {
                                self.writes_from_item();
                            }
                        }
                    }
                }
                "reset" => assembly.builder = UnitBuilder::default(),
                _ => {}
            }
            assembly.builder.interpolations.truncate(kept);
        }
        self.assembling.insert(of, assembly);
    }

    /// The query a function body runs outside any loop of its own.
    fn query_in(&self, body: &Range<usize>) -> Option<&OrmCall> {
        self.calls.iter().find(|c| {
            c.in_loop.is_none()
                && c.via.is_none()
                && c.range.start >= body.start
                && c.range.end <= body.end
                && !self.object_work.contains(&c.range)
        })
    }

    /// A call, in a loop, of a function of the file whose body runs a
    /// query runs that query per iteration. Returns the calls of functions
    /// the file does not define (or of methods on other values), which
    /// other files of the crate may resolve.
    fn queries_through_functions(&mut self) -> Vec<LoopedCall> {
        let mut found = Vec::new();
        let mut unresolved = Vec::new();
        let mut busy = Vec::new();
        for call in std::mem::take(&mut self.looped_calls) {
            // A function called once per chunk of a list is handed the
            // chunk: how batches are sent (`for c in rows.chunks(500) {
            // insert_rows(conn, c) }`). A query it runs per row is found
            // in its own loop.
            if self.chunked.contains(&call.each.head.start) {
                continue;
            }
            let body = self
                .functions
                .iter()
                .rev()
                .find(|(f, _, _)| {
                    f.function == call.name
                        && (call.owner.is_none() || f.owner == call.owner)
                        && call.fits(f.arity, f.method)
                })
                .map(|(_, _, body)| body);
            match body {
                Some(body) if !call.method => match self.query_in(body) {
                    Some(inner) => {
                        let creates = call.kept && self.inserts.contains(&inner.range.start);
                        let mut through = OrmCall::through(call.name, call.range, call.each, inner);
                        if creates {
                            through.keeps_created();
                        }
                        found.push(through)
                    }
                    // An awaited function of the file that runs no query:
                    // work outside the database in each iteration.
                    None if call.awaited => busy.push(call.each.head),
                    None => {}
                },
                _ => unresolved.push(call),
            }
        }
        // A turn that keeps a row a function of the file created is
        // per-item work; the loop's other queries ride along.
        let created = crate::model::own_row_loops(&found);
        self.calls.extend(found);
        for each in self.calls.iter_mut().filter_map(|c| c.in_loop.as_mut()) {
            each.other_work |= busy.contains(&each.head);
            each.writes_rows |= created.contains(&each.head);
        }
        for call in &mut unresolved {
            call.each.other_work |= busy.contains(&call.each.head);
            call.each.writes_rows |= created.contains(&call.each.head);
        }
        unresolved
    }

    fn parameters(&mut self, sig: &syn::Signature) {
        for input in &sig.inputs {
            if let syn::FnArg::Typed(t) = input
                && let syn::Pat::Ident(p) = &*t.pat
                && mentions(&t.ty, "QueryBuilder")
            {
                self.builders.insert(p.ident.to_string());
            }
        }
    }

    fn function(
        &mut self,
        attrs: &[syn::Attribute],
        sig: &syn::Signature,
        block: &syn::Block,
        private: bool,
        f: impl FnOnce(&mut Self),
    ) {
        self.parameters(sig);
        let values = self.values.len();
        let signature = Parameter::of_signature(sig, self.owner.clone(), self.trait_impl);
        let routed = values::route_parameters(attrs);
        self.enter_parameters(sig, &signature, private, &routed);
        let body = self.at(&block);
        let is_async = sig.asyncness.is_some();
        self.functions.push((signature.clone(), is_async, body));
        let (locals, wildcards) = (self.locals.len(), self.wildcards.len());
        let assembling = std::mem::take(&mut self.assembling);
        self.enclosing.push(signature);
        self.loops.push(None);
        f(self);
        self.loops.pop();
        self.enclosing.pop();
        self.assembling = assembling;
        self.locals.truncate(locals);
        self.wildcards.truncate(wildcards);
        self.values.truncate(values);
    }

    /// Whether a method chain reads an iterator or a stream: `.iter()`,
    /// `.into_iter()`, `stream::iter(...)`, `.chunks(n)`.
    fn iterates(expr: &Expr) -> bool {
        let mut expr = expr;
        for _ in 0..32 {
            match expr {
                Expr::MethodCall(m) => {
                    if matches!(
                        m.method.to_string().as_str(),
                        "iter"
                            | "into_iter"
                            | "iter_mut"
                            | "drain"
                            | "chunks"
                            | "windows"
                            | "into_stream"
                    ) {
                        return true;
                    }
                    expr = &m.receiver;
                }
                Expr::Call(c) => {
                    return matches!(&*c.func, Expr::Path(p) if last_segment(&p.path) == "iter");
                }
                Expr::Paren(p) => expr = &p.expr,
                _ => return false,
            }
        }
        false
    }
}

impl Scan<'_> {
    /// A `while` loop: the condition runs each time too, but a `while let
    /// Some(row) = stream.try_next().await` reads one stream, so only the
    /// body counts.
    fn while_loop(&mut self, i: &syn::ExprWhile, head: Range<usize>) {
        self.visit_expr(&i.cond);
        // `while let Some(id) = stack.pop()` walks a collection; other
        // `while` loops wait for events, ticks or messages, and a query per
        // event is the work, not an N+1.
        let cond = self.at(&i.cond);
        let pops = self.text[cond].contains(".pop");
        if !pops {
            self.event_loop(|s| s.visit_block(&i.body));
            return;
        }
        let info = self.loop_info("while", head, false);
        self.with_loop(info, |s| s.visit_block(&i.body));
    }
}

impl<'ast> Visit<'ast> for Scan<'_> {
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if is_test_item(&i.attrs) {
            self.tests.push(self.at(&i));
        }
        let owner = match &*i.self_ty {
            syn::Type::Path(t) => Some(last_segment(&t.path)),
            _ => None,
        };
        let outer = std::mem::replace(&mut self.owner, owner);
        let outer_trait = std::mem::replace(&mut self.trait_impl, i.trait_.is_some());
        syn::visit::visit_item_impl(self, i);
        self.owner = outer;
        self.trait_impl = outer_trait;
    }

    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        if is_test_item(&i.attrs) {
            self.tests.push(self.at(&i));
        }
        let private = matches!(i.vis, syn::Visibility::Inherited);
        self.function(&i.attrs, &i.sig, &i.block, private, |s| {
            syn::visit::visit_item_fn(s, i)
        });
    }

    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        if is_test_item(&i.attrs) {
            self.tests.push(self.at(&i));
        }
        let private = matches!(i.vis, syn::Visibility::Inherited);
        self.function(&i.attrs, &i.sig, &i.block, private, |s| {
            syn::visit::visit_impl_item_fn(s, i)
        });
    }

    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        if is_test_item(&i.attrs) {
            self.tests.push(self.at(&i));
        }
        syn::visit::visit_item_mod(self, i);
    }

    fn visit_expr_await(&mut self, i: &'ast syn::ExprAwait) {
        let base = self.at(&i.base);
        self.awaited.insert(base.clone());
        // What a query's chain ends with, or a transaction's steps.
        let database = matches!(&*i.base, Expr::MethodCall(m) if {
            let method = m.method.to_string();
            FETCHES.iter().chain(CLIENT_METHODS).any(|(f, _)| *f == method)
                || matches!(method.as_str(), "begin" | "commit" | "rollback" | "acquire" | "get" | "transaction")
        });
        self.awaits.push((base, database));
        syn::visit::visit_expr_await(self, i);
    }

    fn visit_stmt(&mut self, i: &'ast syn::Stmt) {
        syn::visit::visit_stmt(self, i);
        // What the statement checks is safe from here on.
        for name in values::checked_names(i) {
            if self.values.iter().any(|(n, _)| *n == name) {
                self.values.push((
                    name,
                    values::Val::of(crate::model::Provenance::Safe(
                        crate::model::Safe::AllowListed,
                    )),
                ));
            }
        }
    }

    fn visit_local(&mut self, i: &'ast syn::Local) {
        let (calls, looped) = (self.calls.len(), self.looped_calls.len());
        syn::visit::visit_local(self, i);
        if let Some(init) = &i.init
            && let Some(name) = local_name(&i.pat)
        {
            let value = &self.text[self.at(&init.expr)];
            self.wildcards.retain(|(n, _)| *n != name);
            if wildcard_text(value) {
                self.wildcards.push((name, value.to_owned()));
            }
        }
        if let Some(init) = &i.init {
            self.bind(&i.pat, &init.expr);
            self.derive_items(&i.pat, &init.expr);
            self.keep_rows(&i.pat, &init.expr, (calls, looped));
        }
        let ident = match &i.pat {
            syn::Pat::Ident(p) => Some(&p.ident),
            syn::Pat::Type(t) => match &*t.pat {
                syn::Pat::Ident(p) => Some(&p.ident),
                _ => None,
            },
            _ => None,
        };
        let typed_builder = matches!(&i.pat, syn::Pat::Type(t)
            if mentions(&t.ty, "QueryBuilder"));
        if let (Some(ident), Some(init)) = (ident, &i.init) {
            // `let tables = vec![...]`, `let kinds = [...]`.
            if written_list(&init.expr) {
                self.written_lists.insert(ident.to_string());
            } else {
                self.written_lists.remove(&ident.to_string());
            }
            if self.is_text(&init.expr) {
                self.locals.push((ident.to_string(), (*init.expr).clone()));
            }
            // `let pages = Post::find().paginate(db, 50);`
            if self.orms.sea_orm
                && matches!(&*init.expr, Expr::MethodCall(m) if m.method == "paginate")
            {
                self.paginators
                    .push((ident.to_string(), (*init.expr).clone()));
            }
            let mut root = &*init.expr;
            while let Expr::MethodCall(m) = root {
                root = &m.receiver;
            }
            let root = match root {
                Expr::Paren(p) => &*p.expr,
                other => other,
            };
            if matches!(root, Expr::Array(_) | Expr::Range(_) | Expr::Repeat(_))
                || matches!(root, Expr::Macro(m) if last_segment(&m.mac.path) == "vec")
                || self.maps_to_literals(&init.expr)
            {
                self.shaped.insert(ident.to_string());
            }
            let built = match &*init.expr {
                Expr::Call(c)
                    if matches!(&*c.func, Expr::Path(p)
                        if p.path.segments.iter().any(|s| s.ident == "QueryBuilder")) =>
                {
                    Some(c)
                }
                _ => None,
            };
            if built.is_some() || typed_builder {
                self.builders.insert(ident.to_string());
            }
            let name = ident.to_string();
            if let Some(first) = built.and_then(|c| c.args.first()) {
                let mut builder = UnitBuilder::default();
                let mut runtime = false;
                if self.sql_of(first, &mut builder, &mut runtime, 0) {
                    let of = name.clone();
                    let assembly = Assembly {
                        builder,
                        of,
                        runtime,
                        binds: Vec::new(),
                    };
                    self.assembling.insert(name, assembly);
                }
            } else if let Expr::MethodCall(m) = &*init.expr
                && m.method == "separated"
                && let Expr::Path(p) = &*m.receiver
                && self.assembling.contains_key(&last_segment(&p.path))
            {
                // `let mut list = qb.separated(", ");`: pushes on `list`
                // go to `qb`.
                let of = last_segment(&p.path);
                self.assembling.insert(
                    name,
                    Assembly {
                        builder: UnitBuilder::default(),
                        of,
                        runtime: false,
                        binds: Vec::new(),
                    },
                );
            } else {
                self.assembling.remove(&name);
            }
        }
    }

    fn visit_expr_for_loop(&mut self, i: &'ast syn::ExprForLoop) {
        self.visit_expr(&i.expr);
        let head =
            self.range(i.for_token.span).start..self.range(i.body.brace_token.span.open()).start;
        // An array literal or a range with literal bounds (`0..5`): a few
        // fixed turns, not a list of items.
        let literal_bound =
            |e: &Option<Box<Expr>>| e.as_deref().is_none_or(|e| matches!(e, Expr::Lit(_)));
        // A `const` or `static` list (`for step in STEPS`), a `vec![...]`
        // literal, or a local bound to either, is as fixed as a literal one.
        let fixed = |e: &Expr| {
            written_list(e)
                || matches!(e, Expr::Path(p) if p.path.segments.len() == 1
                    && (self.consts.contains(&last_segment(&p.path))
                        || self.written_lists.contains(&last_segment(&p.path))))
        };
        let literal = fixed(&i.expr)
            || matches!(&*i.expr, Expr::Reference(r) if fixed(&r.expr))
            || matches!(&*i.expr, Expr::MethodCall(m) if m.method == "iter" && fixed(&m.receiver))
            || matches!(&*i.expr, Expr::Range(r)
                if r.end.is_some() && literal_bound(&r.start) && literal_bound(&r.end));
        let mut chunks = &*i.expr;
        while let Expr::MethodCall(m) = chunks {
            if m.method == "chunks" || m.method == "chunks_exact" {
                self.chunked.insert(head.start);
                break;
            }
            chunks = &m.receiver;
        }
        let info = self.loop_info("for", head.clone(), literal);
        self.bind(&i.pat, &i.expr);
        let mut names = Vec::new();
        values::bound_names(&i.pat, &mut names);
        self.enter_items(head.start, names);
        self.with_loop(info, |s| s.visit_block(&i.body));
        self.leave_items();
    }

    fn visit_expr_while(&mut self, i: &'ast syn::ExprWhile) {
        let head =
            self.range(i.while_token.span).start..self.range(i.body.brace_token.span.open()).start;
        self.loop_heads.push(head.clone());
        self.while_loop(i, head);
        self.loop_heads.pop();
    }

    fn visit_expr_loop(&mut self, i: &'ast syn::ExprLoop) {
        // A `loop` serves events (a UI, a channel, a timer) or fetches page
        // after page; neither is one query per item of a list.
        let head = self.range(i.loop_token.span);
        self.loop_heads.push(head);
        self.event_loop(|s| s.visit_block(&i.body));
        self.loop_heads.pop();
    }

    fn visit_expr_closure(&mut self, i: &'ast syn::ExprClosure) {
        // A closure not passed to a loop method runs when called.
        let in_loop_method = matches!(self.loops.last(), Some(Some(l)) if l.kind.starts_with('.'));
        if in_loop_method {
            syn::visit::visit_expr_closure(self, i);
        } else {
            self.loops.push(None);
            syn::visit::visit_expr_closure(self, i);
            self.loops.pop();
        }
    }

    fn visit_block(&mut self, i: &'ast syn::Block) {
        // A block that ends by leaving the loop or the function (an error
        // path: record the failure, then `return Err(e)`) runs once at
        // most, as a `return` expression's own operand does.
        let leaves = matches!(
            i.stmts.last(),
            Some(syn::Stmt::Expr(Expr::Return(_) | Expr::Break(_), _))
        );
        self.exits += usize::from(leaves);
        syn::visit::visit_block(self, i);
        self.exits -= usize::from(leaves);
    }

    fn visit_expr_return(&mut self, i: &'ast syn::ExprReturn) {
        self.exits += 1;
        syn::visit::visit_expr_return(self, i);
        self.exits -= 1;
    }

    fn visit_expr_break(&mut self, i: &'ast syn::ExprBreak) {
        self.exits += 1;
        syn::visit::visit_expr_break(self, i);
        self.exits -= 1;
    }

    fn visit_expr_assign(&mut self, i: &'ast syn::ExprAssign) {
        syn::visit::visit_expr_assign(self, i);
        self.grown(&i.left);
    }

    fn visit_expr_binary(&mut self, i: &'ast syn::ExprBinary) {
        syn::visit::visit_expr_binary(self, i);
        if matches!(i.op, syn::BinOp::AddAssign(_)) {
            self.grown(&i.left);
        }
    }

    fn visit_expr_method_call(&mut self, i: &'ast syn::ExprMethodCall) {
        let method = i.method.to_string();
        // `sql.push_str(...)` grows a text local past what it was bound to.
        if matches!(
            method.as_str(),
            "push_str" | "push" | "insert_str" | "extend"
        ) {
            self.grown(&i.receiver);
        }
        let on_self = matches!(&*i.receiver, Expr::Path(p) if p.path.is_ident("self"));
        // The whole call, chain and arguments.
        let whole = self.at(&i);
        if on_self {
            self.passes(&method, i.args.iter());
        }
        // A method of a value resolves by its name alone, which a name as
        // common as `get` cannot do.
        if !i.args.is_empty() && (on_self || callers::resolvable_method(&method)) {
            let owner = if on_self { self.owner.clone() } else { None };
            let line = self.line(i.method.span());
            self.record_pass(&method, owner, true, line, i.args.iter());
        }
        // `users::table.filter(...).load(conn)`, `Entity::find().all(db)`.
        if let Some(chain) = self.builder_chain(i) {
            let (at, name) = (whole.clone(), self.at(&i.method));
            self.builder_call(chain, at, name);
        }
        // `query(...).bind(x).fetch_all(&pool)`: the query underneath.
        if let Some((_, one)) = FETCHES.iter().find(|(m, _)| *m == method) {
            let mut inner = &*i.receiver;
            for _ in 0..64 {
                match inner {
                    Expr::MethodCall(m) => inner = &m.receiver,
                    Expr::Await(a) => inner = &a.base,
                    Expr::Paren(p) => inner = &p.expr,
                    _ => break,
                }
            }
            let at = self.at(&inner).start;
            self.fetches.insert(at, *one);
            self.binds.insert(at, self.bound_values(&i.receiver));
            let on_pool = i.args.first().is_some_and(|a| {
                let r = self.at(&a);
                self.text[r].to_ascii_lowercase().contains("pool")
            });
            if on_pool {
                self.pooled.insert(at);
            }
        }
        match (
            CLIENT_METHODS.iter().find(|(m, _)| *m == method),
            i.args.first(),
        ) {
            // `client.query("SELECT ...", &[])`, `pool.execute("...")`.
            (Some((_, one)), Some(first)) => {
                let at = whole.clone();
                let name = self.at(&i.method);
                // `client.query(sql, &[&a, &b])`: the values it binds.
                // (`query(sql).bind(a).execute(&pool)` has them in its
                // chain, noted with the fetch.)
                if i.args.len() > 1 {
                    let binds = i
                        .args
                        .iter()
                        .skip(1)
                        .map(|a| self.text[self.at(a)].to_owned());
                    self.binds.insert(at.start, binds.collect());
                }
                let made = self.query(at, name.clone(), first, &format!(".{method}"), Some(*one));
                if !made {
                    // `client.query(sql, &[])` in a function whose
                    // parameter `sql` is.
                    self.note_sink(first);
                } else if i.args.len() == 1
                    && matches!(method.as_str(), "batch_execute" | "simple_query")
                {
                    // `client.batch_execute(&sql)`: `execute` takes values.
                    let arg = self.at(&first);
                    self.call_site(arg.clone(), (arg.end, ", &[&{}]"), Some((name, "execute")));
                }
            }
            (Some(_), None) => {}
            // `db.run_sql("SELECT ...")`: a call of a project function
            // that runs its parameter as SQL.
            (None, _) => {
                let owner = on_self.then(|| self.owner.clone()).flatten();
                let (at, name) = (whole.clone(), self.at(&i.method));
                self.wrapper_call(&method, &owner, true, &i.args, at, name);
            }
        }
        if !self.chain_done.contains(&whole) {
            self.assemble(i);
        }
        // `QueryBuilder::push` of text built at run time.
        if method == "push"
            && let Some(first) = i.args.first()
            && matches!(&*i.receiver, Expr::Path(p) if self.builders.contains(&last_segment(&p.path)))
        {
            let mut builder = UnitBuilder::default();
            let mut runtime = false;
            if self.sql_of(first, &mut builder, &mut runtime, 0)
                && builder.interpolations.iter().any(|x| x.spliced)
            {
                // A fragment: what it pastes is the finding, not its rows.
                self.units
                    .push(unit(builder, "QueryBuilder::push", true, true));
            }
        }
        if LOOP_METHODS.contains(&method.as_str())
            && (matches!(
                method.as_str(),
                "for_each" | "for_each_concurrent" | "try_for_each" | "try_for_each_concurrent"
            ) || Self::iterates(&i.receiver))
        {
            self.visit_expr(&i.receiver);
            let head = self.at(&i.method);
            let info = self.loop_info(&format!(".{method}()"), head.clone(), false);
            self.enter_items(head.start, Self::closure_items(i.args.iter()));
            self.with_loop(info, |s| {
                for arg in &i.args {
                    s.visit_expr(arg);
                }
            });
            self.leave_items();
            return;
        }
        // `self.load(id)` calls a method of the file; `repo.user(id)` may
        // call one of another file.
        let on_self = matches!(&*i.receiver, Expr::Path(p) if last_segment(&p.path) == "self");
        if let Some(each) = self.current_loop()
            && (on_self || !COMMON_METHODS.contains(&method.as_str()))
            && !FETCHES.iter().any(|(m, _)| *m == method)
            && !CLIENT_METHODS.iter().any(|(m, _)| *m == method)
        {
            self.looped_calls.push(LoopedCall {
                name: method.clone(),
                owner: on_self.then(|| self.owner.clone()).flatten(),
                range: self.at(&i.method),
                each,
                method: !on_self,
                awaited: self.awaited.contains(&whole),
                args: i.args.len(),
                path: false,
                kept: false,
            });
        }
        syn::visit::visit_expr_method_call(self, i);
    }

    fn visit_expr_call(&mut self, i: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*i.func
            && (p.path.segments.len() == 1
                || (p.path.segments.len() == 2 && p.path.segments[0].ident == "Self"))
        {
            self.passes(&last_segment(&p.path), i.args.iter());
        }
        if let Expr::Path(p) = &*i.func {
            // `f(..)`, `module::f(..)`, `Type::f(..)`, `Self::f(..)`.
            let function = last_segment(&p.path);
            let owner = self.path_owner(&p.path);
            let sqlx = self
                .sqlx_name(&p.path)
                .filter(|n| FUNCTIONS.contains(&n.as_str()));
            // Not a tuple struct or a variant: `Some(x)`, `Json(body)`.
            if !i.args.is_empty()
                && !function.starts_with(|c: char| c.is_ascii_uppercase())
                && callers::resolvable_path(owner.as_deref(), &function)
            {
                let line = self.line(p.span());
                self.record_pass(&function, owner.clone(), false, line, i.args.iter());
            }
            // sea-orm's raw statements: `Statement::from_string(backend,
            // sql)`, `Statement::from_sql_and_values(backend, sql, values)`.
            let n = p.path.segments.len();
            if self.orms.sea_orm
                && n >= 2
                && p.path.segments[n - 2].ident == "Statement"
                && matches!(function.as_str(), "from_string" | "from_sql_and_values")
                && let Some(sql) = i.args.iter().nth(1)
            {
                let (at, name) = (self.at(&i), self.at(&i.func));
                let api = format!("Statement::{function}");
                if !self.query(at, name, sql, &api, None) {
                    self.note_sink(sql);
                }
            }
            if sqlx.is_none() {
                // `run_sql(&pool, "SELECT ...")`: a project function that
                // runs its parameter as SQL.
                let (at, name) = (self.at(&i), self.at(&i.func));
                self.wrapper_call(&function, &owner, false, &i.args, at, name);
            }
            if let Some(name) = sqlx
                && let Some(first) = i.args.first()
            {
                let api = if p.path.segments.len() > 1 {
                    p.path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::")
                } else {
                    name.clone()
                };
                let at = self.at(&i);
                let name_range = self.at(&i.func);
                let made = self.query(at.clone(), name_range, first, &api, None);
                if !made {
                    self.note_sink(first);
                }
                // `sqlx::query(&sql)`: `.bind(v)` after the call.
                if made && matches!(name.as_str(), "query" | "query_as" | "query_scalar") {
                    let arg = self.at(&first);
                    self.call_site(arg, (at.end, ".bind({})"), None);
                }
            } else if let Some(each) = self.current_loop() {
                // `User::find(..)`, `Self::find(..)`: a function of a type.
                self.looped_calls.push(LoopedCall {
                    name: function,
                    awaited: self.awaited.contains(&self.at(&i)),
                    owner,
                    range: self.at(&i.func),
                    each,
                    method: false,
                    args: i.args.len(),
                    path: true,
                    kept: false,
                });
            }
        }
        syn::visit::visit_expr_call(self, i);
    }

    fn visit_macro(&mut self, i: &'ast Macro) {
        // `use sqlx::query_as as rows;` makes `rows!` sqlx's `query_as!`.
        let written = last_segment(&i.path);
        let name = self.imported.get(&written).cloned().unwrap_or(written);
        if let Some((_, index)) = MACROS.iter().find(|(m, _)| *m == name) {
            if let Ok(args) = i.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
                && let Some(sql) = args.iter().nth(*index)
            {
                let api = if i.path.segments.len() > 1 {
                    format!("sqlx::{name}!")
                } else {
                    format!("{name}!")
                };
                let at = self.at(&i);
                let name = self.at(&i.path);
                let binds = args
                    .iter()
                    .skip(index + 1)
                    .map(|a| self.text[self.at(a)].to_owned())
                    .collect();
                self.binds.insert(at.start, binds);
                self.query(at, name, sql, &api, None);
                for arg in args.iter().skip(index + 1) {
                    Visit::visit_expr(self, arg);
                }
            }
            return;
        }
        if let Some((_, index)) = FILE_MACROS.iter().find(|(m, _)| *m == name) {
            if let Ok(args) = i.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
                && let Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(path),
                    ..
                })) = args.iter().nth(*index)
            {
                let api = format!("sqlx::{name}!");
                let at = self.at(&i);
                let fetched = self.fetches.get(&at.start).copied();
                self.query_files.push(QueryFile {
                    path: path.value(),
                    range: at.clone(),
                    api: api.clone(),
                    one_row: fetched == Some(true),
                    pooled: self.pooled.contains(&at.start),
                });
                if fetched.is_some() {
                    // The SQL is out of sight: a query per chunk is taken
                    // to be a batch.
                    let name = self.at(&i.path);
                    self.executed(at, name, &api, true, false);
                }
                for arg in args.iter().skip(index + 1) {
                    Visit::visit_expr(self, arg);
                }
            }
            return;
        }
        if EXPRESSION_MACROS.contains(&name.as_str())
            && let Ok(args) = i.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
        {
            for arg in &args {
                Visit::visit_expr(self, arg);
            }
        }
        if STATEMENT_MACROS.contains(&name.as_str())
            && let Ok(stmts) = i.parse_body_with(syn::Block::parse_within)
        {
            for stmt in &stmts {
                Visit::visit_stmt(self, stmt);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_built_only_for_tests_is_test_code() {
        let attrs = |src: &str| -> Vec<syn::Attribute> {
            syn::parse_str::<syn::ItemFn>(&format!("{src} fn f() {{}}"))
                .expect("an item")
                .attrs
        };
        for test in [
            "#[cfg(test)]",
            "#[tokio::test]",
            "#[cfg(feature = \"test-utils\")]",
            "#[cfg(feature = \"testing\")]",
            "#[cfg(feature = \"mocks\")]",
            "#[cfg(any(test, feature = \"test_helpers\"))]",
            "#[cfg(all(test, unix))]",
        ] {
            assert!(is_test_item(&attrs(test)), "{test}");
        }
        for product in [
            "#[cfg(unix)]",
            "#[cfg(not(test))]",
            "#[cfg(feature = \"postgres\")]",
            "#[cfg(feature = \"latest\")]",
            "#[cfg(feature = \"ab-test\")]",
            "#[cfg(any(test, feature = \"postgres\"))]",
            "#[inline]",
        ] {
            assert!(!is_test_item(&attrs(product)), "{product}");
        }
    }

    /// The host text a unit range maps back to.
    fn host<'a>(src: &'a str, unit: &SqlUnit, needle: &str) -> &'a str {
        let at = unit.text.find(needle).expect("in the unit");
        &src[unit.map.host_range(at..at + needle.len())]
    }

    #[test]
    fn literals_map_back_through_escapes_raw_strings_and_non_ascii() {
        let src = "fn f() {\r\n    sqlx::query!(\"SELECT 'Zoë' AS \\\"név\\\",\\\n      \\u{e9}té FROM t\").fetch_all(&p);\r\n    sqlx::query(r##\"SELECT \"#\" FROM ünï\"##).fetch_one(&p);\r\n}\r\n";
        let file = scan(src);
        assert_eq!(file.units.len(), 2, "{:?}", file.units);
        let first = &file.units[0];
        assert_eq!(first.text, "SELECT 'Zoë' AS \"név\",été FROM t");
        assert_eq!(host(src, first, "FROM t"), "FROM t");
        assert_eq!(host(src, first, "\"név\""), "\\\"név\\\"");
        assert!(!first.origin.one_row);
        let second = &file.units[1];
        assert_eq!(second.text, "SELECT \"#\" FROM ünï");
        assert_eq!(host(src, second, "ünï"), "ünï");
        assert!(second.origin.one_row);
    }

    #[test]
    fn spans_after_a_blanked_body_with_wide_characters_map_back() {
        // The first body is left unread and blanked byte for byte, so the
        // text syn reads has more characters on this line than the file.
        let src = "fn g() -> &'static str { \"Grüße, ünï\" } fn f(p: &Pool) { sqlx::query(\"SELECT é FROM ünï\").execute(p); }\n";
        let file = scan(src);
        assert!(!file.blanked.is_empty(), "the first body is not read");
        let unit = &file.units[0];
        assert_eq!(unit.text, "SELECT é FROM ünï");
        assert_eq!(host(src, unit, "FROM ünï"), "FROM ünï");
        let call = unit.call.as_ref().expect("the call is known");
        assert_eq!(&src[call.argument.clone()], "\"SELECT é FROM ünï\"");
        assert_eq!(&src[call.bind.0..], ".execute(p); }\n");
    }

    #[test]
    fn literals_joined_with_plus_map_each_piece_back() {
        let src = "fn f() {\n    sqlx::query!(\"SELECT id \"\n        + \"FROM ünï \" + r\"WHERE x = $1\", x).fetch_all(&p);\n}\n";
        let file = scan(src);
        let unit = &file.units[0];
        assert_eq!(unit.text, "SELECT id FROM ünï WHERE x = $1");
        assert!(!unit.origin.assembled_at_runtime);
        assert_eq!(host(src, unit, "ünï"), "ünï");
        assert_eq!(host(src, unit, "WHERE"), "WHERE");
        // A range across two literals spans the `+` between them.
        assert_eq!(host(src, unit, "id FROM"), "id \"\n        + \"FROM");
    }

    #[test]
    fn format_holes_stand_for_their_arguments() {
        let src = "const T: &str = \"t\";\npub fn f(c: &str, id: i64) { let s = format!(\"SELECT {c}, {{x}} FROM {} WHERE id = {}\", T, id); sqlx::query(&s); }\n";
        let file = scan(src);
        let unit = &file.units[0];
        assert!(unit.origin.assembled_at_runtime);
        let holes: Vec<(&str, bool, Provenance)> = unit
            .interpolations
            .iter()
            .map(|i| (&src[i.host_range.clone()], i.spliced, i.provenance.clone()))
            .collect();
        // The constant and the number are safe; the text parameter of a
        // public function is whatever a caller passes.
        assert_eq!(
            holes,
            vec![
                ("{c}", true, Provenance::Unknown),
                ("T", false, Provenance::Safe(Safe::Literal)),
                ("id", false, Provenance::Safe(Safe::Number)),
            ]
        );
        assert!(unit.text.contains("{x}"));
    }

    #[test]
    fn a_private_function_holds_what_its_callers_pass_through_recursion() {
        let src = "fn walk(t: &str, n: i64) { if n > 0 { walk(t, n - 1); } sqlx::query(&format!(\"SELECT 1 FROM {t}\")); }\n\
                   fn fixed() { walk(\"posts\", 2); }\n\
                   pub fn chosen(table: &str) { walk(table, 3); }\n";
        let file = scan(src);
        let provenance: Vec<Provenance> = file.units[0]
            .interpolations
            .iter()
            .map(|i| i.provenance.clone())
            .collect();
        assert_eq!(provenance, vec![Provenance::Unknown]);
        // With only the constant caller, the value is a literal.
        let fixed_only = src.replace("pub fn chosen(table: &str) { walk(table, 3); }", "");
        let file = scan(&fixed_only);
        assert!(file.units[0].interpolations.iter().all(|i| !i.spliced));
    }

    #[test]
    fn a_file_syn_cannot_parse_is_a_note_not_a_crash() {
        let file = scan("fn f() { sqlx::query(\"SELECT 1\") ");
        assert!(file.units.is_empty());
        assert!(file.parse_error.is_some());
        assert!(scan("fn main() {}").parse_error.is_none());
    }

    #[test]
    fn brackets_nested_past_the_limit_are_a_note_not_a_stack_overflow() {
        let nested = |depth: usize| {
            let open: String = "([{".chars().cycle().take(depth).collect();
            let close: String = open
                .chars()
                .rev()
                .map(|c| match c {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                })
                .collect();
            format!(
                "fn f() {{ sqlx::query(\"SELECT 1\").fetch_one(&p); let x = {open}1{close}; }}\n"
            )
        };
        // On a thread with the stack of `querylint check`'s workers.
        std::thread::Builder::new()
            .stack_size(16 * 1024 * 1024)
            .spawn(move || {
                let deep = scan(&nested(200_000));
                let (range, message) = deep.parse_error.expect("a parse error");
                assert!(message.contains("nest more than 128 levels"), "{message}");
                assert!(range.start > 0);
                let links = ".f()".repeat(100_000);
                let chain = format!("fn f() {{ sqlx::query(\"SELECT 1\"); let x = a{links}; }}");
                let (_, message) = scan_parsed(&chain).parse_error.expect("a parse error");
                assert!(message.contains("more than 2000 tokens deep"), "{message}");
                // A body with no database code is not given to syn at all.
                let unread = format!(
                    "fn f() {{ let x = a{links}; }}\nfn g() {{ sqlx::query(\"SELECT 1\"); }}"
                );
                assert!(scan_parsed(&unread).parse_error.is_none());
                // Many items, attributes and doc comments one after the
                // other are a long file, not a deep one.
                let long = format!(
                    "{}{}fn f() {{ sqlx::query(\"SELECT 1\").fetch_one(&p); }}\n",
                    "//! A module of many parts.\n".repeat(3_000),
                    "#[derive(Debug)]\npub struct S {}\nimpl S { fn g() {} }\n".repeat(1_000),
                );
                let read = scan(&long);
                assert!(read.parse_error.is_none(), "{:?}", read.parse_error);
                assert_eq!(read.units.len(), 1);
                // Just inside the limit, the file is read.
                let fine = scan(&nested(MAX_NESTING - 3));
                assert!(fine.parse_error.is_none(), "{:?}", fine.parse_error);
                assert_eq!(fine.units.len(), 1);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
