//! The query model every front end lowers what it finds into, and the
//! rules read: what a value pasted into SQL is and where it comes from.
//!
//! A front end (TypeScript, Rust) follows each value back through the code
//! and records its [`Provenance`]. Rules never look at a front end's syntax;
//! they ask the model whether a value may carry SQL and, if it does, where
//! it came from.

use std::ops::Range;

mod catalog;
mod loops;
mod orm;
pub mod schema;

pub use catalog::{Catalog, Relation, prisma_relations};
pub use loops::{Collection, DataOrigin, Items, LoopInfo, PerItem};
pub use orm::{Equalities, Link, Orm, OrmCall, Property, own_row_loops};

/// Where a value comes from, as far as the front end could follow it: its
/// provenance.
///
/// Origins form a small lattice for joining the values that may reach one
/// place (`a ?? b`, `cond ? a : b`, every assignment to a `let`): request
/// data over a caller's value over one computed out of sight over a safe
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// A value that cannot carry SQL, and why.
    Safe(Safe),
    /// Whatever a caller passes: a parameter of a function other modules
    /// call, as text (typed `string`, or not typed). A front end that
    /// follows no values says this of every value that is not a constant.
    Unknown,
    /// Computed by code the front end does not follow: the result of a
    /// call of another module, a field of an object built elsewhere, the
    /// environment, a parameter whose declared type names the project's
    /// own type. Such a value is as often a number, an id or a setting as
    /// text; it is not reported as SQL injection.
    Opaque,
    /// Data from the request being served.
    Request(Source),
}

/// A value pasted into SQL text that is a parameter of a function other
/// modules may call: whether it can carry SQL is decided by what the
/// project's callers pass, once every file is read (see the module index's
/// linking). With no caller in the project, it stays what a caller may pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerParameter {
    /// The function's exported name, and the parameter's position.
    pub function: String,
    pub parameter: usize,
    /// The key into a destructured parameter (`{ table }`).
    pub key: Option<String>,
    /// What the function's own file passes, when it calls the function.
    pub in_file: Option<Provenance>,
    /// Once linked: the call in another file whose value decided the
    /// provenance, as `path:line`.
    pub via: Option<String>,
}

impl CallerParameter {
    /// The call that passed a value, as a finding names it: `path:line`,
    /// the path relative to the working folder.
    pub fn call_at(path: &std::path::Path, line: usize) -> String {
        let shown = path.strip_prefix(crate::discover::cwd()).unwrap_or(path);
        format!("{}:{line}", shown.display())
    }
}

/// What a call passes for a parameter of a function another module
/// exports, for the linking of [`CallerParameter`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passed {
    /// The function's name in its module, and the module as written.
    pub function: String,
    pub module: String,
    pub parameter: usize,
    pub key: Option<String>,
    pub provenance: Provenance,
    /// The line of the call (1-based).
    pub line: usize,
}

/// Why a value cannot carry SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    /// A literal, or a name bound to one and never reassigned.
    Literal,
    /// A number or a boolean: a conversion, arithmetic, a length, or a
    /// parameter typed `number` or `boolean`.
    Number,
    /// A value checked against, or picked from, a fixed list: an
    /// `includes` test, a lookup in a literal map, a literal union type.
    AllowListed,
    /// The result of a quoting helper (`format.ident`, `escapeLiteral`).
    Quoted,
    /// A list of placeholders generated from a length: `ids.map(() =>
    /// '?').join(',')`.
    Placeholders,
    /// SQL text the project builds elsewhere, judged where it is built.
    Fragment,
}

/// The request data a value comes from: the expression that reads it,
/// shown as a label on the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The expression as written: `searchParams.get('q')`, `req.query`.
    pub label: String,
    /// Its host range.
    pub range: Range<usize>,
}

impl Provenance {
    /// What a front end that follows no values says of a pasted one: a
    /// constant is safe, anything else unknown.
    pub fn constant_or_unknown(constant: bool) -> Provenance {
        if constant {
            Provenance::Safe(Safe::Literal)
        } else {
            Provenance::Unknown
        }
    }

    /// The provenance recorded for a value bound as a parameter, which
    /// never becomes SQL whatever it holds.
    pub const BOUND: Provenance = Provenance::Safe(Safe::Literal);

    /// The origin of a value that may be either of two.
    pub fn join(self, other: Provenance) -> Provenance {
        match (self, other) {
            (a @ Provenance::Request(_), _) | (_, a @ Provenance::Request(_)) => a,
            (Provenance::Unknown, _) | (_, Provenance::Unknown) => Provenance::Unknown,
            (Provenance::Opaque, _) | (_, Provenance::Opaque) => Provenance::Opaque,
            (a, _) => a,
        }
    }

    /// The origin of a value built from several (a template, a `+` chain):
    /// the worst of them, safe when there are none.
    pub fn join_all(origins: impl IntoIterator<Item = Provenance>) -> Provenance {
        origins
            .into_iter()
            .reduce(Provenance::join)
            .unwrap_or(Provenance::Safe(Safe::Literal))
    }

    pub fn is_safe(&self) -> bool {
        matches!(self, Provenance::Safe(_))
    }

    /// The origin as a value pasted at `range` shows it: request data read
    /// in another file is labelled where it is pasted.
    pub fn pasted_at(self, range: Range<usize>) -> Provenance {
        match self {
            Provenance::Request(source) => Provenance::Request(Source {
                label: source.label,
                range,
            }),
            other => other,
        }
    }

    /// The request data the value comes from, if it does.
    pub fn source(&self) -> Option<&Source> {
        match self {
            Provenance::Request(source) => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Provenance {
        Provenance::Request(Source {
            label: "req.query".into(),
            range: 0..9,
        })
    }

    #[test]
    fn request_data_wins_a_join_and_safe_values_lose_it() {
        let safe = Provenance::Safe(Safe::Number);
        assert_eq!(safe.clone().join(Provenance::Unknown), Provenance::Unknown);
        assert_eq!(Provenance::Unknown.join(request()), request());
        assert_eq!(request().join(safe.clone()), request());
        assert_eq!(
            safe.clone().join(Provenance::Safe(Safe::Literal)),
            Provenance::Safe(Safe::Number)
        );
        assert!(Provenance::join_all([]).is_safe());
        assert_eq!(Provenance::Opaque.join(safe.clone()), Provenance::Opaque);
        assert_eq!(
            Provenance::Opaque.join(Provenance::Unknown),
            Provenance::Unknown
        );
        assert_eq!(
            Provenance::join_all([safe, request(), Provenance::Unknown]).source(),
            Some(&Source {
                label: "req.query".into(),
                range: 0..9
            })
        );
    }
}
