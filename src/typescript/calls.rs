//! What the TypeScript front end records of the calls a file makes: ORM
//! and query-builder calls, raw SQL calls, and the loops they run in.

use super::fields::Fields;
use std::ops::Range;

use tree_sitter::Node;

use super::values::Declaration;
use super::{Scan, is_literal, member_parts, peel};
use crate::model::{Link, Orm, OrmCall, PerItem, Property};

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

impl<'a> Scan<'a> {
    /// A call, in a loop, of a function of the file whose body runs a
    /// query (outside any loop of its own) runs that query per iteration.
    pub(super) fn queries_through_functions(&mut self) {
        let mut found = Vec::new();
        for (name, range, each) in std::mem::take(&mut self.looped_calls) {
            let Some(body) = self.functions.get(&name).cloned() else {
                continue;
            };
            if each.walks() {
                self.walked_in(&body, &each.head);
            }
            if let Some(inner) = self.query_in(&body) {
                let mut each = each;
                each.other_work |= self.does_more_than(&body, &inner.range);
                // A helper that updates with the values it is given, called
                // with the item, writes values of the item's own.
                each.writes_per_item |=
                    each.item == PerItem::Item && self.updates_with_parameters(inner, &body);
                found.push(OrmCall::through(name, range, each, inner));
            }
        }
        self.calls.extend(found);
    }

    /// Whether a function's query is an update whose values (Prisma's
    /// `data`, Drizzle's and Kysely's `.set()`) use the function's
    /// parameters.
    fn updates_with_parameters(&self, query: &OrmCall, body: &Range<usize>) -> bool {
        let update = matches!(
            (query.orm, query.query_method()),
            (Orm::Prisma, "update" | "upsert" | "updateMany")
                | (Orm::Drizzle, "update")
                | (Orm::Kysely, "updateTable")
        );
        let Some(node) = update
            .then(|| {
                self.root_node
                    .descendant_for_byte_range(query.range.start, query.range.end)
            })
            .flatten()
        else {
            return false;
        };
        let parameter = |name: Node<'a>| {
            matches!(self.declaration(name), Declaration::Parameter { function, .. }
                if function.start_byte() <= body.start && body.end <= function.end_byte())
        };
        // A parameter, or a local made from one: `const row = { id:
        // price.id, amount: price.amount }; upsert({ update: row })`.
        let from_parameter = |name: Node<'a>| {
            parameter(name)
                || matches!(self.declaration(name), Declaration::Variable { declarator, .. }
                if declarator.field("value").is_some_and(|value| {
                    let mut inner = Vec::new();
                    super::names_used(value, &mut inner, 0);
                    inner.into_iter().any(parameter)
                }))
        };
        let mut uses = Vec::new();
        super::names_used(node, &mut uses, 0);
        uses.into_iter()
            .any(|name| self.in_written_values(name, node) && from_parameter(name))
    }

    /// Marks the queries a function body runs (outside loops of its own)
    /// as walked page by page by the loop at `head`, which calls the
    /// function with a value an earlier iteration set.
    fn walked_in(&mut self, body: &Range<usize>, head: &Range<usize>) {
        let inside = |r: &Range<usize>| r.start >= body.start && r.end <= body.end;
        for call in &mut self.calls {
            if call.in_loop.is_none() && inside(&call.range) {
                call.walked_by = Some(head.clone());
            }
        }
        for unit in &mut self.units {
            let host = unit.map.host_range(0..unit.text.len());
            if unit.origin.walked_by.is_none() && inside(&host) {
                unit.origin.walked_by = Some(head.clone());
            }
        }
    }

    /// Records a call that sends SQL text, for the rules about where calls
    /// run (`n-plus-one`).
    pub(super) fn sql_call(&mut self, call: Node, callee: Node, api: &str) {
        // A statement that changes the schema or maintains a table (`DROP
        // TABLE` per partition, `VACUUM` per table) is work on each item
        // that no batched query replaces: it is not a query per item.
        // Nor is a read of the database's own catalog (a table's columns,
        // once per table: the count follows the schema, not the data), or
        // an advisory lock taken key by key (in an order, on purpose).
        if self.units.last().is_some_and(|unit| {
            crate::units::works_on_objects(&unit.text) || pastes_table_name(unit)
        }) {
            return;
        }
        self.record_sql_call(call, callee, api);
        let walked_by = self
            .calls
            .last()
            .and_then(|c| c.in_loop.as_ref())
            .filter(|each| each.walks())
            .map(|each| each.head.clone());
        if let Some(unit) = self.units.last_mut() {
            unit.origin.walked_by = walked_by;
        }
    }

    /// Records a call that sends SQL text, whatever the text.
    pub(super) fn record_sql_call(&mut self, call: Node, callee: Node, api: &str) {
        let (receiver, method) = api.rsplit_once('.').unwrap_or(("", api));
        let method_name = callee
            .field("property")
            .map_or(callee.byte_range(), |p| p.byte_range());
        self.calls.push(OrmCall::run(
            Orm::Sql,
            method.to_owned(),
            receiver.to_owned(),
            (call.byte_range(), method_name),
            Vec::new(),
            self.loop_of(call),
            false,
        ));
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
        // `client.delete(`/users/${id}`)`: an HTTP client's method takes a
        // URL; Drizzle's builders take a table, and a model's methods an
        // object.
        if DRIZZLE_BUILDERS.contains(&method)
            && args
                .named_child(0)
                .is_some_and(|a| matches!(peel(a).kind(), "string" | "template_string"))
        {
            return;
        }
        let (orm, builder) =
            if PRISMA_METHODS.contains(&method) && object.kind() == "member_expression" {
                // prisma.user.findMany / db.query.users.findMany
                let Some(owner) = object.field("object").map(peel) else {
                    return;
                };
                if owner.kind() == "member_expression"
                    && owner
                        .field("property")
                        .is_some_and(|p| self.src(p) == "query")
                    && owner.field("object").is_some_and(|o| self.is_database(o))
                {
                    (Orm::Drizzle, false)
                } else if self.is_database(owner) {
                    (Orm::Prisma, false)
                } else {
                    return;
                }
            } else if DRIZZLE_BUILDERS.contains(&method)
                && self.is_database(object)
                && args.named_child_count() >= 2
            {
                // A Drizzle builder takes one table; `Role.update(criteria,
                // values)` (TypeORM) or `Model.update(values, { where })`
                // (Sequelize) is a model's method, called as Prisma's are.
                (Orm::Prisma, false)
            } else if DRIZZLE_BUILDERS.contains(&method) && self.is_database(object) {
                (Orm::Drizzle, true)
            } else if KYSELY_BUILDERS.contains(&method) && self.is_database(object) {
                (Orm::Kysely, true)
            } else {
                return;
            };
        let first = args.named_child(0);
        let mut properties = Vec::new();
        let argument_known = match first.filter(|f| peel(*f).kind() != "array") {
            None => first.is_none(),
            Some(first) => self.object_properties(first, "", &mut properties, 0),
        };
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
        let (chain, top) = if builder {
            self.climb_chain(call)
        } else {
            (Vec::new(), call)
        };
        let executed = self.runs_here(top, &chain, orm);
        let in_process = orm == Orm::Drizzle && runs_in_process(top, &chain);
        let table_named = first
            .filter(|_| orm == Orm::Kysely)
            .map(peel)
            .filter(|f| f.kind() != "string")
            .map(|f| self.src(f).to_owned());
        self.calls.push(OrmCall {
            orm,
            method: method.to_owned(),
            receiver: self.src(object).to_owned(),
            range: call.start_byte()..top.end_byte(),
            method_name: property.byte_range(),
            properties,
            chain,
            executed,
            in_loop: self.loop_of(top),
            via: None,
            unbounded_relations,
            kept: is_kept(top),
            argument_known,
            walked_by: None,
            table_named,
            in_process,
        });
    }

    /// The links of the builder chain built on a call, and the chain's
    /// outermost call: `.from(t).where(...).limit(n)` on `db.select()`.
    fn climb_chain(&self, call: Node<'a>) -> (Vec<Link>, Node<'a>) {
        let mut chain = Vec::new();
        let mut top = call;
        while let Some(member) = top.parent().filter(|p| p.kind() == "member_expression") {
            let Some(outer) = member.parent().filter(|p| p.kind() == "call_expression") else {
                break;
            };
            let Some(name) = member.field("property") else {
                break;
            };
            chain.push(self.link(name, outer));
            top = outer;
        }
        (chain, top)
    }

    /// The link a call of the method `name` makes on a builder chain.
    fn link(&self, name: Node<'a>, call: Node<'a>) -> Link {
        let method = self.src(name).to_owned();
        let (args, named_values) = match call.field("arguments") {
            Some(list) => {
                let mut cursor = list.walk();
                let args = list
                    .named_children(&mut cursor)
                    .map(|a| self.src(a).to_owned())
                    .collect();
                let named = if method == "where" {
                    self.named_values(list)
                } else {
                    Vec::new()
                };
                (args, named)
            }
            None => (Vec::new(), Vec::new()),
        };
        Link {
            method,
            range: name.start_byte()..call.end_byte(),
            args,
            named_values,
        }
    }

    /// Whether a builder chain runs where it is written: not kept in a
    /// variable, not passed to another call (a subquery such as
    /// `inArray(col, db.select()...)`), not turned into an expression.
    fn runs_here(&self, top: Node<'a>, chain: &[Link], orm: Orm) -> bool {
        // A Prisma query runs when it is awaited or handed on: a call
        // standing alone as a statement (`store.folders.delete(id);`) sends
        // nothing, and is some other library's synchronous store.
        if orm == Orm::Prisma
            && top
                .parent()
                .is_some_and(|p| p.kind() == "expression_statement")
        {
            return false;
        }
        // Prisma's queries are lazy: the writes a `map` builds and hands to
        // `$transaction([...])` go as one atomic batch. (Reads batched so
        // are still a query per item.)
        if orm == Orm::Prisma && self.mapped_into_transaction(top) {
            return false;
        }
        let passed_on = top.parent().is_some_and(|p| {
            p.kind() == "arguments"
                && !p
                    .parent()
                    .and_then(|c| c.field("function"))
                    .is_some_and(|f| self.src(f).starts_with("Promise."))
        });
        !passed_on
            && !chain.iter().any(|l| l.method == "as")
            && top.parent().is_none_or(|p| {
                !matches!(
                    p.kind(),
                    "variable_declarator" | "assignment_expression" | "member_expression"
                )
            })
    }

    /// Whether a query is a write that a `map` callback returns, and the mapped
    /// list reaches `$transaction(...)`: directly, through variables,
    /// spreads and arrays, or returned by a function of the file.
    fn mapped_into_transaction(&self, top: Node<'a>) -> bool {
        let writes = top
            .field("function")
            .and_then(|f| f.field("property"))
            .is_some_and(|p| {
                matches!(
                    self.src(p),
                    "create"
                        | "update"
                        | "upsert"
                        | "delete"
                        | "createMany"
                        | "updateMany"
                        | "deleteMany"
                )
            });
        let Some(function) = returning_function(top).filter(|_| writes) else {
            return false;
        };
        self.array_callback(function).is_some()
            && function
                .parent()
                .and_then(|arguments| arguments.parent())
                .is_some_and(|map| self.sent_in_transaction(map, 0))
    }

    fn sent_in_transaction(&self, node: Node<'a>, depth: usize) -> bool {
        if depth > 4 {
            return false;
        }
        let mut node = node;
        let mut parent = node.parent();
        while let Some(p) = parent.filter(|p| {
            matches!(
                p.kind(),
                "parenthesized_expression"
                    | "spread_element"
                    | "array"
                    | "as_expression"
                    | "satisfies_expression"
            )
        }) {
            node = p;
            parent = p.parent();
        }
        let Some(parent) = parent else {
            return false;
        };
        let next = depth + 1;
        match parent.kind() {
            "arguments" => {
                let Some(callee) = parent.parent().and_then(|c| c.field("function")) else {
                    return false;
                };
                if self.src(callee).ends_with("$transaction") {
                    return true;
                }
                // `operations.push(...mapped)`
                callee.kind() == "member_expression"
                    && callee
                        .field("property")
                        .is_some_and(|p| self.src(p) == "push")
                    && callee
                        .field("object")
                        .map(peel)
                        .filter(|o| o.kind() == "identifier")
                        .and_then(|o| match self.declaration(o) {
                            Declaration::Variable { declarator, .. } => Some(declarator),
                            _ => None,
                        })
                        .is_some_and(|declarator| self.used_in_transaction(declarator, next))
            }
            "variable_declarator" if parent.field("value") == Some(node) => {
                self.used_in_transaction(parent, next)
            }
            "return_statement" | "arrow_function" => {
                let Some(function) = returning_function(node) else {
                    return false;
                };
                let Some((name, method)) = self.function_name(function) else {
                    return false;
                };
                self.calls_of(function, name, method)
                    .is_some_and(|calls| calls.iter().any(|c| self.sent_in_transaction(*c, next)))
            }
            _ => false,
        }
    }

    /// Whether a variable's value reaches `$transaction(...)` where the
    /// name is read.
    fn used_in_transaction(&self, declarator: Node<'a>, depth: usize) -> bool {
        let Some(name) = declarator
            .field("name")
            .filter(|n| n.kind() == "identifier")
        else {
            return false;
        };
        let text = self.src(name);
        let mut stack = vec![super::values::declaration_scope(declarator)];
        while let Some(node) = stack.pop() {
            if node.kind() == "identifier" && node.id() != name.id() && self.src(node) == text {
                if self.sent_in_transaction(node, depth) {
                    return true;
                }
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// A builder kept in a variable and carried on later: `q.limit(n)
    /// .offset(o)` after `const q = db.select().from(t)`. Recorded as the
    /// kept builder's call with the later links added.
    pub(super) fn continued_builder(&mut self, call: Node<'a>, callee: Node<'a>) {
        if callee.kind() != "member_expression" {
            return;
        }
        let (Some(object), Some(name)) =
            (callee.field("object").map(peel), callee.field("property"))
        else {
            return;
        };
        if object.kind() != "identifier" {
            return;
        }
        let super::values::Declaration::Variable { declarator, keys } = self.declaration(object)
        else {
            return;
        };
        let Some(value) = declarator.field("value").map(peel) else {
            return;
        };
        if !keys.is_empty() {
            return;
        }
        let Some(base) = self
            .calls
            .iter()
            .find(|c| {
                !c.executed
                    && c.range == value.byte_range()
                    && matches!(c.orm, Orm::Drizzle | Orm::Kysely)
            })
            .cloned()
        else {
            return;
        };
        let mut chain = base.chain;
        chain.push(self.link(name, call));
        let (more, top) = self.climb_chain(call);
        chain.extend(more);
        let executed = self.runs_here(top, &chain, base.orm);
        let in_process = base.orm == Orm::Drizzle && runs_in_process(top, &chain);
        self.calls.push(OrmCall {
            range: call.start_byte()..top.end_byte(),
            in_process,
            chain,
            executed,
            in_loop: self.loop_of(top),
            kept: is_kept(top),
            ..base
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
                "pair" => (pair.field("key"), pair.field("value")),
                "shorthand_property_identifier" => (Some(pair), Some(pair)),
                "spread_element" => {
                    // `...(page && { skip: (page - 1) * 20 })`,
                    // `...(cursor ? { cursor: { id: cursor }, skip: 1 } : {})`:
                    // the properties a conditional spread may add.
                    let before = out.len();
                    let objects = spread_objects(pair);
                    for object in &objects {
                        self.properties(*object, prefix, out, depth + 1);
                    }
                    if objects.first().is_none_or(|o| o.parent() != Some(pair)) {
                        for p in &mut out[before..] {
                            p.conditional = true;
                        }
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
            let literal = pair.kind() == "pair" && is_literal(value);
            self.property(prefix, key, value, literal, pair.byte_range(), out, depth);
        }
    }

    /// Records the properties of the objects `value` is built from under
    /// `prefix`: for a name bound to an object, also the members set on it
    /// later. Whether any object was found.
    fn object_properties(
        &self,
        value: Node<'a>,
        prefix: &str,
        out: &mut Vec<Property>,
        depth: usize,
    ) -> bool {
        if let Some((declarator, object)) = self.declared_object(value) {
            self.properties(object, prefix, out, depth + 1);
            self.assigned_members(declarator, self.src(peel(value)), prefix, out, depth);
            return true;
        }
        // The objects of an array literal (`OR: [{ ... }, { ... }]`) each
        // under their position, `where.OR.0.userId`, so that a rule can
        // tell one branch of a disjunction from another.
        let array = peel(value);
        if array.kind() == "array" {
            let mut cursor = array.walk();
            let mut found = false;
            for (i, element) in array.named_children(&mut cursor).enumerate() {
                let element = peel(element);
                if element.kind() == "object" {
                    self.properties(element, &format!("{prefix}.{i}"), out, depth + 1);
                    found = true;
                }
            }
            return found;
        }
        let objects = self.built_objects(value, 0);
        for object in &objects {
            self.properties(*object, prefix, out, depth + 1);
        }
        !objects.is_empty()
    }

    /// Records `key: value` under `prefix`, and the properties of the
    /// objects the value is built from below it.
    #[allow(clippy::too_many_arguments)]
    fn property(
        &self,
        prefix: &str,
        key: String,
        value: Node<'a>,
        literal: bool,
        range: std::ops::Range<usize>,
        out: &mut Vec<Property>,
        depth: usize,
    ) {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        out.push(Property {
            path: path.clone(),
            key,
            value: self.src(value).to_owned(),
            literal,
            range,
            conditional: false,
        });
        self.object_properties(value, &path, out, depth);
    }

    /// The object literals a value is built from: the literal itself, the
    /// objects of an array of them (`OR: [{ ... }, { ... }]`), the object a
    /// `const` is bound to (`where` after `const where = { ... }`), and the
    /// objects a function of the file returns (`where: searchWhere(q)`).
    pub(super) fn built_objects(&self, value: Node<'a>, depth: usize) -> Vec<Node<'a>> {
        let value = peel(value);
        match value.kind() {
            "object" => vec![value],
            "array" => {
                let mut cursor = value.walk();
                value
                    .named_children(&mut cursor)
                    .map(peel)
                    .filter(|e| e.kind() == "object")
                    .collect()
            }
            "identifier" | "shorthand_property_identifier" => match self.object_literal(value) {
                Some(object) => vec![object],
                None if depth < 3 => self.item_objects(value, depth),
                None => Vec::new(),
            },
            "call_expression" if depth < 3 => self.returned_objects(value, depth),
            _ => Vec::new(),
        }
    }

    /// The objects the item of an array callback is, when the array was
    /// made by a `map` returning object literals: `data` in
    /// `rows.map((data) => prisma.t.create({ data }))` after `const rows =
    /// invites.map((i) => ({ ... }))`.
    fn item_objects(&self, item: Node<'a>, depth: usize) -> Vec<Node<'a>> {
        let Declaration::Parameter {
            parameter,
            function,
            keys,
        } = self.declaration(item)
        else {
            return Vec::new();
        };
        let first = function
            .field("parameters")
            .and_then(|p| p.named_child(0))
            .or_else(|| function.field("parameter"));
        if !keys.is_empty() || first.is_none_or(|f| f.id() != parameter.id()) {
            return Vec::new();
        }
        let Some(mut array) = self.array_callback(function).map(peel) else {
            return Vec::new();
        };
        if array.kind() == "identifier"
            && let Declaration::Variable { declarator, keys } = self.declaration(array)
            && keys.is_empty()
            && let Some(value) = declarator.field("value")
        {
            array = peel(value);
        }
        let Some(callee) = array.field("function").map(peel) else {
            return Vec::new();
        };
        let Some(callback) = self.arguments(array).first().map(|c| peel(*c)) else {
            return Vec::new();
        };
        let maps = callee
            .field("property")
            .is_some_and(|p| self.src(p) == "map");
        match callback.field("body") {
            Some(body)
                if maps && matches!(callback.kind(), "arrow_function" | "function_expression") =>
            {
                self.body_objects(body, depth + 1)
            }
            _ => Vec::new(),
        }
    }

    /// The object literals the function a call names returns: the body of
    /// `(q) => ({ ... })`, or each `return { ... }` (or `return where`) of
    /// its block, not those of functions inside it.
    fn returned_objects(&self, call: Node<'a>, depth: usize) -> Vec<Node<'a>> {
        let Some(callee) = call.field("function").map(peel) else {
            return Vec::new();
        };
        if callee.kind() != "identifier" {
            return Vec::new();
        }
        let Some(body) = self.function_body(self.src(callee)) else {
            return Vec::new();
        };
        self.body_objects(body, depth)
    }

    /// The object literals a function body returns.
    fn body_objects(&self, body: Node<'a>, depth: usize) -> Vec<Node<'a>> {
        if body.kind() != "statement_block" {
            return self.built_objects(body, depth + 1);
        }
        let mut returned = Vec::new();
        let mut stack = vec![(body, 0usize)];
        while let Some((node, level)) = stack.pop() {
            if level > 40 {
                continue;
            }
            if node.kind() == "return_statement" {
                if let Some(value) = node.named_child(0) {
                    returned.extend(self.built_objects(value, depth + 1));
                }
                continue;
            }
            if node.id() != body.id() && super::is_scope(node) {
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor).map(|c| (c, level + 1)));
        }
        returned
    }

    /// The properties set on an object after its declaration, in the
    /// declaration's block: `where.name = { contains: q }`,
    /// `where["OR"] = [...]`.
    fn assigned_members(
        &self,
        declarator: Node<'a>,
        name: &str,
        prefix: &str,
        out: &mut Vec<Property>,
        depth: usize,
    ) {
        let Some(block) = declarator.parent().and_then(|d| d.parent()) else {
            return;
        };
        let mut stack = vec![(block, 0usize)];
        while let Some((node, level)) = stack.pop() {
            if level > 60 || out.len() > 512 {
                return;
            }
            if node.kind() == "assignment_expression"
                && let (Some(left), Some(right)) = (node.field("left"), node.field("right"))
                && let Some(key) = member_key(left, name, self.text)
            {
                self.property(
                    prefix,
                    key,
                    right,
                    is_literal(right),
                    node.byte_range(),
                    out,
                    depth,
                );
                continue;
            }
            if node.id() != block.id() && super::is_scope(node) {
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor).map(|c| (c, level + 1)));
        }
    }
}

/// The key a member assignment sets on `name`: `name` for `where.name` or
/// `where["name"]` when the object is `where`.
fn member_key(left: Node, object: &str, text: &str) -> Option<String> {
    let owner = left.field("object")?;
    if text.get(owner.byte_range())? != object {
        return None;
    }
    let key = match left.kind() {
        "member_expression" => left.field("property")?,
        "subscript_expression" => left.field("index")?,
        _ => return None,
    };
    let key = text.get(key.byte_range())?;
    let key = key.trim_matches(|c| c == '"' || c == '\'' || c == '`');
    (!key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$'))
    .then(|| key.to_owned())
}

/// The object literals a spread may add: `...{ a }`, `...(c && { a })`,
/// `...(c ? { a } : { b })`.
fn spread_objects(spread: Node) -> Vec<Node> {
    let Some(inner) = spread.named_child(0).map(peel) else {
        return Vec::new();
    };
    let branches = match inner.kind() {
        "object" => return vec![inner],
        "binary_expression" => vec![inner.field("right")],
        "ternary_expression" => vec![inner.field("consequence"), inner.field("alternative")],
        _ => Vec::new(),
    };
    branches
        .into_iter()
        .flatten()
        .map(peel)
        .filter(|b| b.kind() == "object")
        .collect()
}

/// Whether the result of a call is kept: assigned, or read at once.
fn is_kept(call: Node) -> bool {
    let mut node = call;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "await_expression" | "parenthesized_expression" | "non_null_expression" => {
                node = parent;
            }
            "variable_declarator" | "assignment_expression" | "member_expression" => return true,
            _ => return false,
        }
    }
    false
}

/// Whether SQL text names its table with a pasted value that is not a
/// constant (`FROM "${table}_history"`, `UPDATE ${name}`): a statement on
/// another table for each item, which no batched query by key replaces.
fn pastes_table_name(unit: &crate::extract::SqlUnit) -> bool {
    unit.interpolations.iter().any(|i| {
        i.names_table && i.provenance != crate::model::Provenance::Safe(crate::model::Safe::Literal)
    })
}

/// Whether a Drizzle chain runs synchronously: it ends in better-sqlite3's
/// `.run()`, `.all()` or `.get()` and nothing awaits it (with libSQL or D1
/// the same methods return promises, which are awaited).
fn runs_in_process(top: Node, chain: &[Link]) -> bool {
    let mut node = top;
    while let Some(parent) = node.parent() {
        if parent.kind() != "parenthesized_expression" {
            break;
        }
        node = parent;
    }
    chain
        .last()
        .is_some_and(|l| matches!(l.method.as_str(), "run" | "all" | "get"))
        && node.parent().is_none_or(|p| p.kind() != "await_expression")
}

/// The function a value is returned from: the body of an arrow function
/// (`(x) => value`), or a `return` statement's function.
fn returning_function(value: Node) -> Option<Node> {
    let parent = value.parent()?;
    if parent.kind() == "arrow_function" {
        return (parent.field("body") == Some(value)).then_some(parent);
    }
    if parent.kind() != "return_statement" {
        return None;
    }
    let mut node = parent.parent();
    while let Some(n) = node {
        if super::is_scope_kind(n.kind()) {
            return Some(n);
        }
        node = n.parent();
    }
    None
}
