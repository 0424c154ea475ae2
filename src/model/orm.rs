//! The database calls a front end records: ORM and query-builder calls
//! (Prisma, Drizzle, Kysely) and SQL sent as text, with the loop each runs
//! in. Rules read these, never a front end's syntax.

use std::ops::Range;

use super::LoopInfo;
use super::catalog::last_member;

/// The ORMs and query builders whose calls querylint reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orm {
    Prisma,
    Drizzle,
    Kysely,
    /// SQL text sent through a raw sink or a tagged template.
    Sql,
    /// diesel's query DSL (Rust).
    Diesel,
    /// sea-orm's `Select`, `Insert`, `Update`, `Delete` and `ActiveModel`
    /// (Rust).
    SeaOrm,
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
    /// Whether a conditional spread adds it (`...(id ? { id } : {})`): the
    /// object may lack it.
    pub conditional: bool,
}

/// The rows a query reads, as far as its filter says: the table or model,
/// and the columns the filter sets to one value each
/// (`where: { userId: id }`, `.where(and(eq(t.orgId, org), eq(t.role, r)))`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equalities {
    /// The model (`member` in `prisma.member`) or the table as the code
    /// names it (`members` in `.from(members)`).
    pub table: String,
    pub columns: Vec<String>,
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
    /// For `where`: the source texts of the values its arguments name,
    /// such as the conditions pushed onto a list spread into `and(...)`.
    /// For a diesel link: the patterns of its `.like(..)`/`.ilike(..)`
    /// that start with a wildcard, written there or held by a local.
    pub named_values: Vec<String>,
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
    /// Whether the call's result is kept: assigned to a name, or read at
    /// once (`(await create(...)).id`).
    pub kept: bool,
    /// Whether `properties` are all the first argument holds: there is no
    /// argument, or it is an object literal or a name bound to one. Not so
    /// for `updateMany(payload)` with `payload` a parameter.
    pub argument_known: bool,
    /// Host range of the head of a loop that calls the function the call
    /// is in, page after page (see `LoopInfo::walks`).
    pub walked_by: Option<Range<usize>>,
    /// For a builder started with its table (Kysely's `selectFrom(t)`,
    /// `deleteFrom(t)`): that argument as written, when it is not a
    /// string literal.
    pub table_named: Option<String>,
    /// Whether the call runs in the process: Drizzle over better-sqlite3
    /// ended with `.run()`, `.all()` or `.get()` and not awaited, or any
    /// call in a package whose only database driver is embedded
    /// (`Project::database_in_process`). SQLite in the process has no round
    /// trip to save.
    pub in_process: bool,
}

impl OrmCall {
    /// A query run where it is written, with no object-literal argument:
    /// SQL text sent through a sink, or a query-builder chain (`chain`).
    pub fn run(
        orm: Orm,
        method: String,
        receiver: String,
        (range, method_name): (Range<usize>, Range<usize>),
        chain: Vec<Link>,
        in_loop: Option<LoopInfo>,
        in_process: bool,
    ) -> Self {
        OrmCall {
            orm,
            method,
            receiver,
            range,
            method_name,
            properties: Vec::new(),
            chain,
            executed: true,
            in_loop,
            via: None,
            unbounded_relations: Vec::new(),
            kept: false,
            argument_known: true,
            walked_by: None,
            table_named: None,
            in_process,
        }
    }

    /// A call, in a loop, of a function whose body runs the query `via`:
    /// the function's name stands for the call.
    pub fn through(name: String, range: Range<usize>, each: LoopInfo, via: &OrmCall) -> Self {
        let mut call = Self::through_named(name, range, each, via.name(), via.orm);
        call.in_process = via.in_process;
        call
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
            kept: false,
            argument_known: true,
            walked_by: None,
            table_named: None,
            in_process: false,
        }
    }

    /// Marks a create whose row the turn keeps (`let id = ..`): the row is
    /// the item's own, and the turn per-item work.
    pub fn keeps_created(&mut self) {
        self.kept = true;
        if let Some(each) = self.in_loop.as_mut() {
            each.writes_per_item = true;
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

    /// The method a call runs, through the function it goes through:
    /// `findUnique` for `load` whose body runs `prisma.user.findUnique`.
    pub fn query_method(&self) -> &str {
        self.via
            .as_deref()
            .and_then(|v| v.rsplit('.').next())
            .unwrap_or(&self.method)
    }

    /// Whether a call in a loop writes a row no single call could write
    /// for all the items: an update whose values change with the item
    /// (`update({ where: { id: x.id }, data: { n: x.n } })`), or a create
    /// whose row the iteration keeps (its id; `createMany` returns no
    /// rows) or writes with its relations (`data: { tags: { create } }`).
    pub fn writes_own_row(&self) -> bool {
        let Some(each) = &self.in_loop else {
            return false;
        };
        let method = self.query_method();
        let update = matches!(
            (self.orm, method),
            (Orm::Prisma, "update" | "upsert" | "updateMany")
                | (Orm::Drizzle, "update")
                | (Orm::Kysely, "updateTable")
                // SQL text whose `SET` takes a value from the item
                | (Orm::Sql, _)
                | (Orm::SeaOrm, "update" | "save")
        ) || (matches!(self.orm, Orm::Diesel | Orm::SeaOrm)
            && (self.link("set").is_some() || self.link("col_expr").is_some()));
        let create = matches!(
            (self.orm, method),
            (Orm::Prisma, "create")
                | (Orm::Drizzle, "insert")
                | (Orm::Kysely, "insertInto")
                | (Orm::SeaOrm, "insert")
        ) || (self.orm == Orm::Diesel && self.link("values").is_some());
        let nested = self.properties.iter().any(|p| {
            p.path.starts_with("data.")
                && matches!(
                    p.key.as_str(),
                    "create" | "connect" | "connectOrCreate" | "createMany"
                )
        });
        (update && each.writes_per_item) || (create && (self.kept || nested))
    }

    /// The table a Prisma or Drizzle query reads and the columns its filter
    /// sets to one value each; `None` when the call does not name its table
    /// or its filter may take other rows too (`OR`, `or(...)`, `not(...)`).
    pub fn equalities(&self) -> Option<Equalities> {
        let (table, columns) = match self.orm {
            Orm::Prisma => {
                let table = self.receiver.rsplit('.').next()?;
                let columns = self
                    .properties
                    .iter()
                    .filter(|p| {
                        let Some(field) = p.path.strip_prefix("where.") else {
                            return false;
                        };
                        let nested = format!("{}.", p.path);
                        !field.contains('.')
                            && !p.conditional
                            && !matches!(field, "AND" | "OR" | "NOT")
                            && !matches!(p.value.as_str(), "null" | "undefined")
                            && !self.properties.iter().any(|q| {
                                q.path.starts_with(&nested) && q.path != format!("{nested}equals")
                            })
                    })
                    .map(|p| p.key.clone())
                    .collect();
                (table, columns)
            }
            Orm::Drizzle => {
                let table = match self.link("from") {
                    Some(from) => from.args.first().map(|a| last_member(a))?,
                    None => self.receiver.split_once(".query.").map(|(_, t)| t.trim())?,
                };
                let conditions: Vec<&str> = self
                    .chain
                    .iter()
                    .filter(|l| l.method == "where")
                    .flat_map(|l| l.args.iter().chain(&l.named_values))
                    .chain(self.property("where").map(|p| &p.value))
                    .map(String::as_str)
                    .collect();
                if conditions
                    .iter()
                    .any(|c| !calls_of(c, "or(").is_empty() || !calls_of(c, "not(").is_empty())
                {
                    return None;
                }
                let columns = conditions
                    .iter()
                    .flat_map(|c| calls_of(c, "eq("))
                    .filter_map(|args| args.split(',').next())
                    .map(|column| last_member(column).to_owned())
                    .collect();
                (table, columns)
            }
            Orm::Kysely | Orm::Sql | Orm::Diesel | Orm::SeaOrm => return None,
        };
        (!table.is_empty()).then(|| Equalities {
            table: table.to_owned(),
            columns,
        })
    }

    pub fn property(&self, path: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.path == path)
    }

    pub fn link(&self, method: &str) -> Option<&Link> {
        self.chain.iter().find(|l| l.method == method)
    }
}

/// The text after each call of `name` (`eq(`) in `text` that is not part
/// of a longer name (`neq(`, `t.eq(`).
fn calls_of<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    text.match_indices(name)
        .filter(|(at, _)| {
            !text[..*at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
        .map(|(at, _)| &text[at + name.len()..])
        .collect()
}

/// The heads of the loops whose turn writes a row of its own (see
/// [`OrmCall::writes_own_row`]): the loop's other queries ride along.
pub fn own_row_loops(calls: &[OrmCall]) -> Vec<Range<usize>> {
    calls
        .iter()
        .filter(|c| c.writes_own_row())
        .filter_map(|c| c.in_loop.as_ref().map(|e| e.head.clone()))
        .collect()
}
