//! What a file imports and exports, and the links between the project's
//! files that this makes: a function exported by one file whose body runs a
//! query, called in a loop in another, runs that query per iteration.
//!
//! Module specifiers are resolved the way bundlers and `tsc` resolve them
//! for the common cases: a relative specifier against the importing file
//! (with or without an extension, `./posts.js` naming `posts.ts`, or a
//! folder's `index`), an aliased one through the `baseUrl` and `paths` of
//! the nearest `tsconfig.json`, and one no configuration names
//! (`@/lib/posts`, `~/server/posts`) by the unique file of the project
//! whose path ends with it. A package
//! name that matches no such file links nothing.

use super::fields::Fields;
use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::discover::normalize;

use tree_sitter::Node;

use super::tsconfig::Aliases;
use super::{Orm, OrmCall, Scan, Sink, TsFile};
use crate::model::{CallerParameter, LoopInfo, Passed, Provenance, Safe};

/// What a file's exports do that other files care about.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Exports {
    /// Exported functions whose body runs a query: `(exported name, the
    /// query's call, its library, whether the body does more than run
    /// that query)`.
    pub queries: Vec<(String, String, Orm, bool)>,
    /// `export { a as b } from './m'`: `(b, a, './m')`; `export * from
    /// './m'` is `("*", "*", './m')`.
    pub reexports: Vec<(String, String, String)>,
    /// The classes it declares that keep a database client in a field or
    /// extend another class: `(name, base class, client fields)`.
    pub classes: Vec<(String, Option<String>, Vec<String>)>,
    /// Exported functions that return a database client.
    pub client_functions: Vec<String>,
    /// Exported functions that send a parameter to a raw sink as SQL text.
    pub sink_functions: Vec<(String, Sink)>,
    /// Exported functions that paste a parameter into SQL text: `(exported
    /// name, the parameter's position)`. What their callers pass decides
    /// whether the value can carry SQL.
    pub pasted_functions: Vec<(String, usize, Option<String>)>,
    /// What its calls of such functions of other modules pass.
    pub passed: Vec<Passed>,
}

/// A call, in a loop, of a function imported from another module.
#[derive(Debug, Clone)]
pub struct ImportedCall {
    /// The function's name in the module that exports it (`default` for a
    /// default import).
    pub name: String,
    /// The module specifier as written: `./posts`, `@/lib/posts`.
    pub module: String,
    /// The callee as the calling file writes it: `load`, `posts.load`.
    pub written: String,
    /// Host range of the callee.
    pub range: Range<usize>,
    pub each: LoopInfo,
    /// The imported functions the iteration also awaits, `(name, module)`:
    /// other work unless they are query helpers.
    pub awaits: Vec<(String, String)>,
}

/// What the scan of one file records of its imports and exports.
#[derive(Debug, Default)]
pub(super) struct ModuleFacts {
    /// Imported names: local name → (name in the module, module).
    pub(super) imports: HashMap<String, (String, String)>,
    /// `import * as posts from './posts'`: local name → module.
    namespaces: HashMap<String, String>,
    /// Exported local names: (local, exported).
    pub(super) exported: Vec<(String, String)>,
    reexports: Vec<(String, String, String)>,
    pub(super) calls: Vec<ImportedCall>,
    /// What calls of other modules' pasting functions pass.
    pub(super) passed: Vec<Passed>,
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`')
}

impl<'a> Scan<'a> {
    /// Records the names an import statement binds and where from.
    pub(super) fn record_import(&mut self, node: Node) {
        let Some(source) = node.field("source") else {
            return;
        };
        let module = unquote(self.src(source)).to_owned();
        let mut cursor = node.walk();
        for clause in node.named_children(&mut cursor) {
            if clause.kind() != "import_clause" {
                continue;
            }
            let mut inner = clause.walk();
            for part in clause.named_children(&mut inner) {
                match part.kind() {
                    // import load from './load'
                    "identifier" => {
                        self.modules.imports.insert(
                            self.src(part).to_owned(),
                            ("default".to_owned(), module.clone()),
                        );
                    }
                    "namespace_import" => {
                        if let Some(local) = part.named_child(0) {
                            self.modules
                                .namespaces
                                .insert(self.src(local).to_owned(), module.clone());
                        }
                    }
                    "named_imports" => {
                        let mut specs = part.walk();
                        for spec in part.named_children(&mut specs) {
                            let Some(name) = spec.field("name") else {
                                continue;
                            };
                            let local = spec.field("alias").unwrap_or(name);
                            self.modules.imports.insert(
                                self.src(local).to_owned(),
                                (unquote(self.src(name)).to_owned(), module.clone()),
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Records what an export statement makes visible to other files.
    pub(super) fn record_export(&mut self, node: Node) {
        let default = (0..node.child_count())
            .filter_map(|i| node.child(i as u32))
            .any(|c| c.kind() == "default");
        let source = node
            .field("source")
            .map(|s| unquote(self.src(s)).to_owned());
        if let Some(declaration) = node.field("declaration") {
            let mut names = Vec::new();
            match declaration.kind() {
                "function_declaration" | "generator_function_declaration" => {
                    names.extend(declaration.field("name"));
                }
                "lexical_declaration" | "variable_declaration" => {
                    let mut cursor = declaration.walk();
                    for d in declaration.named_children(&mut cursor) {
                        names.extend(d.field("name").filter(|n| n.kind() == "identifier"));
                    }
                }
                _ => {}
            }
            for name in names {
                let local = self.src(name).to_owned();
                let exported = if default {
                    "default".to_owned()
                } else {
                    local.clone()
                };
                self.modules.exported.push((local, exported));
            }
            return;
        }
        if default {
            // export default load;
            if let Some(value) = node.field("value")
                && value.kind() == "identifier"
            {
                self.modules
                    .exported
                    .push((self.src(value).to_owned(), "default".to_owned()));
            }
            return;
        }
        let mut cursor = node.walk();
        let clause = node
            .named_children(&mut cursor)
            .find(|c| c.kind() == "export_clause");
        let Some(clause) = clause else {
            // export * from './posts'
            if let Some(module) = source {
                self.modules
                    .reexports
                    .push(("*".to_owned(), "*".to_owned(), module));
            }
            return;
        };
        let mut specs = clause.walk();
        for spec in clause.named_children(&mut specs) {
            let Some(name) = spec.field("name") else {
                continue;
            };
            let name = unquote(self.src(name)).to_owned();
            let exported = spec
                .field("alias")
                .map_or_else(|| name.clone(), |a| unquote(self.src(a)).to_owned());
            match &source {
                Some(module) => self
                    .modules
                    .reexports
                    .push((exported, name, module.clone())),
                None => self.modules.exported.push((name, exported)),
            }
        }
    }

    /// Records a call of an imported function made in a loop: `load(id)`
    /// or `posts.load(id)` with `import * as posts`.
    pub(super) fn record_imported_call(&mut self, call: Node<'a>, callee: Node<'a>) {
        if let Some((name, module)) = self.imported_function(callee)
            && let Some(each) = self.loop_of(call)
        {
            self.modules.calls.push(ImportedCall {
                name,
                module,
                written: self.src(callee).to_owned(),
                range: callee.byte_range(),
                each,
                awaits: Vec::new(),
            });
        }
    }

    /// The function a callee names, when the file imports it: `(name in
    /// its module, module)` for `ordersOf` or `orders.ordersOf`.
    pub(super) fn imported_function(&self, callee: Node) -> Option<(String, String)> {
        match callee.kind() {
            "identifier" => self.modules.imports.get(self.src(callee)).cloned(),
            "member_expression" => {
                let module = self
                    .modules
                    .namespaces
                    .get(self.src(callee.field("object")?))?;
                let name = self.src(callee.field("property")?);
                Some((name.to_owned(), module.clone()))
            }
            _ => None,
        }
    }

    /// Records what a call of another module's pasting function passes
    /// for each pasted parameter.
    pub(super) fn record_passed(&mut self, call: Node<'a>, callee: Node<'a>) {
        if self.project_pasted.is_empty() {
            return;
        }
        // `columnExists(...)`, or `helpers.columnExists(...)` with `import *
        // as helpers`.
        let Some((original, module)) = self.imported_function(callee) else {
            return;
        };
        let Some(parameters) = self.project_pasted.get(&original) else {
            return;
        };
        let line = call.start_position().row + 1;
        for (parameter, key) in parameters {
            let argument = call
                .field("arguments")
                .and_then(|a| super::argument(a, *parameter));
            let provenance = match (argument, key) {
                (None, _) => Provenance::Safe(Safe::Literal),
                (Some(a), None) => self.provenance(a),
                // `{ table: name }`: what the key holds; an object built
                // elsewhere is out of sight.
                (Some(a), Some(key)) if super::peel(a).kind() == "object" => self
                    .object_value(a, key)
                    .map_or(Provenance::Safe(Safe::Literal), |v| self.provenance(v)),
                (Some(_), Some(_)) => Provenance::Opaque,
            };
            self.modules.passed.push(Passed {
                function: original.clone(),
                module: module.clone(),
                parameter: *parameter,
                key: key.clone(),
                provenance,
                line,
            });
        }
    }

    /// The exported functions whose body runs a query outside any loop of
    /// its own.
    pub(super) fn exports(&mut self) -> Exports {
        let mut queries = Vec::new();
        for (local, exported) in &self.modules.exported {
            let Some(body) = self.functions.get(local) else {
                continue;
            };
            if let Some(inner) = self.query_in(body) {
                let other_work = self.does_more_than(body, &inner.range);
                queries.push((exported.clone(), inner.name(), inner.orm, other_work));
            }
        }
        let client_functions = self
            .modules
            .exported
            .iter()
            .filter(|(local, _)| self.client_functions.contains(local))
            .map(|(_, exported)| exported.clone())
            .collect();
        let classes = std::mem::take(&mut self.classes)
            .into_iter()
            .filter(|(name, base, fields)| {
                !name.is_empty() && (base.is_some() || !fields.is_empty())
            })
            .collect();
        let mut sink_functions: Vec<(String, Sink)> = self.exported_sinks().into_iter().collect();
        sink_functions.sort_by(|a, b| a.0.cmp(&b.0));
        let mut pasted_functions: Vec<(String, usize, Option<String>)> = self
            .units
            .iter()
            .flat_map(|u| &u.interpolations)
            .filter_map(|i| i.caller.as_ref())
            .map(|c| (c.function.clone(), c.parameter, c.key.clone()))
            .collect();
        pasted_functions.sort();
        pasted_functions.dedup();
        Exports {
            sink_functions,
            pasted_functions,
            passed: std::mem::take(&mut self.modules.passed),
            queries,
            reexports: std::mem::take(&mut self.modules.reexports),
            classes,
            client_functions,
        }
    }

    /// The first query a function body runs when called: not in a loop,
    /// nor in a function the body only declares or returns. A body that
    /// answers from a memo first runs none per call (below).
    pub(super) fn query_in(&self, body: &Range<usize>) -> Option<&OrmCall> {
        let inside =
            |r: &Range<usize>, outer: &Range<usize>| r.start >= outer.start && r.end <= outer.end;
        let deferred: Vec<&Range<usize>> =
            self.deferred.iter().filter(|f| inside(f, body)).collect();
        self.calls
            .iter()
            .find(|c| {
                c.executed
                    && c.in_loop.is_none()
                    && inside(&c.range, body)
                    && !deferred.iter().any(|f| inside(&c.range, f))
            })
            .filter(|c| {
                let text = |r: Range<usize>| self.text.get(r).unwrap_or("");
                !memoized(text(body.start..c.range.start), text(c.range.end..body.end))
            })
    }
}

/// Whether a function body answers from a memo before its query and fills
/// the memo after it: `const hit = cache.get(id); if (hit) return hit;
/// ... cache.set(id, row)`. Its query runs once per key, not once per
/// call.
fn memoized(before: &str, after: &str) -> bool {
    before.contains("return")
        && [".get(", ".has("].iter().any(|read| {
            before.match_indices(read).any(|(at, _)| {
                let memo = before[..at]
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.')))
                    .next()
                    .unwrap_or("");
                !memo.is_empty()
                    && [before, after]
                        .iter()
                        .any(|t| t.contains(&format!("{memo}.set(")))
            })
        })
}

/// The path a module is known by: its file's path without the extension,
/// and without `/index` for a folder's index file.
fn module_key(path: &Path) -> PathBuf {
    let stem = path.with_extension("");
    if stem.file_name().is_some_and(|n| n == "index") {
        stem.parent().map(Path::to_path_buf).unwrap_or(stem)
    } else {
        stem
    }
}

const SCRIPT_EXTENSIONS: &[&str] = &["ts", "tsx", "js", "jsx", "mjs", "cjs", "mts", "cts"];

/// Resolves a module specifier written in `from` to one of the files by
/// their module key: relative to `from`, through the `tsconfig.json`
/// aliases in force there, or as an alias whose tail names a unique file.
fn resolve(
    from: &Path,
    spec: &str,
    keys: &HashMap<PathBuf, usize>,
    aliases: Option<&Aliases>,
) -> Option<usize> {
    let strip = |p: PathBuf| {
        if p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SCRIPT_EXTENSIONS.contains(&e))
        {
            module_key(&p)
        } else {
            p
        }
    };
    if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
        let base = from.parent().unwrap_or(Path::new(""));
        return keys.get(&strip(normalize(&base.join(spec)))).copied();
    }
    if let Some(aliases) = aliases {
        let candidates = aliases.candidates(spec);
        if let Some(found) = candidates
            .into_iter()
            .find_map(|c| keys.get(&strip(c)).copied())
        {
            return Some(found);
        }
    }
    // An alias: the first segment names a root (`@`, `~`, `#app`, `src`).
    let (_, rest) = spec.split_once('/')?;
    if rest.is_empty() {
        return None;
    }
    let tail = strip(PathBuf::from(rest));
    let mut found = keys.iter().filter(|(key, _)| key.ends_with(&tail));
    let first = found.next()?;
    found.next().is_none().then_some(*first.1)
}

/// A pasted parameter: the module that defines the function, its name, the
/// parameter's position and the key into it.
type PastedKey = (usize, String, usize, Option<String>);

/// The project's modules that say something about databases (their scan
/// found a query, a call or an export), each with its exports, by the path
/// it is known by. A call in a loop of an imported function is resolved
/// against it.
#[derive(Debug, Default, Clone)]
pub struct ModuleIndex {
    keys: HashMap<PathBuf, usize>,
    files: Vec<(PathBuf, Exports)>,
    /// What the project's calls pass for each pasted parameter: by the
    /// module that defines the function, its name and the parameter's
    /// position, `(calling file, line, provenance)`.
    passed: HashMap<PastedKey, Vec<(usize, usize, Provenance)>>,
    /// `tsconfig.json` aliases by the folder they apply under, deepest
    /// first.
    configs: Vec<(PathBuf, Aliases)>,
}

impl ModuleIndex {
    /// The index of these files (their paths and exports), and the
    /// aliases of the `tsconfig.json` files above them (deepest folder
    /// first).
    pub fn new(
        files: impl IntoIterator<Item = (PathBuf, Exports)>,
        configs: Vec<(PathBuf, Aliases)>,
    ) -> ModuleIndex {
        let files: Vec<(PathBuf, Exports)> = files.into_iter().collect();
        let keys = files
            .iter()
            .enumerate()
            .map(|(i, (path, _))| (module_key(&normalize(path)), i))
            .collect();
        let mut index = ModuleIndex {
            keys,
            files,
            configs,
            passed: HashMap::new(),
        };
        let mut passed: HashMap<PastedKey, Vec<(usize, usize, Provenance)>> = HashMap::new();
        for (caller, (path, exports)) in index.files.iter().enumerate() {
            for p in &exports.passed {
                let Some(target) = index.resolve(path, &p.module) else {
                    continue;
                };
                let pastes = |e: &Exports, name: &str| {
                    e.pasted_functions
                        .iter()
                        .any(|(f, k, key)| f == name && *k == p.parameter && *key == p.key)
                };
                let Some((module, name)) = index.defining(target, &p.function, 0, &pastes) else {
                    continue;
                };
                passed
                    .entry((module, name, p.parameter, p.key.clone()))
                    .or_default()
                    .push((caller, p.line, p.provenance.clone()));
            }
        }
        index.passed = passed;
        index
    }

    /// The module that defines an exported name for which `has` holds,
    /// and its name there, following re-exports a few levels.
    fn defining(
        &self,
        target: usize,
        name: &str,
        depth: usize,
        has: &dyn Fn(&Exports, &str) -> bool,
    ) -> Option<(usize, String)> {
        let (path, exports) = &self.files[target];
        if has(exports, name) {
            return Some((target, name.to_owned()));
        }
        if depth >= 4 {
            return None;
        }
        exports
            .reexports
            .iter()
            .filter(|(exported, _, _)| exported == name || exported == "*")
            .find_map(|(exported, original, module)| {
                let next = self.resolve(path, module)?;
                let original = if exported == "*" { name } else { original };
                self.defining(next, original, depth + 1, has)
            })
    }

    /// Decides the values a file pastes from parameters of its exported
    /// functions by what the project's calls pass: the worst of them and
    /// of the file's own calls, with the call that passed it. A function
    /// the project never calls keeps what any caller may pass.
    fn link_callers(&self, path: &Path, file: &mut TsFile) {
        let Some(&own) = self.keys.get(&module_key(&normalize(path))) else {
            return;
        };
        for unit in &mut file.units {
            for value in &mut unit.interpolations {
                let Some(caller) = value.caller.as_mut() else {
                    continue;
                };
                let calls = self
                    .passed
                    .get(&(
                        own,
                        caller.function.clone(),
                        caller.parameter,
                        caller.key.clone(),
                    ))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if calls.is_empty() && caller.in_file.is_none() {
                    continue;
                }
                let mut provenance = caller
                    .in_file
                    .clone()
                    .unwrap_or(Provenance::Safe(Safe::Literal));
                caller.via = None;
                for (file_index, line, given) in calls {
                    // Request data read in another file is shown where it
                    // is pasted, with the call that passed it.
                    let given = given.clone().pasted_at(value.host_range.clone());
                    let joined = provenance.clone().join(given);
                    if joined != provenance {
                        provenance = joined;
                        let caller_path = &self.files[*file_index].0;
                        caller.via = Some(CallerParameter::call_at(caller_path, *line));
                    }
                }
                value.provenance = provenance;
            }
        }
    }

    /// Adds to a file (at `path`) the calls, made in its loops, of
    /// functions that other modules export and whose bodies run a query.
    /// Re-exports (`export { load } from './load'`, `export * from
    /// './posts'`) are followed a few levels, as barrel files chain them.
    /// The aliases in force for a file: those of the nearest
    /// `tsconfig.json` above it.
    fn aliases(&self, path: &Path) -> Option<&Aliases> {
        self.configs
            .iter()
            .find(|(dir, _)| path.starts_with(dir))
            .map(|(_, a)| a)
    }

    fn resolve(&self, from: &Path, spec: &str) -> Option<usize> {
        resolve(from, spec, &self.keys, self.aliases(from))
    }

    pub fn link(&self, path: &Path, file: &mut TsFile) {
        self.link_callers(path, file);
        // An awaited imported function is other work unless it is a query
        // helper that does nothing else.
        let other_work = |awaits: &[(String, String)]| {
            awaits.iter().any(|(name, module)| {
                self.resolve(path, module)
                    .and_then(|target| self.exported_query(target, name, 0))
                    .is_none_or(|(_, _, does_more)| does_more)
            })
        };
        for (index, awaits) in &file.awaited_imports {
            if other_work(awaits)
                && let Some(each) = file.calls.get_mut(*index).and_then(|c| c.in_loop.as_mut())
            {
                each.other_work = true;
            }
        }
        let mut found = Vec::new();
        for call in &file.imported_calls {
            let Some(target) = self.resolve(path, &call.module) else {
                continue;
            };
            let Some((query, orm, more)) = self.exported_query(target, &call.name, 0) else {
                continue;
            };
            let mut each = call.each.clone();
            each.other_work |= more || other_work(&call.awaits);
            found.push(OrmCall {
                method: call.written.clone(),
                receiver: String::new(),
                range: call.range.clone(),
                method_name: call.range.clone(),
                properties: Vec::new(),
                chain: Vec::new(),
                executed: true,
                in_loop: Some(each),
                via: Some(query),
                orm,
                unbounded_relations: Vec::new(),
                kept: false,
                argument_known: true,
                walked_by: None,
                table_named: None,
                in_process: false,
            });
        }
        file.calls.extend(found);
    }

    /// The query an exported name of a module runs, following re-exports.
    fn exported_query(
        &self,
        target: usize,
        name: &str,
        depth: usize,
    ) -> Option<(String, Orm, bool)> {
        let has = |e: &Exports, n: &str| e.queries.iter().any(|(q, _, _, _)| q == n);
        let (module, name) = self.defining(target, name, depth, &has)?;
        let (_, query, orm, other_work) = self.files[module]
            .1
            .queries
            .iter()
            .find(|(n, _, _, _)| *n == name)?;
        Some((query.clone(), *orm, *other_work))
    }
}

/// An export list: `(name, exported name)` pairs, and the module they come
/// from for a re-export.
pub type ExportClause = (Vec<(String, String)>, Option<String>);

/// The export lists of a file read from its text, without parsing:
/// `export { a, b as c } from './m'` is `([(a, a), (b, c)], Some('./m'))`,
/// `export * from './m'` is `([(*, *)], Some('./m'))`, and `export { a }`
/// has no module. Barrel files are made of these and nothing else.
pub fn export_clauses(text: &str) -> Vec<ExportClause> {
    static CLAUSES: std::sync::LazyLock<super::Finder> = std::sync::LazyLock::new(|| {
        super::Finder::new(&["export {", "export *", "export{", "export*"])
    });
    let mut out = Vec::new();
    for i in CLAUSES.starts(text) {
        let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
        if !text[line_start..i].trim().is_empty() {
            continue;
        }
        let after = text[i + "export".len()..].trim_start();
        let (names, after) = if let Some(rest) = after.strip_prefix('*') {
            let rest = rest.trim_start();
            if rest.starts_with("as") {
                continue;
            }
            (vec![("*".to_owned(), "*".to_owned())], rest)
        } else if let Some(rest) = after.strip_prefix('{') {
            let Some(close) = rest.find('}') else {
                continue;
            };
            let names = rest[..close]
                .split(',')
                .filter_map(|spec| {
                    let spec = spec.trim();
                    let spec = spec.strip_prefix("type ").unwrap_or(spec);
                    let mut words = spec.split_whitespace();
                    let name = words.next().filter(|w| !w.starts_with('/'))?;
                    let exported = match words.next() {
                        Some("as") => words.next()?,
                        _ => name,
                    };
                    Some((unquote(name).to_owned(), unquote(exported).to_owned()))
                })
                .collect();
            (names, &rest[close + 1..])
        } else {
            continue;
        };
        let from = after
            .trim_start()
            .strip_prefix("from")
            .map(str::trim_start)
            .and_then(|f| {
                let quote = f.chars().next().filter(|q| *q == '\'' || *q == '"')?;
                let body = &f[1..];
                Some(body[..body.find(quote)?].to_owned())
            });
        out.push((names, from));
    }
    out
}

/// The local names a file imports from the project's own modules (a
/// relative or aliased specifier, not a package), read from its text
/// without parsing: what a file with no sign of a database could call that
/// runs a query elsewhere.
pub fn project_imports(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("import") {
        let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
        if !text[line_start..i].trim().is_empty() {
            continue;
        }
        let rest = &text[i + "import".len()..];
        // The clause ends at `from`; a statement runs a few lines at most.
        let mut cut = rest.len().min(2000);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let window = &rest[..cut];
        let Some(from) = window.find(" from ").or_else(|| window.find("}from")) else {
            continue;
        };
        let clause = &window[..from];
        let spec = window[from..]
            .trim_start_matches(['}', ' '])
            .trim_start_matches("from")
            .trim_start();
        let Some(quote) = spec.chars().next().filter(|q| *q == '\'' || *q == '"') else {
            continue;
        };
        let spec = &spec[1..];
        let Some(end) = spec.find(quote) else {
            continue;
        };
        let spec = &spec[..end];
        let package = !(spec.starts_with('.') || spec.starts_with("@/") || spec.starts_with("~/"))
            && (spec.starts_with('@') && spec.matches('/').count() <= 1 || !spec.contains('/'));
        if package {
            continue;
        }
        // The local names: `b` in `a as b`; a namespace (`* as ns`) is
        // marked `*ns`, as its functions are called through it.
        let namespace = clause.split_once("* as ").and_then(|(_, rest)| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .next()
        });
        let words: Vec<&str> = clause
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .filter(|w| !w.is_empty() && !matches!(*w, "type" | "typeof"))
            .collect();
        for (i, w) in words.iter().enumerate() {
            if Some(*w) == namespace {
                out.push(format!("*{w}"));
            } else if *w != "as" && words.get(i + 1) != Some(&"as") {
                out.push((*w).to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_read_from_text_whatever_follows_them() {
        // The window an import is read in ends inside a multi-byte
        // character.
        let mut text = String::from(
            "import { a, b as c } from '@/lib/x';\nimport d from \"./d\";\nimport { e } from 'react';\nimport ",
        );
        while text.len() < 2100 {
            text.push('─');
        }
        assert_eq!(project_imports(&text), vec!["a", "c", "d"]);
        // A namespace is marked; a package's namespace is not the project's.
        assert_eq!(
            project_imports("import * as db from '../db';\nimport * as React from 'react';\n"),
            vec!["*db"]
        );
        assert_eq!(
            export_clauses(
                "export { x as y } from './m';\nexport * from \"./n\";\n  export { z };\n"
            ),
            vec![
                (
                    vec![("x".to_owned(), "y".to_owned())],
                    Some("./m".to_owned())
                ),
                (
                    vec![("*".to_owned(), "*".to_owned())],
                    Some("./n".to_owned())
                ),
                (vec![("z".to_owned(), "z".to_owned())], None),
            ]
        );
    }
}
