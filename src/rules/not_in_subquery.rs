//! `not-in-subquery`: `x NOT IN (SELECT ...)`.

use std::ops::ControlFlow;

use sqlparser::ast::Spanned as _;
use sqlparser::ast::{
    Expr, FromTable, InTarget, Query, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
    Visit, Visitor, visit_expressions,
};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};
use crate::model::{Orm, OrmCall};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "not-in-subquery",
    category: Category::Correctness,
    severity: Severity::Error,
    default_enabled: true,
    roles: Roles::NOT_TESTS,
    doc: include_str!("../../rules/not-in-subquery.md"),
    fix: Some(FixSafety::Unsafe),
    check,
};

const MESSAGE: &str =
    "`NOT IN (SELECT ...)` matches no row at all once the subquery returns a single NULL";
const HELP: &str = "Use `NOT EXISTS (SELECT 1 FROM ... WHERE inner.col = outer.col)`: it is not fooled by NULLs and plans as an anti-join.";
const LABEL: &str = "a NULL from this subquery makes the condition unknown for every row";

/// Whether the subquery says its one column is never NULL: `SELECT col
/// ... WHERE ... AND col IS NOT NULL`.
fn excludes_nulls(query: &Query) -> bool {
    use sqlparser::ast::BinaryOperator;
    fn last_name(e: &Expr) -> Option<String> {
        match e {
            Expr::Identifier(i) => Some(i.value.to_ascii_lowercase()),
            Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
            Expr::Nested(inner) => last_name(inner),
            _ => None,
        }
    }
    fn guards(e: &Expr, column: &str) -> bool {
        match e {
            Expr::IsNotNull(inner) => last_name(inner).as_deref() == Some(column),
            Expr::Nested(inner) => guards(inner, column),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => guards(left, column) || guards(right, column),
            _ => false,
        }
    }
    let Some((select, column)) = single_column(query) else {
        return false;
    };
    match (last_name(column), &select.selection) {
        (Some(name), Some(selection)) => guards(selection, &name),
        _ => false,
    }
}

/// The column a select item names, plain or qualified (`id`, `p.id`).
fn column_ident(e: &Expr) -> Option<&sqlparser::ast::Ident> {
    match e {
        Expr::Identifier(i) => Some(i),
        Expr::CompoundIdentifier(parts) => parts.last(),
        _ => None,
    }
}

/// Whether the subquery's one column cannot be NULL by what it is: a
/// column named `id` read from tables joined without an outer join (taken
/// as a primary key until querylint reads the schema outside migrations),
/// the labels of an enum (`unnest(enum_range(NULL::status))`), or a literal.
fn never_null(query: &Query) -> bool {
    use sqlparser::ast::JoinOperator;
    fn label(e: &Expr) -> bool {
        match e {
            Expr::Cast { expr, .. } | Expr::Nested(expr) => label(expr),
            Expr::Value(v) => !matches!(v.value, sqlparser::ast::Value::Null),
            Expr::Function(f) => {
                let name = f.name.to_string().to_ascii_lowercase();
                // A count is a number, zero for no rows.
                name == "count"
                    || name == "unnest"
                        && f.args
                            .to_string()
                            .to_ascii_lowercase()
                            .contains("enum_range")
                    || name == "enum_range"
            }
            _ => false,
        }
    }
    let Some((select, column)) = single_column(query) else {
        return false;
    };
    // A name the subquery's own `WITH` defines is not a table.
    let ctes: Vec<String> = query
        .with
        .iter()
        .flat_map(|w| &w.cte_tables)
        .map(|c| c.alias.name.value.to_ascii_lowercase())
        .collect();
    let from_cte = select.from.iter().any(|from| {
        std::iter::once(&from.relation)
            .chain(from.joins.iter().map(|j| &j.relation))
            .any(|r| matches!(r, TableFactor::Table { name, .. } if ctes.contains(&name.to_string().to_ascii_lowercase())))
    });
    if label(column) {
        return true;
    }
    let Some(name) = column_ident(column).map(|i| &i.value) else {
        return false;
    };
    // A row's own address (SQLite's `rowid`, PostgreSQL's `ctid`) is
    // never NULL.
    if ["rowid", "_rowid_", "oid", "ctid"]
        .iter()
        .any(|c| name.eq_ignore_ascii_case(c))
        && !from_cte
    {
        return true;
    }
    let inner_joins = select.from.iter().all(|from| {
        from.joins.iter().all(|j| {
            matches!(
                j.join_operator,
                JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_)
            )
        })
    });
    name.eq_ignore_ascii_case("id") && !select.from.is_empty() && inner_joins && !from_cte
}

/// Whether the subquery only spreads out a list the application binds or
/// writes (`SELECT * FROM unnest($1::text[])`, `SELECT unnest($1)`,
/// `unnest(ARRAY['a', 'b'])`): that is the `NOT IN ($1, $2, ...)` list in
/// another form, holding a NULL only if the caller puts one there.
fn bound_list(query: &Query) -> bool {
    fn given(e: &Expr) -> bool {
        match super::helpers::uncast(e) {
            Expr::Value(v) => !matches!(v.value, sqlparser::ast::Value::Null),
            Expr::Array(array) => array.elem.iter().all(given),
            _ => false,
        }
    }
    fn unnest_of(e: &Expr) -> bool {
        let Expr::Function(f) = super::helpers::uncast(e) else {
            return false;
        };
        let sqlparser::ast::FunctionArguments::List(list) = &f.args else {
            return false;
        };
        f.name.to_string().eq_ignore_ascii_case("unnest")
            && !list.args.is_empty()
            && list.args.iter().all(|a| {
                matches!(
                    a,
                    sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(e)) if given(e)
                )
            })
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    if select.selection.is_some() || select.projection.len() != 1 {
        return false;
    }
    match select.from.as_slice() {
        [] => matches!(
            &select.projection[0],
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } if unnest_of(e)
        ),
        [only] if only.joins.is_empty() => match &only.relation {
            TableFactor::UNNEST { array_exprs, .. } => {
                !array_exprs.is_empty() && array_exprs.iter().all(given)
            }
            TableFactor::Function { name, args, .. } => {
                name.to_string().eq_ignore_ascii_case("unnest")
                    && !args.is_empty()
                    && args.iter().all(|a| {
                        matches!(
                            a,
                            sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(e)) if given(e)
                        )
                    })
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether the left side is a row of several values: `(a, b) NOT IN
/// (SELECT x, y ...)`. A NULL in one subquery row then leaves unknown only
/// the rows equal to it in every other column, not every row, and which
/// those are depends on the data.
fn is_row(left: &Expr) -> bool {
    match left {
        Expr::Tuple(items) => items.len() > 1,
        Expr::Nested(inner) => is_row(inner),
        _ => false,
    }
}

/// A subquery that is one `SELECT` of one column: the select and the
/// column's expression, under casts (`min(id::text)` is judged by `id`).
fn single_column(query: &Query) -> Option<(&sqlparser::ast::Select, &Expr)> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(column) | SelectItem::ExprWithAlias { expr: column, .. }] => {
            let column = super::helpers::uncast(column);
            Some((
                select,
                grouped_argument(select, column).map_or(column, super::helpers::uncast),
            ))
        }
        _ => None,
    }
}

/// The column a grouped subquery picks one value of: `x` in `SELECT
/// min(x) ... GROUP BY k`. Every group holds at least one row, so the
/// aggregate is NULL only where `x` is NULL in the whole group. (Without
/// `GROUP BY`, `min(x)` over no rows is one NULL, so it is not unwrapped.)
fn grouped_argument<'q>(select: &'q sqlparser::ast::Select, column: &'q Expr) -> Option<&'q Expr> {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr};
    let grouped = match &select.group_by {
        GroupByExpr::Expressions(keys, _) => !keys.is_empty(),
        GroupByExpr::All(_) => true,
    };
    let Expr::Function(f) = column else {
        return None;
    };
    let name = f.name.to_string().to_ascii_lowercase();
    let picks_one = matches!(
        name.as_str(),
        "min" | "max" | "any_value" | "first" | "last"
    );
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))]
            if grouped && picks_one && f.filter.is_none() =>
        {
            Some(arg)
        }
        _ => None,
    }
}

/// What querylint knows of whether a subquery's one column holds NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nulls {
    /// It never does: the subquery says so, the column is NULL-free by
    /// what it is, or the schema declares it `NOT NULL`.
    Never,
    /// It may: the schema declares it without `NOT NULL`, or it is not a
    /// plain column of one table.
    Maybe,
    /// It is a column of a table the schema querylint reads does not
    /// create (a table made by another tool or at run time).
    Unknown,
    /// It is a column of a table whose name the code or a template fills
    /// in (`FROM ${staging}`, dbt's `{{ this }}`): no schema can say.
    Unnamed,
}

/// The `WITH` tables of a statement, by name: a subquery reading one is
/// judged by the column the CTE selects.
fn ctes(stmt: &Statement) -> Vec<sqlparser::ast::Cte> {
    struct Ctes(Vec<sqlparser::ast::Cte>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                self.0.extend(with.cte_tables.iter().cloned());
            }
            ControlFlow::Continue(())
        }
    }
    let mut found = Ctes(Vec::new());
    let _ = stmt.visit(&mut found);
    found.0
}

/// Whether the subquery's one column holds NULL: never when it says so
/// itself or is NULL-free by what it is, else by what the schema declares.
fn nulls(ctx: &StatementContext<'_>, ctes: &[sqlparser::ast::Cte], query: &Query) -> Nulls {
    if excludes_nulls(query) || never_null(query) || bound_list(query) {
        return Nulls::Never;
    }
    match single_column(query) {
        Some((select, column)) => column_nulls(ctx, ctes, select, column, 0),
        None => Nulls::Maybe,
    }
}

/// What the schema declares of `column` as `select` reads it: `SELECT col
/// FROM t ...` with `t.col NOT NULL`. In a migration, by the schema the
/// migrations so far have built; in application code, or for a column no
/// migration so far created, by what the project's `.sql` files create. A
/// derived table's column and a CTE's column are judged by what they
/// select.
fn column_nulls(
    ctx: &StatementContext<'_>,
    ctes: &[sqlparser::ast::Cte],
    select: &sqlparser::ast::Select,
    column: &Expr,
    depth: usize,
) -> Nulls {
    use crate::model::schema::ident_key;
    let Some(column) = column_ident(column) else {
        return Nulls::Maybe;
    };
    let [TableWithJoins { relation, joins }] = select.from.as_slice() else {
        return Nulls::Maybe;
    };
    if !joins.is_empty() || depth > 8 {
        return Nulls::Maybe;
    }
    let name = match relation {
        TableFactor::Table { name, .. } => name,
        // `SELECT id FROM (SELECT id FROM t WHERE ...) AS d`: what the
        // derived table's one column is.
        TableFactor::Derived { subquery, .. } => {
            let same = single_column(subquery)
                .and_then(|(_, inner)| column_ident(inner))
                .is_some_and(|inner| inner.value.eq_ignore_ascii_case(&column.value));
            return if same {
                nulls(ctx, ctes, subquery)
            } else {
                Nulls::Maybe
            };
        }
        _ => return Nulls::Maybe,
    };
    // `WITH recent AS (SELECT shard_id FROM shards ...) ... NOT IN (SELECT
    // shard_id FROM recent)`: the column the CTE selects under that name.
    if let [part] = name.0.as_slice()
        && let Some(cte) = part.as_ident().and_then(|i| {
            ctes.iter()
                .find(|c| c.alias.name.value.eq_ignore_ascii_case(&i.value))
        })
    {
        let SetExpr::Select(inner) = cte.query.body.as_ref() else {
            return Nulls::Maybe;
        };
        if !cte.alias.columns.is_empty() {
            return Nulls::Maybe;
        }
        let picked = inner.projection.iter().find_map(|item| match item {
            SelectItem::ExprWithAlias { expr, alias }
                if alias.value.eq_ignore_ascii_case(&column.value) =>
            {
                Some(expr)
            }
            SelectItem::UnnamedExpr(expr)
                if column_ident(super::helpers::uncast(expr))
                    .is_some_and(|i| i.value.eq_ignore_ascii_case(&column.value)) =>
            {
                Some(expr)
            }
            _ => None,
        });
        return match picked {
            Some(expr) => column_nulls(ctx, ctes, inner, super::helpers::uncast(expr), depth + 1),
            None => Nulls::Maybe,
        };
    }
    // A name pasted in by the code (`FROM ${staging}`) or filled in by a
    // template (`{{ this }}`), masked as a stand-in or as underscores.
    let pasted = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| crate::mask::is_pasted_name(&i.value));
    if pasted {
        return Nulls::Unnamed;
    }
    let column = ident_key(column);
    // A column the migrations so far never created was made elsewhere (a
    // baseline schema such as `LATEST.sql`, migrations squashed away): the
    // project's `.sql` files as a whole say what it holds.
    let declared = match ctx
        .schema
        .and_then(|schema| schema.table(name))
        .and_then(|t| t.column(&column))
    {
        Some(column) => Some(column.not_null),
        None => ctx.catalog.and_then(|c| c.not_null(name, &column)),
    };
    match declared {
        Some(true) => Nulls::Never,
        Some(false) => Nulls::Maybe,
        None => Nulls::Unknown,
    }
}

/// Whether a subquery column of unknown nullability is reported. In a
/// migration it is, and in a file linted without a project schema: `NOT
/// EXISTS` is the safe form. In a project whose `.sql` files create its
/// tables, a table none of them creates is made where querylint does not
/// look, and a finding would be a guess; so is one about a table whose
/// name is only known at run time, whatever the project's schema.
fn report_unknown(ctx: &StatementContext<'_>, nulls: Nulls) -> bool {
    ctx.schema.is_some()
        || nulls == Nulls::Unknown && !ctx.catalog.is_some_and(|c| c.knows_tables())
}

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    match &ctx.stmt.ast {
        Some(ast) => {
            let mut with: Option<Vec<sqlparser::ast::Cte>> = None;
            let _ = visit_expressions(ast, |expr| {
                if let Expr::In {
                    expr: left,
                    target: InTarget::Subquery(query),
                    negated: true,
                    ..
                } = expr
                    && !is_row(left)
                    && match nulls(ctx, with.get_or_insert_with(|| ctes(ast)), query) {
                        Nulls::Never => false,
                        Nulls::Maybe => true,
                        unknown @ (Nulls::Unknown | Nulls::Unnamed) => report_unknown(ctx, unknown),
                    }
                {
                    let subquery = ctx.node(query.as_ref());
                    let operator = ctx.node(left.as_ref()).and_then(|left| {
                        let from = ctx.token_index_at(left.end);
                        find_not_in(ctx, from).map(|(_, in_kw)| left.start..in_kw.end)
                    });
                    let primary = operator
                        .or_else(|| ctx.node(expr))
                        .unwrap_or_else(|| ctx.first_token());
                    let mut diag = Diagnostic::new(primary, MESSAGE).help(HELP);
                    if let Some(sub) = subquery {
                        diag = diag.label(sub, LABEL);
                    }
                    diag = diag.fix(not_exists(ctx, ast, left, query));
                    out.push(diag);
                }
                ControlFlow::<()>::Continue(())
            });
        }
        None => {
            // Without a syntax tree the token sequence `NOT IN ( SELECT` (or
            // `WITH`) is just as certain.
            let toks = ctx.tokens();
            let mut from = 0;
            while let Some((not_kw, in_kw)) = find_not_in(ctx, from) {
                let open = ctx.token_index_at(in_kw.end);
                let is_subquery = toks.get(open).is_some_and(|t| t.kind == TokKind::LParen)
                    && toks.get(open + 1).is_some_and(|t| {
                        t.is_keyword(Keyword::SELECT) || t.is_keyword(Keyword::WITH)
                    });
                // A subquery reading a table a template or the code names
                // (`FROM {{ this }}`) is not judged, as with a syntax tree.
                let unnamed = || {
                    let end = ctx.matching_paren(open).unwrap_or(toks.len());
                    let from = (open..end).find(|&k| toks[k].is_keyword(Keyword::FROM));
                    from.and_then(|k| toks.get(k + 1)).is_some_and(|t| {
                        let word = ctx.text(t.range.clone());
                        matches!(t.kind, TokKind::Word(_)) && crate::mask::is_pasted_name(word)
                    })
                };
                if is_subquery && (ctx.schema.is_some() || !unnamed()) {
                    let mut diag = Diagnostic::new(not_kw.start..in_kw.end, MESSAGE).help(HELP);
                    if let Some(close) = ctx.matching_paren(open) {
                        diag = diag.label(toks[open].range.start..toks[close].range.end, LABEL);
                    }
                    out.push(diag);
                }
                from = ctx.token_index_at(in_kw.end);
            }
        }
    }
}

/// `x NOT IN (SELECT c FROM t WHERE p)` rewritten as `NOT EXISTS (SELECT 1
/// FROM t WHERE (p) AND t.c = x)`, where that means the same but for NULLs:
/// a subquery of one column of one table, without grouping, `DISTINCT`,
/// `LIMIT` or set operations, and an `x` that is a parameter, a literal, a
/// qualified column, or a column of the statement's single other table
/// (qualified in the rewrite, so it cannot bind to the subquery's table).
fn not_exists(
    ctx: &StatementContext<'_>,
    stmt: &Statement,
    left: &Expr,
    query: &Query,
) -> Option<Fix> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let simple = query.with.is_none()
        && query.order_by.is_none()
        && query.limit_clause.is_none()
        && query.fetch.is_none()
        && select.distinct.is_none()
        && select.having.is_none()
        && matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty())
        && select.from.len() == 1
        && select.projection.len() == 1;
    if !simple {
        return None;
    }
    let inner = qualifier(&select.from[0])?;
    let column = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return None,
    };
    let text =
        |span: sqlparser::tokenizer::Span| ctx.span(span).map(|r| ctx.unit.text[r].to_owned());
    let column = match column {
        Expr::Identifier(_) => format!("{inner}.{}", text(column.span())?),
        Expr::CompoundIdentifier(_) => text(column.span())?,
        _ => return None,
    };
    let outer = match left {
        Expr::Value(_) => text(left.span())?,
        Expr::CompoundIdentifier(parts) => {
            // `t.id` where the subquery also reads a `t`: ambiguous.
            let first = parts.first()?.value.to_ascii_lowercase();
            if first == last_part(&inner) {
                return None;
            }
            text(left.span())?
        }
        Expr::Identifier(_) => {
            let outer = outer_qualifier(stmt)?;
            if last_part(&outer) == last_part(&inner) {
                return None;
            }
            format!("{outer}.{}", text(left.span())?)
        }
        _ => return None,
    };
    let from = text(select.from[0].relation.span())?;
    let condition = match &select.selection {
        Some(p) => format!("({}) AND {column} = {outer}", text(p.span())?),
        None => format!("{column} = {outer}"),
    };
    // From `x` through the parenthesis that closes the subquery.
    let start = ctx.node(left)?.start;
    let sub_end = ctx.node(query)?.end;
    let toks = ctx.tokens();
    let close = toks.get(ctx.token_index_at(sub_end))?;
    if close.kind != TokKind::RParen {
        return None;
    }
    Some(Fix {
        title: "Rewrite as `NOT EXISTS (SELECT 1 ...)`".to_owned(),
        safety: FixSafety::Unsafe,
        in_host: false,
        edits: vec![Edit {
            range: start..close.range.end,
            content: format!("NOT EXISTS (SELECT 1 FROM {from} WHERE {condition})"),
        }],
    })
}

/// How a column of a lone table in `FROM` is qualified: its alias, or its
/// name.
fn qualifier(from: &TableWithJoins) -> Option<String> {
    if !from.joins.is_empty() {
        return None;
    }
    match &from.relation {
        TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } => Some(match alias {
            Some(a) => a.name.to_string(),
            None => name.to_string(),
        }),
        _ => None,
    }
}

fn last_part(name: &str) -> String {
    name.rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches('"')
        .to_ascii_lowercase()
}

/// The qualifier of the one table a statement reads, when its `NOT IN`
/// can only be in that statement's own `WHERE`: a `SELECT` whose only
/// subquery is the `NOT IN` one, or an `UPDATE`/`DELETE` with none other.
fn outer_qualifier(stmt: &Statement) -> Option<String> {
    struct Queries(usize);
    impl Visitor for Queries {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> std::ops::ControlFlow<()> {
            self.0 += 1;
            std::ops::ControlFlow::Continue(())
        }
    }
    let mut queries = Queries(0);
    let _ = stmt.visit(&mut queries);
    match stmt {
        Statement::Query(q) if queries.0 == 2 => match q.body.as_ref() {
            SetExpr::Select(s) if s.from.len() == 1 => qualifier(&s.from[0]),
            _ => None,
        },
        Statement::Delete(d) if queries.0 == 1 && d.using.is_none() => match &d.from {
            FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) if t.len() == 1 => {
                qualifier(&t[0])
            }
            _ => None,
        },
        Statement::Update(u) if queries.0 == 1 && u.from.is_none() => qualifier(&u.table),
        _ => None,
    }
}

/// The next `NOT IN` token pair at or after token `from`.
fn find_not_in(
    ctx: &StatementContext<'_>,
    from: usize,
) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let toks = ctx.tokens();
    (from..toks.len().saturating_sub(1)).find_map(|i| {
        (toks[i].is_keyword(Keyword::NOT) && toks[i + 1].is_keyword(Keyword::IN))
            .then(|| (toks[i].range.clone(), toks[i + 1].range.clone()))
    })
}

/// Drizzle `notInArray(col, subquery)`: `NOT IN (SELECT ...)` built by the
/// query builder.
pub fn check_orm(call: &OrmCall, _ctx: &super::OrmContext<'_>, out: &mut Vec<Diagnostic>) {
    if call.orm != Orm::Drizzle {
        return;
    }
    for link in call.chain.iter().filter(|l| l.method == "where") {
        let subquery = link.args.iter().any(|a| {
            a.split("notInArray(").skip(1).any(|rest| {
                rest.split_once(',').is_some_and(|(_, second)| {
                    second.contains(".select(") || second.contains(".selectDistinct(")
                })
            })
        });
        if subquery {
            out.push(
                Diagnostic::new(link.range.clone(), "`notInArray(col, subquery)` is `NOT IN (SELECT ...)`: once the subquery returns a NULL, no row matches")
                    .help("Use `notExists(db.select().from(t).where(eq(t.col, outer.col)))`, or filter NULLs out of the subquery."),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::discover::FileKind;

    /// The findings of a query linted in a project whose `.sql` files
    /// hold `schema`, or alone.
    fn findings(sql: &str, schema: Option<&str>) -> usize {
        let mut settings = Settings::only(vec![&super::RULE]);
        if let Some(schema) = schema {
            let mut project = crate::context::Project::default();
            project.catalog.read_sql(schema);
            settings.project = Some(std::sync::Arc::new(project));
        }
        crate::lint::lint_text(sql, FileKind::Sql, &settings).len()
    }

    #[test]
    fn a_column_is_judged_by_what_the_schema_says_of_it() {
        let schema =
            "CREATE TABLE jobs (id bigint PRIMARY KEY, task_id bigint NOT NULL, retry_of bigint);";
        let q = |sub: &str| format!("SELECT id FROM tasks WHERE id NOT IN ({sub}) LIMIT 10;");
        // Declared NOT NULL, or may be NULL.
        assert_eq!(findings(&q("SELECT task_id FROM jobs"), Some(schema)), 0);
        assert_eq!(findings(&q("SELECT retry_of FROM jobs"), Some(schema)), 1);
        // Through a CTE of the statement, by the column it selects.
        let cte = |col: &str| {
            format!(
                "WITH j AS (SELECT {col} AS c FROM jobs) SELECT id FROM tasks WHERE id NOT IN (SELECT c FROM j);"
            )
        };
        assert_eq!(findings(&cte("task_id"), Some(schema)), 0);
        assert_eq!(findings(&cte("retry_of"), Some(schema)), 1);
        // A table the project's schema does not create: unknown, and not
        // reported; alone, with no schema to ask, it is.
        assert_eq!(findings(&q("SELECT owner FROM leases"), Some(schema)), 0);
        assert_eq!(findings(&q("SELECT owner FROM leases"), None), 1);
        // A table a template names is unknown to any schema.
        assert_eq!(findings(&q("SELECT visit_id FROM {{ this }}"), None), 0);
    }
}
