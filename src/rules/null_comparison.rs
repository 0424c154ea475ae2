//! `null-comparison`: `= NULL`, `<> NULL`, `!= NULL`.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Value, visit_expressions};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};
use crate::parse::TokKind;

pub static RULE: Rule = Rule {
    id: "null-comparison",
    category: Category::Correctness,
    severity: Severity::Error,
    default_enabled: true,
    roles: Roles::NOT_TESTS,
    doc: include_str!("../../rules/null-comparison.md"),
    fix: Some(FixSafety::Unsafe),
    check,
};

fn is_null(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if v.value == Value::Null)
}

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    match &ctx.stmt.ast {
        Some(ast) => {
            let _ = visit_expressions(ast, |expr| {
                if let Expr::BinaryOp { left, op, right } = expr
                    && matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
                {
                    let negated = *op == BinaryOperator::NotEq;
                    if is_null(right) {
                        report(ctx, out, right, left, negated, true);
                    } else if is_null(left) {
                        report(ctx, out, left, right, negated, false);
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        }
        None => check_tokens(ctx, out),
    }
}

fn message(negated: bool) -> String {
    let op = if negated { "<>" } else { "=" };
    format!("`{op} NULL` is never true: any comparison with NULL yields NULL")
}

fn replacement(negated: bool) -> &'static str {
    if negated { "IS NOT NULL" } else { "IS NULL" }
}

/// `IS [NOT] NULL` to replace the comparison at `range`, with a space
/// before it where the text before would run into it (`a=NULL`).
fn replacing(ctx: &StatementContext<'_>, range: &std::ops::Range<usize>, negated: bool) -> String {
    let glued = ctx.unit.text[..range.start]
        .chars()
        .next_back()
        .is_some_and(|c| !c.is_whitespace() && c != '(');
    let space = if glued { " " } else { "" };
    format!("{space}{}", replacement(negated))
}

fn fix(negated: bool, edits: Vec<Edit>) -> Fix {
    Fix {
        title: format!("Test with `{}`", replacement(negated)),
        safety: FixSafety::Unsafe,
        in_host: false,
        edits,
    }
}

fn help(negated: bool) -> String {
    format!("Write `{}` to test for NULL.", replacement(negated))
}

/// Reports one comparison. `null_on_right` tells which side `null` is on.
fn report(
    ctx: &StatementContext<'_>,
    out: &mut Vec<Diagnostic>,
    null: &Expr,
    other: &Expr,
    negated: bool,
    null_on_right: bool,
) {
    let toks = ctx.tokens();
    let Some(null_range) = ctx.node(null) else {
        out.push(Diagnostic::new(ctx.first_token(), message(negated)).help(help(negated)));
        return;
    };
    // The operator is the token right before or right after `NULL`.
    let op = if null_on_right {
        ctx.token_index_before(null_range.start).map(|i| &toks[i])
    } else {
        toks.get(ctx.token_index_at(null_range.end))
    }
    .filter(|t| matches!(t.kind, TokKind::Eq | TokKind::Neq))
    .map(|t| t.range.clone());
    let Some(op) = op else {
        out.push(Diagnostic::new(null_range, message(negated)).help(help(negated)));
        return;
    };
    let (primary, edits) = if null_on_right {
        let range = op.start..null_range.end;
        let edits = vec![Edit {
            range: range.clone(),
            content: replacing(ctx, &range, negated),
        }];
        (range, Some(edits))
    } else {
        // `NULL = x` becomes `x IS NULL`: drop `NULL =`, append after `x`.
        let edits = ctx.node(other).map(|other| {
            vec![
                Edit {
                    range: null_range.start..other.start,
                    content: String::new(),
                },
                Edit {
                    range: other.end..other.end,
                    content: format!(" {}", replacement(negated)),
                },
            ]
        });
        (null_range.start..op.end, edits)
    };
    let mut diag = Diagnostic::new(primary, message(negated)).help(help(negated));
    if let Some(edits) = edits {
        diag = diag.fix(fix(negated, edits));
    }
    out.push(diag);
}

/// Without a syntax tree, `= NULL` after `SET` is an assignment, not a
/// comparison; elsewhere an `=`/`<>` token right before `NULL` compares.
fn check_tokens(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    let toks = ctx.tokens();
    // In a routine's header `= NULL` gives a parameter its default; the
    // body is a string, linted (if at all) on its own.
    let routine = toks
        .iter()
        .take(4)
        .any(|t| t.is_keyword(Keyword::FUNCTION) || t.is_keyword(Keyword::PROCEDURE));
    if toks.first().is_some_and(|t| t.is_keyword(Keyword::CREATE)) && routine {
        return;
    }
    for i in 1..toks.len() {
        if !toks[i].is_keyword(Keyword::NULL) {
            continue;
        }
        let op = &toks[i - 1];
        let negated = match op.kind {
            TokKind::Neq => true,
            TokKind::Eq => false,
            _ => continue,
        };
        if !negated && last_clause_keyword(&toks[..i]) == Some(Keyword::SET) {
            continue;
        }
        let range = op.range.start..toks[i].range.end;
        out.push(
            Diagnostic::new(range.clone(), message(negated))
                .help(help(negated))
                .fix(fix(
                    negated,
                    vec![Edit {
                        content: replacing(ctx, &range, negated),
                        range,
                    }],
                )),
        );
    }
}

fn last_clause_keyword(toks: &[crate::parse::Tok]) -> Option<Keyword> {
    const CLAUSES: &[Keyword] = &[
        Keyword::SET,
        Keyword::WHERE,
        Keyword::AND,
        Keyword::OR,
        Keyword::ON,
        Keyword::HAVING,
        Keyword::WHEN,
        Keyword::NOT,
        Keyword::SELECT,
        Keyword::CHECK,
    ];
    toks.iter().rev().find_map(|t| match t.kind {
        TokKind::Word(kw) if CLAUSES.contains(&kw) => Some(kw),
        _ => None,
    })
}
