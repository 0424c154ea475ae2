//! Where a syntax node lies, found from its first and last tokens.
//!
//! syn's `Spanned::span` prints a node back into tokens to find its first
//! and last: a cost as long as the node, paid again for every link of a
//! call chain and for every function body. [`Located`] reads the two
//! tokens off the tree instead, for the nodes the scan places most often,
//! and falls back to `Spanned` where a node starts or ends in a form it
//! does not follow (attributes, generic arguments, a type at the end).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Block, Expr, ExprCall, ExprMethodCall, Member, PathArguments};

/// A node whose span can be found without printing it.
pub(super) trait Located {
    /// The span from the node's first token to its last.
    fn located(&self) -> Span;
}

impl Located for Expr {
    fn located(&self) -> Span {
        match last(self) {
            Some(b) => joined(first(self), b, self),
            None => self.span(),
        }
    }
}

impl Located for ExprMethodCall {
    fn located(&self) -> Span {
        let start = self.attrs.is_empty().then(|| first(&self.receiver));
        joined(start.flatten(), self.paren_token.span.close(), self)
    }
}

impl Located for ExprCall {
    fn located(&self) -> Span {
        let start = self.attrs.is_empty().then(|| first(&self.func));
        joined(start.flatten(), self.paren_token.span.close(), self)
    }
}

/// The span from `start` to `end`, else the node's as syn finds it.
fn joined(start: Option<Span>, end: Span, node: &impl Spanned) -> Span {
    start
        .and_then(|a| a.join(end))
        .unwrap_or_else(|| node.span())
}

impl Located for syn::Macro {
    fn located(&self) -> Span {
        joined(path_start(&self.path), self.delimiter.span().close(), self)
    }
}

impl<T: Located> Located for Box<T> {
    fn located(&self) -> Span {
        (**self).located()
    }
}

impl<T: Located> Located for &T {
    fn located(&self) -> Span {
        (**self).located()
    }
}

/// Nodes that are short, or rare, and found as syn finds them.
macro_rules! spanned {
    ($($t:ty),*) => {
        $(impl Located for $t {
            fn located(&self) -> Span {
                self.span()
            }
        })*
    };
}

spanned!(
    proc_macro2::Ident,
    syn::LitStr,
    syn::ItemFn,
    syn::ImplItemFn,
    syn::ItemImpl,
    syn::ItemMod,
    syn::Pat,
    syn::Path
);

impl Located for Block {
    fn located(&self) -> Span {
        self.brace_token.span.join()
    }
}

/// How many links of a chain are followed to its first token.
const DEPTH: usize = 256;

/// The span of an expression's first token.
fn first(e: &Expr) -> Option<Span> {
    let mut e = e;
    for _ in 0..DEPTH {
        e = match e {
            Expr::MethodCall(m) if m.attrs.is_empty() => &m.receiver,
            Expr::Await(a) if a.attrs.is_empty() => &a.base,
            Expr::Try(t) if t.attrs.is_empty() => &t.expr,
            Expr::Field(f) if f.attrs.is_empty() => &f.base,
            Expr::Index(i) if i.attrs.is_empty() => &i.expr,
            Expr::Call(c) if c.attrs.is_empty() => &c.func,
            Expr::Cast(c) if c.attrs.is_empty() => &c.expr,
            Expr::Binary(b) if b.attrs.is_empty() => &b.left,
            Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => {
                return path_start(&p.path);
            }
            Expr::Lit(l) if l.attrs.is_empty() => return Some(l.lit.span()),
            Expr::Paren(p) if p.attrs.is_empty() => return Some(p.paren_token.span.open()),
            Expr::Tuple(t) if t.attrs.is_empty() => return Some(t.paren_token.span.open()),
            Expr::Array(a) if a.attrs.is_empty() => return Some(a.bracket_token.span.open()),
            Expr::Reference(r) if r.attrs.is_empty() => return Some(r.and_token.span),
            Expr::Macro(m) if m.attrs.is_empty() => return path_start(&m.mac.path),
            _ => return None,
        };
    }
    None
}

/// The span of a path's first token.
fn path_start(path: &syn::Path) -> Option<Span> {
    match &path.leading_colon {
        Some(colons) => Some(colons.spans[0]),
        None => Some(path.segments.first()?.ident.span()),
    }
}

/// The span of an expression's last token.
fn last(e: &Expr) -> Option<Span> {
    let mut e = e;
    for _ in 0..DEPTH {
        e = match e {
            Expr::MethodCall(m) if m.attrs.is_empty() => return Some(m.paren_token.span.close()),
            Expr::Call(c) if c.attrs.is_empty() => return Some(c.paren_token.span.close()),
            Expr::Await(a) if a.attrs.is_empty() => return Some(a.await_token.span),
            Expr::Try(t) if t.attrs.is_empty() => return Some(t.question_token.span),
            Expr::Index(i) if i.attrs.is_empty() => return Some(i.bracket_token.span.close()),
            Expr::Paren(p) if p.attrs.is_empty() => return Some(p.paren_token.span.close()),
            Expr::Tuple(t) if t.attrs.is_empty() => return Some(t.paren_token.span.close()),
            Expr::Array(a) if a.attrs.is_empty() => return Some(a.bracket_token.span.close()),
            Expr::Lit(l) if l.attrs.is_empty() => return Some(l.lit.span()),
            Expr::Macro(m) if m.attrs.is_empty() => {
                return Some(m.mac.delimiter.span().close());
            }
            Expr::Field(f) if f.attrs.is_empty() => {
                return Some(match &f.member {
                    Member::Named(name) => name.span(),
                    Member::Unnamed(index) => index.span,
                });
            }
            Expr::Path(p) if p.attrs.is_empty() => {
                let segment = p.path.segments.last()?;
                return match &segment.arguments {
                    PathArguments::None => Some(segment.ident.span()),
                    PathArguments::AngleBracketed(args) => Some(args.gt_token.span),
                    PathArguments::Parenthesized(_) => None,
                };
            }
            Expr::Reference(r) if r.attrs.is_empty() => &r.expr,
            Expr::Binary(b) if b.attrs.is_empty() => &b.right,
            _ => return None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte range a span covers in the text it was parsed from.
    fn bytes(span: Span) -> std::ops::Range<usize> {
        span.byte_range()
    }

    #[test]
    fn a_node_is_located_where_syn_would_place_it() {
        let cases = [
            "sqlx::query(\"SELECT 1\").bind(x).fetch_all(&pool).await?",
            "client.query(&sql, &[&id]).await",
            "(a + b).len()",
            "&mut self.items[3]",
            "Vec::<u8>::new().len() as u64",
            "format!(\"{}\", x).as_str()",
            "::std::mem::take(&mut v).0",
            "[1, 2][0] + (3, 4).1 * -x",
            "#[allow(unused)] f(x)",
            "<T as Trait>::go(x).y",
            "a.b.c.d()",
            "x as Vec<u8>",
        ];
        for case in cases {
            let e: Expr = syn::parse_str(case).expect(case);
            assert_eq!(bytes(e.located()), bytes(e.span()), "{case}");
            if let Expr::MethodCall(m) = &e {
                assert_eq!(bytes(m.located()), bytes(m.span()), "{case}");
            }
            if let Expr::Call(c) = &e {
                assert_eq!(bytes(c.located()), bytes(c.span()), "{case}");
            }
        }
        let f: syn::ItemFn = syn::parse_str("fn f() { let x = 1; g(x) }").unwrap();
        assert_eq!(bytes(f.block.located()), bytes(f.block.span()));
    }
}
