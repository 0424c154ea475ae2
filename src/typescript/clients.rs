//! Which names hold a database client: imports of database packages,
//! declarations made with a client factory, transaction callbacks, typed
//! parameters, class fields (inherited ones too) and functions that return
//! a client.

use super::fields::Fields;
use tree_sitter::Node;

use super::{
    DATABASE_FACTORIES, DATABASE_PACKAGES, MAX_DEPTH, Scan, collect_imported_names, is_scope,
    member_parts, peel, wrappers,
};

/// Names that usually hold a database client, trusted only when nothing in
/// the file binds them.
pub(super) const CONVENTIONAL_NAMES: &[&str] = &[
    "prisma",
    "db",
    "tx",
    "trx",
    "pool",
    "client",
    "sql",
    "knex",
    "conn",
    "connection",
    "database",
];
/// Methods of a pool that hand out a connection.
const CONNECT_METHODS: &[&str] = &["connect", "acquire", "getConnection", "reserve"];
/// Methods whose callback parameter is a transaction on the same database.
const TRANSACTION_METHODS: &[&str] = &["$transaction", "transaction", "begin", "transact"];
/// What a name is bound to, as far as the file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Binding {
    Database,
    /// A method taken off a database client: `const { rawQuery } = prisma`.
    DatabaseMethod,
    Other,
}
/// Whether a type annotation names a database client or transaction:
/// `PrismaClient`, `Prisma.TransactionClient`, `Kysely<DB>`, `Knex`,
/// `NodePgDatabase<typeof schema>`, `Pool`, `PoolClient`, `Sql`, or a
/// project's own alias ending in `Database`, `Db` or `Client` with a
/// database word (`PrismaClientOrTransaction`, `DbClient`).
pub(super) fn is_database_type(annotation: &str) -> bool {
    let annotation = annotation.trim_start_matches(':').trim();
    annotation.split('|').any(|part| {
        let part = part.trim();
        let base = part.split('<').next().unwrap_or(part).trim();
        let last = base.rsplit('.').next().unwrap_or(base);
        let database_word = [
            "Prisma", "Drizzle", "Db", "DB", "Database", "Pg", "Sql", "Knex",
        ]
        .iter()
        .any(|w| last.contains(w));
        matches!(
            last,
            "PrismaClient"
                | "TransactionClient"
                | "Kysely"
                | "Knex"
                | "Pool"
                | "PoolClient"
                | "Sql"
                | "Transaction"
                | "Sequelize"
                | "DataSource"
                | "EntityManager"
                | "QueryRunner"
        ) && (last != "Transaction" || base.contains('.'))
            || last.ends_with("Database")
            || last.ends_with("Db")
            || (database_word
                && (last.ends_with("Client")
                    || last.ends_with("Transaction")
                    || last.ends_with("OrTransaction")
                    || last.ends_with("Tx")))
    })
}

impl<'a> Scan<'a> {
    /// Records what names are bound to: imports, declarations, transaction
    /// callback parameters and constructor parameter properties.
    pub(super) fn bind(&mut self, node: Node, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        // function load(...) {...}, const load = async (...) => ...
        let function = match node.kind() {
            "function_declaration" | "generator_function_declaration" => {
                node.field("name").zip(node.field("body"))
            }
            "variable_declarator" => node.field("name").zip(
                node.field("value")
                    .filter(|v| {
                        matches!(
                            v.kind(),
                            "arrow_function" | "function_expression" | "function"
                        )
                    })
                    .and_then(|v| v.field("body")),
            ),
            _ => None,
        };
        if is_scope(node) && node.parent().is_some_and(|p| p.kind() != "arguments") {
            self.deferred.push(node.byte_range());
        }
        if let Some((name, body)) = function {
            self.functions
                .insert(self.src(name).to_owned(), body.byte_range());
            if let Some(function) = body.parent() {
                let names = wrappers::parameter_names(function, self.text);
                self.parameters.insert(self.src(name).to_owned(), names);
            }
            // const getDb = (tx) => tx ?? db
            if body.kind() != "statement_block" && self.is_database(body) {
                self.client_functions.insert(self.src(name).to_owned());
            }
        }
        let named = function.map(|(name, _)| self.src(name).to_owned());
        let mut class = None;
        match node.kind() {
            "class_declaration" | "abstract_class_declaration" | "class" => {
                // class Orders extends BaseService: the fields the base
                // class keeps a client in are clients here too.
                let name = node
                    .field("name")
                    .map(|n| self.src(n).to_owned())
                    .unwrap_or_default();
                let base = (0..node.named_child_count())
                    .filter_map(|i| node.named_child(i as u32))
                    .find(|c| c.kind() == "class_heritage")
                    .and_then(|h| {
                        (0..h.named_child_count())
                            .filter_map(|i| h.named_child(i as u32))
                            .find(|c| c.kind() == "extends_clause")
                    })
                    .and_then(|e| e.field("value"))
                    .map(|v| {
                        let v = self.src(v);
                        v.rsplit('.').next().unwrap_or(v).to_owned()
                    });
                self.classes.push((name, base.clone(), Vec::new()));
                class = Some(self.classes.len() - 1);
                let inherited = base
                    .and_then(|b| self.project_classes.get(&b))
                    .cloned()
                    .unwrap_or_default();
                self.class_now.push(self.classes.len() - 1);
                for field in inherited {
                    self.client_field(&field);
                }
                self.class_now.pop();
            }
            "public_field_definition" => {
                // #db: PrismaClient; protected replica = createReplica()
                if let Some(name) = node.field("name") {
                    let typed = node
                        .field("type")
                        .is_some_and(|t| is_database_type(self.src(t)));
                    let valued = node
                        .field("value")
                        .is_some_and(|v| self.is_database_value(v) || self.is_database(v));
                    if typed || valued {
                        self.client_field(self.src(name));
                    }
                }
            }
            "return_statement" => {
                // function getClient(tx) { return tx ?? prisma }
                if let Some(Some(function)) = self.function_now.last()
                    && let Some(value) = node.named_child(0)
                    && (self.is_database(value) || self.is_database_value(value))
                {
                    self.client_functions.insert(function.clone());
                }
            }
            "import_statement" => {
                self.bind_import(node);
                self.record_import(node);
            }
            "export_statement" => self.record_export(node),
            "variable_declarator" => {
                if let (Some(name), Some(value)) = (node.field("name"), node.field("value")) {
                    if name.kind() == "identifier" {
                        let scope = self.scope_of();
                        let key = (scope, self.src(name).to_owned());
                        if matches!(
                            value.kind(),
                            "string" | "template_string" | "binary_expression"
                        ) {
                            self.texts.insert(key.clone(), value.byte_range());
                        }
                        if self.is_pool_value(value) {
                            self.pooled.insert(key, ());
                        }
                        let binding = if self.is_database_value(value) {
                            Binding::Database
                        } else {
                            Binding::Other
                        };
                        self.set(self.scope_of(), self.src(name), binding);
                    } else if name.kind() == "object_pattern" && self.is_database(value) {
                        // const { rawQuery } = prisma
                        let mut cursor = name.walk();
                        for field in name.named_children(&mut cursor) {
                            let local = match field.kind() {
                                "shorthand_property_identifier_pattern" => Some(field),
                                "pair_pattern" => field.field("value"),
                                _ => None,
                            };
                            if let Some(local) = local.filter(|l| {
                                l.kind() == "identifier"
                                    || l.kind() == "shorthand_property_identifier_pattern"
                            }) {
                                self.set(self.scope_of(), self.src(local), Binding::DatabaseMethod);
                            }
                        }
                    }
                }
            }
            "call_expression" => {
                // prisma.$transaction(async (tx) => ...), sql.begin(sql => ...)
                if let Some(callee) = node.field("function").map(peel)
                    && let Some((object, property)) = member_parts(callee)
                    && TRANSACTION_METHODS.contains(&self.src(property))
                    && self.is_database(object)
                    && let Some(args) = node.field("arguments")
                {
                    let mut cursor = args.walk();
                    for arg in args.named_children(&mut cursor) {
                        self.bind_callback_parameters(arg);
                    }
                }
            }
            "assignment_expression" => {
                // this.db = drizzle(pool), this.prisma = prisma
                if let (Some(left), Some(right)) = (node.field("left"), node.field("right"))
                    && left.kind() == "member_expression"
                    && let Some(field) = self.src(left).strip_prefix("this.")
                    && (self.is_database_value(right) || self.is_database(right))
                {
                    self.client_field(field);
                }
            }
            "required_parameter" | "optional_parameter" => {
                // constructor(private prisma: PrismaService)
                let has_modifier = (0..node.named_child_count())
                    .filter_map(|i| node.named_child(i as u32))
                    .any(|c| {
                        c.kind() == "accessibility_modifier" || c.kind() == "override_modifier"
                    });
                let has_modifier = has_modifier
                    || (0..node.child_count())
                        .filter_map(|i| node.child(i as u32))
                        .any(|c| c.kind() == "readonly");
                // A default that is a client: `_prisma: Client = prisma`.
                let defaulted = node
                    .field("value")
                    .is_some_and(|v| self.is_database(v) || self.is_database_value(v));
                if let Some(pattern) = node.field("pattern")
                    && pattern.kind() == "identifier"
                {
                    let name = self.src(pattern);
                    let typed = node.field("type").map(|t| self.src(t));
                    if has_modifier {
                        // A parameter property is a field of the class.
                        let typed_db = typed.is_some_and(|t| {
                            [
                                "Prisma", "Drizzle", "Database", "Db", "DB", "Pool", "Sql", "Knex",
                                "Kysely",
                            ]
                            .iter()
                            .any(|w| t.contains(w))
                        });
                        if typed_db || defaulted || CONVENTIONAL_NAMES.contains(&name) {
                            self.client_field(name);
                        } else {
                            self.set(self.root, &format!("this.{name}"), Binding::Other);
                        }
                    } else if defaulted || typed.is_some_and(is_database_type) {
                        // function load(client: PrismaClient = prisma)
                        self.set(self.scope_of(), name, Binding::Database);
                    }
                }
            }
            _ => {}
        }
        let scope = is_scope(node);
        if scope {
            self.scopes.push(node.id());
            self.function_now.push(named.or_else(|| self.naming.take()));
        } else if named.is_some() {
            // The function a declarator names is its value, the next scope.
            self.naming = named;
        }
        if let Some(class) = class {
            self.class_now.push(class);
        }
        let mut cursor = node.walk();
        for child in node.named_children(&mut cursor) {
            self.bind(child, depth + 1);
        }
        if class.is_some() {
            self.class_now.pop();
        }
        if scope {
            self.scopes.pop();
            self.function_now.pop();
        }
    }

    /// A field of the class being visited holds a database client:
    /// `this.<field>` is one throughout the file.
    pub(super) fn client_field(&mut self, field: &str) {
        self.set(self.root, &format!("this.{field}"), Binding::Database);
        if let Some(&class) = self.class_now.last() {
            let fields = &mut self.classes[class].2;
            if !fields.iter().any(|f| f == field) {
                fields.push(field.to_owned());
            }
        }
    }

    /// A name bound to a database anywhere in the file stays a database:
    /// without scopes, the cautious reading keeps finding its queries.
    pub(super) fn set(&mut self, scope: usize, name: &str, binding: Binding) {
        let entry = self
            .bindings
            .entry((scope, name.to_owned()))
            .or_insert(binding);
        if binding != Binding::Other {
            *entry = binding;
        }
    }

    /// The scope a declaration being visited belongs to.
    pub(super) fn scope_of(&self) -> usize {
        self.scopes.last().copied().unwrap_or(self.root)
    }

    /// The scopes a name is looked up in, innermost first.
    pub(super) fn chain(&self) -> impl Iterator<Item = usize> + '_ {
        self.scopes
            .iter()
            .rev()
            .copied()
            .chain(std::iter::once(self.root))
    }

    /// What `name` is bound to where the walk stands: the nearest scope
    /// that declares it.
    pub(super) fn lookup(&self, name: &str) -> Option<Binding> {
        self.chain()
            .find_map(|scope| self.bindings.get(&(scope, name.to_owned())).copied())
    }

    pub(super) fn bind_import(&mut self, node: Node) {
        let Some(source) = node.field("source") else {
            return;
        };
        let module = self.src(source).trim_matches(|c| c == '"' || c == '\'');
        let lower = module.to_ascii_lowercase();
        // A workspace package that wraps the client (`@acme/db`,
        // `@documenso/prisma`) counts as a database package too.
        let database = DATABASE_PACKAGES.contains(&module)
            || [
                "prisma", "drizzle", "database", "postgres", "/db", "-db", "sql",
            ]
            .iter()
            .any(|w| lower.contains(w));
        // A module of the project (`./storage/client`, `@/lib/search`)
        // whose path does not say database: a name it exports is a client
        // when some module of the project exports a client by that name.
        // Otherwise `client` is the search index's or the cache's.
        let project_module = ["./", "../", "@/", "~/"]
            .iter()
            .any(|p| module.starts_with(p));
        let mut names = Vec::new();
        collect_imported_names(node, self.text, &mut names, 0);
        for name in names {
            if database || self.clients.contains(&name) {
                self.set(self.root, &name, Binding::Database);
            } else if project_module && !self.clients.is_empty() {
                self.set(self.root, &name, Binding::Other);
            }
        }
        // Other names from other modules are left to the conventional
        // names.
    }

    pub(super) fn bind_callback_parameters(&mut self, callback: Node) {
        if !matches!(
            callback.kind(),
            "arrow_function" | "function_expression" | "function"
        ) {
            return;
        }
        let params = callback
            .field("parameters")
            .or_else(|| callback.field("parameter"));
        let Some(params) = params else {
            return;
        };
        let scope = callback.id();
        if params.kind() == "identifier" {
            self.set(scope, self.src(params), Binding::Database);
            return;
        }
        let mut cursor = params.walk();
        for p in params.named_children(&mut cursor) {
            if let Some(pattern) = p.field("pattern")
                && pattern.kind() == "identifier"
            {
                self.set(scope, self.src(pattern), Binding::Database);
            }
        }
    }

    /// Whether a declaration's value makes a database client:
    /// `new PrismaClient()`, `drizzle(pool)`, `postgres(url)`, or a name
    /// that already is one.
    pub(super) fn is_database_value(&self, value: Node) -> bool {
        let value = peel(value);
        if value.kind() == "call_expression"
            && let Some(callee) = value.field("function").map(peel)
            && let Some((object, property)) = member_parts(callee)
            && CONNECT_METHODS.contains(&self.src(property))
            && self.is_database(object)
        {
            // const client = await pool.connect()
            return true;
        }
        if value.kind() == "call_expression" && self.is_client_function_call(value) {
            return true;
        }
        match value.kind() {
            "new_expression" | "call_expression" => {
                let callee = value
                    .field("constructor")
                    .or_else(|| value.field("function"))
                    .map(peel);
                callee.is_some_and(|c| {
                    let name = self.src(c);
                    let last = name.rsplit('.').next().unwrap_or(name);
                    DATABASE_FACTORIES.contains(&last)
                        && (c.kind() != "identifier" || self.lookup(name) != Some(Binding::Other))
                        // `new Database(file)` with `Database` imported
                        // from a database package (better-sqlite3).
                        || (value.kind() == "new_expression"
                            && c.kind() == "identifier"
                            && self.lookup(name) == Some(Binding::Database))
                })
            }
            _ => false,
        }
    }

    /// Whether a declaration's value is a pool (`new Pool()`,
    /// `createPool(...)`, `postgres(url)`) or a client checked out of one
    /// (`await pool.connect()`).
    pub(super) fn is_pool_value(&self, value: Node) -> bool {
        let value = peel(value);
        let callee = value
            .field("constructor")
            .or_else(|| value.field("function"))
            .map(peel);
        callee.is_some_and(|c| {
            let text = self.src(c);
            let last = text.rsplit('.').next().unwrap_or(text);
            matches!(last, "Pool" | "createPool" | "postgres")
                || (CONNECT_METHODS.contains(&last)
                    && c.field("object").is_some_and(|o| self.is_pooled(o)))
        })
    }

    /// Whether an expression holds a pool or a client checked out of one.
    pub(super) fn is_pooled(&self, node: Node) -> bool {
        let node = peel(node);
        let name = self.src(node);
        self.chain()
            .any(|scope| self.pooled.contains_key(&(scope, name.to_owned())))
            || (node.kind() == "identifier" && name == "pool")
    }

    /// Whether an expression holds a database client.
    pub(super) fn is_database(&self, node: Node) -> bool {
        let node = peel(node);
        match node.kind() {
            "identifier" => {
                let name = self.src(node);
                match self.lookup(name) {
                    Some(b) => b == Binding::Database,
                    None => CONVENTIONAL_NAMES.contains(&name),
                }
            }
            "member_expression" => {
                let text = self.src(node);
                if let Some(b) = self.lookup(text) {
                    return b == Binding::Database;
                }
                node.field("property")
                    .is_some_and(|p| CONVENTIONAL_NAMES.contains(&self.src(p)))
            }
            // tx ?? prisma, replica || primary
            "binary_expression" => {
                node.field("operator")
                    .is_some_and(|o| matches!(self.src(o), "??" | "||"))
                    && [node.field("left"), node.field("right")]
                        .into_iter()
                        .flatten()
                        .any(|side| self.is_database(side))
            }
            // readOnly ? replica : prisma
            "ternary_expression" => [node.field("consequence"), node.field("alternative")]
                .into_iter()
                .flatten()
                .any(|side| self.is_database(side)),
            // getClient(tx).user.findMany()
            "call_expression" => self.is_client_function_call(node),
            _ => false,
        }
    }

    /// Whether a call is of a function that returns a database client:
    /// one of the file's, or one the project exports and the file imports.
    pub(super) fn is_client_function_call(&self, call: Node) -> bool {
        let Some(callee) = call.field("function").map(peel) else {
            return false;
        };
        if callee.kind() != "identifier" {
            return false;
        }
        let name = self.src(callee);
        self.client_functions.contains(name)
            || self
                .modules
                .imports
                .get(name)
                .is_some_and(|(original, _)| self.project_functions.contains(original))
    }
}
