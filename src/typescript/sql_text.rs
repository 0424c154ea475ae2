//! SQL sent as text: raw sinks (`pool.query(...)`, `$queryRawUnsafe`,
//! the project's own helpers around them) and tagged templates, read into
//! units with each pasted value's origin.

use super::fields::Fields;
use tree_sitter::Node;

use super::clients::Binding;
use super::{Scan, member_parts, peel};
use crate::extract::{OffsetMap, Origin, SqlUnit};
use crate::model::{Provenance, Safe};
use crate::units::UnitBuilder;

/// Methods that send their first argument as SQL text.
pub(super) const RAW_SINKS: &[&str] = &[
    "query",
    "$queryRawUnsafe",
    "$executeRawUnsafe",
    "unsafe",
    "raw",
    "execute",
    // better-sqlite3: `db.prepare(text).all(...)`. Not its `exec`: an SSH
    // client's `exec(command)` has the same shape and runs shell scripts.
    "prepare",
];
/// Whether a sink's name says it runs its text unchecked:
/// `prisma.$queryRawUnsafe`, postgres.js `sql.unsafe`, Drizzle `sql.raw`.
pub(super) fn is_unchecked_sink(api: &str) -> bool {
    let (receiver, method) = api.rsplit_once('.').unwrap_or(("", api));
    method.ends_with("Unsafe") || method == "unsafe" || (method == "raw" && receiver == "sql")
}
/// Whether an expression calls a helper that builds SQL text, by the name
/// projects give such helpers (`getDateSQL(...)`, `toLikeClause(...)`,
/// `buildFilterQuery(...)`): composition, judged where the helper builds it.
fn is_sql_builder(expression: &str) -> bool {
    let Some((callee, _)) = expression.split_once('(') else {
        return false;
    };
    let name = callee.rsplit('.').next().unwrap_or(callee).trim();
    [
        "SQL",
        "Sql",
        "Query",
        "Clause",
        "Filter",
        "Filters",
        "Condition",
        "Conditions",
        "Fragment",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix) && name.len() > suffix.len())
}

impl<'a> Scan<'a> {
    pub(super) fn call(&mut self, call: Node<'a>) {
        let (Some(callee), Some(args)) = (call.field("function"), call.field("arguments")) else {
            return;
        };
        let callee = peel(callee);
        self.record_passed(call, callee);
        if callee.kind() == "identifier"
            && self.functions.contains_key(self.src(callee))
            && let Some(each) = self.loop_of(call)
        {
            self.looped_calls
                .push((self.src(callee).to_owned(), callee.byte_range(), each));
        } else {
            self.record_imported_call(call, callee);
        }
        if args.kind() == "template_string" {
            if let Some(api) = self.binding_tag(callee)
                && self.tagged_unit(args, api.clone())
            {
                self.sql_call(call, callee, &api);
            }
            return;
        }
        self.orm_call(call, callee, args);
        self.continued_builder(call, callee);
        if callee.kind() == "identifier" {
            // A method taken off a client: `rawQuery(`SELECT ...`, params)`.
            if self.lookup(self.src(callee)) == Some(Binding::DatabaseMethod) {
                if let Some(first) = args.named_child(0) {
                    let api = self.src(callee);
                    if self.argument_unit(first, api.to_owned()) {
                        self.sql_call(call, callee, api);
                    } else if self.parameter_sink(first, is_unchecked_sink(api)) {
                        self.record_sql_call(call, callee, api);
                    }
                }
            } else if args.named_child_count() > 0 && self.may_be_wrapped(callee) {
                // Read once the file's own sinks are all known.
                self.wrapped.push((call, self.scopes.clone()));
            }
            return;
        }
        if callee.kind() != "member_expression" {
            return;
        }
        let Some((object, property)) = member_parts(callee) else {
            return;
        };
        let method = self.src(property);
        if !RAW_SINKS.contains(&method) || !self.is_database(object) {
            return;
        }
        self.sink_pooled = self.is_pooled(object);
        let Some(first) = args.named_child(0) else {
            return;
        };
        let api = self.src(callee);
        let kept = self.argument_unit(first, api.to_owned());
        self.sink_pooled = false;
        // Drizzle's `sql.raw(text)` builds a fragment of a query, and runs
        // nothing by itself.
        if kept && let Some(values) = super::argument(args, 1) {
            let wildcards = self.wildcard_parameters(values);
            if let Some(unit) = self.units.last_mut() {
                unit.origin.wildcard_values = wildcards;
            }
        }
        if !kept && self.parameter_sink(first, is_unchecked_sink(api)) && api != "sql.raw" {
            self.record_sql_call(call, callee, api);
        }
        if kept {
            // SQL written in the call, with no values after it: where a
            // fix can bind one.
            // Sequelize takes its values in an options object
            // (`{ bind: [...] }`), not a list: no fix is offered there.
            let sequelize = self.src(object).to_ascii_lowercase().contains("sequelize");
            let bind = match method {
                "$queryRawUnsafe" | "$executeRawUnsafe" => Some((", {}", "$1")),
                "raw" => Some((", [{}]", "?")),
                "query" | "execute" | "unsafe" if !sequelize => Some((", [{}]", "$1")),
                _ => None,
            };
            if let Some((code, placeholder)) = bind
                && args.named_child_count() == 1
                && peel(first).kind() != "identifier"
                && let Some(unit) = self.units.last_mut()
            {
                unit.call = Some(crate::extract::CallSite::new(
                    self.text,
                    unit,
                    first.byte_range(),
                    (first.end_byte(), code),
                    placeholder,
                    None,
                ));
            }
            self.sql_call(call, callee, self.src(callee));
        }
    }

    /// A unit from the SQL text argument of a raw sink: a string, a
    /// template, a `+` chain, or a variable declared as one of those.
    /// Returns whether the text is a statement (and was kept).
    pub(super) fn argument_unit(&mut self, arg: Node<'a>, api: String) -> bool {
        let arg = peel(arg);
        let arg = if arg.kind() == "identifier" {
            match self.text_of(arg) {
                Some(value) => value,
                None => return false,
            }
        } else {
            arg
        };
        let mut builder = UnitBuilder::default();
        let mut spliced = false;
        self.append(arg, &mut builder, &mut spliced, 0);
        self.push(builder, api, spliced)
    }

    /// The node of the text a variable was declared with, in the nearest
    /// scope that declares it.
    pub(super) fn text_of(&self, name: Node<'a>) -> Option<Node<'a>> {
        let key = self.src(name);
        let range = self
            .chain()
            .find_map(|scope| self.texts.get(&(scope, key.to_owned())))?;
        self.root_node
            .descendant_for_byte_range(range.start, range.end)
            .filter(|n| n.byte_range() == *range)
    }

    /// Appends the SQL text of a string, a template or a `+` chain.
    pub(super) fn append(
        &self,
        node: Node<'a>,
        builder: &mut UnitBuilder,
        spliced: &mut bool,
        depth: usize,
    ) {
        match node.kind() {
            "string" | "template_string" => {
                let mut cursor = node.walk();
                for part in node.named_children(&mut cursor) {
                    match part.kind() {
                        "string_fragment" => builder.verbatim(self.text, part.byte_range()),
                        "escape_sequence" => builder.escape(self.src(part), part.byte_range()),
                        "template_substitution" => self.splice(part, builder, spliced),
                        _ => {}
                    }
                }
            }
            "binary_expression"
                if depth < 64 && node.field("operator").is_some_and(|o| self.src(o) == "+") =>
            {
                for side in ["left", "right"] {
                    if let Some(child) = node.field(side) {
                        self.append(child, builder, spliced, depth + 1);
                    }
                }
            }
            "parenthesized_expression" if depth < 64 => {
                if let Some(inner) = node.named_child(0) {
                    self.append(inner, builder, spliced, depth + 1);
                }
            }
            _ => self.splice(node, builder, spliced),
        }
    }

    /// A value pasted into SQL text.
    pub(super) fn splice(&self, node: Node<'a>, builder: &mut UnitBuilder, spliced: &mut bool) {
        let expression = if node.kind() == "template_substitution" {
            node.named_child(0).unwrap_or(node)
        } else {
            node
        };
        // SQL text built in a variable of the file and pasted in comes from
        // where its own pasted values do; a helper that builds SQL text
        // (`buildFilterQuery(...)`) is judged where it builds it.
        let provenance = if is_sql_builder(self.src(expression)) {
            Provenance::Safe(Safe::Fragment)
        } else {
            self.provenance(expression)
        };
        let caller = (provenance == Provenance::Unknown)
            .then(|| self.caller_parameter(expression))
            .flatten();
        *spliced = true;
        builder.placeholder(node.byte_range(), false, provenance);
        if let Some(last) = builder.interpolations.last_mut() {
            last.caller = caller;
        }
    }

    /// The API name of a tag that sends its template as SQL with bound
    /// values, or `None` for any other tag (`gql`, `css`, `html`).
    pub(super) fn binding_tag(&self, callee: Node) -> Option<String> {
        match callee.kind() {
            "identifier" => {
                let name = self.src(callee);
                (name == "sql" && self.is_database(callee)).then(|| name.to_owned())
            }
            "member_expression" => {
                let object = callee.field("object")?;
                let property = self.src(callee.field("property")?);
                let object_text = self.src(peel(object));
                let tag = match property {
                    "$queryRaw" | "$executeRaw" => self.is_database(object),
                    "sql" => object_text == "Prisma" || self.is_database(object),
                    _ => false,
                };
                tag.then(|| format!("{object_text}.{property}"))
            }
            _ => None,
        }
    }

    /// Whether a `${...}` calls the template's own tag as a function
    /// (postgres.js: `` sql`insert into t ${sql(row)}` ``), a helper the
    /// driver expands into bound values or names.
    fn is_tag_helper(&self, substitution: Node, tag: &str) -> bool {
        substitution.named_child(0).is_some_and(|e| {
            e.kind() == "call_expression"
                && e.field("arguments")
                    .is_some_and(|a| a.kind() == "arguments")
                && e.field("function").is_some_and(|f| self.src(f) == tag)
        })
    }

    /// A unit from a template whose tag binds each `${...}` as a
    /// parameter.
    pub(super) fn tagged_unit(&mut self, node: Node, api: String) -> bool {
        let mut builder = UnitBuilder::default();
        let mut wildcards = Vec::new();
        let mut cursor = node.walk();
        for part in node.named_children(&mut cursor) {
            match part.kind() {
                "string_fragment" => builder.verbatim(self.text, part.byte_range()),
                "escape_sequence" => builder.escape(self.src(part), part.byte_range()),
                "template_substitution" if self.is_tag_helper(part, &api) => {
                    builder.helper(part.byte_range());
                }
                "template_substitution"
                    if builder.opens_subquery()
                        && part
                            .next_named_sibling()
                            .is_some_and(|next| self.src(next).trim_start().starts_with(')')) =>
                {
                    builder.subquery(part.byte_range());
                }
                "template_substitution" => {
                    builder.placeholder(part.byte_range(), true, Provenance::BOUND);
                    if part
                        .named_child(0)
                        .is_some_and(|v| self.starts_with_wildcard(v))
                    {
                        wildcards.push(format!("${}", builder.parameters));
                    }
                }
                _ => {}
            }
        }
        let kept = self.push(builder, api, false);
        if kept && let Some(unit) = self.units.last_mut() {
            unit.origin.wildcard_values = wildcards;
        }
        kept
    }

    /// Keeps the unit if its text is a statement; returns whether it did.
    pub(super) fn push(
        &mut self,
        builder: UnitBuilder,
        api: String,
        assembled_at_runtime: bool,
    ) -> bool {
        if !builder.is_statement() {
            return false;
        }
        let unchecked_sink = is_unchecked_sink(&api);
        self.units.push(SqlUnit {
            map: OffsetMap::with_opaque(builder.segments, builder.opaque),
            text: crate::extract::blank_templates(&builder.text),
            interpolations: builder.interpolations,
            origin: Origin {
                kind: self.kind,
                api: Some(api),
                assembled_at_runtime,
                pooled: self.sink_pooled,
                one_row: false,
                masked: Vec::new(),
                unchecked_sink,
                wildcard_values: Vec::new(),
                walked_by: None,
            },
            call: None,
        });
        true
    }

    /// Whether a value is a string that starts with a `LIKE` wildcard:
    /// `` `%${q}%` ``, `'%' + q`, or a name declared as one.
    pub(super) fn starts_with_wildcard(&self, value: Node<'a>) -> bool {
        let value = peel(value);
        let value = match value.kind() {
            "identifier" => match self.text_of(value) {
                Some(text) => text,
                None => return false,
            },
            _ => value,
        };
        let mut leftmost = value;
        for _ in 0..64 {
            if leftmost.kind() != "binary_expression" {
                break;
            }
            match leftmost.field("left") {
                Some(left) => leftmost = peel(left),
                None => break,
            }
        }
        matches!(leftmost.kind(), "string" | "template_string")
            && self
                .src(leftmost)
                .get(1..)
                .is_some_and(|body| body.starts_with(['%', '_']))
    }

    /// The placeholders (`$1`, `$2`) of a parameter list
    /// (`[`%${q}%`, limit]`) whose value starts with a wildcard.
    fn wildcard_parameters(&self, values: Node<'a>) -> Vec<String> {
        let values = peel(values);
        if values.kind() != "array" {
            return Vec::new();
        }
        let mut cursor = values.walk();
        values
            .named_children(&mut cursor)
            .enumerate()
            .filter(|(_, v)| self.starts_with_wildcard(*v))
            .map(|(i, _)| format!("${}", i + 1))
            .collect()
    }
}
