//! What the text parameters of a crate's functions hold, decided by the
//! calls the whole workspace makes of them.
//!
//! A file's scan leaves two records behind:
//! - [`super::Pasted`]: a value pasted into SQL text that holds a text
//!   parameter of a function other files may call (`pub`, `pub(crate)`, a trait's
//!   method), with what the rest of the value holds;
//! - [`Pass`]: what a call of a function, by name, passes for each
//!   argument, itself possibly the caller's own public parameter.
//!
//! [`Callers::link`] decides each pasted parameter by the calls that match
//! it, followed through any number of such functions: the worst of what
//! they pass. A call matches by the function's name, its number of
//! arguments, and:
//! - `Type::f(..)`, `Self::f(..)` or `self.f(..)`: the type too;
//! - `f(..)` or `module::f(..)`: a free function;
//! - `value.f(..)`: a method, when the workspace's parsed files define one
//!   method of that name and arity and the name is not one of the common ones
//!   (`get`, `insert`, `find`...) that a standard type also has.
//!
//! A function the workspace never calls keeps "whatever a caller passes":
//! it is the crate's API to code outside the workspace.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::values::{Parameter, Pass};
use super::{COMMON_METHODS, Function, RsFile};
use crate::model::{CallerParameter, Provenance, Safe};

/// Methods of sqlx's and the standard library's types that a call on a
/// value is most likely of, whatever the crate defines.
const API_METHODS: &[&str] = &[
    "bind",
    "push",
    "push_bind",
    "push_values",
    "separated",
    "fetch",
    "fetch_all",
    "fetch_one",
    "fetch_optional",
    "execute",
    "query",
    "query_one",
    "query_opt",
    "batch_execute",
    "map_err",
    "unwrap_or",
    "unwrap_or_else",
    "ok_or",
    "ok_or_else",
    "context",
    "with_context",
    "expect",
    "and_then",
    "format",
    "write_str",
    "push_str",
];

/// Whether a method call on a value (`store.drop_schema(..)`) may be
/// resolved by its name.
pub fn resolvable_method(name: &str) -> bool {
    !COMMON_METHODS.contains(&name) && !API_METHODS.contains(&name)
}

/// Types of the standard library and of common crates whose associated
/// functions a call names (`String::from(..)`, `Vec::with_capacity(..)`).
const STD_TYPES: &[&str] = &[
    "String", "Vec", "Box", "Arc", "Rc", "Cow", "Option", "Result", "HashMap", "HashSet",
    "BTreeMap", "BTreeSet", "VecDeque", "Duration", "Instant", "Path", "PathBuf", "Ok", "Err",
    "Some", "Utc", "Uuid", "Json", "Mutex", "RwLock", "Cell", "RefCell", "Error",
];

/// Function names so common (constructors, conversions) that a call of
/// one says nothing of a project function that pastes SQL.
const COMMON_FUNCTIONS: &[&str] = &[
    "new",
    "from",
    "default",
    "with_capacity",
    "from_str",
    "try_from",
    "into",
    "format",
    "to_string",
    "spawn",
    "sleep",
    "min",
    "max",
    "from_utf8",
    "now",
    "parse",
];

/// Whether a path call (`f(..)`, `Type::f(..)`) may be of a project
/// function whose parameter is pasted into SQL.
pub(super) fn resolvable_path(owner: Option<&str>, name: &str) -> bool {
    !COMMON_FUNCTIONS.contains(&name) && !owner.is_some_and(|o| STD_TYPES.contains(&o))
}

/// Whether a call (the type it names, whether on a value, its number of
/// arguments) can be of the function that has `param`, and if so, the
/// position of the argument that `param` receives. `unique` says whether
/// the workspace defines one method of that name and arity.
fn calls(
    param: &Parameter,
    owner: &Option<String>,
    method: bool,
    arity: usize,
    unique: bool,
) -> Option<usize> {
    // `Type::f(&value, x)` passes `self` first.
    let shift = usize::from(param.method && !method && owner.is_some());
    if arity != param.arity + shift {
        return None;
    }
    let matched = match (owner, method) {
        (Some(owner), _) => param.owner.as_ref() == Some(owner),
        (None, true) => param.method && (unique || param.dispatched),
        (None, false) => !param.method && param.owner.is_none(),
    };
    matched.then_some(param.position + shift)
}

/// The project's functions that run a text parameter as SQL (a
/// `Db::query(sql, params)` helper): a call passing SQL text there is a
/// query, linted where it is written.
#[derive(Debug, Clone, Default)]
pub struct Wrappers {
    by_name: HashMap<String, Vec<(Parameter, bool)>>,
}

impl Wrappers {
    /// The wrappers among `sinks`, with whether the workspace's parsed
    /// files (`methods`) define one method of each one's name and arity.
    pub fn new(sinks: impl IntoIterator<Item = Parameter>, callers: &Callers) -> Wrappers {
        let mut by_name: HashMap<String, Vec<(Parameter, bool)>> = HashMap::new();
        for sink in sinks {
            let unique = callers.unique_method(&sink);
            let entry = by_name.entry(sink.function.clone()).or_default();
            if !entry.iter().any(|(s, _)| *s == sink) {
                entry.push((sink, unique));
            }
        }
        Wrappers { by_name }
    }

    /// Whether a wrapper has this name.
    pub fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// The wrapper a call is of, and the position of its SQL argument.
    pub(super) fn called(
        &self,
        name: &str,
        owner: &Option<String>,
        method: bool,
        arity: usize,
    ) -> Option<(&Parameter, usize)> {
        let found: Vec<(&Parameter, usize)> = self
            .by_name
            .get(name)?
            .iter()
            .filter_map(|(sink, unique)| Some((sink, calls(sink, owner, method, arity, *unique)?)))
            .collect();
        match found.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

/// How many calls deep a parameter is followed.
pub const MAX_DEPTH: usize = 8;

/// The calls of a workspace, by the name of the function called.
#[derive(Debug, Default)]
pub struct Callers {
    files: Vec<PathBuf>,
    passes: HashMap<String, Vec<(usize, Pass)>>,
    /// How many methods of each name and arity the parsed files define.
    methods: HashMap<(String, usize), usize>,
}

impl Callers {
    /// Adds a file's calls and functions.
    pub fn add(&mut self, key: &Path, passes: &[Pass], functions: &[Function]) {
        let file = self.files.len();
        self.files.push(key.to_path_buf());
        for pass in passes {
            self.passes
                .entry(pass.function.clone())
                .or_default()
                .push((file, pass.clone()));
        }
        for f in functions.iter().filter(|f| f.method) {
            *self.methods.entry((f.name.clone(), f.arity)).or_default() += 1;
        }
    }

    /// Whether the parsed files define one method of the parameter's
    /// function's name and arity, so a call on a value can only be of it.
    fn unique_method(&self, param: &Parameter) -> bool {
        self.methods.get(&(param.function.clone(), param.arity)) == Some(&1)
    }

    fn matches(&self, param: &Parameter, pass: &Pass) -> bool {
        pass.function == param.function
            && calls(
                param,
                &pass.owner,
                pass.method,
                pass.arity,
                self.unique_method(param),
            )
            .is_some_and(|position| position == pass.position)
    }

    /// What the workspace's calls pass for a parameter, and the call that
    /// decided it (file, line); `None` if nothing calls its function.
    fn resolve(
        &self,
        param: &Parameter,
        visiting: &mut HashSet<Parameter>,
        depth: usize,
    ) -> Option<(Provenance, Option<(usize, usize)>)> {
        if depth > MAX_DEPTH || !visiting.insert(param.clone()) {
            // A call from itself, or past the depth: adds nothing new.
            return Some((Provenance::Safe(Safe::Literal), None));
        }
        let calls: Vec<&(usize, Pass)> = self
            .passes
            .get(&param.function)
            .into_iter()
            .flatten()
            .filter(|(_, pass)| self.matches(param, pass))
            .collect();
        let out = (!calls.is_empty()).then(|| {
            let mut out = Provenance::Safe(Safe::Literal);
            let mut via = None;
            for (file, pass) in calls {
                let mut given = pass.known.clone();
                for through in &pass.through {
                    let held = self
                        .resolve(through, visiting, depth + 1)
                        .map_or(Provenance::Unknown, |(p, _)| p);
                    given = given.join(held);
                }
                let joined = out.clone().join(given);
                if joined != out {
                    out = joined;
                    via = Some((*file, pass.line));
                }
            }
            (out, via)
        });
        visiting.remove(param);
        out
    }

    /// Decides the values a file pastes from public parameters by what
    /// the workspace's calls pass, with the call that passed the worst.
    pub fn link(&self, file: &mut RsFile) {
        for pasted in &file.pasted {
            let mut provenance = pasted.rest.clone();
            let mut caller = None;
            for param in &pasted.params {
                let mut visiting = HashSet::new();
                let (given, via) = self
                    .resolve(param, &mut visiting, 0)
                    .unwrap_or((Provenance::Unknown, None));
                let joined = provenance.clone().join(given);
                if joined != provenance || caller.is_none() {
                    provenance = joined;
                    caller = Some(CallerParameter {
                        function: param.function_name(),
                        parameter: param.position,
                        key: None,
                        in_file: None,
                        via: via.map(|(f, line)| CallerParameter::call_at(&self.files[f], line)),
                    });
                }
            }
            // Request data read in another file is shown where it is
            // pasted, with the call that passed it.
            let provenance = provenance.pasted_at(pasted.host.clone());
            for unit in &mut file.units {
                for i in &mut unit.interpolations {
                    if i.host_range == pasted.host {
                        i.provenance = provenance.clone();
                        i.spliced &= !provenance.is_safe();
                        i.caller = caller.clone();
                    }
                }
            }
        }
    }
}
