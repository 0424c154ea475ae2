//! Queries built with an ORM's query builder instead of SQL text: diesel's
//! DSL (`users::table.filter(...).offset(n).load(conn)`) and sea-orm's
//! `Select` and `ActiveModel` (`post::Entity::find().offset(n).all(db)`).
//!
//! A chain is read from the method that runs it back to its root, so
//! `.limit`, `.offset` and `.filter` on the way are the chain's links, as
//! for Drizzle and Kysely. A method that runs a query by name alone
//! (`load`, `all`, `insert`) is also a method of atomics, iterators and
//! collections, so a chain counts only in a file that names the ORM, and
//! only with a sign of the ORM itself: a diesel table or DSL method, a
//! sea-orm entity's `find`/`insert`/`delete_many`, or an awaited
//! `ActiveModel` write.

use std::ops::Range;

use syn::Expr;

use super::{FUNCTIONS, Scan};
use crate::model::{Link, Orm, OrmCall};

/// diesel's methods that run a query, each with one argument: the
/// connection.
const DIESEL_RUNS: &[&str] = &[
    "load",
    "load_iter",
    "get_result",
    "get_results",
    "first",
    "execute",
];

/// diesel's query-building methods: a chain with one of these is diesel's.
const DIESEL_LINKS: &[&str] = &[
    "filter",
    "or_filter",
    "select",
    "order",
    "order_by",
    "then_order_by",
    "limit",
    "offset",
    "inner_join",
    "left_join",
    "left_outer_join",
    "find",
    "group_by",
    "having",
    "distinct",
    "into_boxed",
    "values",
    "set",
    "on_conflict",
    "do_nothing",
    "do_update",
    "returning",
    "count",
];

/// The functions that start a diesel statement on a table.
const DIESEL_ROOTS: &[&str] = &[
    "insert_into",
    "insert_or_ignore_into",
    "replace_into",
    "update",
    "delete",
    "belonging_to",
];

/// sea-orm's methods that run a `Select`, `Insert`, `Update` or `Delete`.
const SEA_ORM_RUNS: &[&str] = &[
    "all",
    "one",
    "count",
    "exec",
    "exec_with_returning",
    "exec_without_returning",
];

/// An `ActiveModel`'s methods that write its row.
const SEA_ORM_WRITES: &[&str] = &["insert", "update", "save", "delete"];

/// The entity functions that start a sea-orm statement
/// (`post::Entity::find()`, `Post::delete_many()`).
const SEA_ORM_ROOTS: &[&str] = &[
    "find",
    "find_by_id",
    "find_related",
    "find_also_related",
    "find_with_related",
    "insert",
    "insert_many",
    "update",
    "update_many",
    "delete",
    "delete_many",
    "delete_by_id",
];

/// A sea-orm `Paginator`'s methods that read a page, and how many
/// arguments each takes: `fetch_page(n)` reads page `n` by offset,
/// `fetch_and_next()` the page after the last one it read.
const SEA_ORM_PAGES: &[(&str, usize)] = &[("fetch_page", 1), ("fetch_and_next", 0), ("fetch", 0)];

/// What a run of a query-builder chain is: its ORM, the method that runs
/// it, its root as written, and its links, innermost first.
pub(super) struct Chain {
    pub orm: Orm,
    pub method: String,
    pub receiver: String,
    pub links: Vec<Link>,
}

/// Which ORMs a file names.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Orms {
    pub diesel: bool,
    pub sea_orm: bool,
}

impl Orms {
    pub fn of(text: &str) -> Self {
        Orms {
            diesel: text.contains("diesel"),
            sea_orm: text.contains("sea_orm"),
        }
    }

    /// Whether an identifier can run or start a statement of one of these
    /// ORMs, so a function body holding it is worth reading.
    pub fn name(&self, word: &str) -> bool {
        (self.diesel && (DIESEL_RUNS.contains(&word) || DIESEL_ROOTS.contains(&word)))
            || (self.sea_orm
                && (SEA_ORM_RUNS.contains(&word)
                    || SEA_ORM_WRITES.contains(&word)
                    || SEA_ORM_ROOTS.contains(&word)))
    }
}

impl Scan<'_> {
    /// The query-builder chain `call` runs, if it runs one.
    pub(super) fn builder_chain(&self, call: &syn::ExprMethodCall) -> Option<Chain> {
        let builders = self.orms;
        if !builders.diesel && !builders.sea_orm {
            return None;
        }
        // The operand of `.await`, which the visit of the `.await` noted.
        let awaited = self.awaited.contains(&self.at(&call));
        let method = call.method.to_string();
        if builders.sea_orm && awaited {
            if let Some(chain) = self.paginator_run(call, &method) {
                return Some(chain);
            }
        }
        let diesel = builders.diesel && DIESEL_RUNS.contains(&method.as_str());
        let sea_orm_run = builders.sea_orm && awaited && SEA_ORM_RUNS.contains(&method.as_str());
        let sea_orm_write =
            builders.sea_orm && awaited && SEA_ORM_WRITES.contains(&method.as_str());
        // The connection, one argument, and never a closure
        // (`iter.all(|x| ...)`).
        if !(diesel || sea_orm_run || sea_orm_write)
            || call.args.len() != 1
            || matches!(call.args.first(), Some(Expr::Closure(_)))
        {
            return None;
        }
        let (links, root) = self.links_of(&call.receiver, Vec::new());
        let root_fn = match root {
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => Some(&p.path),
                _ => None,
            },
            _ => None,
        };
        let root_name = root_fn
            .and_then(|p| p.segments.last())
            .map(|s| s.ident.to_string());
        // SQL text (`sql_query("...")`, `sqlx::query("...")`) is read as
        // text, not as a builder.
        if root_name.as_deref().is_some_and(|n| FUNCTIONS.contains(&n)) {
            return None;
        }
        let named = |list: &[&str]| links.iter().any(|l| list.contains(&l.method.as_str()));
        let orm = if diesel {
            let table = matches!(root, Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "table"));
            let started = root_name
                .as_deref()
                .is_some_and(|n| DIESEL_ROOTS.contains(&n));
            (table || started || named(DIESEL_LINKS)).then_some(Orm::Diesel)?
        } else {
            // `Entity::find()`, `post::Entity::delete_many()`: a type's
            // function, not a free one.
            let entity = root_fn.is_some_and(|p| {
                p.segments.len() >= 2
                    && p.segments
                        .last()
                        .is_some_and(|s| SEA_ORM_ROOTS.contains(&s.ident.to_string().as_str()))
            });
            let related = links
                .first()
                .is_some_and(|l| SEA_ORM_ROOTS.contains(&l.method.as_str()));
            (sea_orm_write && links.is_empty() || entity || related).then_some(Orm::SeaOrm)?
        };
        let receiver = self.text[self.at(&root)].to_owned();
        let receiver = match receiver.char_indices().nth(60) {
            Some((cut, _)) => format!("{}...", &receiver[..cut]),
            None => receiver,
        };
        Some(Chain {
            orm,
            method,
            receiver,
            links,
        })
    }

    /// A page read from a sea-orm paginator (`Post::find().paginate(db,
    /// 20)`, written in the call's receiver or bound to a local first):
    /// the chain with the page read as its last link.
    fn paginator_run(&self, call: &syn::ExprMethodCall, method: &str) -> Option<Chain> {
        SEA_ORM_PAGES
            .iter()
            .find(|(m, n)| *m == method && call.args.len() == *n)?;
        let mut built = &*call.receiver;
        while let Expr::Paren(p) = built {
            built = &p.expr;
        }
        if let Expr::Path(p) = built {
            let name = p.path.get_ident()?.to_string();
            built = self
                .paginators
                .iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, e)| e)?;
        }
        let (links, root) = self.links_of(built, vec![self.link(call)]);
        if !links.iter().any(|l| l.method == "paginate") {
            return None;
        }
        let receiver = self.text[self.at(&root)].to_owned();
        Some(Chain {
            orm: Orm::SeaOrm,
            method: method.to_owned(),
            receiver,
            links,
        })
    }

    /// The method calls of a chain, outermost first in `links` (which
    /// may hold the runs already read) and innermost first in the result,
    /// and the chain's root.
    fn links_of<'e>(&self, chain: &'e Expr, mut links: Vec<Link>) -> (Vec<Link>, &'e Expr) {
        let mut root = chain;
        for _ in 0..64 {
            match root {
                Expr::MethodCall(m) => {
                    links.push(self.link(m));
                    root = &m.receiver;
                }
                Expr::Paren(p) => root = &p.expr,
                Expr::Reference(r) => root = &r.expr,
                _ => break,
            }
        }
        links.reverse();
        (links, root)
    }

    fn link(&self, m: &syn::ExprMethodCall) -> Link {
        let start = self.at(&m.method).start;
        let end = self.at(&m).end;
        let args: Vec<String> = m
            .args
            .iter()
            .map(|a| self.text[self.at(&a)].to_owned())
            .collect();
        // The patterns of the link's `.like(..)`s that start with a
        // wildcard, written there or held by a local.
        let named_values = args
            .iter()
            .flat_map(|a| like_arguments(a))
            .filter_map(|p| self.wildcard(p).map(str::to_owned))
            .collect();
        Link {
            method: m.method.to_string(),
            range: start..end,
            args,
            named_values,
        }
    }

    /// The text that starts with a `LIKE` wildcard a value is, written
    /// there or held by a local (`pattern`, `&pattern`, `pattern.as_str()`).
    pub(super) fn wildcard<'a>(&'a self, value: &'a str) -> Option<&'a str> {
        if super::wildcard_text(value) {
            return Some(value);
        }
        let name = value
            .trim()
            .trim_start_matches('&')
            .trim_end_matches(".as_str()")
            .trim_end_matches(".clone()");
        self.wildcards
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// Records a run of a query-builder chain, with the loop it runs in.
    pub(super) fn builder_call(&mut self, mut chain: Chain, at: Range<usize>, name: Range<usize>) {
        // A batch per chunk of keys (`.filter(id.eq_any(chunk))`).
        // So is a statement handed the chunk a loop over chunks of a list
        // is at (`for chunk in rows.chunks(500) { insert_into(t)
        // .values(chunk) }`).
        let batched = ["eq_any(", "is_in("]
            .iter()
            .any(|k| self.text[at.clone()].contains(k))
            || (self.in_chunks()
                && chain
                    .links
                    .iter()
                    .flat_map(|l| &l.args)
                    .any(|a| self.mentions_item(a)));
        let mut each = self
            .current_loop()
            .filter(|each| !(batched && self.chunked.contains(&each.head.start)));
        // Values written that change with the item: diesel's `.set(...)`,
        // sea-orm's `col_expr`, or an `ActiveModel` made from the item
        // (`let mut m: post::ActiveModel = p.into(); m.update(db)`).
        let sets = chain
            .links
            .iter()
            .filter(|l| matches!(l.method.as_str(), "set" | "col_expr"))
            .flat_map(|l| &l.args)
            .any(|a| self.mentions_item(a))
            || (chain.orm == Orm::SeaOrm
                && chain.links.is_empty()
                && matches!(chain.method.as_str(), "update" | "save")
                && self.mentions_item(&chain.receiver));
        if let Some(each) = &mut each {
            each.writes_per_item = sets;
        }
        // A paginator read in a loop walks the table page after page; read
        // once, the page after the last one read is the first page.
        let mut walked_by = None;
        if chain.method == "fetch_and_next" {
            walked_by = each
                .as_ref()
                .map(|e| e.head.clone())
                .or_else(|| self.loop_heads.last().cloned());
            if walked_by.is_none() {
                chain.links.retain(|l| l.method != "fetch_and_next");
            }
        }
        self.calls.push(OrmCall::run(
            chain.orm,
            chain.method,
            chain.receiver,
            (at, name),
            chain.links,
            each,
            self.embedded,
        ));
        if let (Some(head), Some(call)) = (walked_by, self.calls.last_mut()) {
            call.walked_by = Some(head);
        }
    }
}

/// The arguments of the `.like(..)` and `.ilike(..)` calls in Rust source
/// text (diesel's `users::email.ilike(pattern)`), not of `.not_like(..)`.
fn like_arguments(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for call in [".like(", ".ilike("] {
        let mut from = 0;
        while let Some(at) = text[from..].find(call).map(|n| from + n) {
            let open = at + call.len();
            let mut depth = 1;
            let mut end = None;
            for (i, c) in text[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(open + i);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { break };
            found.push(text[open..end].trim());
            from = end;
        }
    }
    found
}
