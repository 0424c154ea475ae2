//! Where a value pasted into Rust SQL text comes from: its [`Provenance`],
//! followed through `let` bindings, `for` loops, `format!`, text methods
//! and the parameters of the function it sits in.
//!
//! A parameter says what it holds by its type and by who calls the
//! function:
//! - a number, a boolean, a date or a uuid cannot carry SQL;
//! - a web framework's extractor (`Query<T>`, `Json<T>`, `Form<T>`,
//!   `Path<T>`) is request data;
//! - a parameter of a private function (no `pub`, not a trait's method)
//!   holds what the file's own calls pass, followed through any number of
//!   private functions; with no call in the file it is computed out of
//!   sight;
//! - a text parameter (`&str`, `String`, a list or a tuple of them) of a
//!   function other modules call holds whatever a caller passes;
//! - anything else (the project's own types, a field of `self`, the result
//!   of a call) is computed out of sight, and is not reported as SQL
//!   injection, as in the TypeScript front end.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Token};

use super::{Scan, TEXT_OF_TEXT, last_segment, type_names};
use crate::model::{Provenance, Safe, Source};

/// A pasted value (by host range) that holds functions' parameters, to be
/// decided once the file is read.
pub(super) type Deferred = (Range<usize>, Val);

/// The names a statement checks before they are used, so that a value
/// that fails the check never gets further:
/// - a call of a function named for checking (`validate_name(&t)?`,
///   `check_identifier(t).unwrap()`, `ensure_safe(t)?`), whose failure
///   leaves the function;
/// - `ensure!(...)` or `assert!(...)` whose condition tests every character
///   (`t.chars().all(|c| c.is_ascii_alphanumeric())`).
pub(super) fn checked_names(stmt: &syn::Stmt) -> Vec<String> {
    fn plain_names(expr: &Expr, out: &mut Vec<String>) {
        match expr {
            Expr::Path(p) => {
                if let Some(i) = p.path.get_ident() {
                    out.push(i.to_string());
                }
            }
            Expr::Reference(r) => plain_names(&r.expr, out),
            Expr::Paren(p) => plain_names(&p.expr, out),
            Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "as_str" | "as_ref" | "to_string" | "trim" | "clone"
                ) =>
            {
                plain_names(&m.receiver, out)
            }
            _ => {}
        }
    }
    fn checking(name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        ["validate", "check", "ensure", "verify", "assert_valid"]
            .iter()
            .any(|p| name.starts_with(p))
    }
    fn checked_call(expr: &Expr, out: &mut Vec<String>) {
        // The check's failure must leave: `?`, `.unwrap()`, `.expect(..)`.
        let inner = match expr {
            Expr::Try(t) => &*t.expr,
            Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "unwrap" | "expect") => {
                &*m.receiver
            }
            Expr::Await(a) => return checked_call(&a.base, out),
            _ => return,
        };
        let inner = match inner {
            Expr::Await(a) => &*a.base,
            other => other,
        };
        match inner {
            Expr::Call(c) => {
                if let Expr::Path(p) = &*c.func
                    && p.path
                        .segments
                        .last()
                        .is_some_and(|s| checking(&s.ident.to_string()))
                {
                    c.args.iter().for_each(|a| plain_names(a, out));
                }
            }
            Expr::MethodCall(m) if checking(&m.method.to_string()) => {
                m.args.iter().for_each(|a| plain_names(a, out));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mac = match stmt {
        syn::Stmt::Expr(e, _) => {
            checked_call(e, &mut out);
            match e {
                Expr::Macro(m) => Some(&m.mac),
                _ => None,
            }
        }
        syn::Stmt::Local(l) => {
            if let Some(init) = &l.init {
                checked_call(&init.expr, &mut out);
            }
            None
        }
        syn::Stmt::Macro(m) => Some(&m.mac),
        syn::Stmt::Item(_) => None,
    };
    if let Some(mac) = mac
        && mac
            .path
            .segments
            .last()
            .is_some_and(|s| matches!(s.ident.to_string().as_str(), "ensure" | "assert"))
    {
        let tokens: Vec<proc_macro2::TokenTree> = mac.tokens.clone().into_iter().collect();
        let condition: Vec<&proc_macro2::TokenTree> = tokens
            .iter()
            .take_while(|t| !matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ','))
            .collect();
        let text: String = condition.iter().map(|t| t.to_string()).collect();
        if text.contains(".all(") || text.contains(". all (") {
            for t in &condition {
                if let proc_macro2::TokenTree::Ident(i) = t {
                    out.push(i.to_string());
                }
            }
        }
    }
    out
}

/// A value's origin where part of it is a function's parameter: a private
/// function's is decided once every call in the file has been read, a
/// public one's once every file of the workspace has (see
/// [`super::callers`]).
#[derive(Debug, Clone)]
pub(super) struct Val {
    pub known: Provenance,
    /// Parameters of private functions (name, position) it also holds.
    pub params: Vec<(String, usize)>,
    /// Text parameters of functions other files may call that it holds.
    pub public: Vec<Parameter>,
}

/// A text parameter of a function other files may call (`pub`,
/// `pub(crate)`, a trait's method): what it holds is what the workspace's
/// calls pass.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Parameter {
    pub function: String,
    /// The type of the `impl` block that defines it.
    pub owner: Option<String>,
    /// Whether the function takes `self`.
    pub method: bool,
    /// Its position among the arguments, `self` not counted.
    pub position: usize,
    /// How many arguments the function takes, `self` not counted.
    pub arity: usize,
    /// Whether it is a method of a trait's `impl`: a call on a `dyn` value
    /// or a generic one may reach it, whatever other types define a method
    /// of that name.
    pub dispatched: bool,
}

impl Parameter {
    /// A function's signature as the parameter it would give (`position`
    /// 0): its name, `impl` type, whether it takes `self`, and arity.
    pub(super) fn of_signature(
        sig: &syn::Signature,
        owner: Option<String>,
        dispatched: bool,
    ) -> Parameter {
        Parameter {
            function: sig.ident.to_string(),
            owner,
            dispatched,
            method: sig.receiver().is_some(),
            position: 0,
            arity: sig
                .inputs
                .iter()
                .filter(|i| matches!(i, syn::FnArg::Typed(_)))
                .count(),
        }
    }

    /// The function as a finding names it: `Reports::sorted`, `reset_tenant`.
    pub fn function_name(&self) -> String {
        match &self.owner {
            Some(owner) => format!("{owner}::{}", self.function),
            None => self.function.clone(),
        }
    }
}

/// What one call passes to a function of the project, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub function: String,
    /// The type the call names (`Store::drop_schema(..)`; `Self::` and
    /// `self.` name the caller's own).
    pub owner: Option<String>,
    /// Whether it is a method call on a value (`store.drop_schema(..)`).
    pub method: bool,
    pub position: usize,
    /// How many arguments the call passes.
    pub arity: usize,
    /// What the argument holds, as far as the caller's file shows.
    pub known: Provenance,
    /// The caller's own public parameters it holds, decided by their calls.
    pub through: Vec<Parameter>,
    /// The line of the call (1-based).
    pub line: usize,
}

/// A value pasted into SQL text that holds public functions' parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasted {
    /// The pasted value's host range.
    pub host: Range<usize>,
    pub params: Vec<Parameter>,
    /// What the rest of the value holds.
    pub rest: Provenance,
}

impl Val {
    /// What the value is taken to hold before its parameters are decided:
    /// a public function's is whatever a caller passes, a private one's
    /// is not safe until the file's callers say so.
    fn provisional(&self) -> Provenance {
        let mut known = self.known.clone();
        if !self.public.is_empty() {
            known = known.join(Provenance::Unknown);
        }
        if !self.params.is_empty() {
            known = known.join(Provenance::Opaque);
        }
        known
    }

    pub(super) fn of(known: Provenance) -> Val {
        Val {
            known,
            params: Vec::new(),
            public: Vec::new(),
        }
    }

    fn literal() -> Val {
        Val::of(Provenance::Safe(Safe::Literal))
    }

    fn number() -> Val {
        Val::of(Provenance::Safe(Safe::Number))
    }

    fn join(mut self, other: Val) -> Val {
        self.known = self.known.join(other.known);
        for p in other.params {
            if !self.params.contains(&p) {
                self.params.push(p);
            }
        }
        for p in other.public {
            if !self.public.contains(&p) {
                self.public.push(p);
            }
        }
        self
    }
}

/// Methods whose result holds what their receiver held: text of text,
/// iterators over it, and what unwraps it.
const KEEPS_RECEIVER: &[&str] = &[
    "iter",
    "into_iter",
    "map",
    "collect",
    "cloned",
    "copied",
    "to_lowercase",
    "to_uppercase",
    "to_ascii_lowercase",
    "to_ascii_uppercase",
    "as_ref",
    "as_deref",
    "borrow",
    "unwrap",
    "unwrap_or_default",
    "expect",
    "first",
    "last",
    "get",
    "filter",
    "rev",
    "trim_start",
    "trim_end",
    "replace",
    "to_vec",
];

/// Methods whose result is a number or a boolean.
const NUMBERS: &[&str] = &[
    "len",
    "count",
    "is_empty",
    "is_some",
    "is_none",
    "contains",
    "starts_with",
    "ends_with",
    "timestamp",
    "timestamp_millis",
];

/// Types that hold no SQL text: numbers, booleans, dates, uuids.
const SAFE_TYPES: &[&str] = &[
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "f32",
    "f64",
    "bool",
    "Uuid",
    "DateTime",
    "NaiveDate",
    "NaiveDateTime",
    "Duration",
    "OffsetDateTime",
    "PrimitiveDateTime",
    "Date",
    "Decimal",
    "BigDecimal",
];

/// Web framework extractors (axum, actix-web, Rocket's `Form` and `Json`):
/// their contents come from the request being served.
const EXTRACTORS: &[&str] = &["Query", "Json", "Form", "Path"];

/// Rocket's route attributes: `#[get("/search?<q>")]`.
const ROUTES: &[&str] = &[
    "get", "post", "put", "delete", "patch", "head", "options", "route",
];

/// The parameters a Rocket route attribute fills from the request: the
/// `<name>` and `<name..>` segments of its path and query, and its `data =
/// "<form>"` (`#[get("/search?<q>&<page>")]`, `#[post("/", data =
/// "<body>")]`).
pub(super) fn route_parameters(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut names = Vec::new();
    for attr in attrs {
        let routed = attr
            .path()
            .segments
            .last()
            .is_some_and(|s| ROUTES.contains(&s.ident.to_string().as_str()));
        let syn::Meta::List(list) = &attr.meta else {
            continue;
        };
        if !routed {
            continue;
        }
        for token in list.tokens.clone() {
            let proc_macro2::TokenTree::Literal(literal) = token else {
                continue;
            };
            let syn::Lit::Str(text) = syn::Lit::new(literal) else {
                continue;
            };
            let text = text.value();
            let mut rest = text.as_str();
            while let Some(open) = rest.find('<') {
                let Some(close) = rest[open..].find('>') else {
                    break;
                };
                let name = rest[open + 1..open + close].trim_end_matches("..");
                if !name.is_empty() {
                    names.push(name.to_owned());
                }
                rest = &rest[open + close + 1..];
            }
        }
    }
    names
}

/// Text types: what such a parameter holds is whatever a caller passes.
const TEXT_TYPES: &[&str] = &["str", "String", "Cow"];

/// Whether a type's names say it holds numbers, booleans, dates or uuids
/// and no text: `i64`, `Option<Uuid>`, `Path<(i64, i64)>`.
fn holds_no_text(names: &[String]) -> bool {
    names.iter().any(|n| SAFE_TYPES.contains(&n.as_str()))
        && !names.iter().any(|n| TEXT_TYPES.contains(&n.as_str()))
}

/// Whether a parameter's type is a web framework's extractor of request
/// data: `Query<Search>`, `axum::extract::Json<Body>`, `web::Path<String>`.
/// The type takes an argument, which `std::path::Path` does not.
fn is_extractor(ty: &syn::Type) -> bool {
    let mut ty = ty;
    while let syn::Type::Reference(r) = ty {
        ty = &r.elem;
    }
    let syn::Type::Path(p) = ty else {
        return false;
    };
    p.path.segments.last().is_some_and(|s| {
        EXTRACTORS.contains(&s.ident.to_string().as_str())
            && matches!(s.arguments, syn::PathArguments::AngleBracketed(_))
    })
}

/// The names a pattern binds.
pub(super) fn bound_names(pat: &syn::Pat, out: &mut Vec<String>) {
    match pat {
        syn::Pat::Ident(p) => {
            out.push(p.ident.to_string());
            if let Some((_, sub)) = &p.subpat {
                bound_names(sub, out);
            }
        }
        syn::Pat::Type(t) => bound_names(&t.pat, out),
        syn::Pat::Reference(r) => bound_names(&r.pat, out),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|p| bound_names(p, out)),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|p| bound_names(p, out)),
        syn::Pat::Struct(s) => s.fields.iter().for_each(|f| bound_names(&f.pat, out)),
        syn::Pat::Slice(s) => s.elems.iter().for_each(|p| bound_names(p, out)),
        _ => {}
    }
}

/// The file's private functions: no `pub`, not a trait's method, or
/// declared inside a function's body. Their callers are in the file.
pub(super) fn private_functions(items: &[syn::Item], out: &mut HashSet<String>) {
    /// Functions declared in a block, which only that block can call.
    struct Nested<'o>(&'o mut HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for Nested<'_> {
        fn visit_block(&mut self, block: &'ast syn::Block) {
            for stmt in &block.stmts {
                if let syn::Stmt::Item(syn::Item::Fn(f)) = stmt {
                    self.0.insert(f.sig.ident.to_string());
                }
            }
            syn::visit::visit_block(self, block);
        }
    }
    for item in items {
        match item {
            syn::Item::Fn(f) => syn::visit::Visit::visit_block(&mut Nested(out), &f.block),
            syn::Item::Impl(i) => {
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item {
                        syn::visit::Visit::visit_block(&mut Nested(out), &f.block);
                    }
                }
            }
            _ => {}
        }
        match item {
            syn::Item::Fn(f) if matches!(f.vis, syn::Visibility::Inherited) => {
                out.insert(f.sig.ident.to_string());
            }
            syn::Item::Impl(i) if i.trait_.is_none() => {
                for item in &i.items {
                    if let syn::ImplItem::Fn(f) = item
                        && matches!(f.vis, syn::Visibility::Inherited)
                    {
                        out.insert(f.sig.ident.to_string());
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    private_functions(items, out);
                }
            }
            _ => {}
        }
    }
}

impl Scan<'_> {
    /// Records what each parameter of a function being entered holds.
    pub(super) fn enter_parameters(
        &mut self,
        sig: &syn::Signature,
        signature: &Parameter,
        private: bool,
        routed: &[String],
    ) {
        let function = signature.function.clone();
        let private = private && self.private_fns.contains(&function);
        let mut position = 0;
        for input in &sig.inputs {
            let syn::FnArg::Typed(t) = input else {
                continue;
            };
            let names = type_names(&t.ty);
            let val = if holds_no_text(&names) {
                Val::number()
            } else if is_extractor(&t.ty)
                || matches!(&*t.pat, syn::Pat::Ident(p) if routed.iter().any(|r| p.ident == r))
            {
                let range = self.at(&t.pat);
                Val::of(Provenance::Request(Source {
                    label: self.text[range.clone()].to_owned(),
                    range,
                }))
            } else if private {
                Val {
                    known: Provenance::Safe(Safe::Literal),
                    params: vec![(function.clone(), position)],
                    public: Vec::new(),
                }
            } else if names.iter().any(|n| TEXT_TYPES.contains(&n.as_str()))
                && names.iter().all(|n| {
                    TEXT_TYPES.contains(&n.as_str())
                        || matches!(n.as_str(), "Vec" | "Option" | "impl" | "AsRef" | "Into")
                })
            {
                Val {
                    known: Provenance::Safe(Safe::Literal),
                    params: Vec::new(),
                    public: vec![Parameter {
                        position,
                        ..signature.clone()
                    }],
                }
            } else {
                Val::of(Provenance::Opaque)
            };
            let mut bound = Vec::new();
            bound_names(&t.pat, &mut bound);
            for name in bound {
                self.values.push((name, val.clone()));
            }
            position += 1;
        }
    }

    /// Records the names a pattern binds to a value: `let`, `for`.
    pub(super) fn bind(&mut self, pat: &syn::Pat, expr: &Expr) {
        let val = self.value_of(expr, 0);
        let mut names = Vec::new();
        bound_names(pat, &mut names);
        for name in names {
            self.values.push((name, val.clone()));
        }
    }

    /// Records what a call of one of the file's private functions passes.
    pub(super) fn passes<'e>(&mut self, function: &str, args: impl Iterator<Item = &'e Expr>) {
        if !self.private_fns.contains(function) {
            return;
        }
        let vals: Vec<Val> = args.map(|a| self.value_of(a, 0)).collect();
        for (i, val) in vals.into_iter().enumerate() {
            let key = (function.to_owned(), i);
            let joined = match self.passed.remove(&key) {
                Some(before) => before.join(val),
                None => val,
            };
            self.passed.insert(key, joined);
        }
    }

    /// The provenance recorded for a value pasted at `host`; a part that
    /// is a private function's parameter is decided at the end of the file.
    pub(super) fn provenance(&self, expr: &Expr, host: Range<usize>) -> Provenance {
        let val = self.value_of(expr, 0);
        self.settle(val, host)
    }

    /// The same for a name a `format!` string captures (`{id}`).
    pub(super) fn captured(&self, name: &str, host: Range<usize>) -> Provenance {
        let val = self.name_value(name);
        self.settle(val, host)
    }

    fn settle(&self, val: Val, host: Range<usize>) -> Provenance {
        if val.params.is_empty() && val.public.is_empty() {
            return val.known;
        }
        let known = val.provisional();
        self.deferred.borrow_mut().push((host, val));
        known
    }

    /// Records what a call of a function, by name, passes for each of its
    /// arguments, for the workspace's linking of public parameters.
    pub(super) fn record_pass<'e>(
        &mut self,
        function: &str,
        owner: Option<String>,
        method: bool,
        line: usize,
        args: impl ExactSizeIterator<Item = &'e Expr>,
    ) {
        let arity = args.len();
        for (position, arg) in args.enumerate() {
            let val = self.value_of(arg, 0);
            self.raw_passes.push((
                Pass {
                    function: function.to_owned(),
                    owner: owner.clone(),
                    method,
                    position,
                    arity,
                    known: Provenance::Safe(Safe::Literal),
                    through: Vec::new(),
                    line,
                },
                val,
            ));
        }
    }

    pub(super) fn name_value(&self, name: &str) -> Val {
        if let Some((_, v)) = self.values.iter().rev().find(|(n, _)| n == name) {
            return v.clone();
        }
        if self.constant_name(name) {
            Val::literal()
        } else {
            Val::of(Provenance::Opaque)
        }
    }

    /// Records the types of a struct's named fields: a field that holds a
    /// number in the file's structs (`limit: i64` of a query's
    /// parameters) is a number wherever it is read.
    pub(super) fn declare_fields(&mut self, s: &syn::ItemStruct) {
        for field in &s.fields {
            let Some(name) = &field.ident else {
                continue;
            };
            if holds_no_text(&type_names(&field.ty)) {
                self.number_fields.insert(name.to_string());
            } else {
                self.other_fields.insert(name.to_string());
            }
        }
    }

    /// What a value holds, as far as the file shows.
    pub(super) fn value_of(&self, expr: &Expr, depth: usize) -> Val {
        if depth > 24 {
            return Val::of(Provenance::Opaque);
        }
        let next = depth + 1;
        if self.is_constant(expr) {
            return Val::literal();
        }
        match expr {
            Expr::Lit(l) => match l.lit {
                Lit::Str(_) | Lit::ByteStr(_) | Lit::CStr(_) | Lit::Char(_) => Val::literal(),
                _ => Val::number(),
            },
            Expr::Reference(r) => self.value_of(&r.expr, next),
            Expr::Paren(p) => self.value_of(&p.expr, next),
            Expr::Group(g) => self.value_of(&g.expr, next),
            Expr::Unary(u) => match u.op {
                syn::UnOp::Deref(_) => self.value_of(&u.expr, next),
                _ => Val::number(),
            },
            Expr::Cast(_) => Val::number(),
            Expr::Binary(b) => match b.op {
                syn::BinOp::Add(_) => self
                    .value_of(&b.left, next)
                    .join(self.value_of(&b.right, next)),
                _ => Val::number(),
            },
            Expr::Tuple(t) => self.join_all(t.elems.iter(), next),
            Expr::Array(a) => self.join_all(a.elems.iter(), next),
            Expr::Field(f) => match &*f.base {
                _ if matches!(&f.member, syn::Member::Named(n)
                    if self.number_fields.contains(&n.to_string())
                        && !self.other_fields.contains(&n.to_string())) =>
                {
                    Val::number()
                }
                Expr::Path(p) if p.path.is_ident("self") => Val::of(Provenance::Opaque),
                base => self.value_of(base, next),
            },
            Expr::Index(i) => self.value_of(&i.expr, next),
            Expr::Try(t) => self.value_of(&t.expr, next),
            Expr::Path(p) if p.path.segments.len() == 1 => self.name_value(&last_segment(&p.path)),
            Expr::Path(_) => Val::literal(),
            Expr::Macro(m) => {
                let name = last_segment(&m.mac.path);
                if !matches!(name.as_str(), "format" | "concat" | "format_args" | "vec") {
                    return Val::of(Provenance::Opaque);
                }
                let Ok(args) = m
                    .mac
                    .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
                else {
                    return Val::of(Provenance::Opaque);
                };
                // `vec![("a", "b"), ...]`: what its elements hold.
                if name == "vec" {
                    return self.join_all(args.iter(), next);
                }
                let mut val = Val::literal();
                for (i, arg) in args.iter().enumerate() {
                    match arg {
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Str(template),
                            ..
                        }) if i == 0 => {
                            for name in captured_names(&template.value()) {
                                val = val.join(self.name_value(&name));
                            }
                        }
                        Expr::Assign(a) => val = val.join(self.value_of(&a.right, next)),
                        other => val = val.join(self.value_of(other, next)),
                    }
                }
                val
            }
            Expr::MethodCall(m) => {
                let method = m.method.to_string();
                if NUMBERS.contains(&method.as_str()) {
                    Val::number()
                } else if TEXT_OF_TEXT.contains(&method.as_str())
                    || KEEPS_RECEIVER.contains(&method.as_str())
                {
                    // `unwrap_or(x)`, `replace(a, b)`, `join(sep)`: the
                    // arguments end up in the text too.
                    let args = m.args.iter().filter(|a| !matches!(a, Expr::Closure(_)));
                    self.value_of(&m.receiver, next)
                        .join(self.join_all(args, next))
                } else if method == "unwrap_or" || method == "unwrap_or_else" {
                    self.value_of(&m.receiver, next)
                        .join(self.join_all(m.args.iter(), next))
                } else {
                    Val::of(Provenance::Opaque)
                }
            }
            Expr::Call(c) => match &*c.func {
                // `String::from(x)`, `Some(x)`, `Cow::Borrowed(x)`.
                Expr::Path(p)
                    if matches!(
                        last_segment(&p.path).as_str(),
                        "from" | "Some" | "Borrowed" | "Owned" | "new"
                    ) && c.args.len() == 1 =>
                {
                    self.value_of(&c.args[0], next)
                }
                _ => Val::of(Provenance::Opaque),
            },
            Expr::If(i) => {
                let then = block_value(self, &i.then_branch, next);
                match &i.else_branch {
                    Some((_, e)) => then.join(self.value_of(e, next)),
                    None => then,
                }
            }
            Expr::Block(b) => block_value(self, &b.block, next),
            Expr::Match(m) => m
                .arms
                .iter()
                .map(|arm| self.value_of(&arm.body, next))
                .reduce(Val::join)
                .unwrap_or_else(|| Val::of(Provenance::Opaque)),
            _ => Val::of(Provenance::Opaque),
        }
    }

    fn join_all<'e>(&self, exprs: impl Iterator<Item = &'e Expr>, depth: usize) -> Val {
        exprs
            .map(|e| self.value_of(e, depth))
            .reduce(Val::join)
            .unwrap_or_else(Val::literal)
    }

    /// Decides the values left to the callers of private functions, once
    /// the whole file is read, and fixes the pasted values that hold them.
    /// Returns the values that still hold public functions' parameters,
    /// and what the file's calls pass, for the workspace's linking.
    pub(super) fn settle_parameters(&mut self) -> (Vec<Pasted>, Vec<Pass>) {
        let deferred = self.deferred.take();
        let mut memo: HashMap<(String, usize), Val> = HashMap::new();
        let mut pasted = Vec::new();
        for (host, val) in deferred {
            let resolved = self.resolved(&val, &mut memo);
            // Public parameters are left to the workspace's linking.
            let provenance = resolved.provisional();
            for unit in &mut self.units {
                for i in &mut unit.interpolations {
                    if i.host_range == host {
                        i.provenance = provenance.clone();
                        i.spliced &= !i.provenance.is_safe();
                    }
                }
            }
            if !resolved.public.is_empty() {
                pasted.push(Pasted {
                    host,
                    params: resolved.public,
                    rest: resolved.known,
                });
            }
        }
        let passes = std::mem::take(&mut self.raw_passes)
            .into_iter()
            .map(|(mut pass, val)| {
                let resolved = self.resolved(&val, &mut memo);
                pass.known = resolved.known;
                pass.through = resolved.public;
                pass
            })
            .collect();
        (pasted, passes)
    }

    /// A value with the file's private parameters it holds decided by the
    /// file's calls: what is known, and the public parameters left.
    fn resolved(&self, val: &Val, memo: &mut HashMap<(String, usize), Val>) -> Val {
        let mut out = Val {
            known: val.known.clone(),
            params: Vec::new(),
            public: val.public.clone(),
        };
        for p in &val.params {
            let mut visiting = HashSet::new();
            out = out.join(self.resolve(p, memo, &mut visiting));
        }
        out
    }

    fn resolve(
        &self,
        param: &(String, usize),
        memo: &mut HashMap<(String, usize), Val>,
        visiting: &mut HashSet<(String, usize)>,
    ) -> Val {
        if let Some(p) = memo.get(param) {
            return p.clone();
        }
        // A call of the function from itself adds nothing new.
        if !visiting.insert(param.clone()) {
            return Val::literal();
        }
        let out = match self.passed.get(param) {
            // Never called in the file: from code the file does not show.
            None => Val::of(Provenance::Opaque),
            Some(val) => {
                let mut out = Val {
                    known: val.known.clone(),
                    params: Vec::new(),
                    public: val.public.clone(),
                };
                for p in &val.params {
                    out = out.join(self.resolve(p, memo, visiting));
                }
                out
            }
        };
        visiting.remove(param);
        memo.insert(param.clone(), out.clone());
        out
    }
}

fn block_value(scan: &Scan<'_>, block: &syn::Block, depth: usize) -> Val {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(e, None)) => scan.value_of(e, depth),
        _ => Val::of(Provenance::Opaque),
    }
}

/// The names a `format!` string captures: `{id}`, `{id:?}`, not `{}` or
/// `{0}` or `{{`.
fn captured_names(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if rest.starts_with('{') {
            rest = &rest[1..];
            continue;
        }
        let close = rest.find('}').unwrap_or(rest.len());
        let key = rest[..close].split(':').next().unwrap_or("").trim();
        if key.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            out.push(key.to_owned());
        }
        rest = &rest[close..];
    }
    out
}
