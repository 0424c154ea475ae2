//! Where a query runs: the loop around it, what the loop goes over, and
//! how the query depends on the item of each iteration.
//!
//! `n-plus-one` reads this and nothing of a front end's syntax. A query is
//! one per item when its arguments hold the loop's item and the loop goes
//! over a collection as large as the data.

use std::ops::Range;

use super::Equalities;

/// A loop a database call runs in, once per iteration.
#[derive(Debug, Clone)]
pub struct LoopInfo {
    /// `for...of`, `while`, `.map()`...
    pub kind: String,
    /// Host range of the loop's head (`for (const x of xs)`, `xs.map`).
    pub head: Range<usize>,
    /// The collection or count the loop goes over, as written: `users`,
    /// `ids` in `i < ids.length`.
    pub over: Option<String>,
    /// What the loop goes over.
    pub items: Items,
    /// Whether each item is a slice of a list (`chunk(ids, 100)`, a counter
    /// stepping by a batch size): a query per item is one per batch.
    pub slices: bool,
    /// How the call this record belongs to depends on the item.
    pub item: PerItem,
    /// Whether the values the call writes (Prisma's `data`, Drizzle's
    /// `.set()`, a `SET` list in SQL text) change with the item: distinct
    /// rows written one by one.
    pub writes_per_item: bool,
    /// Whether each iteration writes a row of its own that no single call
    /// could write for all items (see `OrmCall::writes_own_row`): the loop
    /// is per-item work, and its other queries ride along.
    pub writes_rows: bool,
    /// Whether each iteration also does other work: it awaits something
    /// outside the database (an HTTP request, a payment provider, a pause
    /// between items), or the function the call goes through runs more
    /// than its one query (a unit of work per item, not a lookup).
    pub other_work: bool,
    /// Whether it is `Promise.all(xs.map(...))`: the calls start together,
    /// which some clients batch.
    pub promise_all: bool,
    /// Whether the call sits in a `try` inside the loop, so that one item's
    /// failure is caught on its own (a duplicate skipped, an error logged)
    /// and the loop goes on: a batch would fail for every item at once.
    pub isolated: bool,
    /// Host range of the node that binds the loop's item: the loop
    /// statement, or the callback of `.map()` and its kin.
    pub scope: Range<usize>,
    /// How many paths that leave a loop were open where the loop started.
    pub exits_at: usize,
}

/// What a loop goes over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Items {
    /// A few items, whatever the data: an array literal, a constant, a
    /// literal count, the rows of a query capped at a few (`take: 10`).
    Fixed,
    /// Retries until something is found (`while (!slug)`): about once.
    UntilFound,
    /// A collection as large as the data.
    Data(Collection),
    /// A loop with only a condition (`while (more)`, `for (;;)`): it pages,
    /// drains a batch at a time, retries or polls.
    Condition,
    /// A collection whose origin the front end could not follow.
    Unknown,
    /// The front end does not look at what the loop goes over.
    Unexamined,
}

/// A collection as large as the data, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// The collection as the loop names it: `users`, `req.body.ids`.
    pub written: String,
    pub origin: DataOrigin,
    /// Host range of the expression it comes from.
    pub range: Range<usize>,
}

/// Where a collection as large as the data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOrigin {
    /// The rows a query returned, and what its filter narrows them to
    /// when the call says.
    QueryResult(Option<Equalities>),
    /// The request being served.
    Request,
    /// What an awaited call returned: `await listMembers(team)`.
    Returned(String),
    /// A work list the loop takes items from as it fills: `while
    /// (queue.length) { const id = queue.pop(); ... }`.
    WorkList,
}

/// How a query in a loop depends on the item of each iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PerItem {
    /// Its arguments hold the item, or a value made from it: one query per
    /// item.
    Item,
    /// Its arguments hold the item as a list (`{ in: chunk }`,
    /// `inArray(t.id, batch)`), or it inserts a list made from the item
    /// (`INSERT ... SELECT FROM UNNEST(${group.ids})`): one query per
    /// batch or per group of rows.
    Batch,
    /// Its arguments hold a value an earlier iteration set, such as a
    /// cursor: the loop pages.
    Previous,
    /// Nothing in its arguments changes from one iteration to the next.
    Invariant,
    /// The front end does not follow the arguments.
    Unexamined,
}

impl LoopInfo {
    /// Whether the loop runs its call page after page: a `while`, `do` or
    /// counted `for` whose call takes a value an earlier iteration set (an
    /// offset that grows, a cursor) or the loop's counter (stepping by one
    /// or by a page size). With an offset in the call, the loop walks the
    /// table by offset.
    pub fn walks(&self) -> bool {
        matches!(self.kind.as_str(), "while" | "do...while" | "for")
            && matches!(
                self.item,
                PerItem::Previous | PerItem::Item | PerItem::Batch
            )
    }
}

impl Items {
    /// The items of a field these items hold (`booking.assets`, a list
    /// destructured from a row): however few rows the field is read from,
    /// it holds as many items as the data.
    pub fn fields(self) -> Items {
        match self {
            Items::Data(mut collection) => {
                if let DataOrigin::QueryResult(rows) = &mut collection.origin {
                    *rows = None;
                }
                Items::Data(collection)
            }
            other => other,
        }
    }

    /// The origin of a collection that may be either of two: data over an
    /// unknown origin over fixed items.
    pub fn join(self, other: Items) -> Items {
        match (self, other) {
            (a @ Items::Data(_), _) | (_, a @ Items::Data(_)) => a,
            (Items::Fixed, Items::Fixed) => Items::Fixed,
            _ => Items::Unknown,
        }
    }
}

impl PerItem {
    /// The dependence of a call on two values: on the item over a batch
    /// over an earlier iteration over nothing.
    pub fn join(self, other: PerItem) -> PerItem {
        use PerItem::*;
        let rank = |p: PerItem| match p {
            Unexamined => 4,
            Item => 3,
            Batch => 2,
            Previous => 1,
            Invariant => 0,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl DataOrigin {
    /// How a finding describes the collection's origin.
    pub fn describe(&self) -> String {
        match self {
            DataOrigin::QueryResult(_) => "are the rows of this query".to_owned(),
            DataOrigin::Request => "come from the request".to_owned(),
            DataOrigin::Returned(call) => format!("are what `{call}` returns"),
            DataOrigin::WorkList => "are taken from this list as it fills".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_wins_a_join_and_fixed_items_need_both_sides_fixed() {
        let data = Items::Data(Collection {
            written: "users".into(),
            origin: DataOrigin::QueryResult(None),
            range: 0..5,
        });
        assert_eq!(Items::Fixed.join(data.clone()), data);
        assert_eq!(Items::Unknown.join(data.clone()), data);
        assert_eq!(Items::Fixed.join(Items::Fixed), Items::Fixed);
        assert_eq!(Items::Fixed.join(Items::Unknown), Items::Unknown);
    }

    #[test]
    fn a_call_depends_on_the_item_if_any_argument_does() {
        assert_eq!(PerItem::Invariant.join(PerItem::Item), PerItem::Item);
        assert_eq!(PerItem::Batch.join(PerItem::Previous), PerItem::Batch);
        assert_eq!(PerItem::Item.join(PerItem::Batch), PerItem::Item);
        assert_eq!(
            PerItem::Previous.join(PerItem::Invariant),
            PerItem::Previous
        );
    }
}
