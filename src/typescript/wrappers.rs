//! The project's own raw sinks: functions that send one of their
//! parameters to a raw sink as SQL text (`runQuery(sql, params)`, a
//! `rawQuery` helper around `$queryRawUnsafe`). A call of one sends its
//! argument as SQL, so the text written at the call is read as a query and
//! its pasted values are judged there.

use super::fields::Fields;
use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::Node;

use super::{Scan, peel};

/// A function that sends one of its parameters to a raw sink as SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sink {
    /// The parameter's position.
    pub parameter: usize,
    /// Whether the sink it reaches runs the text unchecked
    /// (`$queryRawUnsafe`, `sql.unsafe`).
    pub unchecked: bool,
}

/// The names of a function's parameters, in order; empty for a
/// destructured one.
pub(super) fn parameter_names(function: Node, text: &str) -> Vec<String> {
    let params = function
        .field("parameters")
        .or_else(|| function.field("parameter"));
    let Some(params) = params else {
        return Vec::new();
    };
    let name = |n: Node| text.get(n.byte_range()).unwrap_or("").to_owned();
    if params.kind() == "identifier" {
        return vec![name(params)];
    }
    let mut cursor = params.walk();
    params
        .named_children(&mut cursor)
        .filter(|p| p.kind() != "comment")
        .map(|p| {
            let pattern = match p.kind() {
                "required_parameter" | "optional_parameter" => p.field("pattern"),
                "assignment_pattern" => p.field("left"),
                _ => Some(p),
            };
            pattern
                .filter(|n| n.kind() == "identifier")
                .map(name)
                .unwrap_or_default()
        })
        .collect()
}

impl<'a> Scan<'a> {
    /// The innermost of the file's named functions whose body holds a
    /// range.
    fn enclosing_function(&self, range: &Range<usize>) -> Option<&str> {
        self.functions
            .iter()
            .filter(|(_, body)| body.start <= range.start && range.end <= body.end)
            .min_by_key(|(_, body)| body.end - body.start)
            .map(|(name, _)| name.as_str())
    }

    /// When the SQL text argument of a sink is a parameter of the function
    /// around it, that function is a sink too: records it and returns
    /// whether it is one.
    pub(super) fn parameter_sink(&mut self, arg: Node, unchecked: bool) -> bool {
        let arg = peel(arg);
        if arg.kind() != "identifier" || self.text_of(arg).is_some() {
            return false;
        }
        let name = self.src(arg);
        let Some(function) = self.enclosing_function(&arg.byte_range()) else {
            return false;
        };
        let Some(parameter) = self
            .parameters
            .get(function)
            .and_then(|names| names.iter().position(|p| p == name))
        else {
            return false;
        };
        let sink = self.sinks.entry(function.to_owned()).or_insert(Sink {
            parameter,
            unchecked,
        });
        sink.unchecked |= unchecked;
        true
    }

    /// The sink a callee names: one of the file's functions, or one the
    /// project exports and the file imports.
    pub(super) fn sink_named(&self, callee: &str) -> Option<Sink> {
        self.sinks.get(callee).copied().or_else(|| {
            let (original, _) = self.modules.imports.get(callee)?;
            self.project_sinks.get(original).copied()
        })
    }

    /// Whether a call may go through one of the project's sinks: its
    /// callee is a function of the file or a sink the file imports.
    pub(super) fn may_be_wrapped(&self, callee: Node) -> bool {
        callee.kind() == "identifier"
            && (self.functions.contains_key(self.src(callee))
                || self.sink_named(self.src(callee)).is_some())
    }

    /// Reads the calls that go through one of the project's sinks, once
    /// the file's are all known: a function that hands its own parameter
    /// to a sink is one too.
    pub(super) fn wrapped_calls(&mut self) {
        if self.wrapped.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.wrapped);
        let outer = std::mem::take(&mut self.scopes);
        let mut read = vec![false; pending.len()];
        for _ in 0..4 {
            let mut learnt = false;
            for (i, (call, scopes)) in pending.iter().enumerate() {
                let Some(callee) = call.field("function").map(peel) else {
                    continue;
                };
                let name = self.src(callee);
                let Some(sink) = (!read[i]).then(|| self.sink_named(name)).flatten() else {
                    continue;
                };
                read[i] = true;
                let Some(arg) = call
                    .field("arguments")
                    .and_then(|a| super::argument(a, sink.parameter))
                else {
                    continue;
                };
                self.scopes = scopes.clone();
                if self.argument_unit(arg, name.to_owned()) {
                    let unit = self.units.last_mut().expect("a unit was just kept");
                    unit.origin.unchecked_sink |= sink.unchecked;
                    // DDL per partition through a helper is per-item work,
                    // not a query per item (see `sql_call`).
                    if crate::units::changes_schema(&unit.text) {
                        let range = callee.byte_range();
                        self.looped_calls.retain(|(_, r, _)| *r != range);
                        self.modules.calls.retain(|c| c.range != range);
                    }
                } else if self.parameter_sink(arg, sink.unchecked) {
                    learnt = true;
                }
            }
            if !learnt {
                break;
            }
        }
        self.scopes = outer;
    }

    /// The file's exported functions that are sinks, by exported name.
    pub(super) fn exported_sinks(&self) -> HashMap<String, Sink> {
        self.modules
            .exported
            .iter()
            .filter_map(|(local, exported)| Some((exported.clone(), *self.sinks.get(local)?)))
            .collect()
    }
}
