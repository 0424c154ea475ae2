//! The TypeScript and JavaScript front end: finds the SQL a file sends to a
//! database and turns each piece into a [`SqlUnit`] mapped into the file.
//!
//! A file is parsed with tree-sitter (the TSX grammar for `.tsx`/`.jsx`)
//! only if a cheap scan of its text says it can talk to a database. The SQL
//! comes from tagged templates that bind their values (`` sql`...` ``,
//! `` prisma.$queryRaw`...` ``, `` Prisma.sql`...` ``) and from strings and
//! templates passed to raw sinks (`client.query(...)`,
//! `$queryRawUnsafe(...)`, `sql.unsafe(...)`, `knex.raw(...)`).
//!
//! Whether a receiver is a database is decided from where its name comes
//! from: an import from a database package, a variable made by a database
//! constructor (`new PrismaClient()`, `drizzle(...)`, `postgres(url)`,
//! `new Pool()`), the parameter of a transaction callback, or a class field
//! typed as a database service. A name bound to anything else (`new Map()`,
//! `axios.create()`) is not a database; a name nothing binds falls back to
//! the conventional names (`prisma`, `db`, `tx`, `pool`, `client`, `sql`).

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::{Node, Parser, Tree};

use crate::discover::FileKind;
use crate::extract::SqlUnit;

mod calls;
mod clients;
mod fields;
mod sql_text;

use clients::Binding;
use fields::Fields;
mod loops;
mod modules;
pub mod tsconfig;
mod values;
mod wrappers;

use crate::model::LoopInfo;
use crate::model::{Orm, OrmCall};
pub use modules::{Exports, ImportedCall, ModuleIndex, export_clauses, project_imports};
pub use wrappers::Sink;

/// Text without one of which a file cannot talk to a database through an
/// API querylint knows: the database packages, the raw methods, and the
/// conventional names of clients used as receivers. Words common in other
/// code (`useQuery`, `query` alone) are not enough.
const DATABASE_SIGNS: &[&str] = &[
    "prisma",
    "Prisma",
    "drizzle",
    "kysely",
    "knex",
    "slonik",
    "postgres",
    "'pg'",
    "\"pg\"",
    "mysql",
    "sqlite",
    "sql`",
    "sql<",
    "sql.",
    "sql(",
    "db.",
    "Db.",
    "tx.",
    "trx.",
    "pool.",
    "client.",
    "conn.",
    "connection.",
    "database.",
    ".query(",
    "$queryRaw",
    "$executeRaw",
    "Query(`",
    "Raw(",
    // Imports of the project's own database module (`@acme/db`,
    // `../lib/db`, `~/server/database`), whose clients are often used as
    // `db\n  .select()` after a formatter broke the chain.
    "/db'",
    "/db\"",
    "-db'",
    "-db\"",
    "/database",
];

/// A search for a few short strings at once: SIMD (Teddy) where the CPU
/// has it, a DFA otherwise. Every file goes through these, and most match
/// nothing, so they read every byte of most files.
pub(crate) enum Finder {
    Packed(aho_corasick::packed::Searcher),
    Dfa(aho_corasick::AhoCorasick),
}

impl Finder {
    pub(crate) fn new(patterns: &[&str]) -> Self {
        match aho_corasick::packed::Searcher::new(patterns.iter()) {
            Some(searcher) => Finder::Packed(searcher),
            None => Finder::Dfa(
                aho_corasick::AhoCorasick::builder()
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(patterns)
                    .expect("the patterns are plain strings"),
            ),
        }
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        match self {
            Finder::Packed(searcher) => searcher.find(text).is_some(),
            Finder::Dfa(dfa) => dfa.is_match(text),
        }
    }

    /// Where the matches start, left to right, not overlapping.
    pub(crate) fn starts<'t>(&'t self, text: &'t str) -> Box<dyn Iterator<Item = usize> + 't> {
        match self {
            Finder::Packed(searcher) => Box::new(searcher.find_iter(text).map(|m| m.start())),
            Finder::Dfa(dfa) => Box::new(dfa.find_iter(text).map(|m| m.start())),
        }
    }
}

static SIGNS: std::sync::LazyLock<Finder> =
    std::sync::LazyLock::new(|| Finder::new(DATABASE_SIGNS));

/// Whether a file can contain database code at all: one pass over its
/// bytes, before any parsing.
pub fn might_touch_database(text: &str) -> bool {
    SIGNS.is_match(text)
}

static FACTORIES: std::sync::LazyLock<Finder> =
    std::sync::LazyLock::new(|| Finder::new(DATABASE_FACTORIES));

/// Packages whose exports are database clients, tags or constructors.
const DATABASE_PACKAGES: &[&str] = &[
    "@prisma/client",
    "pg",
    "postgres",
    "@vercel/postgres",
    "@neondatabase/serverless",
    "slonik",
    "kysely",
    "knex",
    "mysql2",
    "mysql2/promise",
    "better-sqlite3",
    "@planetscale/database",
    "sequelize",
    "sequelize-typescript",
    "typeorm",
];

/// Constructors and factories whose result is a database client.
const DATABASE_FACTORIES: &[&str] = &[
    "PrismaClient",
    "drizzle",
    "postgres",
    "Pool",
    "Client",
    "Kysely",
    "knex",
    "Knex",
    "createPool",
    "neon",
    "createClient",
    "Sequelize",
    "DataSource",
];

/// What a TypeScript or JavaScript file sends to a database.
#[derive(Debug, Default)]
pub struct TsFile {
    /// The SQL it sends as text.
    pub units: Vec<SqlUnit>,
    /// The ORM and query-builder calls it makes.
    pub calls: Vec<OrmCall>,
    /// Its exported functions that run queries, for the files that import
    /// them.
    pub exports: Exports,
    /// Its calls, in loops, of functions imported from other modules.
    pub imported_calls: Vec<ImportedCall>,
    /// Looped calls (by index into `calls`) whose iterations also await
    /// imported functions, `(name in its module, module)`: other work
    /// unless linking finds them to be query helpers.
    pub awaited_imports: Vec<(usize, Vec<(String, String)>)>,
}

impl TsFile {
    /// Whether the file says nothing about databases: nothing to lint and
    /// nothing other files need.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
            && self.calls.is_empty()
            && self.exports.queries.is_empty()
            && self.exports.reexports.is_empty()
            && self.imported_calls.is_empty()
            && self.exports.client_functions.is_empty()
            && self.exports.sink_functions.is_empty()
            && self.exports.pasted_functions.is_empty()
            && self.exports.passed.is_empty()
            && self
                .exports
                .classes
                .iter()
                .all(|(_, _, fields)| fields.is_empty())
    }
}

/// What querylint learns of the project from all its files before it lints
/// any one of them.
#[derive(Debug, Default, Clone)]
pub struct Project {
    /// Names the project's own modules export as database clients
    /// (`export const db = drizzle(pool)`), so `import { db } from './db'`
    /// resolves.
    pub clients: std::collections::HashSet<String>,
    /// Prisma relation fields by model (both lower-cased as the client
    /// writes them, `prisma.user`): whether the field holds many rows
    /// (`posts Post[]`) and the model it points to.
    pub prisma_relations: HashMap<String, HashMap<String, Relation>>,
    /// Names of the project's exported functions that run a query: a file
    /// that calls one must be read even if nothing else in it mentions a
    /// database.
    pub query_functions: Option<aho_corasick::AhoCorasick>,
    /// The project's classes that hold a database client in a field, by
    /// name, with those fields (`_prisma`, `#replica`), inherited ones
    /// included: `this._replica` in a subclass is a client.
    pub client_classes: HashMap<String, Vec<String>>,
    /// The project's exported functions that return a database client
    /// (`getClient(tx)`, `dbFor(region)`): what they return is one.
    pub client_functions: std::collections::HashSet<String>,
    /// The project's exported functions that send a parameter to a raw
    /// sink as SQL text (`runQuery(sql, params)`): calls of them are raw
    /// sinks too.
    pub sink_functions: HashMap<String, wrappers::Sink>,
    /// The project's exported functions that paste a parameter into SQL
    /// text, by name, with the parameters' positions: what calls of them
    /// pass is recorded for linking.
    pub pasted_functions: HashMap<String, Vec<(usize, Option<String>)>>,
}

pub use crate::model::{Relation, prisma_relations};

/// The names a file exports as database clients, read from the text:
/// `export const NAME = [new] Factory(...)` with a known factory, and
/// `export { local as NAME }` of a name the file declares that way. The
/// second list holds the renames of re-exports (`export { db as store }
/// from './db'`): `(db, store)`.
pub fn exported_clients(text: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut exported = Vec::new();
    let mut local = Vec::new();
    let lines = if FACTORIES.is_match(text) {
        text.lines()
    } else {
        "".lines()
    };
    for line in lines {
        let line = line.trim_start();
        let (rest, public) = match line.strip_prefix("export ") {
            Some(rest) => (rest.trim_start(), true),
            None => (line, false),
        };
        let Some(rest) = ["const ", "let ", "var "]
            .iter()
            .find_map(|k| rest.strip_prefix(k))
        else {
            continue;
        };
        let rest = rest.trim_start();
        let name_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        let (name, rest) = rest.split_at(name_len);
        let rest = rest.trim_start();
        // An optional type annotation: `export const db: Db = ...`.
        let value = match rest.strip_prefix(':') {
            Some(typed) => typed.split_once('=').map(|(_, v)| v),
            None => rest.strip_prefix('='),
        };
        let Some(value) = value else {
            continue;
        };
        // `globalForPrisma.prisma ?? new PrismaClient()`: a factory call
        // anywhere in the value.
        let makes_client = value.split(['(', ' ', '?', '|', '=']).any(|word| {
            let last = word.rsplit('.').next().unwrap_or(word);
            DATABASE_FACTORIES.contains(&last)
        }) && value.contains('(');
        if !name.is_empty() && makes_client {
            if public {
                exported.push(name.to_owned());
            } else {
                local.push(name.to_owned());
            }
        }
    }
    let mut renames = Vec::new();
    for (names, from) in export_clauses(text) {
        for (name, alias) in names {
            if from.is_some() {
                if name != alias {
                    renames.push((name, alias));
                }
            } else if local.contains(&name) || exported.contains(&name) {
                exported.push(alias);
            }
        }
    }
    (exported, renames)
}

/// Everything a TypeScript or JavaScript file sends to a database.
pub fn scan(text: &str, kind: FileKind, project: &Project) -> TsFile {
    if !worth_parsing(text, project) {
        // A barrel file still passes other modules' functions on.
        let mut file = TsFile::default();
        for (names, from) in export_clauses(text) {
            let Some(module) = from else { continue };
            for (name, exported) in names {
                file.exports
                    .reexports
                    .push((exported, name, module.clone()));
            }
        }
        return file;
    }
    let Some(tree) = parse(text, kind) else {
        return TsFile::default();
    };
    scan_tree(text, kind, project, &tree)
}

/// Whether a file can say anything about databases: it mentions a database
/// API, uses one of the project's clients, or calls one of its query
/// functions. Others are not parsed.
fn worth_parsing(text: &str, project: &Project) -> bool {
    let uses_client = || {
        project.clients.iter().any(|c| {
            text.match_indices(c.as_str())
                .any(|(i, _)| text[i + c.len()..].starts_with('.'))
        })
    };
    let calls_query_function = || {
        project
            .query_functions
            .as_ref()
            .is_some_and(|f| f.is_match(text))
    };
    might_touch_database(text) || uses_client() || calls_query_function()
}

/// A file's earlier text and its syntax tree, from which the next parse
/// of the file reuses what did not change.
pub struct Parsed {
    text: String,
    tree: Tree,
}

/// [`scan`], for a file scanned before (`previous`): tree-sitter re-parses
/// only the part of the text that changed since. Returns what to pass the
/// next time.
pub fn scan_again(
    text: &str,
    kind: FileKind,
    project: &Project,
    previous: Option<Parsed>,
) -> (TsFile, Option<Parsed>) {
    let mut parser = Parser::new();
    let language = if kind == FileKind::Tsx {
        tree_sitter_typescript::LANGUAGE_TSX
    } else {
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT
    };
    if parser.set_language(&language.into()).is_err() {
        return (TsFile::default(), None);
    }
    let tree = match previous {
        Some(Parsed {
            text: old,
            mut tree,
        }) => {
            tree.edit(&edit_between(&old, text));
            parse_within_budget(&mut parser, text, Some(&tree))
        }
        None => parse_within_budget(&mut parser, text, None),
    };
    let Some(tree) = tree else {
        return (TsFile::default(), None);
    };
    // The same answer as `scan` gives, the prefilter included.
    let file = if worth_parsing(text, project) {
        scan_tree(text, kind, project, &tree)
    } else {
        scan(text, kind, project)
    };
    (
        file,
        Some(Parsed {
            text: text.to_owned(),
            tree,
        }),
    )
}

/// The edit that turns `old` into `new`: what lies between their common
/// start and their common end.
fn edit_between(old: &str, new: &str) -> tree_sitter::InputEdit {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(start) {
        start -= 1;
    }
    let most = a.len().min(b.len()) - start;
    let mut same = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(most)
        .take_while(|(x, y)| x == y)
        .count();
    while !old.is_char_boundary(a.len() - same) || !new.is_char_boundary(b.len() - same) {
        same -= 1;
    }
    let point = |text: &str, at: usize| {
        let before = &text.as_bytes()[..at];
        let row = before.iter().filter(|&&c| c == b'\n').count();
        let column = at
            - before
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
        tree_sitter::Point { row, column }
    };
    tree_sitter::InputEdit {
        start_byte: start,
        old_end_byte: a.len() - same,
        new_end_byte: b.len() - same,
        start_position: point(old, start),
        old_end_position: point(old, a.len() - same),
        new_end_position: point(new, b.len() - same),
    }
}

/// The scan of a file's syntax tree.
fn scan_tree(text: &str, kind: FileKind, project: &Project, tree: &Tree) -> TsFile {
    let clients = &project.clients;
    let mut scan = Scan {
        text,
        kind,
        clients,
        project_classes: &project.client_classes,
        project_functions: &project.client_functions,
        classes: Vec::new(),
        class_now: Vec::new(),
        function_now: Vec::new(),
        naming: None,
        client_functions: Default::default(),
        prisma_relations: &project.prisma_relations,
        bindings: HashMap::new(),
        scopes: Vec::new(),
        root_node: tree.root_node(),
        texts: HashMap::new(),
        pooled: HashMap::new(),
        sink_pooled: false,
        root: tree.root_node().id(),
        units: Vec::new(),
        calls: Vec::new(),
        loops: Vec::new(),
        entering_callback: false,
        exits: 0,
        functions: HashMap::new(),
        parameters: HashMap::new(),
        sinks: HashMap::new(),
        project_sinks: &project.sink_functions,
        project_pasted: &project.pasted_functions,
        wrapped: Vec::new(),
        looped_calls: Vec::new(),
        modules: Default::default(),
        deferred: Vec::new(),
        awaited_imports: Default::default(),
        following: Default::default(),
        calls_of: Default::default(),
    };
    scan.bind(tree.root_node(), 0);
    scan.find(tree.root_node(), 0);
    scan.wrapped_calls();
    scan.queries_through_functions();
    let awaited = scan.mark_other_work();
    let exports = scan.exports();
    TsFile {
        units: scan.units,
        calls: scan.calls,
        exports,
        imported_calls: scan.modules.calls,
        awaited_imports: awaited,
    }
}

/// How many syntax errors tree-sitter finds in a file: error and missing
/// nodes. A file it cannot parse at all counts as one.
pub fn syntax_errors(text: &str, kind: FileKind) -> usize {
    let Some(tree) = parse(text, kind) else {
        return 1;
    };
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        // Into a subtree only where an error lies.
        if node.has_error() && !node.is_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return count;
            }
        }
    }
}

fn parse(text: &str, kind: FileKind) -> Option<Tree> {
    let mut parser = Parser::new();
    let language = if kind == FileKind::Tsx {
        tree_sitter_typescript::LANGUAGE_TSX
    } else {
        tree_sitter_typescript::LANGUAGE_TYPESCRIPT
    };
    parser.set_language(&language.into()).ok()?;
    parse_within_budget(&mut parser, text, None)
}

/// `parser.parse`, stopped once the file's time budget is spent.
fn parse_within_budget(parser: &mut Parser, text: &str, old: Option<&Tree>) -> Option<Tree> {
    let bytes = text.as_bytes();
    let mut read = |at: usize, _: tree_sitter::Point| bytes.get(at..).unwrap_or_default();
    let mut progress = |_: &tree_sitter::ParseState| {
        if crate::budget::expired() {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
    parser.parse_with_options(&mut read, old, Some(options))
}

/// How deep the walks go before they stop: input controls the depth.
const MAX_DEPTH: usize = 400;

struct Scan<'a> {
    text: &'a str,
    kind: FileKind,
    clients: &'a std::collections::HashSet<String>,
    project_classes: &'a HashMap<String, Vec<String>>,
    project_functions: &'a std::collections::HashSet<String>,
    /// The classes the file declares: `(name, base class, fields that
    /// hold a database client)`.
    classes: Vec<(String, Option<String>, Vec<String>)>,
    /// The classes (by index into `classes`) and named functions around
    /// the node `bind` visits, innermost last.
    class_now: Vec<usize>,
    function_now: Vec<Option<String>>,
    naming: Option<String>,
    /// The file's functions that return a database client.
    client_functions: std::collections::HashSet<String>,
    prisma_relations: &'a HashMap<String, HashMap<String, Relation>>,
    /// What names are bound to, per scope: the id of the function (or the
    /// whole file) that declares them.
    bindings: HashMap<(usize, String), Binding>,
    /// The scopes around the node being visited, innermost last: walks
    /// keep it, because a tree-sitter node finds its parent only by
    /// searching down from the root.
    scopes: Vec<usize>,
    root_node: Node<'a>,
    /// Declarations whose value is SQL text being built (a string, a
    /// template, a `+` chain), for a raw sink called with the variable.
    texts: HashMap<(usize, String), Range<usize>>,
    /// Names that hold a connection pool, or a client checked out of one.
    pooled: HashMap<(usize, String), ()>,
    /// Whether the sink being read sends through a pool.
    sink_pooled: bool,
    root: usize,
    units: Vec<SqlUnit>,
    calls: Vec<OrmCall>,
    /// The loops around the node being visited; `None` marks a function
    /// boundary.
    loops: Vec<Option<LoopInfo>>,
    entering_callback: bool,
    /// How many `return`, `throw` and `break` statements the walk is in.
    exits: usize,
    /// Functions of the file by name, with the range of their body.
    functions: HashMap<String, Range<usize>>,
    /// The names of those functions' parameters, in order (empty for a
    /// destructured one).
    parameters: HashMap<String, Vec<String>>,
    /// The file's functions that send a parameter to a raw sink as SQL
    /// text, and the project's: by name, the parameter's index and whether
    /// the sink runs it unchecked.
    sinks: HashMap<String, wrappers::Sink>,
    project_sinks: &'a HashMap<String, wrappers::Sink>,
    project_pasted: &'a HashMap<String, Vec<(usize, Option<String>)>>,
    /// Calls that may send SQL text through one of the file's or the
    /// project's functions, with the scopes around them: read once every
    /// such function is known.
    wrapped: Vec<(Node<'a>, Vec<usize>)>,
    /// Calls of the file's own functions made in a loop.
    looped_calls: Vec<(String, Range<usize>, LoopInfo)>,
    /// What the file imports and exports.
    modules: modules::ModuleFacts,
    /// Functions that run when something calls them later, not where they
    /// are written: declared, assigned or returned rather than passed as a
    /// callback.
    deferred: Vec<Range<usize>>,
    /// While a loop's iteration is searched for other work: the imported
    /// functions it awaits, which linking judges. Outside that search an
    /// awaited imported function counts as other work.
    awaited_imports: std::cell::RefCell<Option<Vec<(String, String)>>>,
    /// The declarations the value walks are following, innermost last.
    following: std::cell::RefCell<Vec<(usize, u8)>>,
    /// The file's calls of each of its functions (by the function's node
    /// id), `None` when the function is also used as a value.
    calls_of: std::cell::RefCell<HashMap<usize, Option<Vec<Range<usize>>>>>,
}

/// Nodes that open a scope for the names declared in them.
fn is_scope(node: Node) -> bool {
    is_scope_kind(node.kind())
}

fn is_scope_kind(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_expression"
            | "function"
            | "arrow_function"
            | "method_definition"
            | "generator_function_declaration"
            | "generator_function"
    )
}

impl<'a> Scan<'a> {
    fn src(&self, node: Node) -> &'a str {
        self.text.get(node.byte_range()).unwrap_or("")
    }

    /// Whether a node is `lookup.get(key) ?? ...` or `... || ...` with a
    /// cache read on the left.
    fn is_memo_fallback(&self, node: Node) -> bool {
        node.kind() == "binary_expression"
            && node
                .field("operator")
                .is_some_and(|o| matches!(self.src(o), "??" | "||"))
            && node
                .field("left")
                .is_some_and(|l| self.src(l).contains(".get("))
    }

    /// The branch of `if (!seen.has(key)) { ...; seen.set(key, ...) }`
    /// that fills a memo: it runs once per key, not per iteration.
    fn memo_fill(&self, node: Node<'a>) -> Option<Node<'a>> {
        let condition = peel(node.field("condition")?);
        let checked = condition
            .kind()
            .eq("unary_expression")
            .then(|| condition.field("argument"))
            .flatten()
            .filter(|_| {
                condition
                    .field("operator")
                    .is_some_and(|o| self.src(o) == "!")
            })
            .map(peel)
            .filter(|c| c.kind() == "call_expression")
            .and_then(|c| c.field("function"))
            .filter(|f| f.kind() == "member_expression")
            .filter(|f| f.field("property").is_some_and(|p| self.src(p) == "has"))
            .and_then(|f| f.field("object"))?;
        let consequence = node.field("consequence")?;
        let fills = format!("{}.set(", self.src(checked));
        self.src(consequence)
            .contains(&fills)
            .then_some(consequence)
    }

    /// Finds the SQL the file sends.
    fn find(&mut self, node: Node<'a>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        // `kind()` measures and checks a C string: ask once per node.
        let kind = node.kind();
        if kind == "call_expression" {
            self.call(node);
        }
        let scope = is_scope_kind(kind);
        if scope {
            self.scopes.push(node.id());
            // A function runs when it is called, not where it is written:
            // unless it is a loop's callback, it leaves the loop.
            if !std::mem::take(&mut self.entering_callback) {
                self.loops.push(None);
            } else {
                self.loops.push(self.loops.last().cloned().flatten());
            }
        }
        // A path that leaves the loop, or the fallback of a memoised lookup
        // (`cache.get(id) ?? await db...`), runs the query once at most per
        // key, not per iteration.
        let exits = matches!(
            kind,
            "return_statement" | "throw_statement" | "break_statement"
        ) || (kind == "binary_expression" && self.is_memo_fallback(node));
        if exits {
            self.exits += 1;
        }
        let body = match kind {
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => {
                node.field("body")
            }
            _ => None,
        };
        let callbacks = if kind == "call_expression" {
            self.loop_callbacks(node)
        } else {
            None
        };
        let runs_now = callbacks.is_none() && self.runs_callbacks_now(node);
        let memo_fill = if kind == "if_statement" {
            self.memo_fill(node)
        } else {
            None
        };
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if memo_fill == Some(child) {
                self.exits += 1;
                self.find(child, depth + 1);
                self.exits -= 1;
            } else if body == Some(child) {
                let info = self.loop_info(node);
                self.loops.push(Some(info));
                self.find(child, depth + 1);
                self.loops.pop();
            } else if child.kind() == "arguments" && (callbacks.is_some() || runs_now) {
                let mut args = child.walk();
                for arg in child.named_children(&mut args) {
                    if matches!(
                        arg.kind(),
                        "arrow_function" | "function_expression" | "function"
                    ) {
                        // A loop's callback binds the item; a transaction's
                        // runs inside whatever loop is around the call.
                        let each = match &callbacks {
                            Some(each) => Some(LoopInfo {
                                scope: arg.byte_range(),
                                ..each.clone()
                            }),
                            None => self.loops.last().cloned().flatten(),
                        };
                        self.loops.push(each);
                        self.entering_callback = true;
                        self.find(arg, depth + 2);
                        self.loops.pop();
                    } else {
                        self.find(arg, depth + 2);
                    }
                }
            } else {
                self.find(child, depth + 1);
            }
        }
        if exits {
            self.exits -= 1;
        }
        if scope {
            self.scopes.pop();
            self.loops.pop();
        }
    }
}

/// Whether a node is a literal: a string without substitutions, a number,
/// `true`/`false`/`null`.
fn is_literal(node: Node) -> bool {
    match node.kind() {
        "string" | "number" | "true" | "false" | "null" => true,
        "template_string" => {
            let mut cursor = node.walk();
            node.named_children(&mut cursor)
                .all(|c| c.kind() != "template_substitution")
        }
        _ => false,
    }
}

/// Collects the local names an import statement binds.
fn collect_imported_names(node: Node, text: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "import_specifier" => {
                let local = child.field("alias").or_else(|| child.field("name"));
                if let Some(local) = local {
                    out.push(text[local.byte_range()].to_owned());
                }
            }
            "identifier" => out.push(text[child.byte_range()].to_owned()),
            "string" => {}
            _ => collect_imported_names(child, text, out, depth + 1),
        }
    }
}

/// The `index`th argument of an argument list, comments aside.
fn argument(args: Node, index: usize) -> Option<Node> {
    let mut cursor = args.walk();
    args.named_children(&mut cursor)
        .filter(|a| a.kind() != "comment")
        .nth(index)
}

/// The object and the property of a member expression `object.property`.
fn member_parts(node: Node) -> Option<(Node, Node)> {
    if node.kind() != "member_expression" {
        return None;
    }
    Some((node.field("object")?, node.field("property")?))
}

/// The names a piece of code reads: identifiers and `{ id }` shorthands,
/// but not property names.
fn names_used<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>, depth: usize) {
    if depth > 64 || out.len() > 256 {
        return;
    }
    match node.kind() {
        "identifier" | "shorthand_property_identifier" => {
            out.push(node);
            return;
        }
        _ => {}
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        names_used(child, out, depth + 1);
    }
}

/// The expression under parentheses, `await`, `!` and type arguments.
///
/// tree-sitter-typescript reads `` await prisma.$queryRaw<User[]>`...` `` as
/// a tagged template whose tag is `(await prisma.$queryRaw)<User[]>` (an
/// open grammar bug), so peeling the instantiation and the `await` finds
/// the real tag.
fn peel(node: Node) -> Node {
    let mut node = node;
    for _ in 0..16 {
        let inner = match node.kind() {
            "parenthesized_expression" | "non_null_expression" | "await_expression" => {
                node.named_child(0)
            }
            "instantiation_expression" => node.named_child(0),
            "as_expression" | "satisfies_expression" => node.named_child(0),
            _ => None,
        };
        match inner {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::clients::is_database_type;
    use super::*;

    #[test]
    fn a_file_scanned_again_after_edits_reads_as_a_fresh_scan() {
        let project = Project::default();
        let texts = [
            "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(ids: string[]) {\n  for (const id of ids) {\n    await pool.query('SELECT 1 FROM t WHERE id = $1', [id]);\n  }\n}\n",
            // A query added in the middle, with non-ASCII text.
            "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(ids: string[]) {\n  await pool.query(`SELECT name FROM t WHERE note = 'é😀' AND a = NULL`);\n  for (const id of ids) {\n    await pool.query('SELECT 1 FROM t WHERE id = $1', [id]);\n  }\n}\n",
            // The loop removed.
            "import { Pool } from 'pg';\nconst pool = new Pool();\nexport async function f(ids: string[]) {\n  await pool.query(`SELECT name FROM t WHERE note = 'é😀' AND a = NULL`);\n}\n",
        ];
        let mut previous = None;
        for text in texts {
            let (again, next) = scan_again(text, FileKind::TypeScript, &project, previous);
            let fresh = scan(text, FileKind::TypeScript, &project);
            let units = |f: &TsFile| f.units.iter().map(|u| u.text.clone()).collect::<Vec<_>>();
            assert_eq!(units(&again), units(&fresh));
            let loops = |f: &TsFile| {
                f.calls
                    .iter()
                    .map(|c| (c.range.clone(), c.in_loop.is_some()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(loops(&again), loops(&fresh));
            previous = next;
        }
    }

    fn extract(text: &str, kind: FileKind) -> Vec<SqlUnit> {
        scan(text, kind, &Project::default()).units
    }

    fn units(src: &str) -> Vec<(String, Option<String>, bool)> {
        extract(src, FileKind::TypeScript)
            .into_iter()
            .map(|u| (u.text, u.origin.api, u.origin.assembled_at_runtime))
            .collect()
    }

    #[test]
    fn typed_tagged_templates_are_found_despite_the_grammar() {
        let src =
            "const rows = await prisma.$queryRaw<User[]>`SELECT * FROM users WHERE id = ${id}`;";
        let found = extract(src, FileKind::TypeScript);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "SELECT * FROM users WHERE id = $1");
        assert_eq!(found[0].origin.api.as_deref(), Some("prisma.$queryRaw"));
        // The placeholder maps back onto `${id}`.
        let range = found[0].map.host_range(31..33);
        assert_eq!(&src[range], "${id}");
    }

    #[test]
    fn receivers_are_judged_by_where_they_come_from() {
        let src = r#"
import { Pool } from 'pg';
import axios from 'axios';
const pool = new Pool();
const client = axios.create();
const cache = new Map();
await pool.query("SELECT a\nFROM t");
await client.query('SELECT 1');
cache.delete('x');
await db.execute(`DELETE FROM sessions WHERE id = ${sid}`);
"#;
        assert_eq!(
            units(src),
            vec![
                (
                    "SELECT a\nFROM t".to_owned(),
                    Some("pool.query".to_owned()),
                    false
                ),
                (
                    "DELETE FROM sessions WHERE id = __ql1".to_owned(),
                    Some("db.execute".to_owned()),
                    true
                ),
            ]
        );
    }

    #[test]
    fn transaction_callbacks_and_injected_services_are_databases() {
        let src = r#"
class Repo {
  constructor(private readonly store: PrismaService) {}
  run() {
    return this.store.$transaction(async (t) => t.$executeRawUnsafe('UPDATE accounts SET plan = 1'));
  }
}
"#;
        let found = units(src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "UPDATE accounts SET plan = 1");
    }

    #[test]
    fn names_are_resolved_in_their_own_function() {
        let src = r#"
import prisma from '@/lib/prisma';
import clickhouse from '@/lib/clickhouse';
async function relational(id: string) {
  const { rawQuery } = prisma;
  return rawQuery(`select * from events where id = {{id::uuid}} ${filters} limit 10`, { id });
}
async function analytical(id: string) {
  const { rawQuery } = clickhouse;
  return rawQuery(`select * from events where id = {id:UUID}`, { id });
}
"#;
        let found = units(src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1.as_deref(), Some("rawQuery"));
        assert!(found[0].0.contains("/*1*/ limit 10"), "{}", found[0].0);
    }

    #[test]
    fn clients_kept_in_fields_or_returned_by_functions_are_databases() {
        let src = "import { Pool, type PoolClient } from 'pg';\nconst pool = new Pool();\nfunction clientFor(tx?: PoolClient) {\n  return tx ?? pool;\n}\nclass Repo {\n  #conn: PoolClient;\n  constructor(conn: PoolClient) {\n    this.#conn = conn;\n  }\n  list() {\n    return this.#conn.query('SELECT 1 FROM a');\n  }\n}\nexport const all = () => clientFor().query('SELECT 2 FROM b');\nconst other = { query: (s: string) => s };\nother.query('SELECT 3 FROM c');\n";
        let texts: Vec<String> = units(src).into_iter().map(|(t, _, _)| t).collect();
        assert_eq!(texts, vec!["SELECT 1 FROM a", "SELECT 2 FROM b"]);
        for client in [
            "PrismaClient",
            ": Prisma.TransactionClient",
            "Kysely<DB>",
            "NodePgDatabase<typeof schema>",
            "PrismaClientOrTransaction",
            "Knex.Transaction",
        ] {
            assert!(is_database_type(client), "{client}");
        }
        for other in ["DbUser", "Transaction", "string", "Map<string, Client>"] {
            assert!(!is_database_type(other), "{other}");
        }
    }

    #[test]
    fn clients_exported_by_the_project_are_found_by_name() {
        let module = "import { Pool } from 'pg';\nexport const pool = new Pool();\nexport const store: Database = drizzle(pool);\nexport const limit = 10;\n";
        assert_eq!(exported_clients(module).0, vec!["pool", "store"]);
        let user = "import { store } from '../lib/store';\nexport const all = () => store.execute('SELECT 1 FROM t');\n";
        assert!(extract(user, FileKind::TypeScript).is_empty());
        let project = Project {
            clients: ["store".to_owned()].into_iter().collect(),
            ..Project::default()
        };
        assert_eq!(scan(user, FileKind::TypeScript, &project).units.len(), 1);
        let schema = "model User {\n  id    Int    @id\n  posts Post[]\n  tags  String[]\n  team  Team?\n}\nenum Role {\n  A\n}\n";
        let fields: Vec<(String, bool)> = prisma_relations(schema)
            .into_iter()
            .map(|(_, f, r)| (f, r.many))
            .collect();
        assert_eq!(
            fields,
            vec![("posts".to_owned(), true), ("team".to_owned(), false)]
        );
    }

    #[test]
    fn fragments_and_other_tags_are_not_statements() {
        let src = "const a = sql`lower(${users.email})`; const b = gql`query { x }`; const c = css`select { }`;";
        assert!(units(src).is_empty());
    }

    #[test]
    fn files_without_database_words_are_not_parsed() {
        assert!(!might_touch_database(
            "export const add = (a: number, b: number) => a + b;"
        ));
        assert!(!might_touch_database(
            "const { data } = useQuery({ queryKey: ['todos'], queryFn: fetchTodos });"
        ));
        assert!(might_touch_database(
            "const rows = await db.query.users.findMany();"
        ));
    }
}
