//! `not-in-subquery`: `x NOT IN (SELECT ...)`.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, InTarget, visit_expressions};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, Scope, StatementContext};
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::TokKind;
use crate::typescript::{Orm, OrmCall};

pub static RULE: Rule = Rule {
    id: "not-in-subquery",
    category: Category::Correctness,
    severity: Severity::Error,
    default_enabled: true,
    scope: Scope::All,
    doc: include_str!("../../rules/not-in-subquery.md"),
    fix: None,
    check,
};

const MESSAGE: &str =
    "`NOT IN (SELECT ...)` matches no row at all once the subquery returns a single NULL";
const HELP: &str = "Use `NOT EXISTS (SELECT 1 FROM ... WHERE inner.col = outer.col)`: it is not fooled by NULLs and plans as an anti-join.";
const LABEL: &str = "a NULL from this subquery makes the condition unknown for every row";

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    match &ctx.stmt.ast {
        Some(ast) => {
            let _ = visit_expressions(ast, |expr| {
                if let Expr::In {
                    expr: left,
                    target: InTarget::Subquery(query),
                    negated: true,
                    ..
                } = expr
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
                if is_subquery {
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
pub fn check_orm(call: &OrmCall, out: &mut Vec<Diagnostic>) {
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
