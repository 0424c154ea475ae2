//! What the TypeScript front end records of the calls a file makes: ORM
//! and query-builder calls, raw SQL calls, and the loops they run in.

use std::ops::Range;

use tree_sitter::Node;

use super::{Scan, is_literal, member_parts, peel};

/// Prisma model methods querylint reads.
const PRISMA_METHODS: &[&str] = &[
    "findMany",
    "updateMany",
    "deleteMany",
    "findUnique",
    "findUniqueOrThrow",
    "findFirst",
    "findFirstOrThrow",
    "create",
    "createMany",
    "update",
    "upsert",
    "delete",
    "count",
    "aggregate",
    "groupBy",
];

/// Kysely builder entry points.
const KYSELY_BUILDERS: &[&str] = &["selectFrom", "updateTable", "deleteFrom"];

/// Drizzle builder entry points.
const DRIZZLE_BUILDERS: &[&str] = &["select", "selectDistinct", "update", "delete", "insert"];

/// Array methods whose callback runs once per element.
const LOOP_METHODS: &[&str] = &[
    "forEach", "map", "flatMap", "reduce", "filter", "some", "every",
];

/// The ORMs and query builders whose calls querylint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orm {
    Prisma,
    Drizzle,
    Kysely,
    /// SQL text sent through a raw sink or a tagged template.
    Sql,
}

/// A property of an object literal argument, at any depth.
#[derive(Debug, Clone)]
pub struct Property {
    /// The keys from the argument down to this property: `where.email`.
    pub path: String,
    pub key: String,
    /// The value's source text, and whether it is a literal.
    pub value: String,
    pub literal: bool,
    /// Host range of `key: value`.
    pub range: Range<usize>,
}

/// A call of a method on a chain built from an ORM call, such as
/// `.limit(10)` in `db.select().from(t).limit(10)`.
#[derive(Debug, Clone)]
pub struct Link {
    pub method: String,
    /// Host range of the method name through its closing parenthesis.
    pub range: Range<usize>,
    /// The arguments' source texts.
    pub args: Vec<String>,
}

/// An ORM or query-builder call: `prisma.user.findMany({...})`,
/// `db.query.users.findMany({...})`, `db.select().from(t).where(...)`.
#[derive(Debug, Clone)]
pub struct OrmCall {
    pub orm: Orm,
    /// The method that starts the call: `findMany`, `deleteMany`,
    /// `select`, `update`, `delete`.
    pub method: String,
    /// The receiver as written: `prisma.user`, `db`.
    pub receiver: String,
    /// Host range of the whole call expression (with its chain).
    pub range: Range<usize>,
    /// Host range of the method's name, where findings about the call
    /// point.
    pub method_name: Range<usize>,
    /// The properties of the first argument, when it is an object literal.
    pub properties: Vec<Property>,
    /// For builders: the methods called on the chain, in order.
    pub chain: Vec<Link>,
    /// Whether the call's result is used where it runs: awaited, returned,
    /// or passed on; `false` when it is only stored in a variable.
    pub executed: bool,
    /// The loop the call runs in, once per iteration.
    pub in_loop: Option<LoopInfo>,
    /// For a call of a function of the file: the query its body runs.
    pub via: Option<String>,
    /// Prisma `include`/`select` entries that load a to-many relation with
    /// no `take`.
    pub unbounded_relations: Vec<Property>,
}

impl OrmCall {
    /// A call, in a loop, of a function whose body runs the query `via`:
    /// the function's name stands for the call.
    pub fn through(name: String, range: Range<usize>, each: LoopInfo, via: &OrmCall) -> Self {
        Self::through_named(name, range, each, via.name(), via.orm)
    }

    /// A call, in a loop, of a function whose body runs the query named
    /// `via` through `orm`.
    pub fn through_named(
        name: String,
        range: Range<usize>,
        each: LoopInfo,
        via: String,
        orm: Orm,
    ) -> Self {
        OrmCall {
            method: name,
            receiver: String::new(),
            range: range.clone(),
            method_name: range,
            properties: Vec::new(),
            chain: Vec::new(),
            executed: true,
            in_loop: Some(each),
            via: Some(via),
            orm,
            unbounded_relations: Vec::new(),
        }
    }

    /// The call as the code names it: `prisma.user.findMany`, `rawQuery`.
    pub fn name(&self) -> String {
        if self.receiver.is_empty() {
            self.method.clone()
        } else {
            format!("{}.{}", self.receiver, self.method)
        }
    }

    pub fn property(&self, path: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.path == path)
    }

    pub fn link(&self, method: &str) -> Option<&Link> {
        self.chain.iter().find(|l| l.method == method)
    }
}

/// A loop a database call runs in.
#[derive(Debug, Clone)]
pub struct LoopInfo {
    /// `for...of`, `while`, `.map()`...
    pub kind: String,
    /// Host range of the loop's head (`for (const x of xs)`, `xs.map`).
    pub head: Range<usize>,
    /// Whether it runs over an array literal, a few fixed items.
    pub literal_items: bool,
    /// Whether it retries until a value is found: `while (!slug)`,
    /// `do { ... } while (found == null)`. Such a loop runs about once.
    pub until_found: bool,
    /// Whether it is `Promise.all(xs.map(...))`.
    pub promise_all: bool,
    pub(crate) exits_at: usize,
}

impl<'a> Scan<'a> {
    /// A call, in a loop, of a function of the file whose body runs a
    /// query (outside any loop of its own) runs that query per iteration.
    pub(super) fn queries_through_functions(&mut self) {
        let mut found = Vec::new();
        for (name, range, each) in std::mem::take(&mut self.looped_calls) {
            let Some(body) = self.functions.get(&name) else {
                continue;
            };
            if let Some(inner) = self.query_in(body) {
                found.push(OrmCall::through(name, range, each, inner));
            }
        }
        self.calls.extend(found);
    }

    /// The loop a `for`, `for...of`, `for...in`, `while` or `do` statement
    /// makes of its body.
    pub(super) fn loop_info(&self, node: Node) -> LoopInfo {
        let kind = match node.kind() {
            "for_in_statement" => {
                if (0..node.child_count())
                    .filter_map(|i| node.child(i as u32))
                    .any(|c| c.kind() == "of")
                {
                    "for...of"
                } else {
                    "for...in"
                }
            }
            "for_statement" => "for",
            "while_statement" => "while",
            _ => "do...while",
        };
        let head_end = node
            .child_by_field_name("body")
            .map_or(node.end_byte(), |b| b.start_byte());
        let literal_items = node
            .child_by_field_name("right")
            .is_some_and(|r| r.kind() == "array");
        let until_found = matches!(kind, "while" | "do...while")
            && node
                .child_by_field_name("condition")
                .is_some_and(|c| self.is_until_found(peel(c)));
        LoopInfo {
            kind: kind.to_owned(),
            head: node.start_byte()..head_end,
            literal_items,
            until_found,
            promise_all: false,
            exits_at: self.exits,
        }
    }

    /// `!slug`, `user == null`, `row === undefined`: a condition that
    /// holds until something is found.
    fn is_until_found(&self, condition: Node) -> bool {
        let plain = |n: Node| matches!(peel(n).kind(), "identifier" | "member_expression");
        match condition.kind() {
            "unary_expression" => {
                self.src(condition).starts_with('!')
                    && condition.child_by_field_name("argument").is_some_and(plain)
            }
            "binary_expression" => {
                let op = condition
                    .child_by_field_name("operator")
                    .map_or("", |o| self.src(o));
                let nothing = |n: Option<Node>| {
                    n.is_some_and(|n| matches!(self.src(n), "null" | "undefined"))
                };
                matches!(op, "==" | "===")
                    && (nothing(condition.child_by_field_name("right"))
                        || nothing(condition.child_by_field_name("left")))
            }
            _ => false,
        }
    }

    /// For `xs.map(...)`, `xs.forEach(...)` and the like, the loop their
    /// callbacks run in.
    pub(super) fn loop_callbacks(&self, node: Node) -> Option<LoopInfo> {
        if node.kind() != "call_expression" {
            return None;
        }
        let callee = node.child_by_field_name("function").map(peel)?;
        if callee.kind() != "member_expression" {
            return None;
        }
        let method = self.src(callee.child_by_field_name("property")?);
        if !LOOP_METHODS.contains(&method) {
            return None;
        }
        let items = callee.child_by_field_name("object").map(peel)?;
        let promise_all = node.parent().and_then(|a| a.parent()).is_some_and(|outer| {
            outer.kind() == "call_expression"
                && outer
                    .child_by_field_name("function")
                    .is_some_and(|f| self.src(f).starts_with("Promise.all"))
        });
        Some(LoopInfo {
            kind: format!(".{method}()"),
            head: callee.start_byte()..node.child_by_field_name("arguments")?.start_byte(),
            literal_items: items.kind() == "array",
            until_found: false,
            promise_all,
            exits_at: self.exits,
        })
    }

    /// The loop a database call at this point of the walk runs in, if any.
    pub(super) fn current_loop(&self) -> Option<LoopInfo> {
        let info = self.loops.last().cloned().flatten()?;
        // A call on a path that leaves the loop runs once.
        (self.exits == info.exits_at).then_some(info)
    }

    /// Records a call that sends SQL text, for the rules about where calls
    /// run (`n-plus-one`).
    pub(super) fn sql_call(&mut self, call: Node, callee: Node, api: &str) {
        let (receiver, method) = api.rsplit_once('.').unwrap_or(("", api));
        let method_name = callee
            .child_by_field_name("property")
            .map_or(callee.byte_range(), |p| p.byte_range());
        self.calls.push(OrmCall {
            orm: Orm::Sql,
            method: method.to_owned(),
            receiver: receiver.to_owned(),
            range: call.byte_range(),
            method_name,
            properties: Vec::new(),
            chain: Vec::new(),
            executed: true,
            in_loop: self.current_loop(),
            via: None,
            unbounded_relations: Vec::new(),
        });
    }

    /// Records a Prisma model call (`prisma.user.findMany({...})`), a
    /// Drizzle relational query (`db.query.users.findMany({...})`) or the
    /// start of a Drizzle builder chain (`db.select()...`).
    pub(super) fn orm_call(&mut self, call: Node<'a>, callee: Node<'a>, args: Node<'a>) {
        if callee.kind() != "member_expression" {
            return;
        }
        let Some((object, property)) = member_parts(callee) else {
            return;
        };
        let method = self.src(property);
        let object = peel(object);
        let (orm, builder) =
            if PRISMA_METHODS.contains(&method) && object.kind() == "member_expression" {
                // prisma.user.findMany / db.query.users.findMany
                let Some(owner) = object.child_by_field_name("object").map(peel) else {
                    return;
                };
                if owner.kind() == "member_expression"
                    && owner
                        .child_by_field_name("property")
                        .is_some_and(|p| self.src(p) == "query")
                    && owner
                        .child_by_field_name("object")
                        .is_some_and(|o| self.is_database(o))
                {
                    (Orm::Drizzle, false)
                } else if self.is_database(owner) {
                    (Orm::Prisma, false)
                } else {
                    return;
                }
            } else if DRIZZLE_BUILDERS.contains(&method) && self.is_database(object) {
                (Orm::Drizzle, true)
            } else if KYSELY_BUILDERS.contains(&method) && self.is_database(object) {
                (Orm::Kysely, true)
            } else {
                return;
            };
        let first = args.named_child(0);
        let mut properties = Vec::new();
        if let Some(obj) = first.filter(|f| f.kind() == "object") {
            self.properties(obj, "", &mut properties, 0);
        }
        // include: { posts: true } or { posts: { where } } loads every post.
        let unbounded_relations = if orm == Orm::Prisma {
            let model = self.src(object).rsplit('.').next().unwrap_or("").to_owned();
            properties
                .iter()
                .filter(|p| {
                    self.is_many_relation(&model, &p.path)
                        && p.value != "false"
                        && !properties
                            .iter()
                            .any(|q| q.path == format!("{}.take", p.path))
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        // Climb the chain built on the call: `.from(t).where(...).limit(n)`.
        let mut chain = Vec::new();
        let mut top = call;
        if builder {
            while let Some(member) = top.parent().filter(|p| p.kind() == "member_expression") {
                let Some(outer) = member.parent().filter(|p| p.kind() == "call_expression") else {
                    break;
                };
                let (Some(name), Some(link_args)) = (
                    member.child_by_field_name("property"),
                    outer.child_by_field_name("arguments"),
                ) else {
                    break;
                };
                let mut cursor = link_args.walk();
                chain.push(Link {
                    method: self.src(name).to_owned(),
                    range: name.start_byte()..outer.end_byte(),
                    args: link_args
                        .named_children(&mut cursor)
                        .map(|a| self.src(a).to_owned())
                        .collect(),
                });
                top = outer;
            }
        }
        // Kept in a variable, or passed to another call (a subquery such as
        // `inArray(col, db.select()...)`), a builder does not run here.
        let passed_on = top.parent().is_some_and(|p| {
            p.kind() == "arguments"
                && !p
                    .parent()
                    .and_then(|c| c.child_by_field_name("function"))
                    .is_some_and(|f| self.src(f).starts_with("Promise."))
        });
        let executed = !passed_on
            && !chain.iter().any(|l| l.method == "as")
            && top.parent().is_none_or(|p| {
                !matches!(
                    p.kind(),
                    "variable_declarator" | "assignment_expression" | "member_expression"
                )
            });
        self.calls.push(OrmCall {
            orm,
            method: method.to_owned(),
            receiver: self.src(object).to_owned(),
            range: call.start_byte()..top.end_byte(),
            method_name: property.byte_range(),
            properties,
            chain,
            executed,
            in_loop: self.current_loop(),
            via: None,
            unbounded_relations,
        });
    }

    /// Whether a property path of a Prisma call on `model`
    /// (`include.posts`, `select.author.select.posts`) names a to-many
    /// relation, following the relations the path goes through.
    fn is_many_relation(&self, model: &str, path: &str) -> bool {
        let segments: Vec<&str> = path.split('.').collect();
        let mut model = model.to_owned();
        let mut i = 0;
        while i + 1 < segments.len() {
            if !matches!(segments[i], "include" | "select") {
                return false;
            }
            let Some(relation) = self
                .prisma_relations
                .get(&model)
                .and_then(|fields| fields.get(segments[i + 1]))
            else {
                return false;
            };
            if i + 2 == segments.len() {
                return relation.many;
            }
            model = relation.target.clone();
            i += 2;
        }
        false
    }

    /// Collects the properties of an object literal and of the object
    /// literals nested in it.
    pub(super) fn properties(
        &self,
        object: Node,
        prefix: &str,
        out: &mut Vec<Property>,
        depth: usize,
    ) {
        if depth > 12 {
            return;
        }
        let mut cursor = object.walk();
        for pair in object.named_children(&mut cursor) {
            let (key, value) = match pair.kind() {
                "pair" => (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ),
                "shorthand_property_identifier" => (Some(pair), Some(pair)),
                "spread_element" => {
                    // `...(page && { skip: (page - 1) * 20 })`,
                    // `...(cursor ? { cursor: { id: cursor }, skip: 1 } : {})`:
                    // the properties a conditional spread may add.
                    for object in spread_objects(pair) {
                        self.properties(object, prefix, out, depth + 1);
                    }
                    continue;
                }
                _ => continue,
            };
            let (Some(key), Some(value)) = (key, value) else {
                continue;
            };
            let key = self
                .src(key)
                .trim_matches(|c| c == '"' || c == '\'')
                .to_owned();
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            out.push(Property {
                path: path.clone(),
                key,
                value: self.src(value).to_owned(),
                literal: pair.kind() == "pair" && is_literal(value),
                range: pair.byte_range(),
            });
            if value.kind() == "object" {
                self.properties(value, &path, out, depth + 1);
            }
        }
    }
}

/// The object literals a spread may add: `...{ a }`, `...(c && { a })`,
/// `...(c ? { a } : { b })`.
fn spread_objects(spread: Node) -> Vec<Node> {
    let Some(inner) = spread.named_child(0).map(peel) else {
        return Vec::new();
    };
    let branches = match inner.kind() {
        "object" => return vec![inner],
        "binary_expression" => vec![inner.child_by_field_name("right")],
        "ternary_expression" => vec![
            inner.child_by_field_name("consequence"),
            inner.child_by_field_name("alternative"),
        ],
        _ => Vec::new(),
    };
    branches
        .into_iter()
        .flatten()
        .map(peel)
        .filter(|b| b.kind() == "object")
        .collect()
}
