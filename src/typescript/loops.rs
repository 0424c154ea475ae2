//! The loops a file's queries run in: what each loop goes over, and how a
//! query inside depends on the item of each iteration.

use super::fields::Fields;
use std::ops::Range;

use tree_sitter::Node;

use super::values::{Declaration, Given};
use super::{Scan, is_literal, names_used, peel};
use crate::model::{Collection, DataOrigin, Items, LoopInfo, PerItem, Provenance};

/// Array methods whose callback runs once per element.
pub(super) const LOOP_METHODS: &[&str] = &[
    "forEach", "map", "flatMap", "reduce", "filter", "some", "every",
];

/// Methods that return the items of the array they are called on, in
/// another order or shape.
const SAME_ITEMS: &[&str] = &[
    "map",
    "flatMap",
    "filter",
    "slice",
    "sort",
    "toSorted",
    "reverse",
    "toReversed",
    "flat",
    "concat",
    "entries",
    "keys",
    "values",
];

/// Object keys whose value is a list of keys matched by one query:
/// Prisma's `{ in: ids }`, MongoDB-style `$in`.
const LIST_KEYS: &[&str] = &["in", "notIn", "hasSome", "hasEvery", "$in", "$nin"];

/// Functions that put a list of keys into one query: Drizzle's
/// `inArray(t.id, ids)`, Kysely's `where('id', 'in', ids)` reads as a
/// list through its operator instead.
const LIST_CALLS: &[&str] = &[
    "inArray",
    "notInArray",
    "arrayContains",
    "arrayOverlaps",
    "arrayContained",
];

/// Words in a function's or an item's name that say each item is a slice
/// of a list: `chunk(ids, 100)`, `for (const batch of batches)`.
const SLICE_WORDS: &[&str] = &["chunk", "batch", "partition"];

/// How the names of functions that send something outside the process
/// begin: `sendWebhooks`, `publishEvent`, `notifyOwner`.
const SENDING_VERBS: &[&str] = &[
    "send", "publish", "notify", "dispatch", "enqueue", "fetch", "post", "upload", "email",
    "trigger",
];

/// The most rows a capped query returns for a loop over them to count as
/// a few items.
const FEW_ROWS: u64 = 50;

/// How far a collection or a dependence is followed through names.
const MAX_HOPS: usize = 12;

/// The statements that repeat their body.
const LOOP_STATEMENTS: [&str; 4] = [
    "for_statement",
    "for_in_statement",
    "while_statement",
    "do_statement",
];

impl<'a> Scan<'a> {
    /// The loop a `for`, `for...of`, `for...in`, `while` or `do` statement
    /// makes of its body.
    pub(super) fn loop_info(&self, node: Node<'a>) -> LoopInfo {
        let mut over = None;
        let (kind, items) = match node.kind() {
            "for_in_statement" => {
                let of = (0..node.child_count())
                    .filter_map(|i| node.child(i as u32))
                    .any(|c| c.kind() == "of");
                over = node.field("right");
                let items = over.map_or(Items::Unknown, |r| {
                    self.guarded(node, r, self.items_of(r, 0))
                });
                (if of { "for...of" } else { "for...in" }, items)
            }
            "for_statement" => {
                over = self.counted_over(node);
                let items = over.map_or(Items::Condition, |bound| self.items_of(bound, 0));
                ("for", items)
            }
            "while_statement" | "do_statement" => {
                let until_found = node
                    .field("condition")
                    .is_some_and(|c| self.is_until_found(peel(c)));
                let kind = if node.kind() == "while_statement" {
                    "while"
                } else {
                    "do...while"
                };
                let items = if until_found {
                    Items::UntilFound
                } else if let Some(list) = self.work_list(node) {
                    over = Some(list);
                    Items::Data(Collection {
                        written: self.src(list).to_owned(),
                        origin: DataOrigin::WorkList,
                        range: list.byte_range(),
                    })
                } else {
                    Items::Condition
                };
                (kind, items)
            }
            _ => ("loop", Items::Unknown),
        };
        let head_end = node
            .field("body")
            .map_or(node.end_byte(), |b| b.start_byte());
        let slices = over.is_some_and(|o| self.is_sliced(o))
            || (kind == "for" && self.steps_by_more_than_one(node))
            || node
                .field("left")
                .is_some_and(|l| names_a_slice(self.src(l)));
        LoopInfo {
            kind: kind.to_owned(),
            head: node.start_byte()..head_end,
            over: over.map(|o| self.src(o).to_owned()),
            items,
            item: PerItem::Invariant,
            writes_per_item: false,
            slices,
            other_work: false,
            writes_rows: false,
            promise_all: false,
            isolated: false,
            scope: node.byte_range(),
            exits_at: self.exits,
        }
    }

    /// For `for (let i = 0; i < xs.length; i++)`, the collection or count
    /// the counter runs up to: `xs`, `n`.
    fn counted_over(&self, node: Node<'a>) -> Option<Node<'a>> {
        let mut condition = node.field("condition")?;
        if condition.kind() == "expression_statement" {
            condition = condition.named_child(0)?;
        }
        let condition = peel(condition);
        if condition.kind() != "binary_expression" {
            return None;
        }
        let operator = self.src(condition.field("operator")?);
        let bound = match operator {
            "<" | "<=" => condition.field("right")?,
            ">" | ">=" => condition.field("left")?,
            _ => return None,
        };
        let bound = peel(bound);
        // `xs.length`: the items of `xs`.
        if bound.kind() == "member_expression"
            && bound
                .field("property")
                .is_some_and(|p| matches!(self.src(p), "length" | "size"))
        {
            return bound.field("object");
        }
        Some(bound)
    }

    /// For `while (queue.length > 0) { const id = queue.pop(); ... }`, the
    /// list the loop takes its items from.
    fn work_list(&self, node: Node<'a>) -> Option<Node<'a>> {
        let condition = node.field("condition")?;
        let mut names = Vec::new();
        names_used(condition, &mut names, 0);
        let body = self.src(node.field("body")?);
        names.into_iter().find(|list| {
            let list = self.src(*list);
            let tested = self.src(condition);
            (tested.contains(&format!("{list}.length")) || tested.contains(&format!("{list}.size")))
                && [".pop()", ".shift()"]
                    .iter()
                    .any(|take| body.contains(&format!("{list}{take}")))
        })
    }

    /// `i += 100`, `i = i + size`: a counter that steps over slices.
    fn steps_by_more_than_one(&self, node: Node<'a>) -> bool {
        node.field("increment").is_some_and(|i| {
            let text = self.src(i);
            (text.contains("+=") || text.contains("= ")) && !text.trim_end().ends_with("+= 1")
        })
    }

    /// Whether a collection's items are slices of a list: the result of
    /// `chunk(ids, 100)`, or a name such as `batches`.
    fn is_sliced(&self, collection: Node<'a>) -> bool {
        let collection = peel(collection);
        match collection.kind() {
            "call_expression" => collection
                .field("function")
                .is_some_and(|f| names_a_slice(self.src(f).rsplit('.').next().unwrap_or(""))),
            "identifier" | "member_expression" => {
                names_a_slice(self.src(collection).rsplit('.').next().unwrap_or(""))
            }
            _ => false,
        }
    }

    /// `!slug`, `user == null`, `row === undefined`: a condition that
    /// holds until something is found.
    fn is_until_found(&self, condition: Node) -> bool {
        let plain = |n: Node| matches!(peel(n).kind(), "identifier" | "member_expression");
        match condition.kind() {
            "unary_expression" => {
                self.src(condition).starts_with('!')
                    && condition.field("argument").is_some_and(plain)
            }
            "binary_expression" => {
                let op = condition.field("operator").map_or("", |o| self.src(o));
                let nothing = |n: Option<Node>| {
                    n.is_some_and(|n| matches!(self.src(n), "null" | "undefined"))
                };
                matches!(op, "==" | "===")
                    && (nothing(condition.field("right")) || nothing(condition.field("left")))
            }
            _ => false,
        }
    }

    /// For `xs.map(...)`, `xs.forEach(...)` and the like, the loop their
    /// callbacks run in. Its `scope` is set to each callback as the walk
    /// enters it.
    pub(super) fn loop_callbacks(&self, node: Node<'a>) -> Option<LoopInfo> {
        if node.kind() != "call_expression" {
            return None;
        }
        let callee = node.field("function").map(peel)?;
        if callee.kind() != "member_expression" {
            return None;
        }
        let method = self.src(callee.field("property")?);
        if !LOOP_METHODS.contains(&method) {
            return None;
        }
        let items = callee.field("object").map(peel)?;
        let promise_all = node.parent().and_then(|a| a.parent()).is_some_and(|outer| {
            outer.kind() == "call_expression"
                && outer
                    .field("function")
                    .is_some_and(|f| self.src(f).starts_with("Promise.all"))
        }) || self.kept_for_promise_all(node);
        Some(LoopInfo {
            kind: format!(".{method}()"),
            head: callee.start_byte()..node.field("arguments")?.start_byte(),
            over: Some(self.src(items).to_owned()),
            items: self.guarded(node, items, self.items_of(items, 0)),
            item: PerItem::Invariant,
            writes_per_item: false,
            slices: self.is_sliced(items),
            other_work: false,
            writes_rows: false,
            promise_all,
            isolated: false,
            scope: node.byte_range(),
            exits_at: self.exits,
        })
    }

    /// The items of a loop over `over`, less a collection that a guard
    /// before the loop caps at a few: `if (ids.length !== 1) throw ...`,
    /// `if (ids.length > 20) return ...` in a block around the loop, within
    /// its function.
    fn guarded(&self, loop_node: Node<'a>, over: Node<'a>, items: Items) -> Items {
        if !matches!(items, Items::Data(_)) {
            return items;
        }
        let written = self.src(peel(over));
        let mut node = loop_node;
        while let Some(parent) = node.parent() {
            if super::is_scope_kind(parent.kind()) {
                break;
            }
            let mut before = node.prev_named_sibling();
            while let Some(statement) = before {
                if statement.kind() == "if_statement" && self.caps_length(statement, written) {
                    return Items::Fixed;
                }
                before = statement.prev_named_sibling();
            }
            node = parent;
        }
        items
    }

    /// Whether an `if` leaves (returns or throws) when `written.length`
    /// is over a few: `!== n`, `!= n`, `> n`, `>= n` (either way round),
    /// also as one branch of an `||`.
    fn caps_length(&self, statement: Node<'a>, written: &str) -> bool {
        let (Some(condition), Some(then)) = (
            statement.field("condition").map(peel),
            statement.field("consequence"),
        ) else {
            return false;
        };
        if !super::values::exits(then, self.text) {
            return false;
        }
        let length = format!("{written}.length");
        let few = |n: Node| self.src(n).parse::<u64>().is_ok_and(|n| n <= FEW_ROWS);
        let mut pending = vec![condition];
        while let Some(c) = pending.pop() {
            if c.kind() != "binary_expression" {
                continue;
            }
            let (Some(left), Some(right)) = (c.field("left").map(peel), c.field("right").map(peel))
            else {
                continue;
            };
            let op = c.field("operator").map_or("", |o| self.src(o));
            if op == "||" {
                pending.extend([left, right]);
                continue;
            }
            let caps = if self.src(left) == length && few(right) {
                matches!(op, "!==" | "!=" | ">" | ">=")
            } else if self.src(right) == length && few(left) {
                matches!(op, "!==" | "!=" | "<" | "<=")
            } else {
                false
            };
            if caps {
                return true;
            }
        }
        false
    }

    /// Whether a call's callbacks run before it returns, inside whatever
    /// loop is around it: a transaction's (`$transaction(async (tx) =>
    /// ...)`, `db.transaction(...)`).
    pub(super) fn runs_callbacks_now(&self, node: Node<'a>) -> bool {
        node.kind() == "call_expression"
            && node.field("function").is_some_and(|f| {
                let name = self.src(peel(f)).rsplit('.').next().unwrap_or("");
                matches!(name, "$transaction" | "transaction")
            })
    }

    /// The loop a database call at this point of the walk runs in, if any.
    pub(super) fn current_loop(&self) -> Option<LoopInfo> {
        let info = self.loops.last().cloned().flatten()?;
        // A call on a path that leaves the loop runs once.
        (self.exits == info.exits_at).then_some(info)
    }

    /// Marks the looped calls whose iterations also await work outside the
    /// database: in the loop, or in the function the call goes through.
    pub(super) fn mark_other_work(&mut self) -> Vec<(usize, Vec<(String, String)>)> {
        let mut marks = Vec::new();
        let mut awaited = Vec::new();
        for (i, call) in self.calls.iter().enumerate() {
            if let Some(each) = &call.in_loop
                && !each.other_work
            {
                match self.iteration_work(&each.scope, &call.range) {
                    None => marks.push(i),
                    Some(imports) if !imports.is_empty() => awaited.push((i, imports)),
                    Some(_) => {}
                }
            }
        }
        for i in marks {
            if let Some(each) = &mut self.calls[i].in_loop {
                each.other_work = true;
            }
        }
        let imported: Vec<Option<Vec<(String, String)>>> = self
            .modules
            .calls
            .iter()
            .map(|c| self.iteration_work(&c.each.scope, &c.range))
            .collect();
        for (call, work) in self.modules.calls.iter_mut().zip(imported) {
            match work {
                None => call.each.other_work = true,
                Some(imports) => call.awaits = imports,
            }
        }
        // Loops whose iterations write rows of their own.
        let writing: Vec<Range<usize>> = self
            .calls
            .iter()
            .filter(|c| {
                c.writes_own_row()
                    || (c.via.is_some() && c.in_loop.as_ref().is_some_and(|l| l.writes_per_item))
            })
            .filter_map(|c| c.in_loop.as_ref().map(|l| l.scope.clone()))
            .collect();
        for call in &mut self.calls {
            if let Some(each) = &mut call.in_loop
                && writing.contains(&each.scope)
            {
                each.writes_rows = true;
            }
        }
        for call in &mut self.modules.calls {
            if writing.contains(&call.each.scope) {
                call.each.writes_rows = true;
            }
        }
        awaited
    }

    /// What else an iteration around `query` awaits: `None` when it awaits
    /// work outside the database, otherwise the imported functions it
    /// awaits, which linking judges.
    fn iteration_work(
        &self,
        region: &Range<usize>,
        query: &Range<usize>,
    ) -> Option<Vec<(String, String)>> {
        *self.awaited_imports.borrow_mut() = Some(Vec::new());
        let other = self.awaits_other_work(region, query) || self.recurses(region);
        let imports = self.awaited_imports.borrow_mut().take().unwrap_or_default();
        (!other).then_some(imports)
    }

    /// Whether the code in `region` (a loop) calls the function it is in:
    /// each item starts a resolution of its own (a tree or a graph walked
    /// depth first), which one batched query does not replace.
    fn recurses(&self, region: &Range<usize>) -> bool {
        let Some(inner) = self
            .root_node
            .descendant_for_byte_range(region.start, region.end)
        else {
            return false;
        };
        let mut function = inner;
        while !super::is_scope_kind(function.kind()) {
            match function.parent() {
                Some(parent) => function = parent,
                None => return false,
            }
        }
        let name = match function.kind() {
            "function_declaration" | "method_definition" | "generator_function_declaration" => {
                function.field("name").map(|n| self.src(n))
            }
            _ => function
                .parent()
                .filter(|p| p.kind() == "variable_declarator")
                .and_then(|p| p.field("name"))
                .map(|n| self.src(n)),
        };
        let Some(name) = name else {
            return false;
        };
        let this_name = format!("this.{name}");
        let mut stack = vec![inner];
        let mut visited = 0;
        while let Some(node) = stack.pop() {
            visited += 1;
            if visited > 5000 {
                return false;
            }
            if node.kind() == "call_expression"
                && node
                    .field("function")
                    .is_some_and(|f| self.src(f) == name || self.src(f) == this_name)
            {
                return true;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// Whether a function's body does more than run `query`: another
    /// query, or work outside the database.
    pub(super) fn does_more_than(&self, body: &Range<usize>, query: &Range<usize>) -> bool {
        self.does_more_than_in(body, query, 0)
    }

    fn does_more_than_in(&self, body: &Range<usize>, query: &Range<usize>, nesting: u8) -> bool {
        let inside = |r: &Range<usize>| r.start >= body.start && r.end <= body.end;
        self.calls
            .iter()
            .filter(|c| c.executed && inside(&c.range))
            .nth(1)
            .is_some()
            || self.awaits_other_work_in(body, query, nesting)
    }

    /// Whether a function of the file runs one query and nothing else: a
    /// lookup, whose call costs one round trip.
    fn is_query_helper(&self, name: &str, nesting: u8) -> bool {
        if nesting > 3 {
            return false;
        }
        let Some(body) = self.functions.get(name) else {
            return false;
        };
        self.query_in(body)
            .is_some_and(|q| !self.does_more_than_in(body, &q.range, nesting + 1))
    }

    /// Whether the code in `region` (a loop, a callback, a function's
    /// body) awaits a call that is neither a database call nor `query`:
    /// work each iteration does outside the database.
    pub(super) fn awaits_other_work(&self, region: &Range<usize>, query: &Range<usize>) -> bool {
        self.awaits_other_work_in(region, query, 0)
    }

    fn awaits_other_work_in(
        &self,
        region: &Range<usize>,
        query: &Range<usize>,
        nesting: u8,
    ) -> bool {
        let Some(node) = self
            .root_node
            .descendant_for_byte_range(region.start, region.end)
        else {
            return false;
        };
        let node = node.field("body").unwrap_or(node);
        self.finds_other_work(node, node.id(), query, nesting, 0)
    }

    /// Whether the promises a `.map(...)` makes are kept in a name that the
    /// same block hands to `Promise.all`: `const loads = ids.map(...);
    /// await Promise.all(loads)`, which starts them in the same tick.
    fn kept_for_promise_all(&self, map: Node) -> bool {
        let Some(declarator) = map.parent().filter(|p| p.kind() == "variable_declarator") else {
            return false;
        };
        let Some(name) = declarator
            .field("name")
            .filter(|n| n.kind() == "identifier")
        else {
            return false;
        };
        let name = self.src(name);
        let Some(block) = declarator.parent().and_then(|d| d.parent()) else {
            return false;
        };
        let text = &self.text[declarator.end_byte()..block.end_byte()];
        ["Promise.all(", "Promise.allSettled("]
            .iter()
            .any(|call| text.contains(&format!("{call}{name})")))
    }

    fn finds_other_work(
        &self,
        node: Node<'a>,
        top: usize,
        query: &Range<usize>,
        nesting: u8,
        depth: usize,
    ) -> bool {
        if depth > 200 {
            return false;
        }
        // A function declared here runs later, unless it is handed to a
        // call (a transaction's callback runs now).
        if node.id() != top
            && super::is_scope(node)
            && node.parent().is_none_or(|p| p.kind() != "arguments")
        {
            return false;
        }
        if node.kind() == "await_expression"
            && let Some(inner) = node.named_child(0).map(peel)
            && inner.kind() == "call_expression"
        {
            // A function the file imports may be the project's own query
            // helper: while an iteration is searched, linking judges it.
            let imported = inner
                .field("function")
                .map(peel)
                .and_then(|f| self.imported_function(f));
            let judged_later = match (imported, self.awaited_imports.borrow_mut().as_mut()) {
                (Some(function), Some(collected)) => {
                    collected.push(function);
                    true
                }
                _ => false,
            };
            let database = judged_later || self.is_database_call(inner, query, nesting);
            let together = inner
                .field("function")
                .is_some_and(|f| self.src(f).starts_with("Promise."));
            if together {
                if self.starts_other_work(inner, query, nesting, 0) {
                    return true;
                }
            } else if !database {
                return true;
            }
        }
        // A promise handed back unawaited is awaited by the caller: one
        // whose name says it sends something counts, and a call of a
        // function of the file that awaits such work.
        if node.kind() == "return_statement"
            && let Some(returned) = node.named_child(0).map(peel)
            && returned.kind() == "call_expression"
            && returned.field("function").is_some_and(|f| {
                let written = self.src(f);
                let name = written.rsplit('.').next().unwrap_or("");
                SENDING_VERBS.iter().any(|v| name.starts_with(v))
                    || (nesting < 3
                        && self.functions.get(written).is_some_and(|body| {
                            self.awaits_other_work_in(body, &(0..0), nesting + 1)
                        }))
            })
            && self.starts_other_work(node, query, nesting, 0)
        {
            return true;
        }
        let mut cursor = node.walk();
        node.named_children(&mut cursor)
            .any(|c| self.finds_other_work(c, top, query, nesting, depth + 1))
    }

    /// Whether `Promise.all([...])` starts a call that is neither a
    /// database call nor `query`: an element of its list, or what a
    /// callback mapped over a list returns.
    fn starts_other_work(
        &self,
        node: Node<'a>,
        query: &Range<usize>,
        nesting: u8,
        depth: usize,
    ) -> bool {
        if depth > 64 {
            return false;
        }
        if node.kind() == "call_expression" && depth > 0 && self.is_started(node) {
            let callee = node.field("function").map_or("", |f| self.src(f));
            let passes_on = LOOP_METHODS
                .iter()
                .any(|m| callee.ends_with(&format!(".{m}")))
                || callee.starts_with("Promise.");
            if !passes_on && !self.is_database_call(node, query, nesting) {
                return true;
            }
        }
        let mut cursor = node.walk();
        node.named_children(&mut cursor)
            .any(|c| self.starts_other_work(c, query, nesting, depth + 1))
    }

    /// Whether a call is `query`, a database call of the file, or a call
    /// of a function of the file that runs one query and nothing else.
    fn is_database_call(&self, call: Node<'a>, query: &Range<usize>, nesting: u8) -> bool {
        let range = call.byte_range();
        let overlaps = |r: &Range<usize>| r.start < range.end && range.start < r.end;
        overlaps(query)
            || self.calls.iter().any(|c| overlaps(&c.range))
            || call
                .field("function")
                .map(peel)
                .is_some_and(|f| self.is_query_helper(self.src(f), nesting))
    }

    /// Whether a call's promise is what an element of a list, or a
    /// callback, hands to `Promise.all`: not an argument of another call.
    fn is_started(&self, call: Node<'a>) -> bool {
        let mut node = call;
        while let Some(parent) = node.parent() {
            match parent.kind() {
                "binary_expression"
                | "ternary_expression"
                | "parenthesized_expression"
                | "await_expression" => node = parent,
                "array" | "arrow_function" | "return_statement" => return true,
                "arguments" => {
                    // Directly in `Promise.all(...)`.
                    return parent
                        .parent()
                        .and_then(|c| c.field("function"))
                        .is_some_and(|f| self.src(f).starts_with("Promise."));
                }
                _ => return false,
            }
        }
        false
    }

    /// The loop around a call, with how the call depends on its item.
    pub(super) fn loop_of(&self, call: Node<'a>) -> Option<LoopInfo> {
        let mut info = self.current_loop()?;
        let (item, writes) = self.per_item(call, &info);
        info.item = item;
        info.writes_per_item = writes;
        info.isolated = self.caught_per_item(call, &info.scope);
        if self.stops_on_success(&info.scope) {
            info.items = Items::UntilFound;
        }
        Some(info)
    }

    /// Whether a loop statement leaves as soon as an awaited result of an
    /// iteration says it succeeded: `const done = await tryTake(b); if
    /// (done) return ...`. It tries the items in turn until one works,
    /// about once. A negated test (`if (!row) return error`) is a guard
    /// that fails the loop, not its way out, and does not count.
    fn stops_on_success(&self, scope: &Range<usize>) -> bool {
        let Some(statement) = self
            .root_node
            .descendant_for_byte_range(scope.start, scope.end)
            .filter(|n| LOOP_STATEMENTS.contains(&n.kind()))
        else {
            return false;
        };
        let Some(body) = statement.field("body") else {
            return false;
        };
        let mut stack = vec![body];
        while let Some(node) = stack.pop() {
            if super::is_scope(node)
                || (node.id() != body.id() && LOOP_STATEMENTS.contains(&node.kind()))
            {
                continue;
            }
            if node.kind() == "if_statement"
                && let Some(condition) = node.field("condition")
                && let Some(consequence) = node.field("consequence")
                && self.leaves(consequence)
                && self.tests_awaited_result(condition, &body)
            {
                return true;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// Whether a branch ends with, or is, a `break` or a `return` of
    /// what was found (`found = row; break;`); `return false` (or `null`,
    /// or nothing) reports a check that failed, the way out of a loop that
    /// checks every item.
    fn leaves(&self, branch: Node<'a>) -> bool {
        let last = if branch.kind() == "statement_block" {
            let mut cursor = branch.walk();
            branch
                .named_children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .last()
        } else {
            Some(branch)
        };
        last.is_some_and(|f| match f.kind() {
            "break_statement" => true,
            "return_statement" => f
                .named_child(0)
                .is_some_and(|value| !matches!(self.src(value), "false" | "null" | "undefined")),
            _ => false,
        })
    }

    /// Whether a condition tests, without negating it, an awaited value:
    /// one it awaits itself (`if (await isTaken(row.id))`) or a name the
    /// loop's body binds to one (`consumed`, `result.count > 0`).
    fn tests_awaited_result(&self, condition: Node<'a>, body: &Node<'a>) -> bool {
        let written = self.src(condition);
        if written.contains('!') || written.contains("=== 0") || written.contains("null") {
            return false;
        }
        if written.contains("await ") {
            return true;
        }
        let mut names = Vec::new();
        super::names_used(condition, &mut names, 0);
        names.into_iter().any(|name| {
            matches!(self.declaration(name), Declaration::Variable { declarator, .. }
                if declarator.start_byte() >= body.start_byte()
                    && declarator.end_byte() <= body.end_byte()
                    && declarator.field("value").is_some_and(|v| v.kind() == "await_expression"))
        })
    }

    /// Whether a call is the one thing awaited in the block of a `try`
    /// inside the loop's scope, whose `catch` can let the loop go on: the
    /// error handling is for that call (a duplicate key skipped), not a
    /// net around a whole iteration.
    fn caught_per_item(&self, call: Node<'a>, scope: &Range<usize>) -> bool {
        let mut node = call;
        while let Some(parent) = node.parent() {
            if parent.start_byte() < scope.start || super::is_scope(parent) {
                return false;
            }
            if parent.kind() == "try_statement"
                && parent.field("body").is_some_and(|b| b.id() == node.id())
            {
                let alone = self.src(node).matches("await ").count() <= 1;
                return alone
                    && parent.field("handler").is_some_and(|handler| {
                        let caught = self.src(handler);
                        let rethrows = caught.contains("throw ")
                            && !caught.contains("if ")
                            && !caught.contains("continue");
                        !rethrows && !caught.contains("break")
                    });
            }
            node = parent;
        }
        false
    }

    /// How a call depends on the item of the loop it runs in: through
    /// every name its arguments use, and the names their values use, back
    /// to the loop's item or to a value set before the loop.
    ///
    /// Also says whether the values it writes change with the item.
    fn per_item(&self, call: Node<'a>, each: &LoopInfo) -> (PerItem, bool) {
        let receiver = receiver_root(call).map(|r| r.id());
        let mut result = PerItem::Invariant;
        let mut writes = false;
        let mut uses = Vec::new();
        let mut grouped = false;
        names_used(call, &mut uses, 0);
        for name in uses {
            if Some(name.id()) == receiver || is_called(name) {
                continue;
            }
            let mut found = self.reaches(name, each, &mut Vec::new());
            if found == PerItem::Item && (each.slices || self.in_list_position(name, call)) {
                found = PerItem::Batch;
                grouped = true;
            }
            if found == PerItem::Item && self.in_written_values(name, call) {
                writes = true;
            }
            result = result.join(found);
        }
        // An insert of a list made from the item (`INSERT ... SELECT FROM
        // UNNEST(${group.userIds})`) writes the item's group of rows in one
        // statement: a batch per group, like `createMany`.
        if grouped && result == PerItem::Item && self.inserts(call) {
            result = PerItem::Batch;
        }
        (result, writes)
    }

    /// Whether a call inserts rows: SQL text that starts with `INSERT`, or
    /// a builder's `insert`/`insertInto`.
    fn inserts(&self, call: Node<'a>) -> bool {
        let text = self.src(call);
        let sql = text
            .split_once('`')
            .map(|(_, rest)| rest.trim_start().to_ascii_lowercase());
        sql.is_some_and(|s| s.starts_with("insert "))
            || text.contains(".insert(")
            || text.contains(".insertInto(")
    }

    /// Whether a name is part of the values a call writes: under Prisma's
    /// `data`, `create` or `update`, or in Drizzle's and Kysely's `.set()`.
    pub(super) fn in_written_values(&self, name: Node<'a>, call: Node<'a>) -> bool {
        let mut node = name;
        while let Some(parent) = node.parent() {
            if parent.id() == call.id() {
                break;
            }
            match parent.kind() {
                "pair" if parent.field("value").is_some_and(|v| v.id() == node.id()) => {
                    let key = parent.field("key").map_or("", |k| self.src(k));
                    if matches!(key, "data" | "create" | "update") {
                        return true;
                    }
                }
                "arguments" => {
                    let callee = parent
                        .parent()
                        .and_then(|c| c.field("function"))
                        .map_or("", |f| self.src(f));
                    if callee.ends_with(".set") {
                        return true;
                    }
                    // TypeORM's `update(criteria, values)` and Sequelize's
                    // `update(values, { where })`: the argument that is
                    // not the filter holds the values.
                    if callee.ends_with(".update") && parent.named_child_count() == 2 {
                        let filter_first = parent
                            .named_child(1)
                            .is_some_and(|a| !self.src(a).contains("where"));
                        let values = parent.named_child(if filter_first { 1 } else { 0 });
                        if values.is_some_and(|v| v.id() == node.id()) {
                            return true;
                        }
                    }
                }
                // `UPDATE t SET config = ${next} WHERE id = ${row.id}`
                "template_substitution" => {
                    if let Some(template) = parent.parent()
                        && let Some(before) =
                            self.text.get(template.start_byte()..parent.start_byte())
                        && in_set_clause(before)
                    {
                        return true;
                    }
                }
                _ => {}
            }
            node = parent;
        }
        false
    }

    /// What a name used inside a loop holds of the loop's item.
    fn reaches(&self, name: Node<'a>, each: &LoopInfo, seen: &mut Vec<usize>) -> PerItem {
        if seen.len() > MAX_HOPS * 4 {
            return PerItem::Invariant;
        }
        let inside = |n: Node| n.start_byte() > each.scope.start && n.end_byte() <= each.scope.end;
        match self.declaration(name) {
            Declaration::LoopElement { loop_node } if loop_node.byte_range() == each.scope => {
                PerItem::Item
            }
            // The element of a loop inside the iteration holds what its
            // collection holds: `for (const row of counts)` with `counts`
            // the rows of a query keyed by the item.
            Declaration::LoopElement { loop_node } if inside(loop_node) => {
                if seen.contains(&loop_node.id()) {
                    return PerItem::Invariant;
                }
                seen.push(loop_node.id());
                let mut uses = Vec::new();
                if let Some(collection) = loop_node.field("right") {
                    names_used(collection, &mut uses, 0);
                }
                uses.into_iter()
                    .filter(|n| !is_called(*n))
                    .map(|n| self.reaches(n, each, seen))
                    .fold(PerItem::Invariant, PerItem::join)
            }
            Declaration::Parameter { function, .. } if function.byte_range() == each.scope => {
                PerItem::Item
            }
            Declaration::Variable { declarator, .. } => {
                if seen.contains(&declarator.id()) {
                    return PerItem::Invariant;
                }
                seen.push(declarator.id());
                let statement = declarator.parent();
                let counter = statement
                    .and_then(|s| s.parent())
                    .is_some_and(|f| f.kind() == "for_statement" && f.byte_range() == each.scope);
                if counter {
                    return PerItem::Item;
                }
                let assigned = self.reassigned(declarator, self.src(name));
                if inside(declarator) {
                    // `const id = queue.pop()`: the item of a work list.
                    if let Some(value) = declarator.field("value")
                        && let Items::Data(Collection {
                            origin: DataOrigin::WorkList,
                            written,
                            ..
                        }) = &each.items
                        && [".pop()", ".shift()"].iter().any(|take| {
                            self.src(peel(value)).trim_end_matches('!')
                                == format!("{written}{take}")
                        })
                    {
                        return PerItem::Item;
                    }
                    let mut uses = Vec::new();
                    if let Some(value) = declarator.field("value") {
                        names_used(value, &mut uses, 0);
                    }
                    for value in &assigned {
                        names_used(*value, &mut uses, 0);
                    }
                    // An object filled in after its declaration holds what
                    // is written into it: `stats.total += row.count`.
                    for value in self.member_assigned(declarator, self.src(name)) {
                        names_used(value, &mut uses, 0);
                    }
                    uses.into_iter()
                        .filter(|n| !is_called(*n))
                        .map(|n| self.reaches(n, each, seen))
                        .fold(PerItem::Invariant, PerItem::join)
                } else if assigned.iter().any(|v| inside(*v)) {
                    // Set by an earlier iteration: a cursor, a page number.
                    PerItem::Previous
                } else {
                    PerItem::Invariant
                }
            }
            _ => PerItem::Invariant,
        }
    }

    /// Whether a name sits where a query takes a list of keys: `{ in: ids
    /// }`, `inArray(t.id, batch.map((b) => b.id))`, `= ANY(${ids})`. The
    /// name must be the list, or the array a method is called on, not a
    /// part of a row or of a literal list.
    fn in_list_position(&self, name: Node<'a>, call: Node<'a>) -> bool {
        let mut node = name;
        while let Some(parent) = node.parent() {
            if parent.id() == call.id() {
                return false;
            }
            let through = match parent.kind() {
                "member_expression" => parent.field("object").is_some_and(|o| o.id() == node.id()),
                "call_expression" => parent
                    .field("function")
                    .is_some_and(|f| f.id() == node.id()),
                "parenthesized_expression"
                | "as_expression"
                | "non_null_expression"
                | "satisfies_expression" => true,
                "pair" => {
                    return parent.field("key").is_some_and(|k| {
                        LIST_KEYS.contains(&self.src(k).trim_matches(['"', '\'']))
                    });
                }
                "arguments" => {
                    let callee = parent
                        .parent()
                        .and_then(|c| c.field("function"))
                        .map_or("", |f| self.src(f));
                    return LIST_CALLS.contains(&callee.rsplit('.').next().unwrap_or(""));
                }
                "template_substitution" => {
                    let before = self.text[..parent.start_byte()]
                        .trim_end()
                        .to_ascii_lowercase();
                    return before.ends_with("any(")
                        || before.ends_with(" in (")
                        || before.ends_with(" in")
                        || before.ends_with("unnest(");
                }
                _ => false,
            };
            if !through {
                return false;
            }
            node = parent;
        }
        false
    }

    /// What a collection (or a count) holds: fixed items, the data, or
    /// something not known.
    pub(super) fn items_of(&self, node: Node<'a>, hops: usize) -> Items {
        if hops > MAX_HOPS {
            return Items::Unknown;
        }
        let awaited = self.src(node).trim_start().starts_with("await");
        let node = peel(node);
        let data = |origin, at: Node| {
            Items::Data(Collection {
                written: self.src(at).to_owned(),
                origin,
                range: at.byte_range(),
            })
        };
        if is_literal(node) {
            return Items::Fixed;
        }
        match node.kind() {
            "array" => {
                let mut cursor = node.walk();
                node.named_children(&mut cursor)
                    .filter(|c| c.kind() == "spread_element")
                    .filter_map(|s| s.named_child(0))
                    .map(|s| self.items_of(s, hops + 1))
                    .fold(Items::Fixed, Items::join)
            }
            "number" | "true" | "false" => Items::Fixed,
            "identifier" | "shorthand_property_identifier" => self.name_items(node, hops),
            "member_expression" => {
                let Some(object) = node.field("object") else {
                    return Items::Unknown;
                };
                if peel(object).kind() == "this" {
                    return Items::Unknown;
                }
                if self.request_source(node, object).is_some() {
                    return data(DataOrigin::Request, node);
                }
                self.items_of(object, hops + 1).fields()
            }
            "subscript_expression" => node
                .field("object")
                .map_or(Items::Unknown, |o| self.items_of(o, hops + 1)),
            "call_expression" => self.call_items(node, awaited, hops),
            "new_expression" => {
                let constructor = node.field("constructor").map_or("", |c| self.src(c));
                match node.field("arguments").and_then(|a| a.named_child(0)) {
                    Some(first) if matches!(constructor, "Set" | "Map" | "Array") => {
                        self.items_of(first, hops + 1)
                    }
                    None if matches!(constructor, "Set" | "Map") => Items::Fixed,
                    _ => Items::Unknown,
                }
            }
            "ternary_expression" => {
                let branch = |field| {
                    node.field(field)
                        .map_or(Items::Unknown, |b| self.items_of(b, hops + 1))
                };
                branch("consequence").join(branch("alternative"))
            }
            "binary_expression" => {
                let side = |field| {
                    node.field(field)
                        .map_or(Items::Unknown, |b| self.items_of(b, hops + 1))
                };
                side("left").join(side("right"))
            }
            _ => Items::Unknown,
        }
    }

    /// What the result of a call holds.
    fn call_items(&self, call: Node<'a>, awaited: bool, hops: usize) -> Items {
        let Some(callee) = call.field("function").map(peel) else {
            return Items::Unknown;
        };
        let first = call.field("arguments").and_then(|a| a.named_child(0));
        let data = |origin| {
            Items::Data(Collection {
                written: self.src(call).to_owned(),
                origin,
                range: call.byte_range(),
            })
        };
        // A query of the file's: the rows it returns, a page when it is
        // capped.
        if let Some(query) = self
            .calls
            .iter()
            .find(|c| c.range.start >= call.start_byte() && c.range.end <= call.end_byte())
        {
            let cap = query
                .property("take")
                .map(|p| p.value.as_str())
                .or_else(|| {
                    query
                        .link("limit")
                        .and_then(|l| l.args.first())
                        .map(String::as_str)
                })
                .map(|cap| self.number_value(cap));
            // A cap the file does not spell out (`take: batchSize`, a
            // page size its caller picks) reads a page, not the table.
            if cap.is_some_and(|n| n.is_none_or(|n| n <= FEW_ROWS)) {
                return Items::Fixed;
            }
            // One parent's rows that a list the code holds lacks (`{
            // orgId, name: { notIn: Object.keys(config) } }`, `and(eq(t.orgId,
            // org), notInArray(t.name, kept))`): what one save changed, the
            // difference taken in SQL.
            let rows = query.equalities();
            let scoped = rows.as_ref().is_some_and(|e| !e.columns.is_empty());
            let lacking = scoped
                && (query.properties.iter().any(|p| {
                    p.key == "notIn"
                        && p.path.starts_with("where")
                        && !p.literal
                        && !is_constant_list(&p.value)
                }) || query.chain.iter().filter(|l| l.method == "where").any(|l| {
                    l.args.iter().any(|a| {
                        a.split("notInArray(").skip(1).any(|rest| {
                            rest.split_once(',').is_some_and(|(_, list)| {
                                !is_constant_list(list.trim_start().trim_end_matches(')'))
                            })
                        })
                    })
                }));
            if lacking {
                return Items::Fixed;
            }
            return data(DataOrigin::QueryResult(rows));
        }
        let written = self.src(callee);
        match callee.kind() {
            "member_expression" => {
                let method = callee.field("property").map_or("", |p| self.src(p));
                if let Some(object) = callee.field("object") {
                    let object_name = self.src(object);
                    if matches!(object_name, "Object" | "Array")
                        && matches!(method, "keys" | "values" | "entries" | "from")
                    {
                        return first.map_or(Items::Unknown, |f| {
                            // Array.from({ length: n })
                            let f = peel(f);
                            if f.kind() == "object" {
                                let mut cursor = f.walk();
                                let length = f
                                    .named_children(&mut cursor)
                                    .find(|p| {
                                        p.field("key").is_some_and(|k| self.src(k) == "length")
                                    })
                                    .and_then(|p| p.field("value"));
                                return length.map_or(Items::Fixed, |l| self.items_of(l, hops + 1));
                            }
                            self.items_of(f, hops + 1)
                        });
                    }
                    if method == "filter"
                        && let Some(callback) = first
                        && self.keeps_difference(callback)
                    {
                        return Items::Fixed;
                    }
                    if method == "flatMap" {
                        return self.items_of(object, hops + 1).fields();
                    }
                    if SAME_ITEMS.contains(&method) {
                        return self.items_of(object, hops + 1);
                    }
                }
            }
            "identifier" => {
                if let Some(body) = self.functions.get(written)
                    && self.query_in(body).is_some()
                {
                    return data(DataOrigin::QueryResult(None));
                }
            }
            _ => {}
        }
        if awaited {
            data(DataOrigin::Returned(written.to_owned()))
        } else {
            Items::Unknown
        }
    }

    /// Whether a `filter` callback keeps the items another list lacks:
    /// `stored.filter((s) => !submitted.some((x) => x.id === s.id))`,
    /// `!kept.has(c.id)`. The result is what one save changed (links a form
    /// removed, secrets it edited): a few items, not the table.
    fn keeps_difference(&self, callback: Node<'a>) -> bool {
        let callback = peel(callback);
        if !matches!(callback.kind(), "arrow_function" | "function_expression") {
            return false;
        }
        let Some(body) = callback.field("body") else {
            return false;
        };
        let parameters = callback
            .field("parameters")
            .or_else(|| callback.field("parameter"));
        let item = parameters.and_then(|p| super::values::first_parameter_name(p, self.text));
        // The other list: a variable of the code, not a constant list
        // (`!EXCLUDED.includes(t)`) nor a field of the item
        // (`!row.tags.includes('x')`).
        let other_list = |list: Node<'a>| {
            let written = self.src(list);
            !is_constant_list(written)
                && !is_literal(peel(list))
                && peel(list).kind() != "array"
                && item.is_none_or(|item| !super::values::mentions(written, item))
        };
        let mut stack = vec![body];
        while let Some(node) = stack.pop() {
            if node.kind() == "unary_expression"
                && node.field("operator").is_some_and(|o| self.src(o) == "!")
                && let Some(operand) = node.field("argument").map(peel)
                && operand.kind() == "call_expression"
                && let Some(callee) = operand.field("function").map(peel)
                && callee.kind() == "member_expression"
                && callee.field("property").is_some_and(|p| {
                    matches!(
                        self.src(p),
                        "some" | "find" | "has" | "includes" | "findIndex"
                    )
                })
                && callee.field("object").is_some_and(other_list)
            {
                return true;
            }
            if matches!(node.kind(), "arrow_function" | "function_expression") && node != body {
                continue;
            }
            let mut cursor = node.walk();
            stack.extend(node.named_children(&mut cursor));
        }
        false
    }

    /// The number a literal or a file's numeric constant holds: `10`,
    /// `BATCH_SIZE` with `const BATCH_SIZE = 10`.
    fn number_value(&self, written: &str) -> Option<u64> {
        let written = written.trim();
        if let Ok(n) = written.replace('_', "").parse::<u64>() {
            return Some(n);
        }
        if !written
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || written.is_empty()
        {
            return None;
        }
        let declared = format!("const {written} = ");
        let at = self.text.find(&declared)? + declared.len();
        let digits: String = self.text[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .filter(|c| *c != '_')
            .collect();
        digits.parse().ok()
    }

    /// What a name holds, as a collection.
    fn name_items(&self, name: Node<'a>, hops: usize) -> Items {
        let text = self.src(name);
        if is_constant_name(text) {
            return Items::Fixed;
        }
        match self.declaration(name) {
            Declaration::Variable { declarator, keys } => {
                let Some(value) = declarator.field("value") else {
                    return Items::Unknown;
                };
                // `rows = rows.concat(more)`: the name's own items add none.
                self.following((declarator.id(), 0), Items::Fixed, || {
                    let initial = self.items_of(value, hops + 1);
                    let initial = if keys.is_empty() {
                        initial
                    } else {
                        initial.fields()
                    };
                    self.reassigned(declarator, text)
                        .into_iter()
                        .fold(initial, |acc, v| acc.join(self.items_of(v, hops + 1)))
                })
            }
            Declaration::Parameter {
                parameter,
                function,
                keys,
            } => {
                // The item of an enclosing `.map()`: the items of its array.
                if let Some(outer) = function
                    .parent()
                    .filter(|a| a.kind() == "arguments")
                    .and_then(|a| a.parent())
                    && let Some(callee) = outer.field("function").map(peel)
                    && callee.kind() == "member_expression"
                    && callee
                        .field("property")
                        .is_some_and(|p| LOOP_METHODS.contains(&self.src(p)))
                    && let Some(object) = callee.field("object")
                {
                    return self.items_of(object, hops + 1).fields();
                }
                match self.parameter_provenance(parameter, function, &keys, name) {
                    Provenance::Request(_) => Items::Data(Collection {
                        written: text.to_owned(),
                        origin: DataOrigin::Request,
                        range: parameter.byte_range(),
                    }),
                    Provenance::Safe(_) => Items::Fixed,
                    // As many items as the callers pass: what the file's
                    // own calls pass, when it makes any. A caller in
                    // another file may pass three or a million.
                    Provenance::Unknown | Provenance::Opaque => {
                        self.following((function.id(), 3), Items::Unknown, || {
                            self.given_items(parameter, function, &keys, hops)
                        })
                    }
                }
            }
            Declaration::LoopElement { loop_node } => loop_node
                .field("right")
                .map_or(Items::Unknown, |r| self.items_of(r, hops + 1)),
            Declaration::Other => Items::Unknown,
        }
    }

    /// What the file's calls of a function pass for one of its
    /// parameters, joined over the calls: unknown when the file makes none
    /// or the function is also used as a value.
    fn given_items(
        &self,
        parameter: Node<'a>,
        function: Node<'a>,
        keys: &[String],
        hops: usize,
    ) -> Items {
        let Some(given) = self.given_arguments(parameter, function, keys) else {
            return Items::Unknown;
        };
        given
            .into_iter()
            .map(|argument| match argument {
                Given::Missing => Items::Fixed,
                Given::Value(value) => self.items_of(value, hops + 1),
                Given::Opaque => Items::Unknown,
            })
            .reduce(Items::join)
            .unwrap_or(Items::Unknown)
    }
}

/// `ROLES`, `DEFAULT_PLANS`: a name written as a constant.
fn is_constant_name(name: &str) -> bool {
    name.len() > 1
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether a name says its items are slices of a list.
fn names_a_slice(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    let lower = lower
        .trim_start_matches("const ")
        .trim_start_matches("let ");
    SLICE_WORDS.iter().any(|w| lower.contains(w))
}

/// The name a call's receiver chain starts from: `prisma` in
/// `prisma.user.findMany(...)`, `db` in `db.select().from(t).limit(1)`.
fn receiver_root(call: Node) -> Option<Node> {
    let mut node = call;
    for _ in 0..64 {
        node = match node.kind() {
            "call_expression" => node.field("function")?,
            "member_expression" => node.field("object")?,
            "await_expression" | "parenthesized_expression" | "non_null_expression" => {
                node.named_child(0)?
            }
            "identifier" => return Some(node),
            _ => return None,
        };
    }
    None
}

/// Whether a name is the function of a call: `eq` in `eq(t.id, id)`.
fn is_called(name: Node) -> bool {
    name.parent().is_some_and(|p| {
        p.kind() == "call_expression" && p.field("function").is_some_and(|f| f.id() == name.id())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_names_and_slice_names() {
        assert!(is_constant_name("ROLES"));
        assert!(is_constant_name("DEFAULT_PLANS_2"));
        assert!(!is_constant_name("Roles"));
        assert!(!is_constant_name("X"));
        assert!(names_a_slice("chunk"));
        assert!(names_a_slice("const batch"));
        assert!(names_a_slice("idChunks"));
        assert!(!names_a_slice("users"));
    }
}

/// Whether SQL text that ends where a value is pasted puts the value in an
/// `UPDATE`'s `SET` list: `set` comes after `update`, and no `where`
/// follows it.
fn in_set_clause(before: &str) -> bool {
    let lower = before.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let Some(set) = words.iter().rposition(|w| *w == "set") else {
        return false;
    };
    words[..set].contains(&"update")
        && !words[set..]
            .iter()
            .any(|w| matches!(*w, "where" | "from" | "returning"))
}

/// Whether a list's source text is a constant: an array literal, or a name
/// written in capitals (`HIDDEN_KINDS`).
fn is_constant_list(text: &str) -> bool {
    let text = text.trim();
    text.starts_with('[')
        || is_constant_name(text.split(['.', '?', '[', '(']).next().unwrap_or(text))
}
