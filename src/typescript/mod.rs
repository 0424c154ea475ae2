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
use crate::extract::{OffsetMap, Origin, SqlUnit};

mod calls;
mod loops;
mod modules;
pub mod tsconfig;
mod values;

use crate::model::LoopInfo;
use crate::model::{Provenance, Safe};
use crate::units::UnitBuilder;
pub use calls::{Link, Orm, OrmCall, Property};
pub use modules::{Exports, ImportedCall, ModuleIndex, export_clauses, project_imports};

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
];

/// Names that usually hold a database client, trusted only when nothing in
/// the file binds them.
const CONVENTIONAL_NAMES: &[&str] = &[
    "prisma",
    "db",
    "tx",
    "trx",
    "pool",
    "client",
    "sql",
    "knex",
    "conn",
    "connection",
    "database",
];

/// Methods of a pool that hand out a connection.
const CONNECT_METHODS: &[&str] = &["connect", "acquire", "getConnection", "reserve"];

/// Methods whose callback parameter is a transaction on the same database.
const TRANSACTION_METHODS: &[&str] = &["$transaction", "transaction", "begin", "transact"];

/// Methods that send their first argument as SQL text.
const RAW_SINKS: &[&str] = &[
    "query",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "unsafe",
    "raw",
    "execute",
];

/// What a name is bound to, as far as the file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Database,
    /// A method taken off a database client: `const { rawQuery } = prisma`.
    DatabaseMethod,
    Other,
}

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
}

/// A relation field of a Prisma model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub many: bool,
    /// The related model, lower-cased.
    pub target: String,
}

/// The relation fields of a Prisma schema: `(model, field, relation)` for
/// each `field Model` or `field Model[]` inside a `model` block.
pub fn prisma_relations(schema: &str) -> Vec<(String, String, Relation)> {
    const SCALARS: &[&str] = &[
        "String",
        "Int",
        "BigInt",
        "Float",
        "Decimal",
        "Boolean",
        "DateTime",
        "Json",
        "Bytes",
        "Unsupported",
    ];
    let mut out = Vec::new();
    let mut model: Option<String> = None;
    for line in schema.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("model ")
            && line.ends_with('{')
        {
            model = rest.split_whitespace().next().map(lower_first);
        } else if line.starts_with('}') {
            model = None;
        } else if let Some(model) = &model {
            let mut words = line.split_whitespace();
            let (Some(field), Some(ty)) = (words.next(), words.next()) else {
                continue;
            };
            let many = ty.ends_with("[]");
            let element = ty.trim_end_matches("[]").trim_end_matches('?');
            if field.starts_with("//") || field.starts_with('@') || SCALARS.contains(&element) {
                continue;
            }
            if element.starts_with(|c: char| c.is_ascii_uppercase()) {
                out.push((
                    model.clone(),
                    field.to_owned(),
                    Relation {
                        many,
                        target: lower_first(element),
                    },
                ));
            }
        }
    }
    out
}

/// `UserProfile` as the client writes it: `userProfile`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

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
        looped_calls: Vec::new(),
        modules: Default::default(),
        deferred: Vec::new(),
        awaited_imports: Default::default(),
    };
    scan.bind(tree.root_node(), 0);
    scan.find(tree.root_node(), 0);
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

    /// Records what names are bound to: imports, declarations, transaction
    /// callback parameters and constructor parameter properties.
    fn bind(&mut self, node: Node, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        // function load(...) {...}, const load = async (...) => ...
        let function = match node.kind() {
            "function_declaration" | "generator_function_declaration" => node
                .child_by_field_name("name")
                .zip(node.child_by_field_name("body")),
            "variable_declarator" => node.child_by_field_name("name").zip(
                node.child_by_field_name("value")
                    .filter(|v| {
                        matches!(
                            v.kind(),
                            "arrow_function" | "function_expression" | "function"
                        )
                    })
                    .and_then(|v| v.child_by_field_name("body")),
            ),
            _ => None,
        };
        if is_scope(node) && node.parent().is_some_and(|p| p.kind() != "arguments") {
            self.deferred.push(node.byte_range());
        }
        if let Some((name, body)) = function {
            self.functions
                .insert(self.src(name).to_owned(), body.byte_range());
            // const getDb = (tx) => tx ?? db
            if body.kind() != "statement_block" && self.is_database(body) {
                self.client_functions.insert(self.src(name).to_owned());
            }
        }
        let named = function.map(|(name, _)| self.src(name).to_owned());
        let mut class = None;
        match node.kind() {
            "class_declaration" | "abstract_class_declaration" | "class" => {
                // class Orders extends BaseService: the fields the base
                // class keeps a client in are clients here too.
                let name = node
                    .child_by_field_name("name")
                    .map(|n| self.src(n).to_owned())
                    .unwrap_or_default();
                let base = (0..node.named_child_count())
                    .filter_map(|i| node.named_child(i as u32))
                    .find(|c| c.kind() == "class_heritage")
                    .and_then(|h| {
                        (0..h.named_child_count())
                            .filter_map(|i| h.named_child(i as u32))
                            .find(|c| c.kind() == "extends_clause")
                    })
                    .and_then(|e| e.child_by_field_name("value"))
                    .map(|v| {
                        let v = self.src(v);
                        v.rsplit('.').next().unwrap_or(v).to_owned()
                    });
                self.classes.push((name, base.clone(), Vec::new()));
                class = Some(self.classes.len() - 1);
                let inherited = base
                    .and_then(|b| self.project_classes.get(&b))
                    .cloned()
                    .unwrap_or_default();
                self.class_now.push(self.classes.len() - 1);
                for field in inherited {
                    self.client_field(&field);
                }
                self.class_now.pop();
            }
            "public_field_definition" => {
                // #db: PrismaClient; protected replica = createReplica()
                if let Some(name) = node.child_by_field_name("name") {
                    let typed = node
                        .child_by_field_name("type")
                        .is_some_and(|t| is_database_type(self.src(t)));
                    let valued = node
                        .child_by_field_name("value")
                        .is_some_and(|v| self.is_database_value(v) || self.is_database(v));
                    if typed || valued {
                        self.client_field(self.src(name));
                    }
                }
            }
            "return_statement" => {
                // function getClient(tx) { return tx ?? prisma }
                if let Some(Some(function)) = self.function_now.last()
                    && let Some(value) = node.named_child(0)
                    && (self.is_database(value) || self.is_database_value(value))
                {
                    self.client_functions.insert(function.clone());
                }
            }
            "import_statement" => {
                self.bind_import(node);
                self.record_import(node);
            }
            "export_statement" => self.record_export(node),
            "variable_declarator" => {
                if let (Some(name), Some(value)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("value"),
                ) {
                    if name.kind() == "identifier" {
                        let scope = self.scope_of();
                        let key = (scope, self.src(name).to_owned());
                        if matches!(
                            value.kind(),
                            "string" | "template_string" | "binary_expression"
                        ) {
                            self.texts.insert(key.clone(), value.byte_range());
                        }
                        if self.is_pool_value(value) {
                            self.pooled.insert(key, ());
                        }
                        let binding = if self.is_database_value(value) {
                            Binding::Database
                        } else {
                            Binding::Other
                        };
                        self.set(self.scope_of(), self.src(name), binding);
                    } else if name.kind() == "object_pattern" && self.is_database(value) {
                        // const { rawQuery } = prisma
                        let mut cursor = name.walk();
                        for field in name.named_children(&mut cursor) {
                            let local = match field.kind() {
                                "shorthand_property_identifier_pattern" => Some(field),
                                "pair_pattern" => field.child_by_field_name("value"),
                                _ => None,
                            };
                            if let Some(local) = local.filter(|l| {
                                l.kind() == "identifier"
                                    || l.kind() == "shorthand_property_identifier_pattern"
                            }) {
                                self.set(self.scope_of(), self.src(local), Binding::DatabaseMethod);
                            }
                        }
                    }
                }
            }
            "call_expression" => {
                // prisma.$transaction(async (tx) => ...), sql.begin(sql => ...)
                if let Some(callee) = node.child_by_field_name("function").map(peel)
                    && let Some((object, property)) = member_parts(callee)
                    && TRANSACTION_METHODS.contains(&self.src(property))
                    && self.is_database(object)
                    && let Some(args) = node.child_by_field_name("arguments")
                {
                    let mut cursor = args.walk();
                    for arg in args.named_children(&mut cursor) {
                        self.bind_callback_parameters(arg);
                    }
                }
            }
            "assignment_expression" => {
                // this.db = drizzle(pool), this.prisma = prisma
                if let (Some(left), Some(right)) = (
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) && left.kind() == "member_expression"
                    && let Some(field) = self.src(left).strip_prefix("this.")
                    && (self.is_database_value(right) || self.is_database(right))
                {
                    self.client_field(field);
                }
            }
            "required_parameter" | "optional_parameter" => {
                // constructor(private prisma: PrismaService)
                let has_modifier = (0..node.named_child_count())
                    .filter_map(|i| node.named_child(i as u32))
                    .any(|c| {
                        c.kind() == "accessibility_modifier" || c.kind() == "override_modifier"
                    });
                let has_modifier = has_modifier
                    || (0..node.child_count())
                        .filter_map(|i| node.child(i as u32))
                        .any(|c| c.kind() == "readonly");
                // A default that is a client: `_prisma: Client = prisma`.
                let defaulted = node
                    .child_by_field_name("value")
                    .is_some_and(|v| self.is_database(v) || self.is_database_value(v));
                if let Some(pattern) = node.child_by_field_name("pattern")
                    && pattern.kind() == "identifier"
                {
                    let name = self.src(pattern);
                    let typed = node.child_by_field_name("type").map(|t| self.src(t));
                    if has_modifier {
                        // A parameter property is a field of the class.
                        let typed_db = typed.is_some_and(|t| {
                            [
                                "Prisma", "Drizzle", "Database", "Db", "DB", "Pool", "Sql", "Knex",
                                "Kysely",
                            ]
                            .iter()
                            .any(|w| t.contains(w))
                        });
                        if typed_db || defaulted || CONVENTIONAL_NAMES.contains(&name) {
                            self.client_field(name);
                        } else {
                            self.set(self.root, &format!("this.{name}"), Binding::Other);
                        }
                    } else if defaulted || typed.is_some_and(is_database_type) {
                        // function load(client: PrismaClient = prisma)
                        self.set(self.scope_of(), name, Binding::Database);
                    }
                }
            }
            _ => {}
        }
        let scope = is_scope(node);
        if scope {
            self.scopes.push(node.id());
            self.function_now.push(named.or_else(|| self.naming.take()));
        } else if named.is_some() {
            // The function a declarator names is its value, the next scope.
            self.naming = named;
        }
        if let Some(class) = class {
            self.class_now.push(class);
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.bind(child, depth + 1);
        }
        if class.is_some() {
            self.class_now.pop();
        }
        if scope {
            self.scopes.pop();
            self.function_now.pop();
        }
    }

    /// A field of the class being visited holds a database client:
    /// `this.<field>` is one throughout the file.
    fn client_field(&mut self, field: &str) {
        self.set(self.root, &format!("this.{field}"), Binding::Database);
        if let Some(&class) = self.class_now.last() {
            let fields = &mut self.classes[class].2;
            if !fields.iter().any(|f| f == field) {
                fields.push(field.to_owned());
            }
        }
    }

    /// A name bound to a database anywhere in the file stays a database:
    /// without scopes, the cautious reading keeps finding its queries.
    fn set(&mut self, scope: usize, name: &str, binding: Binding) {
        let entry = self
            .bindings
            .entry((scope, name.to_owned()))
            .or_insert(binding);
        if binding != Binding::Other {
            *entry = binding;
        }
    }

    /// The scope a declaration being visited belongs to.
    fn scope_of(&self) -> usize {
        self.scopes.last().copied().unwrap_or(self.root)
    }

    /// The scopes a name is looked up in, innermost first.
    fn chain(&self) -> impl Iterator<Item = usize> + '_ {
        self.scopes
            .iter()
            .rev()
            .copied()
            .chain(std::iter::once(self.root))
    }

    /// What `name` is bound to where the walk stands: the nearest scope
    /// that declares it.
    fn lookup(&self, name: &str) -> Option<Binding> {
        self.chain()
            .find_map(|scope| self.bindings.get(&(scope, name.to_owned())).copied())
    }

    fn bind_import(&mut self, node: Node) {
        let Some(source) = node.child_by_field_name("source") else {
            return;
        };
        let module = self.src(source).trim_matches(|c| c == '"' || c == '\'');
        let lower = module.to_ascii_lowercase();
        // A workspace package that wraps the client (`@acme/db`,
        // `@documenso/prisma`) counts as a database package too.
        let database = DATABASE_PACKAGES.contains(&module)
            || [
                "prisma", "drizzle", "database", "postgres", "/db", "-db", "sql",
            ]
            .iter()
            .any(|w| lower.contains(w));
        let mut names = Vec::new();
        collect_imported_names(node, self.text, &mut names, 0);
        for name in names {
            if database || self.clients.contains(&name) {
                self.set(self.root, &name, Binding::Database);
            }
        }
        // Other names from other modules are left to the conventional
        // names.
    }

    fn bind_callback_parameters(&mut self, callback: Node) {
        if !matches!(
            callback.kind(),
            "arrow_function" | "function_expression" | "function"
        ) {
            return;
        }
        let params = callback
            .child_by_field_name("parameters")
            .or_else(|| callback.child_by_field_name("parameter"));
        let Some(params) = params else {
            return;
        };
        let scope = callback.id();
        if params.kind() == "identifier" {
            self.set(scope, self.src(params), Binding::Database);
            return;
        }
        let mut cursor = params.walk();
        for p in params.named_children(&mut cursor) {
            if let Some(pattern) = p.child_by_field_name("pattern")
                && pattern.kind() == "identifier"
            {
                self.set(scope, self.src(pattern), Binding::Database);
            }
        }
    }

    /// Whether a declaration's value makes a database client:
    /// `new PrismaClient()`, `drizzle(pool)`, `postgres(url)`, or a name
    /// that already is one.
    fn is_database_value(&self, value: Node) -> bool {
        let value = peel(value);
        if value.kind() == "call_expression"
            && let Some(callee) = value.child_by_field_name("function").map(peel)
            && let Some((object, property)) = member_parts(callee)
            && CONNECT_METHODS.contains(&self.src(property))
            && self.is_database(object)
        {
            // const client = await pool.connect()
            return true;
        }
        if value.kind() == "call_expression" && self.is_client_function_call(value) {
            return true;
        }
        match value.kind() {
            "new_expression" | "call_expression" => {
                let callee = value
                    .child_by_field_name("constructor")
                    .or_else(|| value.child_by_field_name("function"))
                    .map(peel);
                callee.is_some_and(|c| {
                    let name = self.src(c);
                    let last = name.rsplit('.').next().unwrap_or(name);
                    DATABASE_FACTORIES.contains(&last)
                        && (c.kind() != "identifier" || self.lookup(name) != Some(Binding::Other))
                })
            }
            _ => false,
        }
    }

    /// Whether a declaration's value is a pool (`new Pool()`,
    /// `createPool(...)`, `postgres(url)`) or a client checked out of one
    /// (`await pool.connect()`).
    fn is_pool_value(&self, value: Node) -> bool {
        let value = peel(value);
        let callee = value
            .child_by_field_name("constructor")
            .or_else(|| value.child_by_field_name("function"))
            .map(peel);
        callee.is_some_and(|c| {
            let text = self.src(c);
            let last = text.rsplit('.').next().unwrap_or(text);
            matches!(last, "Pool" | "createPool" | "postgres")
                || (CONNECT_METHODS.contains(&last)
                    && c.child_by_field_name("object")
                        .is_some_and(|o| self.is_pooled(o)))
        })
    }

    /// Whether an expression holds a pool or a client checked out of one.
    fn is_pooled(&self, node: Node) -> bool {
        let node = peel(node);
        let name = self.src(node);
        self.chain()
            .any(|scope| self.pooled.contains_key(&(scope, name.to_owned())))
            || (node.kind() == "identifier" && name == "pool")
    }

    /// Whether an expression holds a database client.
    fn is_database(&self, node: Node) -> bool {
        let node = peel(node);
        match node.kind() {
            "identifier" => {
                let name = self.src(node);
                match self.lookup(name) {
                    Some(b) => b == Binding::Database,
                    None => CONVENTIONAL_NAMES.contains(&name),
                }
            }
            "member_expression" => {
                let text = self.src(node);
                if let Some(b) = self.lookup(text) {
                    return b == Binding::Database;
                }
                node.child_by_field_name("property")
                    .is_some_and(|p| CONVENTIONAL_NAMES.contains(&self.src(p)))
            }
            // tx ?? prisma, replica || primary
            "binary_expression" => {
                node.child_by_field_name("operator")
                    .is_some_and(|o| matches!(self.src(o), "??" | "||"))
                    && [
                        node.child_by_field_name("left"),
                        node.child_by_field_name("right"),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|side| self.is_database(side))
            }
            // readOnly ? replica : prisma
            "ternary_expression" => [
                node.child_by_field_name("consequence"),
                node.child_by_field_name("alternative"),
            ]
            .into_iter()
            .flatten()
            .any(|side| self.is_database(side)),
            // getClient(tx).user.findMany()
            "call_expression" => self.is_client_function_call(node),
            _ => false,
        }
    }

    /// Whether a call is of a function that returns a database client:
    /// one of the file's, or one the project exports and the file imports.
    fn is_client_function_call(&self, call: Node) -> bool {
        let Some(callee) = call.child_by_field_name("function").map(peel) else {
            return false;
        };
        if callee.kind() != "identifier" {
            return false;
        }
        let name = self.src(callee);
        self.client_functions.contains(name)
            || self
                .modules
                .imports
                .get(name)
                .is_some_and(|(original, _)| self.project_functions.contains(original))
    }

    /// Whether a node is `lookup.get(key) ?? ...` or `... || ...` with a
    /// cache read on the left.
    fn is_memo_fallback(&self, node: Node) -> bool {
        node.kind() == "binary_expression"
            && node
                .child_by_field_name("operator")
                .is_some_and(|o| matches!(self.src(o), "??" | "||"))
            && node
                .child_by_field_name("left")
                .is_some_and(|l| self.src(l).contains(".get("))
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
                node.child_by_field_name("body")
            }
            _ => None,
        };
        let callbacks = if kind == "call_expression" {
            self.loop_callbacks(node)
        } else {
            None
        };
        let runs_now = callbacks.is_none() && self.runs_callbacks_now(node);
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            if body == Some(child) {
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

    fn call(&mut self, call: Node<'a>) {
        let (Some(callee), Some(args)) = (
            call.child_by_field_name("function"),
            call.child_by_field_name("arguments"),
        ) else {
            return;
        };
        let callee = peel(callee);
        if callee.kind() == "identifier"
            && self.functions.contains_key(self.src(callee))
            && let Some(each) = self.loop_of(call)
        {
            self.looped_calls
                .push((self.src(callee).to_owned(), callee.byte_range(), each));
        } else {
            self.record_imported_call(call, callee);
        }
        if args.kind() == "template_string" {
            if let Some(api) = self.binding_tag(callee)
                && self.tagged_unit(args, api.clone())
            {
                self.sql_call(call, callee, &api);
            }
            return;
        }
        self.orm_call(call, callee, args);
        self.continued_builder(call, callee);
        if callee.kind() == "identifier" {
            // A method taken off a client: `rawQuery(`SELECT ...`, params)`.
            if self.lookup(self.src(callee)) == Some(Binding::DatabaseMethod)
                && let Some(first) = args.named_child(0)
                && self.argument_unit(first, self.src(callee).to_owned())
            {
                self.sql_call(call, callee, self.src(callee));
            }
            return;
        }
        if callee.kind() != "member_expression" {
            return;
        }
        let Some((object, property)) = member_parts(callee) else {
            return;
        };
        let method = self.src(property);
        if !RAW_SINKS.contains(&method) || !self.is_database(object) {
            return;
        }
        self.sink_pooled = self.is_pooled(object);
        let Some(first) = args.named_child(0) else {
            return;
        };
        let kept = self.argument_unit(first, self.src(callee).to_owned());
        self.sink_pooled = false;
        if kept {
            // SQL written in the call, with no values after it: where a
            // fix can bind one.
            let bind = match method {
                "$queryRawUnsafe" | "$executeRawUnsafe" => Some((", {}", "$1")),
                "raw" => Some((", [{}]", "?")),
                "query" | "execute" | "unsafe" => Some((", [{}]", "$1")),
                _ => None,
            };
            if let Some((code, placeholder)) = bind
                && args.named_child_count() == 1
                && peel(first).kind() != "identifier"
                && let Some(unit) = self.units.last_mut()
            {
                unit.call = Some(crate::extract::CallSite::new(
                    self.text,
                    unit,
                    first.byte_range(),
                    (first.end_byte(), code),
                    placeholder,
                    None,
                ));
            }
            self.sql_call(call, callee, self.src(callee));
        }
    }

    /// A unit from the SQL text argument of a raw sink: a string, a
    /// template, a `+` chain, or a variable declared as one of those.
    /// Returns whether the text is a statement (and was kept).
    fn argument_unit(&mut self, arg: Node<'a>, api: String) -> bool {
        let arg = peel(arg);
        let arg = if arg.kind() == "identifier" {
            match self.text_of(arg) {
                Some(value) => value,
                None => return false,
            }
        } else {
            arg
        };
        let mut builder = UnitBuilder::default();
        let mut spliced = false;
        self.append(arg, &mut builder, &mut spliced, 0);
        self.push(builder, api, spliced)
    }

    /// The node of the text a variable was declared with, in the nearest
    /// scope that declares it.
    fn text_of(&self, name: Node<'a>) -> Option<Node<'a>> {
        let key = self.src(name);
        let range = self
            .chain()
            .find_map(|scope| self.texts.get(&(scope, key.to_owned())))?;
        self.root_node
            .descendant_for_byte_range(range.start, range.end)
            .filter(|n| n.byte_range() == *range)
    }

    /// Appends the SQL text of a string, a template or a `+` chain.
    fn append(&self, node: Node<'a>, builder: &mut UnitBuilder, spliced: &mut bool, depth: usize) {
        match node.kind() {
            "string" | "template_string" => {
                let mut cursor = node.walk();
                for part in node.named_children(&mut cursor) {
                    match part.kind() {
                        "string_fragment" => builder.verbatim(self.text, part.byte_range()),
                        "escape_sequence" => builder.escape(self.src(part), part.byte_range()),
                        "template_substitution" => self.splice(part, builder, spliced),
                        _ => {}
                    }
                }
            }
            "binary_expression"
                if depth < 64
                    && node
                        .child_by_field_name("operator")
                        .is_some_and(|o| self.src(o) == "+") =>
            {
                for side in ["left", "right"] {
                    if let Some(child) = node.child_by_field_name(side) {
                        self.append(child, builder, spliced, depth + 1);
                    }
                }
            }
            "parenthesized_expression" if depth < 64 => {
                if let Some(inner) = node.named_child(0) {
                    self.append(inner, builder, spliced, depth + 1);
                }
            }
            _ => self.splice(node, builder, spliced),
        }
    }

    /// A value pasted into SQL text.
    fn splice(&self, node: Node<'a>, builder: &mut UnitBuilder, spliced: &mut bool) {
        let expression = if node.kind() == "template_substitution" {
            node.named_child(0).unwrap_or(node)
        } else {
            node
        };
        // SQL text built in a variable of the file and pasted in comes from
        // where its own pasted values do; a helper that builds SQL text
        // (`buildFilterQuery(...)`) is judged where it builds it.
        let provenance = if is_sql_builder(self.src(expression)) {
            Provenance::Safe(Safe::Fragment)
        } else {
            self.provenance(expression)
        };
        *spliced = true;
        builder.placeholder(node.byte_range(), false, provenance);
    }

    /// The API name of a tag that sends its template as SQL with bound
    /// values, or `None` for any other tag (`gql`, `css`, `html`).
    fn binding_tag(&self, callee: Node) -> Option<String> {
        match callee.kind() {
            "identifier" => {
                let name = self.src(callee);
                (name == "sql" && self.is_database(callee)).then(|| name.to_owned())
            }
            "member_expression" => {
                let object = callee.child_by_field_name("object")?;
                let property = self.src(callee.child_by_field_name("property")?);
                let object_text = self.src(peel(object));
                let tag = match property {
                    "$queryRaw" | "$executeRaw" => self.is_database(object),
                    "sql" => object_text == "Prisma" || self.is_database(object),
                    _ => false,
                };
                tag.then(|| format!("{object_text}.{property}"))
            }
            _ => None,
        }
    }

    /// A unit from a template whose tag binds each `${...}` as a
    /// parameter.
    fn tagged_unit(&mut self, node: Node, api: String) -> bool {
        let mut builder = UnitBuilder::default();
        let mut cursor = node.walk();
        for part in node.named_children(&mut cursor) {
            match part.kind() {
                "string_fragment" => builder.verbatim(self.text, part.byte_range()),
                "escape_sequence" => builder.escape(self.src(part), part.byte_range()),
                "template_substitution" => {
                    builder.placeholder(part.byte_range(), true, Provenance::BOUND)
                }
                _ => {}
            }
        }
        self.push(builder, api, false)
    }

    /// Keeps the unit if its text is a statement; returns whether it did.
    fn push(&mut self, builder: UnitBuilder, api: String, assembled_at_runtime: bool) -> bool {
        if !builder.is_statement() {
            return false;
        }
        let unchecked_sink = is_unchecked_sink(&api);
        self.units.push(SqlUnit {
            map: OffsetMap::with_opaque(builder.segments, builder.opaque),
            text: crate::extract::blank_templates(&builder.text),
            interpolations: builder.interpolations,
            origin: Origin {
                kind: self.kind,
                api: Some(api),
                assembled_at_runtime,
                pooled: self.sink_pooled,
                one_row: false,
                masked: Vec::new(),
                unchecked_sink,
            },
            call: None,
        });
        true
    }
}

/// Whether a type annotation names a database client or transaction:
/// `PrismaClient`, `Prisma.TransactionClient`, `Kysely<DB>`, `Knex`,
/// `NodePgDatabase<typeof schema>`, `Pool`, `PoolClient`, `Sql`, or a
/// project's own alias ending in `Database`, `Db` or `Client` with a
/// database word (`PrismaClientOrTransaction`, `DbClient`).
fn is_database_type(annotation: &str) -> bool {
    let annotation = annotation.trim_start_matches(':').trim();
    annotation.split('|').any(|part| {
        let part = part.trim();
        let base = part.split('<').next().unwrap_or(part).trim();
        let last = base.rsplit('.').next().unwrap_or(base);
        let database_word = [
            "Prisma", "Drizzle", "Db", "DB", "Database", "Pg", "Sql", "Knex",
        ]
        .iter()
        .any(|w| last.contains(w));
        matches!(
            last,
            "PrismaClient"
                | "TransactionClient"
                | "Kysely"
                | "Knex"
                | "Pool"
                | "PoolClient"
                | "Sql"
                | "Transaction"
        ) && (last != "Transaction" || base.contains('.'))
            || last.ends_with("Database")
            || last.ends_with("Db")
            || (database_word
                && (last.ends_with("Client")
                    || last.ends_with("Transaction")
                    || last.ends_with("OrTransaction")
                    || last.ends_with("Tx")))
    })
}

/// Whether a sink's name says it runs its text unchecked:
/// `prisma.$queryRawUnsafe`, postgres.js `sql.unsafe`, Drizzle `sql.raw`.
fn is_unchecked_sink(api: &str) -> bool {
    let (receiver, method) = api.rsplit_once('.').unwrap_or(("", api));
    method.ends_with("Unsafe") || method == "unsafe" || (method == "raw" && receiver == "sql")
}

/// Whether an expression calls a helper that builds SQL text, by the name
/// projects give such helpers (`getDateSQL(...)`, `toLikeClause(...)`,
/// `buildFilterQuery(...)`): composition, judged where the helper builds it.
fn is_sql_builder(expression: &str) -> bool {
    let Some((callee, _)) = expression.split_once('(') else {
        return false;
    };
    let name = callee.rsplit('.').next().unwrap_or(callee).trim();
    [
        "SQL",
        "Sql",
        "Query",
        "Clause",
        "Filter",
        "Filters",
        "Condition",
        "Conditions",
        "Fragment",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix) && name.len() > suffix.len())
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
                let local = child
                    .child_by_field_name("alias")
                    .or_else(|| child.child_by_field_name("name"));
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

/// The object and the property of a member expression `object.property`.
fn member_parts(node: Node) -> Option<(Node, Node)> {
    if node.kind() != "member_expression" {
        return None;
    }
    Some((
        node.child_by_field_name("object")?,
        node.child_by_field_name("property")?,
    ))
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
