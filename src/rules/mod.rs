//! The rules and their registry.
//!
//! A rule is a static [`Rule`] in its own file: its id, category, default
//! severity, where it applies, its doc (compiled in from `rules/<id>.md`) and
//! a check function over one statement. Registering a rule is one line in
//! [`RULES`].

use std::ops::Range;

use serde::Serialize;
use sqlparser::ast::Spanned;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Span;

use crate::diagnostic::{Diagnostic, Severity};
use crate::extract::SqlUnit;
use crate::migrate::MigrationState;
use crate::parse::{ParsedUnit, Statement, Tok, TokKind};

mod add_check_without_not_valid;
mod add_column_not_null_without_default;
mod add_column_volatile_default;
mod add_foreign_key_without_not_valid;
mod add_unique_constraint_without_index;
mod change_column_type;
mod cluster;
mod concurrently_in_transaction;
mod create_index_non_concurrently;
mod delete_without_where;
mod drop_column;
mod drop_index_non_concurrently;
mod drop_table;
mod foreign_key_without_index;
mod helpers;
mod int_primary_key;
mod interpolated_set;
mod interpolated_sql;
mod invalid_suppression;
mod json_column;
mod leading_wildcard_like;
mod missing_lock_timeout;
mod n_plus_one;
mod not_in_subquery;
mod null_comparison;
mod offset_pagination;
mod order_by_random;
mod parse_error;
mod reindex_non_concurrently;
mod rename_column;
mod rename_table;
mod select_star;
mod session_level_set;
mod set_not_null;
mod suppression_without_reason;
mod unbatched_backfill;
mod unbounded_select;
mod unused_suppression;
mod update_without_where;
pub(crate) mod vacuum_full;

/// Every rule querylint has, in the order `querylint rules` lists them.
pub static RULES: &[&Rule] = &[
    &parse_error::RULE,
    &not_in_subquery::RULE,
    &null_comparison::RULE,
    &update_without_where::RULE,
    &delete_without_where::RULE,
    &leading_wildcard_like::RULE,
    &unbounded_select::RULE,
    &offset_pagination::RULE,
    &order_by_random::RULE,
    &select_star::RULE,
    &interpolated_sql::RULE,
    &interpolated_set::RULE,
    &n_plus_one::RULE,
    &session_level_set::RULE,
    &create_index_non_concurrently::RULE,
    &drop_index_non_concurrently::RULE,
    &concurrently_in_transaction::RULE,
    &reindex_non_concurrently::RULE,
    &vacuum_full::RULE,
    &cluster::RULE,
    &add_column_volatile_default::RULE,
    &add_column_not_null_without_default::RULE,
    &set_not_null::RULE,
    &add_foreign_key_without_not_valid::RULE,
    &add_check_without_not_valid::RULE,
    &add_unique_constraint_without_index::RULE,
    &change_column_type::RULE,
    &rename_column::RULE,
    &rename_table::RULE,
    &drop_column::RULE,
    &drop_table::RULE,
    &missing_lock_timeout::RULE,
    &unbatched_backfill::RULE,
    &int_primary_key::RULE,
    &json_column::RULE,
    &foreign_key_without_index::RULE,
    &invalid_suppression::RULE,
    &unused_suppression::RULE,
    &suppression_without_reason::RULE,
];

/// A rule's check of an ORM or query-builder call in TypeScript.
pub type OrmCheckFn = fn(&crate::model::OrmCall, &OrmContext<'_>, &mut Vec<Diagnostic>);

/// What an ORM check sees beside the call: the rule options and what the
/// project's schema files say.
pub struct OrmContext<'a> {
    pub options: &'a RuleOptions,
    pub catalog: Option<&'a crate::model::Catalog>,
}

/// The rules that also read ORM calls, each with its check (which lives in
/// the rule's file beside the SQL check).
pub static ORM_CHECKS: &[(&str, OrmCheckFn)] = &[
    ("not-in-subquery", not_in_subquery::check_orm),
    ("unbounded-select", unbounded_select::check_orm),
    ("offset-pagination", offset_pagination::check_orm),
    ("leading-wildcard-like", leading_wildcard_like::check_orm),
    ("update-without-where", update_without_where::check_orm),
    ("delete-without-where", delete_without_where::check_orm),
    ("n-plus-one", n_plus_one::check_orm),
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Correctness,
    Performance,
    Security,
    Migration,
    Style,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Correctness,
        Category::Performance,
        Category::Security,
        Category::Migration,
        Category::Style,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Correctness => "correctness",
            Category::Performance => "performance",
            Category::Security => "security",
            Category::Migration => "migration",
            Category::Style => "style",
        }
    }
}

/// Whether a rule for `roles`, kept in the settings of a file of `role`,
/// looks at one of its statements: in a migration, the application rules
/// look only at the views it defines, and the lock rules only at
/// statements the replay knows (`schema_change`: an up migration for
/// PostgreSQL).
pub fn covers(
    roles: crate::context::Roles,
    role: crate::context::Role,
    stmt: &Statement,
    schema_change: bool,
) -> bool {
    use crate::context::Role;
    if role.is_migration() && !roles.contains(role) {
        // The views a migration defines run at every query.
        return roles.contains(Role::Application)
            && matches!(stmt.ast, Some(sqlparser::ast::Statement::CreateView(_)));
    }
    if role.is_migration() && !roles.contains(Role::Application) {
        // The lock and backfill rules read what the replay knows of the
        // migration.
        return schema_change;
    }
    // The settings of a file keep the rules for its role, and those an
    // override adds for it (`config::for_path`).
    true
}

pub type CheckFn = fn(&StatementContext<'_>, &mut Vec<Diagnostic>);

pub struct Rule {
    /// Kebab-case, naming the bad pattern.
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub default_enabled: bool,
    /// The files the rule applies to, by their role.
    pub roles: crate::context::Roles,
    /// The rule's markdown doc, `rules/<id>.md`.
    pub doc: &'static str,
    /// The safest fix the rule offers, if it offers any: `Safe` if some of
    /// its findings get a fix `--fix` applies.
    pub fix: Option<crate::diagnostic::FixSafety>,
    pub check: CheckFn,
}

impl Rule {
    /// The doc's one-line summary: its first paragraph after the title.
    pub fn summary(&self) -> &'static str {
        self.doc
            .lines()
            .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
    }
}

/// Settings that change what rules report.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// `offset-pagination` reports literal offsets above this.
    pub offset_threshold: u64,
    /// `offset-pagination` also reports offsets taken from a page number
    /// or a parameter, not only those that walk a table in a loop.
    pub offset_page_numbers: bool,
    /// The PostgreSQL major version migrations run on.
    pub postgres_version: u32,
    /// The `lock_timeout` the `missing-lock-timeout` fix sets, such as `5s`.
    pub lock_timeout: String,
}

/// The oldest PostgreSQL major version still supported upstream.
pub const DEFAULT_POSTGRES_VERSION: u32 = 14;

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            offset_threshold: 1000,
            offset_page_numbers: false,
            postgres_version: DEFAULT_POSTGRES_VERSION,
            lock_timeout: "5s".to_owned(),
        }
    }
}

/// What a rule sees of one statement, with the helpers that turn AST spans
/// and tokens into unit ranges.
pub struct StatementContext<'a> {
    pub unit: &'a SqlUnit,
    pub parsed: &'a ParsedUnit,
    pub stmt: &'a Statement,
    pub options: &'a RuleOptions,
    /// The dialect the statement was parsed in: advice names what that
    /// database has.
    pub dialect: crate::parse::Dialect,
    /// What is known about the migration, for a statement of an up
    /// migration for PostgreSQL.
    pub migration: Option<MigrationState<'a>>,
    /// For a statement of a migration: the tables and columns the chain's
    /// earlier migrations created (for PostgreSQL, `migration`'s schema;
    /// for another database, replayed all the same).
    pub schema: Option<&'a crate::model::schema::Schema>,
    /// What the project's schema files say, when the file is linted as
    /// part of a project.
    pub catalog: Option<&'a crate::model::Catalog>,
}

impl<'a> StatementContext<'a> {
    pub fn text(&self, range: Range<usize>) -> &'a str {
        self.unit.text.get(range).unwrap_or("")
    }

    pub fn tokens(&self) -> &'a [Tok] {
        &self.stmt.tokens
    }

    /// The unit range of an AST span, `None` if `sqlparser` left it empty.
    pub fn span(&self, span: Span) -> Option<Range<usize>> {
        self.stmt
            .span_range(span)
            .or_else(|| self.parsed.span_range(&self.unit.text, span))
    }

    pub fn node(&self, node: &impl Spanned) -> Option<Range<usize>> {
        self.span(node.span())
    }

    /// Index of the first token that starts at or after `offset`.
    pub fn token_index_at(&self, offset: usize) -> usize {
        self.stmt.tokens.partition_point(|t| t.range.start < offset)
    }

    /// Index of the last token that ends at or before `offset`.
    pub fn token_index_before(&self, offset: usize) -> Option<usize> {
        self.stmt
            .tokens
            .partition_point(|t| t.range.end <= offset)
            .checked_sub(1)
    }

    /// Index of the `)` that closes the `(` at `open`.
    pub fn matching_paren(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for (i, tok) in self.stmt.tokens.iter().enumerate().skip(open) {
            match tok.kind {
                TokKind::LParen => depth += 1,
                TokKind::RParen => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Extends a range that ends with a function name over its argument
    /// list, if a `(` follows.
    pub fn with_call_parens(&self, range: Range<usize>) -> Range<usize> {
        let next = self.token_index_at(range.end);
        match self.stmt.tokens.get(next) {
            Some(t) if t.kind == TokKind::LParen => match self.matching_paren(next) {
                Some(close) => range.start..self.stmt.tokens[close].range.end,
                None => range,
            },
            _ => range,
        }
    }

    /// The range of the nearest `keyword` token that ends at or before
    /// `offset`, looking back at most `within` tokens.
    pub fn keyword_before(
        &self,
        offset: usize,
        keyword: Keyword,
        within: usize,
    ) -> Option<Range<usize>> {
        let last = self.token_index_before(offset)?;
        self.stmt.tokens[..=last]
            .iter()
            .rev()
            .take(within)
            .find(|t| t.is_keyword(keyword))
            .map(|t| t.range.clone())
    }

    /// The comments right before the statement, with no blank line between
    /// them and it: where query annotations such as sqlc's
    /// `-- name: GetUser :one` live.
    pub fn leading_comments(&self) -> impl Iterator<Item = &'a str> {
        let comments = &self.parsed.comments;
        let mut end = self.stmt.range.start;
        let mut i = comments.partition_point(|c| c.end <= end);
        std::iter::from_fn(move || {
            i = i.checked_sub(1)?;
            let c = &comments[i];
            let gap = self.unit.text.get(c.end..end)?;
            // A line comment's token ends with its newline.
            let newlines =
                gap.matches('\n').count() + usize::from(self.text(c.clone()).ends_with('\n'));
            if !gap.trim().is_empty() || newlines > 1 {
                return None;
            }
            end = c.start;
            Some(self.text(c.clone()))
        })
    }

    /// The range from a statement keyword (`UPDATE`, `DELETE`) through the
    /// table it writes, and the table's name as written.
    pub fn keyword_through_table(
        &self,
        keyword: Span,
        table: Option<&sqlparser::ast::TableFactor>,
    ) -> (Range<usize>, &'a str) {
        let keyword = self.span(keyword);
        let table = table.and_then(|t| self.node(t));
        let range = match (keyword, table.clone()) {
            (Some(k), Some(t)) => k.start..t.end,
            (Some(k), None) => k,
            _ => self.first_token(),
        };
        // A name pasted in by the code or a template (`{table}`, masked as
        // `__ql1`) is no name a reader would know.
        let name = table
            .map(|t| self.text(t))
            .filter(|name| !name.split(['.', ' ']).any(crate::mask::is_pasted_name));
        (range, name.unwrap_or("the table"))
    }

    /// The statement's first token, for findings that have nothing more
    /// precise to point at.
    pub fn first_token(&self) -> Range<usize> {
        self.stmt
            .tokens
            .first()
            .map_or(self.stmt.range.clone(), |t| t.range.clone())
    }
}

/// Whether a table expression is narrowed by an inner join with a condition
/// (`DELETE t FROM t JOIN u ON ...`, MySQL's multi-table form): the join, not
/// a `WHERE`, picks the rows.
pub fn restricted_by_join(twj: &sqlparser::ast::TableWithJoins) -> bool {
    use sqlparser::ast::{JoinConstraint, JoinOperator};
    twj.joins.iter().any(|j| match &j.join_operator {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::StraightJoin(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c) => !matches!(c, JoinConstraint::None),
        _ => false,
    })
}

/// Whether a function name (possibly schema-qualified) is one of `names`,
/// compared without case.
pub fn function_named(name: &sqlparser::ast::ObjectName, names: &[&str]) -> bool {
    name.0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|ident| names.iter().any(|n| ident.value.eq_ignore_ascii_case(n)))
}

#[cfg(test)]
mod roles_tests {
    #[test]
    fn every_rule_doc_says_where_the_rule_runs() {
        for rule in super::RULES {
            let sentence = rule.roles.sentence();
            assert!(
                rule.doc.contains(&sentence),
                "rules/{}.md should say: {sentence}",
                rule.id
            );
        }
    }
}
