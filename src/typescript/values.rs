//! Where a value comes from in TypeScript and JavaScript: follows an
//! expression back through `const` and `let` bindings, destructuring,
//! object literals, parameters and the calls that convert or check it, to
//! its [`Provenance`].
//!
//! The walk is lexical and within the file: a name resolves to its nearest
//! declaration before the use, a `let` to every value assigned to it, a
//! parameter to what the framework passes there (request data for
//! handlers) or to nothing known.

use super::fields::Fields;
use std::ops::Range;
use tree_sitter::Node;

use super::{Scan, is_literal, peel};
use crate::model::{CallerParameter, Provenance, Safe, Source};

/// How many bindings and calls a value is followed through.
const MAX_HOPS: usize = 24;

/// Calls whose result is a number or a boolean, whatever they are given.
/// Date methods whose text is digits, letters and separators.
const DATE_FORMATS: &[&str] = &["toISOString", "toUTCString", "toDateString"];

const NUMBER_CALLS: &[&str] = &[
    "Number",
    "parseInt",
    "parseFloat",
    "BigInt",
    "Boolean",
    "isNaN",
    "isFinite",
    "isInteger",
    "isSafeInteger",
    "toFixed",
    "getTime",
    "valueOf",
    "now",
    "indexOf",
    "includes",
    "startsWith",
    "endsWith",
    "has",
    "some",
    "every",
    "test",
    "toISOString",
    "toUTCString",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDay",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "getTimezoneOffset",
    "getUTCFullYear",
    "getUTCMonth",
    "getUTCDate",
    "getUTCDay",
    "getUTCHours",
    "getUTCMinutes",
    "getUTCSeconds",
    "round",
    "floor",
    "ceil",
    "min",
    "max",
    "abs",
];

/// Quoting helpers: their result is a quoted identifier or literal.
const QUOTING_CALLS: &[&str] = &[
    "identifier",
    "ident",
    "escapeIdentifier",
    "escapeLiteral",
    "escapeId",
    "escape",
    "quoteIdent",
    "quoteIdentifier",
    "quoteLiteral",
    "quote_ident",
    "quote_literal",
    "literal",
];

/// Methods that hand back (part of) the value they are called on: the
/// result comes from where the value does.
const PASSING_METHODS: &[&str] = &[
    "get",
    "getAll",
    "trim",
    "trimStart",
    "trimEnd",
    "toLowerCase",
    "toUpperCase",
    "toLocaleLowerCase",
    "toLocaleUpperCase",
    "slice",
    "substring",
    "substr",
    "replace",
    "replaceAll",
    "split",
    "join",
    "concat",
    "values",
    "keys",
    "entries",
    "toString",
    "at",
    "padStart",
    "padEnd",
    "normalize",
    "json",
    "text",
    "formData",
    "param",
    "query",
    "header",
    "valid",
];

/// Request objects' members that hold what the client sent, by the names
/// handlers give the object: Express, Fastify and Koa `req.query`, Next.js
/// `request.nextUrl`, Hono `c.req`.
const REQUEST_MEMBERS: &[(&str, &[&str])] = &[
    (
        "req",
        &[
            "query", "body", "params", "headers", "cookies", "url", "json", "formData", "text",
            "nextUrl", "header", "get", "param",
        ],
    ),
    (
        "request",
        &[
            "query", "body", "params", "headers", "cookies", "url", "json", "formData", "text",
            "nextUrl",
        ],
    ),
    ("ctx", &["query", "params", "request", "req", "headers"]),
    ("c", &["req"]),
];

/// NestJS parameter decorators that bind request data.
const REQUEST_DECORATORS: &[&str] = &["Body", "Query", "Param", "Headers", "Req", "Request"];

/// A name's declaration, as found from a use.
pub(super) enum Declaration<'a> {
    /// `const`/`let`/`var`: the declarator, and the keys that lead from
    /// its value to the name (`const { a: { b } } = v` gives `a.b`).
    Variable {
        declarator: Node<'a>,
        keys: Vec<String>,
    },
    /// A function's parameter, with the keys into it.
    Parameter {
        parameter: Node<'a>,
        function: Node<'a>,
        keys: Vec<String>,
    },
    /// The element of a `for...of` or `for...in` loop.
    LoopElement { loop_node: Node<'a> },
    /// Anything else: an import, a function, a class, a catch parameter.
    Other,
}

/// What one call of a function passes for a parameter.
#[derive(Debug, Clone, Copy)]
pub(super) enum Given<'a> {
    /// Nothing: the parameter is `undefined`.
    Missing,
    /// This value.
    Value(Node<'a>),
    /// Something not followed: a spread, an object built elsewhere.
    Opaque,
}

impl<'a> Scan<'a> {
    /// Where the value of `node` comes from.
    pub(super) fn provenance(&self, node: Node<'a>) -> Provenance {
        self.provenance_at(node, 0)
    }

    fn provenance_at(&self, node: Node<'a>, hops: usize) -> Provenance {
        if hops > MAX_HOPS {
            return Provenance::Opaque;
        }
        let node = peel(node);
        if is_literal(node) {
            return Provenance::Safe(Safe::Literal);
        }
        let next = hops + 1;
        match node.kind() {
            "undefined" | "regex" => Provenance::Safe(Safe::Literal),
            "template_string" => {
                let mut cursor = node.walk();
                let parts: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter(|p| p.kind() == "template_substitution")
                    .filter_map(|p| p.named_child(0))
                    .collect();
                Provenance::join_all(parts.into_iter().map(|p| self.provenance_at(p, next)))
            }
            "identifier" | "shorthand_property_identifier" => self.name_provenance(node, next),
            "ternary_expression" => self.ternary_provenance(node, next),
            "binary_expression" => {
                let op = node.field("operator").map_or("", |o| self.src(o));
                match op {
                    "+" | "??" | "||" | "&&" => {
                        let side = |f| {
                            node.field(f)
                                .map_or(Provenance::Opaque, |n| self.provenance_at(n, next))
                        };
                        side("left").join(side("right"))
                    }
                    _ => Provenance::Safe(Safe::Number),
                }
            }
            "unary_expression" | "update_expression" => Provenance::Safe(Safe::Number),
            "call_expression" => self.call_provenance(node, next),
            "member_expression" => self.member_provenance(node, next),
            "subscript_expression" => {
                let Some(object) = node.field("object").map(peel) else {
                    return Provenance::Opaque;
                };
                if self.is_literal_collection(object, next) {
                    // `SORT_COLUMNS[sort]`: one of the map's own values.
                    return Provenance::Safe(Safe::AllowListed);
                }
                self.provenance_at(object, next)
            }
            "new_expression" => {
                let constructor = node.field("constructor").map_or("", |c| self.src(c));
                match constructor {
                    "Date" | "Number" | "Boolean" => Provenance::Safe(Safe::Number),
                    // An empty collection, or one holding what it is given;
                    // what is added later joins it (see `added`).
                    "URL" | "URLSearchParams" | "Map" | "Set" | "Array" => Provenance::join_all(
                        self.arguments(node)
                            .into_iter()
                            .map(|a| self.provenance_at(a, next)),
                    ),
                    _ => Provenance::Opaque,
                }
            }
            "array" => {
                let mut cursor = node.walk();
                let items: Vec<Node> = node.named_children(&mut cursor).collect();
                Provenance::join_all(items.into_iter().map(|i| self.provenance_at(i, next)))
            }
            "spread_element" => node
                .named_child(0)
                .map_or(Provenance::Opaque, |n| self.provenance_at(n, next)),
            // An object pasted or read whole: what its members hold.
            "object" => {
                let mut cursor = node.walk();
                let members: Vec<Node> = node
                    .named_children(&mut cursor)
                    .filter_map(|member| match member.kind() {
                        "pair" => member.field("value"),
                        "shorthand_property_identifier" | "spread_element" => Some(member),
                        _ => None,
                    })
                    .collect();
                Provenance::join_all(members.into_iter().map(|m| self.provenance_at(m, next)))
            }
            _ => Provenance::Opaque,
        }
    }

    /// `cond ? a : b`: either branch; in `LIST.includes(x) ? x : y` the
    /// first branch is allow-listed.
    fn ternary_provenance(&self, node: Node<'a>, hops: usize) -> Provenance {
        let branch = |f| node.field(f);
        let checked = branch("condition").and_then(|c| self.allow_listed_name(peel(c)));
        let consequence = branch("consequence").map_or(Provenance::Opaque, |n| {
            if checked.is_some_and(|name| name == self.src(peel(n))) {
                Provenance::Safe(Safe::AllowListed)
            } else {
                self.provenance_at(n, hops)
            }
        });
        let alternative =
            branch("alternative").map_or(Provenance::Opaque, |n| self.provenance_at(n, hops));
        consequence.join(alternative)
    }

    /// The name a condition checks against a fixed list:
    /// `LIST.includes(x)`, `SET.has(x)`, `x in MAP`.
    fn allow_listed_name(&self, condition: Node<'a>) -> Option<&'a str> {
        match condition.kind() {
            "call_expression" => {
                let callee = peel(condition.field("function")?);
                let method = self.src(callee.field("property")?);
                let list = callee.field("object").map(peel)?;
                let argument = self.arguments(condition).into_iter().next().map(peel)?;
                if method == "test" && list.kind() == "regex" {
                    // `/^[a-z_]+$/.test(x)`: a pattern that spells out the
                    // whole value, with no wildcard.
                    return (argument.kind() == "identifier" && allow_list_pattern(self.src(list)))
                        .then(|| self.src(argument));
                }
                (matches!(method, "includes" | "has")
                    && argument.kind() == "identifier"
                    && self.is_literal_collection(list, 0))
                .then(|| self.src(argument))
            }
            "binary_expression" => {
                let op = self.src(condition.field("operator")?);
                let left = peel(condition.field("left")?);
                let right = peel(condition.field("right")?);
                (op == "in" && left.kind() == "identifier" && self.is_literal_collection(right, 0))
                    .then(|| self.src(left))
            }
            _ => None,
        }
    }

    /// Whether `node` is, or names, an array or object literal whose values
    /// are literals (or a `new Set`/`new Map` of one): a fixed list.
    fn is_literal_collection(&self, node: Node<'a>, hops: usize) -> bool {
        if hops > MAX_HOPS {
            return false;
        }
        let node = peel(node);
        match node.kind() {
            "array" | "object" => {
                let mut cursor = node.walk();
                node.named_children(&mut cursor).all(|item| {
                    let value = if item.kind() == "pair" {
                        item.field("value")
                    } else {
                        Some(item)
                    };
                    value.is_some_and(|v| {
                        let v = peel(v);
                        is_literal(v) || self.is_literal_collection(v, hops + 1)
                    })
                })
            }
            "new_expression" => self
                .arguments(node)
                .first()
                .is_some_and(|a| self.is_literal_collection(*a, hops + 1)),
            "identifier" => match self.declaration(node) {
                Declaration::Variable { declarator, keys } if keys.is_empty() => declarator
                    .field("value")
                    .is_some_and(|v| self.is_literal_collection(v, hops + 1)),
                _ => false,
            },
            "member_expression" => {
                // `Object.keys(MAP)` is handled as a call; `CONFIG.sortable`
                // is a literal collection when `CONFIG` is.
                node.field("object")
                    .is_some_and(|o| self.is_literal_collection(o, hops + 1))
            }
            "call_expression" => {
                // `Object.keys(MAP)`, `Object.values(MAP)`.
                let callee = node.field("function").map_or("", |f| self.src(f));
                matches!(callee, "Object.keys" | "Object.values" | "Object.entries")
                    && self
                        .arguments(node)
                        .first()
                        .is_some_and(|a| self.is_literal_collection(*a, hops + 1))
            }
            _ => false,
        }
    }

    pub(super) fn arguments(&self, call: Node<'a>) -> Vec<Node<'a>> {
        let Some(args) = call.field("arguments") else {
            return Vec::new();
        };
        let mut cursor = args.walk();
        args.named_children(&mut cursor)
            .filter(|a| a.kind() != "comment")
            .collect()
    }

    fn call_provenance(&self, node: Node<'a>, hops: usize) -> Provenance {
        let Some(callee) = node.field("function").map(peel) else {
            return Provenance::Opaque;
        };
        let callee_text = self.src(callee);
        let method = callee_text.rsplit('.').next().unwrap_or(callee_text).trim();
        if callee_text.starts_with("Math.") || NUMBER_CALLS.contains(&method) {
            return Provenance::Safe(Safe::Number);
        }
        if QUOTING_CALLS.contains(&method) || self.doubles_quotes(node, method) {
            return Provenance::Safe(Safe::Quoted);
        }
        if method == "join" && self.is_placeholder_list(callee) {
            return Provenance::Safe(Safe::Placeholders);
        }
        if method == "repeat" && callee.field("object").is_some_and(|o| is_literal(peel(o))) {
            // `'?, '.repeat(n)`
            return Provenance::Safe(Safe::Placeholders);
        }
        if matches!(
            callee_text,
            "String" | "JSON.stringify" | "decodeURIComponent"
        ) {
            return Provenance::join_all(
                self.arguments(node)
                    .into_iter()
                    .map(|a| self.provenance_at(a, hops)),
            );
        }
        if method == "parse" || method == "safeParse" {
            // A zod schema: an enum or a number lets only its values
            // through; anything else passes its input on.
            if ["enum(", "nativeEnum(", "number(", "boolean(", "literal("]
                .iter()
                .any(|s| callee_text.contains(s))
            {
                return Provenance::Safe(Safe::AllowListed);
            }
            return Provenance::join_all(
                self.arguments(node)
                    .into_iter()
                    .map(|a| self.provenance_at(a, hops)),
            );
        }
        if matches!(
            callee_text,
            "Object.values"
                | "Object.keys"
                | "Object.entries"
                | "Object.fromEntries"
                | "Array.from"
        ) {
            return Provenance::join_all(
                self.arguments(node)
                    .into_iter()
                    .take(1)
                    .map(|a| self.provenance_at(a, hops)),
            );
        }
        if callee.kind() == "member_expression" {
            let object = callee.field("object");
            if let Some(source) = object.and_then(|o| self.request_source(callee, o)) {
                return Provenance::Request(source);
            }
            if matches!(method, "map" | "flatMap")
                && let Some(callback) = self.arguments(node).first().map(|a| peel(*a))
                && matches!(
                    callback.kind(),
                    "arrow_function" | "function_expression" | "function"
                )
                && let Some(body) = callback.field("body")
            {
                // `rows.map((_, i) => `$${i + 1}`)`: what the callback
                // returns, its parameters being an item and an index.
                return Provenance::join_all(
                    returned_values(body)
                        .into_iter()
                        .map(|v| self.provenance_at(v, hops + 1)),
                );
            }
            // `db.get(query)`, `tx.all(...)`: rows the database sends back.
            if matches!(method, "get" | "all" | "values")
                && object.is_some_and(|o| self.is_database(o))
            {
                return Provenance::Opaque;
            }
            if PASSING_METHODS.contains(&method)
                && let Some(object) = object
            {
                let from = self.provenance_at(object, hops);
                return self.widen(from, node);
            }
            if DATE_FORMATS.contains(&method) {
                // `d.toISOString()`: digits and separators, never a quote.
                return Provenance::Safe(Safe::Number);
            }
        }
        if callee.kind() == "identifier"
            && let Some(returned) = self.returned_provenance(node, callee_text, hops)
        {
            return returned;
        }
        Provenance::Opaque
    }

    /// What a call of one of the file's functions returns: the join of its
    /// `return` values, a parameter returned as it came being what this
    /// call passes for it (`safeName(name)` that checks `name` against an
    /// anchored pattern and returns it). `None` when the file has no such
    /// function or it returns nothing.
    fn returned_provenance(&self, call: Node<'a>, name: &str, hops: usize) -> Option<Provenance> {
        let body = self.function_body(name)?;
        let function = body.parent()?;
        let returned = returned_values(body);
        if returned.is_empty() {
            return None;
        }
        let arguments = self.arguments(call);
        Some(self.following((body.id(), 5), Provenance::Opaque, || {
            Provenance::join_all(returned.into_iter().map(|value| {
                let value = peel(value);
                if value.kind() == "identifier"
                    && !self.checked_before(value)
                    && let Declaration::Parameter {
                        parameter,
                        function: declared_in,
                        keys,
                    } = self.declaration(value)
                    && declared_in.id() == function.id()
                    && keys.is_empty()
                    && let Some(index) = parameter_index(function, parameter)
                {
                    return arguments
                        .get(index)
                        .map_or(Provenance::Safe(Safe::Literal), |a| {
                            self.provenance_at(*a, hops + 1)
                        });
                }
                self.provenance_at(value, hops + 1)
            }))
        }))
    }

    /// `s.replace(/'/g, "''")`: a quoting helper by what it does, doubling
    /// each single quote so the value stays inside its string literal.
    fn doubles_quotes(&self, call: Node<'a>, method: &str) -> bool {
        if !matches!(method, "replace" | "replaceAll") {
            return false;
        }
        let args = self.arguments(call);
        let (Some(pattern), Some(replacement)) = (args.first(), args.get(1)) else {
            return false;
        };
        let replacement = self.src(*replacement);
        self.src(*pattern).contains('\'')
            && (replacement == "\"''\"" || replacement == "`''`" || replacement == "'\\'\\''")
    }

    /// `ids.map(() => '?').join(',')`, `ids.map((_, i) => `$${i + 1}`)`,
    /// `Array(n).fill('?').join()`: placeholders, one per item.
    fn is_placeholder_list(&self, join_callee: Node<'a>) -> bool {
        let Some(inner) = join_callee.field("object").map(peel) else {
            return false;
        };
        if inner.kind() != "call_expression" {
            return false;
        }
        let Some(inner_callee) = inner.field("function").map(peel) else {
            return false;
        };
        let name = self.src(inner_callee);
        let method = name.rsplit('.').next().unwrap_or(name);
        let args = self.arguments(inner);
        match method {
            "fill" => args.first().is_some_and(|a| is_literal(peel(*a))),
            "map" | "from" => args.last().is_some_and(|callback| {
                let callback = peel(*callback);
                matches!(callback.kind(), "arrow_function" | "function_expression")
                    && callback.field("body").is_some_and(|body| {
                        let body = peel(body);
                        // The item itself is not in the text: only
                        // literals and the index.
                        let parameters = callback
                            .field("parameters")
                            .or_else(|| callback.field("parameter"));
                        let item = parameters.and_then(|p| first_parameter_name(p, self.text));
                        let index = parameters.and_then(|p| second_parameter_name(p, self.text));
                        !item.is_some_and(|item| mentions(self.src(body), item))
                            && (self.provenance(body).is_safe()
                                || index.is_some_and(|index| only_mentions(body, self.text, index)))
                    })
            }),
            _ => false,
        }
    }

    /// A value read off another: a member of request data is request data
    /// named by the longer expression.
    fn member_provenance(&self, node: Node<'a>, hops: usize) -> Provenance {
        let Some(object) = node.field("object") else {
            return Provenance::Opaque;
        };
        let property = node.field("property").map_or("", |p| self.src(p));
        if property == "length" {
            return Provenance::Safe(Safe::Number);
        }
        if let Some(source) = self.request_source(node, object) {
            return Provenance::Request(source);
        }
        let peeled = peel(object);
        if self.is_constant_field(peeled, property) {
            return Provenance::Safe(Safe::Literal);
        }
        // `parsed.data.limit` after `const parsed = schema.safeParse(body)`
        let mut chain = vec![property.to_owned()];
        let mut root = peeled;
        while root.kind() == "member_expression" && chain.len() < 4 {
            chain.insert(
                0,
                root.field("property")
                    .map_or("", |p| self.src(p))
                    .to_owned(),
            );
            match root.field("object") {
                Some(o) => root = peel(o),
                None => break,
            }
        }
        if chain.len() > 1
            && root.kind() == "identifier"
            && let Declaration::Variable { declarator, keys } = self.declaration(root)
            && keys.is_empty()
            && let Some(value) = declarator.field("value")
            && let Some(found) = self.schema_field(value, &chain)
        {
            return found;
        }
        if peeled.kind() == "identifier"
            && let Declaration::Variable { declarator, keys } = self.declaration(peeled)
            && let Some(value) = declarator.field("value")
        {
            // `const filters = { sort: 'name' }; filters.sort`
            let mut keys = keys;
            keys.push(property.to_owned());
            if let Some(found) = self.property_of(value, &keys, hops) {
                return found;
            }
        }
        let from = self.provenance_at(object, hops);
        self.widen(from, node)
    }

    /// Whether `Class.name` or `this.name` reads a `readonly` field of a
    /// class of the file initialised with a literal: `static readonly
    /// timeoutMs = 20_000`.
    fn is_constant_field(&self, object: Node<'a>, property: &str) -> bool {
        if !self.text.contains(&format!("readonly {property}")) {
            return false;
        }
        let class = match object.kind() {
            "this" => None,
            "identifier" if self.classes.iter().any(|c| c.0 == self.src(object)) => {
                Some(self.src(object))
            }
            _ => return false,
        };
        let mut stack = vec![self.root_node];
        while let Some(node) = stack.pop() {
            match node.kind() {
                "class_declaration" | "abstract_class_declaration" | "class" => {
                    let named = node.field("name").map(|n| self.src(n));
                    let this_class = class.is_none()
                        && node.start_byte() <= object.start_byte()
                        && object.end_byte() <= node.end_byte();
                    if (class.is_some() && named == class) || this_class {
                        let Some(body) = node.field("body") else {
                            return false;
                        };
                        let mut cursor = body.walk();
                        return body.named_children(&mut cursor).any(|field| {
                            field.kind() == "public_field_definition"
                                && field.field("name").is_some_and(|n| self.src(n) == property)
                                && self.src(field).contains("readonly ")
                                && field.field("value").is_some_and(|v| is_literal(peel(v)))
                        });
                    }
                }
                _ => {}
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// Request data read further (`searchParams` to `searchParams.get('q')`)
    /// is named by the longer expression, which is what a reader looks for,
    /// when the shorter one names the whole request or a part of it.
    fn widen(&self, from: Provenance, node: Node<'a>) -> Provenance {
        match from {
            Provenance::Request(source)
                if (node.byte_range().contains(&source.range.start)
                    || is_container(&source.label))
                    && !self.src(node).contains('\n') =>
            {
                Provenance::Request(Source {
                    label: self.src(node).to_owned(),
                    range: node.byte_range(),
                })
            }
            other => other,
        }
    }

    /// Request data read directly off the request object a handler is
    /// given: `req.query`, `ctx.request.body`, `c.req.query('q')`.
    pub(super) fn request_source(&self, node: Node<'a>, object: Node<'a>) -> Option<Source> {
        let object = peel(object);
        if object.kind() != "identifier" {
            return None;
        }
        let property = node.field("property").map(|p| self.src(p))?;
        let root = self.src(object);
        let members = REQUEST_MEMBERS.iter().find(|(name, _)| *name == root)?.1;
        if !members.contains(&property) {
            return None;
        }
        // The name must be a parameter (the handler's), not a local.
        if !matches!(self.declaration(object), Declaration::Parameter { .. }) {
            return None;
        }
        let whole = node
            .parent()
            .filter(|p| p.kind() == "call_expression")
            .unwrap_or(node);
        Some(Source {
            label: self.src(whole).to_owned(),
            range: whole.byte_range(),
        })
    }

    /// The value at `keys` inside the object a binding holds, when the
    /// object is written as a literal.
    fn property_of(&self, value: Node<'a>, keys: &[String], hops: usize) -> Option<Provenance> {
        let value = peel(value);
        let Some((first, rest)) = keys.split_first() else {
            return Some(self.provenance_at(value, hops));
        };
        if value.kind() == "call_expression" {
            if let Some(found) = self.schema_field(value, keys) {
                return Some(found);
            }
            // `const options = parseArgs(argv); options.timeoutMs`: the
            // member of the objects a function of the file returns.
            return self.returned_property(value, keys, hops);
        }
        if hops > MAX_HOPS {
            return None;
        }
        // `const input = payload.data; input.limit`: the field `data.limit`
        // of what `payload` holds.
        if value.kind() == "member_expression" {
            let object = value.field("object")?;
            let property = self.src(value.field("property")?).to_owned();
            let longer: Vec<String> = std::iter::once(property)
                .chain(keys.iter().cloned())
                .collect();
            return self.property_of(object, &longer, hops + 1);
        }
        if value.kind() == "identifier" {
            let Declaration::Variable {
                declarator,
                keys: held,
            } = self.declaration(value)
            else {
                return None;
            };
            let longer: Vec<String> = held.into_iter().chain(keys.iter().cloned()).collect();
            return self.property_of(declarator.field("value")?, &longer, hops + 1);
        }
        if value.kind() != "object" {
            return None;
        }
        let mut cursor = value.walk();
        let mut found = None;
        for pair in value.named_children(&mut cursor) {
            match pair.kind() {
                "pair" => {
                    let key = pair
                        .field("key")
                        .map_or("", |k| self.src(k).trim_matches(|c| c == '"' || c == '\''));
                    if key == first {
                        found = pair
                            .field("value")
                            .and_then(|v| self.property_of(v, rest, hops + 1));
                    }
                }
                "shorthand_property_identifier" if self.src(pair) == first && rest.is_empty() => {
                    found = Some(self.provenance_at(pair, hops + 1));
                }
                // A spread may hold the key: nothing is known then.
                "spread_element" => found = None,
                _ => {}
            }
        }
        found
    }

    /// A field that a zod object schema of the file parses as a number, a
    /// boolean, a date or one of a fixed set: `limit` in
    /// `schema.parse(body).limit` (or `.safeParse(body).data.limit`) with
    /// `const schema = z.object({ limit: z.coerce.number() })`.
    fn schema_field(&self, call: Node<'a>, keys: &[String]) -> Option<Provenance> {
        let call = peel(call);
        let callee = call.field("function").map(peel)?;
        let method = self.src(callee.field("property")?);
        let keys = match method {
            "parse" | "parseAsync" => keys,
            "safeParse" | "safeParseAsync" if keys.first().is_some_and(|k| k == "data") => {
                &keys[1..]
            }
            _ => return None,
        };
        let mut schema = peel(callee.field("object")?);
        if schema.kind() == "identifier"
            && let Declaration::Variable {
                declarator,
                keys: none,
            } = self.declaration(schema)
            && none.is_empty()
        {
            schema = peel(declarator.field("value")?);
        }
        // `z.object({...}).strict()`: down to the `object` call.
        for _ in 0..8 {
            let inner = schema.field("function").map(peel)?;
            if inner
                .field("property")
                .is_some_and(|p| self.src(p) == "object")
            {
                break;
            }
            schema = peel(inner.field("object")?);
        }
        let shape = self.arguments(schema).first().map(|a| peel(*a))?;
        let key = keys.first()?;
        let field = self.object_value(shape, key)?;
        let written: String = self.src(field).split_whitespace().collect();
        let fixed = [
            "z.number(",
            "z.coerce.number(",
            "z.boolean(",
            "z.coerce.boolean(",
            "z.date(",
            "z.coerce.date(",
            "z.enum(",
            "z.nativeEnum(",
            "z.literal(",
            "z.bigint(",
            "z.coerce.bigint(",
        ];
        (keys.len() == 1 && fixed.iter().any(|f| written.starts_with(f)))
            .then_some(Provenance::Safe(Safe::AllowListed))
    }

    /// The value at `keys` in what a call of one of the file's functions
    /// returns, when every `return` hands back an object literal.
    fn returned_property(
        &self,
        call: Node<'a>,
        keys: &[String],
        hops: usize,
    ) -> Option<Provenance> {
        let callee = call.field("function").map(peel)?;
        if callee.kind() != "identifier" || hops > MAX_HOPS {
            return None;
        }
        let body = self.function_body(self.src(callee))?;
        let returned = returned_values(body);
        if returned.is_empty() {
            return None;
        }
        self.following((body.id(), 6), None, || {
            returned
                .into_iter()
                .map(|value| self.property_of(value, keys, hops + 1))
                .try_fold(Provenance::Safe(Safe::Literal), |acc, found| {
                    found.map(|f| acc.join(f))
                })
        })
    }

    /// The body of the file's function of this name.
    pub(super) fn function_body(&self, name: &str) -> Option<Node<'a>> {
        let range = self.functions.get(name)?;
        let mut body = self
            .root_node
            .descendant_for_byte_range(range.start, range.end)?;
        while body.byte_range() != *range {
            body = body.parent()?;
        }
        Some(body)
    }

    /// Runs `follow` for a declaration unless the walk is already
    /// following it (`kind` tells the walks apart): a value that refers to
    /// itself (`x = x.concat(y)`) gives `cycle` there, and the walk stays
    /// linear in the assignments instead of branching on each one again.
    pub(super) fn following<T>(&self, key: (usize, u8), cycle: T, follow: impl FnOnce() -> T) -> T {
        // Past the file's time budget the scan is dropped anyway: stop.
        if self.following.borrow().contains(&key) || crate::budget::expired() {
            return cycle;
        }
        self.following.borrow_mut().push(key);
        let out = follow();
        self.following.borrow_mut().pop();
        out
    }

    /// Where a name's value comes from: its declaration's value, every
    /// value assigned to it later, or what its parameter is given.
    fn name_provenance(&self, name: Node<'a>, hops: usize) -> Provenance {
        let text = self.src(name);
        if matches!(text, "undefined" | "NaN" | "Infinity") {
            return Provenance::Safe(Safe::Literal);
        }
        if self.checked_before(name) {
            return Provenance::Safe(Safe::AllowListed);
        }
        match self.declaration(name) {
            Declaration::Variable { declarator, keys } => {
                if declarator
                    .field("type")
                    .is_some_and(|t| safe_type(self.src(t)))
                {
                    return Provenance::Safe(Safe::Number);
                }
                // `sql = sql + ' AND ...'`: the name's own value adds
                // nothing to where it comes from.
                let safe = Provenance::Safe(Safe::Literal);
                self.following((declarator.id(), 1), safe, || {
                    let initial = declarator.field("value").map_or(
                        Provenance::Safe(Safe::Literal),
                        |value| {
                            self.property_of(value, &keys, hops)
                                .unwrap_or_else(|| self.provenance_at(value, hops))
                        },
                    );
                    if !keys.is_empty() {
                        return initial;
                    }
                    self.reassigned(declarator, text)
                        .into_iter()
                        .chain(self.added(declarator, text))
                        .fold(initial, |acc, v| acc.join(self.provenance_at(v, hops)))
                })
            }
            Declaration::Parameter {
                parameter,
                function,
                keys,
            } => match self.parameter_provenance(parameter, function, &keys, name) {
                // What the file's own calls pass; a caller elsewhere may
                // pass anything, unless the function is the file's own.
                // An array method's callback: an item of the array, then
                // its index.
                Provenance::Unknown if self.array_callback(function).is_some() => {
                    let array = self.array_callback(function);
                    let index = parameter_index(function, parameter);
                    match (index, array) {
                        (Some(1), _) if keys.is_empty() => Provenance::Safe(Safe::Number),
                        (Some(0) | None, Some(array)) => self.provenance_at(array, hops + 1),
                        _ => Provenance::Opaque,
                    }
                }
                Provenance::Unknown => {
                    self.following((function.id(), 4), Provenance::Unknown, || {
                        let Some(given) = self.given_arguments(parameter, function, &keys) else {
                            // A function of the file's own handed to other
                            // code (`withSnapshot(copyAt)`) is called with
                            // what that code computes, out of sight.
                            if !self.is_exported(function) && self.handed_on(function) {
                                return Provenance::Opaque;
                            }
                            return self.passed_text(parameter, function, &keys);
                        };
                        let from_callers = self.given_provenance(given, hops + 1);
                        if self.is_exported(function) {
                            self.passed_text(parameter, function, &keys)
                                .join(from_callers)
                        } else {
                            from_callers
                        }
                    })
                }
                known => known,
            },
            Declaration::LoopElement { loop_node } => {
                loop_node
                    .field("right")
                    .map_or(Provenance::Opaque, |items| {
                        if self.is_literal_collection(items, hops) {
                            Provenance::Safe(Safe::AllowListed)
                        } else {
                            self.provenance_at(items, hops)
                        }
                    })
            }
            Declaration::Other => Provenance::Opaque,
        }
    }

    /// What a caller may pass for a parameter (under `keys`, for a
    /// destructured one): text when its declared type says a string
    /// (`string`, `any`, `unknown`) or it declares none; a value of the
    /// project's own type (`Availability`, `ListInput`) is out of sight.
    fn passed_text(&self, parameter: Node<'a>, function: Node<'a>, keys: &[String]) -> Provenance {
        let Some(annotation) = parameter.field("type") else {
            // A callback handed to a library (`process(ids, async (batch)
            // => ...)`, `{ lookupFn: async (ids) => ... }`) is given what the
            // library computes, out of sight.
            return if is_callback(function) {
                Provenance::Opaque
            } else {
                Provenance::Unknown
            };
        };
        let mut written = self.src(annotation).trim_start_matches(':').trim();
        if let Some(key) = keys.first() {
            // `{ userId }: { userId: number; note: string }`
            if !written.starts_with('{') {
                return Provenance::Opaque;
            }
            let Some(member) = written.split([';', ',', '\n']).find_map(|m| {
                let (name, ty) = m.trim().trim_start_matches('{').split_once(':')?;
                (name.trim().trim_end_matches('?') == key).then_some(ty)
            }) else {
                return Provenance::Opaque;
            };
            written = member.trim().trim_end_matches('}').trim();
        }
        if safe_type(written) {
            return Provenance::Safe(Safe::Number);
        }
        let text = written.split('|').map(str::trim).any(|part| {
            matches!(
                part.trim_end_matches("[]"),
                "string" | "any" | "unknown" | "String"
            )
        });
        if text {
            Provenance::Unknown
        } else {
            Provenance::Opaque
        }
    }

    /// What a handler's parameter holds: request data for a NestJS
    /// `@Body()`, a tRPC `input`, Next.js `searchParams` and a page's
    /// `params`; a number or a fixed string when its type says so;
    /// otherwise nothing known.
    pub(super) fn parameter_provenance(
        &self,
        parameter: Node<'a>,
        function: Node<'a>,
        keys: &[String],
        name: Node<'a>,
    ) -> Provenance {
        let request = |label: &str| {
            Provenance::Request(Source {
                label: label.to_owned(),
                range: name.byte_range(),
            })
        };
        let mut cursor = parameter.walk();
        for child in parameter.children(&mut cursor) {
            if child.kind() == "decorator" {
                let decorator = self.src(child);
                let called = decorator
                    .trim_start_matches('@')
                    .split('(')
                    .next()
                    .unwrap_or("");
                if REQUEST_DECORATORS.contains(&called) {
                    return request(decorator);
                }
            }
        }
        if let Some(annotation) = parameter.field("type")
            && keys.is_empty()
            && safe_type(self.src(annotation).trim_start_matches(':').trim())
        {
            return Provenance::Safe(Safe::Number);
        }
        // `timeoutMs = 10 * MINUTE`: with no type written, the parameter
        // has its default's, a number.
        if parameter.field("type").is_none()
            && keys.is_empty()
            && parameter.field("value").is_some_and(|v| {
                matches!(peel(v).kind(), "number" | "true" | "false")
                    || self.provenance(v) == Provenance::Safe(Safe::Number)
            })
        {
            return Provenance::Safe(Safe::Number);
        }
        let first_key = keys.first().map(String::as_str);
        let whole = self.src(name);
        if first_key == Some("searchParams") || (keys.is_empty() && whole == "searchParams") {
            return request("searchParams");
        }
        if first_key == Some("input") && self.is_procedure(function) {
            return request("input");
        }
        if (first_key == Some("params") || (keys.is_empty() && whole == "params"))
            && self.is_route_handler(function)
        {
            return request("params");
        }
        Provenance::Unknown
    }

    /// What the file's calls of a function pass for one of its parameters
    /// (the value under the first key, for a destructured one): `None`
    /// when the file makes no call, or uses the function as a value (a
    /// callback, an export object), so that its callers are not all known.
    pub(super) fn given_arguments(
        &self,
        parameter: Node<'a>,
        function: Node<'a>,
        keys: &[String],
    ) -> Option<Vec<Given<'a>>> {
        let (name, method) = self.function_name(function)?;
        let index = parameter_index(function, parameter)?;
        let calls = self.calls_of(function, name, method)?;
        let given: Vec<Given<'a>> = calls
            .into_iter()
            .map(|call| {
                let argument = call.field("arguments").and_then(|a| {
                    let mut cursor = a.walk();
                    a.named_children(&mut cursor)
                        .filter(|c| c.kind() != "comment")
                        .nth(index)
                });
                match argument {
                    None => Given::Missing,
                    Some(a) if a.kind() == "spread_element" => Given::Opaque,
                    Some(a) if keys.is_empty() => Given::Value(a),
                    Some(a) => self
                        .object_value(a, &keys[0])
                        .map_or(Given::Opaque, Given::Value),
                }
            })
            .collect();
        (!given.is_empty()).then_some(given)
    }

    /// Where what the calls pass for a parameter comes from: the worst of
    /// it.
    fn given_provenance(&self, given: Vec<Given<'a>>, hops: usize) -> Provenance {
        Provenance::join_all(given.into_iter().map(|g| match g {
            Given::Missing => Provenance::Safe(Safe::Literal),
            Given::Value(value) => self.provenance_at(value, hops),
            Given::Opaque => Provenance::Opaque,
        }))
    }

    /// The file's calls of a function, found once per function: `None`
    /// when its name is used any other way, so that it escapes.
    pub(super) fn calls_of(
        &self,
        function: Node<'a>,
        name: &str,
        method: bool,
    ) -> Option<Vec<Node<'a>>> {
        let found = |ranges: &Vec<Range<usize>>| -> Vec<Node<'a>> {
            ranges
                .iter()
                .filter_map(|r| {
                    let mut node = self.root_node.descendant_for_byte_range(r.start, r.end)?;
                    while node.kind() != "call_expression" || node.byte_range() != *r {
                        node = node.parent()?;
                    }
                    Some(node)
                })
                .collect()
        };
        if let Some(known) = self.calls_of.borrow().get(&function.id()) {
            return known.as_ref().map(found);
        }
        let declared = function
            .field("name")
            .or_else(|| function.parent().and_then(|p| p.field("name")))
            .map(|n| n.id());
        let mut calls = Some(Vec::new());
        // A function declared inside another is called from the block it is
        // declared in: another function of the same name elsewhere in the
        // file is another function.
        let mut scope = self.root_node;
        if !method {
            let mut node = function.parent();
            while let Some(n) = node {
                if matches!(n.kind(), "statement_block" | "program") {
                    scope = n;
                    break;
                }
                node = n.parent();
            }
        }
        // A name written once is only declared.
        let mut stack = if self.text.matches(name).nth(1).is_some() {
            vec![scope]
        } else {
            Vec::new()
        };
        while let Some(node) = stack.pop() {
            if crate::budget::expired() {
                return None;
            }
            let kind = node.kind();
            if kind == "call_expression"
                && let Some(callee) = node.field("function").map(peel)
                && self.names_function(callee, name, method)
            {
                if let Some(calls) = calls.as_mut() {
                    calls.push(node);
                }
                if let Some(arguments) = node.field("arguments") {
                    stack.push(arguments);
                }
                continue;
            }
            if Some(node.id()) != declared
                && (matches!(kind, "identifier" | "shorthand_property_identifier")
                    && !method
                    && self.src(node) == name
                    || method
                        && kind == "member_expression"
                        && self.names_function(node, name, true))
            {
                calls = None;
                break;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        let ranges = calls
            .as_ref()
            .map(|c| c.iter().map(|n| n.byte_range()).collect());
        self.calls_of.borrow_mut().insert(function.id(), ranges);
        calls
    }

    /// A function's name, and whether it is a method (called on `this`).
    pub(super) fn function_name(&self, function: Node<'a>) -> Option<(&'a str, bool)> {
        match function.kind() {
            "function_declaration" | "generator_function_declaration" => {
                function.field("name").map(|n| (self.src(n), false))
            }
            "method_definition" => function.field("name").map(|n| (self.src(n), true)),
            _ => function
                .parent()
                .filter(|p| p.kind() == "variable_declarator")
                .and_then(|p| p.field("name"))
                .filter(|n| n.kind() == "identifier")
                .map(|n| (self.src(n), false)),
        }
    }

    /// Whether a callee names the function: `load`, or `this.load` for a
    /// method.
    fn names_function(&self, callee: Node<'a>, name: &str, method: bool) -> bool {
        if method {
            callee.kind() == "member_expression"
                && callee.field("object").is_some_and(|o| o.kind() == "this")
                && callee
                    .field("property")
                    .is_some_and(|p| self.src(p) == name)
        } else {
            callee.kind() == "identifier" && self.src(callee) == name
        }
    }

    /// The value of a key in an object literal: `{ ids: rows }` gives `rows`.
    pub(super) fn object_value(&self, object: Node<'a>, key: &str) -> Option<Node<'a>> {
        let object = peel(object);
        if object.kind() != "object" {
            return None;
        }
        let mut cursor = object.walk();
        object
            .named_children(&mut cursor)
            .find_map(|p| match p.kind() {
                "pair" if p.field("key").is_some_and(|k| self.src(k) == key) => p.field("value"),
                "shorthand_property_identifier" if self.src(p) == key => Some(p),
                _ => None,
            })
    }

    /// The array whose items a callback is given: `rows` for
    /// `rows.map((row, i) => ...)`.
    pub(super) fn array_callback(&self, function: Node<'a>) -> Option<Node<'a>> {
        let call = function
            .parent()
            .filter(|a| a.kind() == "arguments")?
            .parent()?;
        let callee = peel(call.field("function")?);
        let method = self.src(callee.field("property")?);
        matches!(
            method,
            "map" | "flatMap" | "forEach" | "filter" | "some" | "every" | "find" | "findIndex"
        )
        .then(|| callee.field("object"))
        .flatten()
    }

    /// Whether a function of the file, not a method, is passed by name to
    /// a call (`withSnapshot(copyAt)`, `emitter.on('row', handle)`): its
    /// caller is the code it is handed to.
    fn handed_on(&self, function: Node<'a>) -> bool {
        let Some((name, false)) = self.function_name(function) else {
            return false;
        };
        self.text.match_indices(name).any(|(at, _)| {
            self.root_node
                .descendant_for_byte_range(at, at + name.len())
                .filter(|n| n.kind() == "identifier" && n.byte_range() == (at..at + name.len()))
                .and_then(|n| n.parent())
                .is_some_and(|p| p.kind() == "arguments")
        })
    }

    /// Whether other files may call a function: it is exported, or a
    /// method of an exported class.
    fn is_exported(&self, function: Node<'a>) -> bool {
        export_around(function, 6).is_some()
            || self.function_name(function).is_some_and(|(name, method)| {
                method || self.modules.exported.iter().any(|(local, _)| local == name)
            })
    }

    /// When a value that may carry SQL is a parameter of an exported
    /// function that the file calls only by name, what the project's
    /// callers pass decides what it holds: the parameter, and what the
    /// file's own calls pass. `None` when the value is anything else, the
    /// function is used as a value, or the file's own calls already pass
    /// text they do not check.
    pub(super) fn caller_parameter(&self, node: Node<'a>) -> Option<CallerParameter> {
        let node = peel(node);
        if node.kind() != "identifier" {
            return None;
        }
        let Declaration::Parameter {
            parameter,
            function,
            keys,
        } = self.declaration(node)
        else {
            return None;
        };
        if keys.len() > 1 || self.array_callback(function).is_some() {
            return None;
        }
        let (name, false) = self.function_name(function)? else {
            return None;
        };
        let exported = self
            .modules
            .exported
            .iter()
            .find(|(local, _)| local == name)
            .map(|(_, exported)| exported.clone())?;
        if self.parameter_provenance(parameter, function, &keys, node) != Provenance::Unknown
            || self.passed_text(parameter, function, &keys) != Provenance::Unknown
        {
            return None;
        }
        // A function used as a value escapes: its callers are not known.
        self.calls_of(function, name, false)?;
        let in_file = self
            .given_arguments(parameter, function, &keys)
            .map(|given| self.given_provenance(given, 0));
        if in_file
            .as_ref()
            .is_some_and(|p| matches!(p, Provenance::Unknown | Provenance::Request(_)))
        {
            return None;
        }
        Some(CallerParameter {
            function: exported,
            parameter: parameter_index(function, parameter)?,
            key: keys.first().cloned(),
            in_file,
            via: None,
        })
    }

    /// Whether a function is a tRPC procedure: the callback of
    /// `.query(...)`, `.mutation(...)` or `.subscription(...)`.
    fn is_procedure(&self, function: Node<'a>) -> bool {
        let Some(call) = function
            .parent()
            .filter(|a| a.kind() == "arguments")
            .and_then(|a| a.parent())
        else {
            return false;
        };
        call.field("function")
            .and_then(|f| peel(f).field("property"))
            .is_some_and(|p| matches!(self.src(p), "query" | "mutation" | "subscription"))
    }

    /// Whether a function is a Next.js page, layout or route handler, whose
    /// `params` come from the URL: the file's default export, or an
    /// exported `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    fn is_route_handler(&self, function: Node<'a>) -> bool {
        let Some((export, node)) = export_around(function, 4) else {
            return false;
        };
        let named = function
            .field("name")
            .or_else(|| {
                node.field("name")
                    .filter(|_| node.kind() == "variable_declarator")
            })
            .map(|n| self.src(n));
        self.src(export).starts_with("export default")
            || named
                .is_some_and(|n| matches!(n, "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD"))
    }

    /// Whether an earlier statement of a block around `name` leaves when
    /// the name is not in a fixed list: `if (!LIST.includes(x)) throw ...`.
    fn checked_before(&self, name: Node<'a>) -> bool {
        let text = self.src(name);
        let mut node = name;
        for _ in 0..MAX_HOPS * 4 {
            let Some(parent) = node.parent() else {
                return false;
            };
            if matches!(parent.kind(), "statement_block" | "program") {
                let mut cursor = parent.walk();
                for statement in parent.named_children(&mut cursor) {
                    if statement.start_byte() >= node.start_byte() {
                        break;
                    }
                    if statement.kind() == "if_statement"
                        && let Some(condition) = statement.field("condition")
                        && let negated = peel(condition)
                        && negated.kind() == "unary_expression"
                        && self.src(negated).starts_with('!')
                        && let Some(checked) = negated
                            .field("argument")
                            .and_then(|a| self.allow_listed_name(peel(a)))
                        && checked == text
                        && statement
                            .field("consequence")
                            .is_some_and(|c| exits(c, self.text))
                    {
                        return true;
                    }
                }
            }
            if super::is_scope(parent) {
                return false;
            }
            node = parent;
        }
        false
    }

    /// The source texts of the values the names in `node` hold: each
    /// `const`/`let` initializer, every later assignment, and every
    /// argument pushed onto it (`conditions.push(ilike(t.name, q))`).
    pub(super) fn named_values(&self, node: Node<'a>) -> Vec<String> {
        let mut names = Vec::new();
        super::names_used(node, &mut names, 0);
        let mut out = Vec::new();
        for name in names {
            let Declaration::Variable { declarator, .. } = self.declaration(name) else {
                continue;
            };
            if let Some(value) = declarator.field("value") {
                out.push(self.src(value).to_owned());
            }
            let Some(scope) = declarator.parent().and_then(|d| d.parent()) else {
                continue;
            };
            let assigned = self.reassigned(declarator, self.src(name));
            out.extend(assigned.iter().map(|v| self.src(*v).to_owned()));
            let pushed = format!("{}.push(", self.src(name));
            let mut at = scope.start_byte();
            while let Some(found) = self.text[at..scope.end_byte()].find(&pushed) {
                let start = at + found + pushed.len() - 1;
                if let Some(open) = scope.descendant_for_byte_range(start, start + 1)
                    && let Some(list) = open.parent()
                    && list.kind() == "arguments"
                {
                    out.push(self.src(list).to_owned());
                }
                at = start + 1;
            }
            if out.len() > 64 {
                break;
            }
        }
        out
    }

    /// The values a `let` is assigned after its declaration, in its scope;
    /// none for a `const`.
    pub(super) fn reassigned(&self, declarator: Node<'a>, name: &str) -> Vec<Node<'a>> {
        let statement = declarator.parent();
        if statement
            .and_then(|d| d.child(0))
            .is_some_and(|k| self.src(k) == "const")
        {
            return Vec::new();
        }
        let scope = declaration_scope(declarator);
        let mut assigned = Vec::new();
        collect_assignments(scope, self.text, name, &mut assigned, 0);
        assigned
    }

    /// The values written into an object's members after its declaration,
    /// in its scope: `stats.total += n`, `byKind[k] = v`.
    pub(super) fn member_assigned(&self, declarator: Node<'a>, name: &str) -> Vec<Node<'a>> {
        let needles = [format!("{name}."), format!("{name}[")];
        self.written_in_scope(declarator, &needles, |node, out| {
            if matches!(
                node.kind(),
                "assignment_expression" | "augmented_assignment_expression"
            ) && let Some(left) = node.field("left")
                && matches!(left.kind(), "member_expression" | "subscript_expression")
                && left.field("object").is_some_and(|o| self.src(o) == name)
                && let Some(right) = node.field("right")
            {
                out.push(right);
            }
        })
    }

    /// The values added to a collection after its declaration, in its
    /// scope: `parts.push(x)`, `seen.add(x)`, `byId.set(k, x)`.
    pub(super) fn added(&self, declarator: Node<'a>, name: &str) -> Vec<Node<'a>> {
        const ADDING: [&str; 5] = ["push", "unshift", "splice", "add", "set"];
        let needles = ADDING.map(|m| format!("{name}.{m}("));
        self.written_in_scope(declarator, &needles, |node, out| {
            if node.kind() == "call_expression"
                && let Some(callee) = node.field("function")
                && callee.kind() == "member_expression"
                && callee.field("object").is_some_and(|o| self.src(o) == name)
                && callee
                    .field("property")
                    .is_some_and(|p| ADDING.contains(&self.src(p)))
            {
                out.extend(self.arguments(node));
            }
        })
    }

    /// What `found` collects from every node of a declaration's scope (at
    /// most 64 values), once the scope's text shows one of `needles`: most
    /// names are never written after their declaration, and the text says
    /// so before the tree is walked.
    fn written_in_scope(
        &self,
        declarator: Node<'a>,
        needles: &[String],
        found: impl Fn(Node<'a>, &mut Vec<Node<'a>>),
    ) -> Vec<Node<'a>> {
        let scope = declaration_scope(declarator);
        let text = self.src(scope);
        if !needles.iter().any(|n| text.contains(n.as_str())) {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut stack = vec![scope];
        while let Some(node) = stack.pop() {
            if out.len() > 64 {
                break;
            }
            found(node, &mut out);
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        out
    }

    /// The object literal an argument is, or a `const` is bound to:
    /// `{ where, data }` for `updateMany(payload)` after `const payload =
    /// { where, data }`.
    pub(super) fn object_literal(&self, node: Node<'a>) -> Option<Node<'a>> {
        let node = peel(node);
        if node.kind() == "object" {
            return Some(node);
        }
        self.declared_object(node).map(|(_, object)| object)
    }

    /// For a name bound to an object literal: its declarator and the
    /// literal, so the members set on it later can be read too.
    pub(super) fn declared_object(&self, node: Node<'a>) -> Option<(Node<'a>, Node<'a>)> {
        let node = peel(node);
        if !matches!(node.kind(), "identifier" | "shorthand_property_identifier") {
            return None;
        }
        match self.declaration(node) {
            Declaration::Variable { declarator, keys } if keys.is_empty() => {
                let object = declarator
                    .field("value")
                    .map(peel)
                    .filter(|v| v.kind() == "object")?;
                Some((declarator, object))
            }
            _ => None,
        }
    }

    /// The declaration a use of a name refers to: the nearest one around
    /// it, declared before it.
    pub(super) fn declaration(&self, name: Node<'a>) -> Declaration<'a> {
        let text = self.src(name);
        let mut node = name;
        for _ in 0..MAX_DEPTH_UP {
            let Some(parent) = node.parent() else {
                break;
            };
            match parent.kind() {
                "statement_block" | "program" | "switch_case" | "class_body" => {
                    let mut cursor = parent.walk();
                    let mut found = None;
                    for statement in parent.named_children(&mut cursor) {
                        if statement.start_byte() > name.start_byte() {
                            break;
                        }
                        if let Some(d) = self.declared_in(statement, text) {
                            found = Some(d);
                        }
                    }
                    if let Some(found) = found {
                        return found;
                    }
                }
                "for_in_statement" => {
                    if parent
                        .field("left")
                        .is_some_and(|left| binds(left, text, self.text, &mut Vec::new()))
                    {
                        return Declaration::LoopElement { loop_node: parent };
                    }
                }
                "for_statement" => {
                    if let Some(init) = parent.field("initializer")
                        && let Some(d) = self.declared_in(init, text)
                    {
                        return d;
                    }
                }
                "catch_clause" => {
                    if parent
                        .field("parameter")
                        .is_some_and(|p| self.src(p) == text)
                    {
                        return Declaration::Other;
                    }
                }
                kind if super::is_scope_kind(kind) => {
                    let parameters = parent
                        .field("parameters")
                        .or_else(|| parent.field("parameter"));
                    if let Some(parameters) = parameters {
                        let list: Vec<Node> = if parameters.kind() == "formal_parameters" {
                            let mut cursor = parameters.walk();
                            parameters.named_children(&mut cursor).collect()
                        } else {
                            vec![parameters]
                        };
                        for parameter in list {
                            let pattern = parameter.field("pattern").unwrap_or(parameter);
                            let mut keys = Vec::new();
                            if binds(pattern, text, self.text, &mut keys) {
                                return Declaration::Parameter {
                                    parameter,
                                    function: parent,
                                    keys,
                                };
                            }
                        }
                    }
                }
                _ => {}
            }
            node = parent;
        }
        Declaration::Other
    }

    /// The declaration of `name` a statement makes, if it makes one.
    fn declared_in(&self, statement: Node<'a>, name: &str) -> Option<Declaration<'a>> {
        let statement = if statement.kind() == "export_statement" {
            statement.field("declaration")?
        } else {
            statement
        };
        match statement.kind() {
            "lexical_declaration" | "variable_declaration" => {
                let mut cursor = statement.walk();
                for declarator in statement.named_children(&mut cursor) {
                    let Some(pattern) = declarator.field("name") else {
                        continue;
                    };
                    let mut keys = Vec::new();
                    if binds(pattern, name, self.text, &mut keys) {
                        return Some(Declaration::Variable { declarator, keys });
                    }
                }
                None
            }
            "function_declaration" | "generator_function_declaration" | "class_declaration" => {
                statement
                    .field("name")
                    .is_some_and(|n| self.src(n) == name)
                    .then_some(Declaration::Other)
            }
            "import_statement" => {
                let clause = statement
                    .named_children(&mut statement.walk())
                    .find(|c| c.kind() == "import_clause")?;
                mentions(self.src(clause), name).then_some(Declaration::Other)
            }
            _ => None,
        }
    }
}

/// How far up a use is searched for its declaration.
const MAX_DEPTH_UP: usize = 400;

/// Whether a binding pattern binds `name`, collecting the keys that lead to
/// it: `{ a: { b } }` binds `b` at `a.b`.
fn binds(pattern: Node, name: &str, text: &str, keys: &mut Vec<String>) -> bool {
    let src = |n: Node| text.get(n.byte_range()).unwrap_or("");
    match pattern.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => src(pattern) == name,
        "object_pattern" => {
            let mut cursor = pattern.walk();
            for child in pattern.named_children(&mut cursor) {
                match child.kind() {
                    "shorthand_property_identifier_pattern" if src(child) == name => {
                        keys.push(name.to_owned());
                        return true;
                    }
                    "object_assignment_pattern" => {
                        if child.field("left").is_some_and(|l| src(l) == name) {
                            keys.push(name.to_owned());
                            return true;
                        }
                    }
                    "pair_pattern" => {
                        let key = child.field("key").map_or("", src);
                        if let Some(value) = child.field("value") {
                            let mark = keys.len();
                            keys.push(key.trim_matches(|c| c == '"' || c == '\'').to_owned());
                            if binds(value, name, text, keys) {
                                return true;
                            }
                            keys.truncate(mark);
                        }
                    }
                    "rest_pattern" => {
                        if child.named_child(0).is_some_and(|n| src(n) == name) {
                            return true;
                        }
                    }
                    _ => {}
                }
            }
            false
        }
        "array_pattern" => {
            let mut cursor = pattern.walk();
            let items: Vec<Node> = pattern.named_children(&mut cursor).collect();
            items.into_iter().any(|item| binds(item, name, text, keys))
        }
        "assignment_pattern" => pattern
            .field("left")
            .is_some_and(|l| binds(l, name, text, keys)),
        "rest_pattern" => pattern
            .named_child(0)
            .is_some_and(|n| binds(n, name, text, keys)),
        _ => false,
    }
}

/// The values assigned to `name` (`name = value`) under `node`.
/// The block a declarator's statement stands in: where later writes to
/// the name it declares can be.
pub(super) fn declaration_scope(declarator: Node) -> Node {
    declarator
        .parent()
        .and_then(|d| d.parent())
        .unwrap_or(declarator)
}

fn collect_assignments<'a>(
    node: Node<'a>,
    text: &str,
    name: &str,
    out: &mut Vec<Node<'a>>,
    depth: usize,
) {
    if depth > 200 || out.len() > 64 {
        return;
    }
    if matches!(
        node.kind(),
        "assignment_expression" | "augmented_assignment_expression"
    ) && node
        .field("left")
        .is_some_and(|l| text.get(l.byte_range()) == Some(name))
        && let Some(right) = node.field("right")
    {
        out.push(right);
    }
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        collect_assignments(child, text, name, out, depth + 1);
    }
}

/// Whether a type annotation admits only numbers, booleans, dates or a
/// fixed set of strings: `number`, `boolean`, `'asc' | 'desc'`.
fn safe_type(annotation: &str) -> bool {
    let annotation = annotation.trim_start_matches(':').trim();
    !annotation.is_empty()
        && annotation.split('|').all(|part| {
            // A list of them: `number[]`, `readonly number[]`, `Array<number>`.
            let mut part = part.trim().trim_start_matches("readonly ").trim();
            while let Some(inner) = part.strip_suffix("[]") {
                part = inner.trim();
            }
            if let Some(inner) = part
                .strip_prefix("Array<")
                .or_else(|| part.strip_prefix("ReadonlyArray<"))
                .and_then(|p| p.strip_suffix('>'))
            {
                part = inner.trim();
            }
            matches!(
                part,
                "number" | "boolean" | "bigint" | "Date" | "null" | "undefined"
            ) || part.starts_with('\'') && part.ends_with('\'')
                || part.starts_with('"') && part.ends_with('"')
                || part.parse::<f64>().is_ok()
        })
}

/// Whether a statement always leaves: it is, or ends with, `return`,
/// `throw`, `continue` or `break`.
/// Whether a function is written as an argument of a call, directly or
/// as a field of an options object: a library calls it.
fn is_callback(function: Node) -> bool {
    let mut node = function.parent();
    if node.is_some_and(|n| n.kind() == "pair") {
        node = node.and_then(|n| n.parent());
    }
    // `{ lookupFn: async (ids) => ... }` or `{ async lookupFn(ids) { ... } }`
    if node.is_some_and(|n| n.kind() == "object") {
        node = node.and_then(|n| n.parent());
    }
    node.is_some_and(|n| n.kind() == "arguments")
}

/// A parameter's position in its function's list; 0 for the one
/// parameter of `x => ...`, written without a list.
fn parameter_index(function: Node, parameter: Node) -> Option<usize> {
    let Some(list) = function.field("parameters") else {
        return Some(0);
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|p| p.kind() != "comment")
        .position(|p| p.id() == parameter.id())
}

/// The values a function body returns: the expression of an arrow
/// function, or what its `return` statements (not those of functions
/// inside it) give.
fn returned_values(body: Node) -> Vec<Node> {
    if body.kind() != "statement_block" {
        return vec![body];
    }
    let mut returned = Vec::new();
    let mut stack = vec![body];
    while let Some(node) = stack.pop() {
        if node.kind() == "return_statement" {
            returned.extend(node.named_child(0));
            continue;
        }
        if super::is_scope(node) {
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    returned
}

/// The `export` statement a function is written in, within `levels`
/// parents, and the node right under it on the way up.
fn export_around(function: Node, levels: usize) -> Option<(Node, Node)> {
    let mut node = function;
    for _ in 0..levels {
        let parent = node.parent()?;
        if parent.kind() == "export_statement" {
            return Some((parent, node));
        }
        // A function declared in another's body is that function's own.
        if parent.kind() == "statement_block" {
            return None;
        }
        node = parent;
    }
    None
}

/// Whether a regex literal spells out a whole value from a fixed set of
/// characters: anchored at both ends, without `.`, a negated class, or a
/// class such as `\S` that takes almost anything.
fn allow_list_pattern(regex: &str) -> bool {
    let Some(body) = regex
        .strip_prefix('/')
        .and_then(|r| r.rsplit_once('/'))
        .map(|(body, _flags)| body)
    else {
        return false;
    };
    if !body.starts_with('^') || !body.ends_with('$') || body.contains("[^") {
        return false;
    }
    let mut escaped = false;
    for c in body.chars() {
        if escaped {
            if matches!(c, 'S' | 'W' | 'D' | 's') {
                return false;
            }
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '.' || c == '\'' || c == '"' {
            return false;
        }
    }
    true
}

pub(super) fn exits(statement: Node, text: &str) -> bool {
    match statement.kind() {
        "return_statement" | "throw_statement" | "continue_statement" | "break_statement" => true,
        "statement_block" => {
            let mut cursor = statement.walk();
            statement
                .named_children(&mut cursor)
                .last()
                .is_some_and(|last| exits(last, text))
        }
        "expression_statement" => text
            .get(statement.byte_range())
            .is_some_and(|s| s.contains("notFound(") || s.contains("redirect(")),
        _ => false,
    }
}

/// The name of a callback's first parameter, if it is a plain name.
pub(super) fn first_parameter_name<'t>(parameters: Node, text: &'t str) -> Option<&'t str> {
    let first = if parameters.kind() == "formal_parameters" {
        parameters.named_child(0)?
    } else {
        parameters
    };
    let first = first.field("pattern").unwrap_or(first);
    (first.kind() == "identifier").then(|| text.get(first.byte_range()).unwrap_or(""))
}

/// Whether a request source's label names a whole part of the request
/// (`request.url`, `req.query`, `searchParams`, `await request.json()`)
/// rather than one value read from it.
fn is_container(label: &str) -> bool {
    let last = label.rsplit('.').next().unwrap_or(label);
    label.starts_with('@')
        || label.ends_with("()")
        || matches!(
            last,
            "url"
                | "query"
                | "body"
                | "params"
                | "headers"
                | "cookies"
                | "searchParams"
                | "nextUrl"
                | "input"
                | "req"
                | "request"
        )
}

/// The name of a callback's second parameter (an index), if it is a plain
/// name.
fn second_parameter_name<'t>(parameters: Node, text: &'t str) -> Option<&'t str> {
    let second = parameters
        .named_children(&mut parameters.walk())
        .filter(|p| p.kind() != "comment")
        .nth(1)?;
    let second = second.field("pattern").unwrap_or(second);
    (second.kind() == "identifier").then(|| text.get(second.byte_range()).unwrap_or(""))
}

/// Whether every name used in `node` is `name`: `$${i + 1}` uses only
/// the index.
fn only_mentions(node: Node, text: &str, name: &str) -> bool {
    if node.kind() == "identifier" {
        return text.get(node.byte_range()) == Some(name);
    }
    node.named_children(&mut node.walk())
        .all(|child| only_mentions(child, text, name))
}

/// Whether `code` mentions `name` as a whole word.
pub(super) fn mentions(code: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    code.match_indices(name)
        .any(|(i, _)| !code[..i].ends_with(word) && !code[i + name.len()..].starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::super::{Project, scan};
    use crate::discover::FileKind;
    use crate::model::{Provenance, Safe};

    /// The provenance of each value pasted into the SQL the file sends, by
    /// the value's source text.
    fn pasted(code: &str) -> Vec<(String, Provenance)> {
        let file = scan(code, FileKind::TypeScript, &Project::default());
        file.units
            .iter()
            .flat_map(|u| u.interpolations.iter())
            .filter(|i| !matches!(i.provenance, Provenance::Safe(Safe::Literal)) || i.spliced)
            .map(|i| (code[i.host_range.clone()].to_owned(), i.provenance.clone()))
            .collect()
    }

    #[test]
    fn search_params_of_a_route_handler_are_request_data() {
        let code = "import { prisma } from './db';\nexport async function GET(request: Request) {\n  const { searchParams } = new URL(request.url);\n  const q = searchParams.get('q') ?? '';\n  return prisma.$queryRawUnsafe(`SELECT id FROM posts WHERE title ILIKE '%${q}%'`);\n}\n";
        let found = pasted(code);
        assert_eq!(found.len(), 1, "{found:?}");
        let source = found[0].1.source().unwrap_or_else(|| panic!("{found:?}"));
        assert_eq!(source.label, "searchParams.get('q')");
    }
}
