//! `session-level-set`: session state set on a pooled connection, which
//! the next request that borrows the connection inherits.

use sqlparser::ast::{Expr, Value};
use sqlparser::keywords::Keyword;

use super::{Category, Rule, StatementContext};
use crate::context::Roles;
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    id: "session-level-set",
    category: Category::Security,
    severity: Severity::Warning,
    default_enabled: true,
    roles: Roles::APPLICATION,
    doc: include_str!("../../rules/session-level-set.md"),
    fix: None,
    check,
};

fn check(ctx: &StatementContext<'_>, out: &mut Vec<Diagnostic>) {
    if !ctx.unit.origin.pooled {
        return;
    }
    let toks = ctx.tokens();
    let Some(first) = toks.first() else {
        return;
    };
    // SET app.tenant_id = ..., but not SET LOCAL, and not built-in settings
    // such as statement_timeout, whose leak is a smaller matter.
    if first.is_keyword(Keyword::SET) {
        let local = toks.get(1).is_some_and(|t| t.is_keyword(Keyword::LOCAL));
        let custom = toks
            .get(2)
            .is_some_and(|t| t.kind == crate::parse::TokKind::Period)
            || toks.get(3).is_some_and(|t| {
                t.kind == crate::parse::TokKind::Period && toks[1].is_keyword(Keyword::SESSION)
            });
        if !local && custom {
            // Through the setting's name: up to `=` or `TO`.
            let value_at = toks
                .iter()
                .position(|t| t.kind == crate::parse::TokKind::Eq || t.is_keyword(Keyword::TO))
                .unwrap_or(toks.len().min(4));
            let end = toks[..value_at.max(1)]
                .last()
                .map_or(first.range.end, |t| t.range.end);
            out.push(
                Diagnostic::new(first.range.start..end, "`SET` of an application setting lasts for the session: on a pooled connection, the next request that borrows it runs with this value (another tenant's, another user's)")
                    .help("Set it for the transaction only: `SET LOCAL ...` inside `BEGIN` ... `COMMIT`, or `SELECT set_config('name', $1, true)`."),
            );
        }
        return;
    }
    // SELECT set_config('app.x', $1, false)
    let Some(sqlparser::ast::Statement::Query(_)) = &ctx.stmt.ast else {
        return;
    };
    let mut found = None;
    let _ = sqlparser::ast::visit_expressions(&ctx.stmt.ast, |e: &Expr| {
        if let Expr::Function(f) = e
            && super::function_named(&f.name, &["set_config"])
            && let sqlparser::ast::FunctionArguments::List(list) = &f.args
            && let Some(sqlparser::ast::FunctionArg::Unnamed(
                sqlparser::ast::FunctionArgExpr::Expr(Expr::Value(v)),
            )) = list.args.get(2)
            && matches!(v.value, Value::Boolean(false))
        {
            found = ctx.node(f);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    if let Some(range) = found {
        out.push(
            Diagnostic::new(range, "`set_config(..., false)` sets the value for the whole session: on a pooled connection, the next request that borrows it runs with it")
                .help("Pass `true` as the third argument to set it for the current transaction only, and run the queries that need it in that transaction."),
        );
    }
}
