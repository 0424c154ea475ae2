//! The fix engine: applies the edits rules attach to their findings, pass
//! after pass, and keeps only what leaves the file parseable.
//!
//! A pass lints the text, takes the applicable fixes in order of position,
//! skips any that overlaps one already taken, and applies the rest. The
//! next pass lints the result, so fixes that overlapped get their turn and
//! fixes that a fix made necessary appear. It stops when no fix applies, or
//! after [`MAX_PASSES`] passes. A pass whose result has more syntax errors
//! than the original text is undone, and its fixes are tried one at a time;
//! a fix that breaks the file on its own is dropped and reported as a bug
//! in its rule.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety};

/// How many lint-and-fix passes a file gets.
pub const MAX_PASSES: usize = 10;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Safe fixes only.
    Safe,
    /// Safe and unsafe fixes.
    Unsafe,
}

impl Mode {
    pub fn applies(self, fix: &Fix) -> bool {
        match fix.safety {
            FixSafety::Safe => true,
            FixSafety::Unsafe => self == Mode::Unsafe,
            FixSafety::DisplayOnly => false,
        }
    }
}

/// What fixing a file came to.
#[derive(Debug, Default)]
pub struct Fixed {
    pub text: String,
    /// How many fixes were applied.
    pub applied: usize,
    /// The findings of the fixed text.
    pub remaining: Vec<Diagnostic>,
    /// Fixes dropped because the text they made did not parse: rule and
    /// fix title.
    pub rejected: Vec<(&'static str, String)>,
    /// Whether fixes still applied after the last pass.
    pub unfinished: bool,
}

/// Fixes `text`: `lint` lints a text as the file's, `syntax_errors`
/// counts the syntax errors of a text (the host language's and the SQL's).
pub fn fix(
    text: &str,
    mode: Mode,
    lint: impl Fn(&str) -> Vec<Diagnostic>,
    syntax_errors: impl Fn(&str) -> usize,
) -> Fixed {
    let mut state = Fixing::new(text, &syntax_errors);
    let mut diags = lint(text);
    for _ in 0..MAX_PASSES {
        if crate::budget::expired() || !state.pass(&diags, mode, &syntax_errors) {
            return state.done(diags, false, mode);
        }
        diags = lint(&state.out.text);
    }
    state.done(diags, true, mode)
}

/// The fixing of one text, pass by pass, for callers that lint many texts
/// at once between passes (the migrations of a chain).
pub struct Fixing {
    out: Fixed,
    /// The syntax errors of the original text: a pass may not add any.
    allowed: usize,
    crlf: bool,
}

impl Fixing {
    pub fn new(text: &str, syntax_errors: &impl Fn(&str) -> usize) -> Fixing {
        Fixing {
            out: Fixed {
                text: text.to_owned(),
                ..Fixed::default()
            },
            allowed: syntax_errors(text),
            crlf: text.contains("\r\n"),
        }
    }

    /// The text as fixed so far.
    pub fn text(&self) -> &str {
        &self.out.text
    }

    /// Applies the fixes of `diags`, the findings of the current text.
    /// Returns whether the text changed; when it did, lint it again and
    /// call this once more.
    pub fn pass(
        &mut self,
        diags: &[Diagnostic],
        mode: Mode,
        syntax_errors: &impl Fn(&str) -> usize,
    ) -> bool {
        let out = &mut self.out;
        let fixes: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| {
                d.fix.as_ref().is_some_and(|f| {
                    mode.applies(f)
                        && !out
                            .rejected
                            .iter()
                            .any(|(rule, title)| *rule == d.rule && *title == f.title)
                })
            })
            .collect();
        if fixes.is_empty() {
            return false;
        }
        let crlf = self.crlf;
        let (candidate, n) = apply(&out.text, fixes.iter().filter_map(|d| d.fix.as_ref()), crlf);
        if syntax_errors(&candidate) <= self.allowed {
            out.text = candidate;
            out.applied += n;
            return n > 0;
        }
        // Find the fix that breaks the text: the first that works alone is
        // kept, the ones before it that do not are dropped.
        for d in &fixes {
            let f = d.fix.as_ref().expect("filtered on fixes");
            let (alone, _) = apply(&out.text, std::iter::once(f), crlf);
            if syntax_errors(&alone) <= self.allowed {
                out.text = alone;
                out.applied += 1;
                return true;
            }
            out.rejected.push((d.rule, f.title.clone()));
        }
        false
    }

    /// The outcome, given the findings of the final text; `last_pass` when
    /// the passes ran out rather than the fixes.
    pub fn done(mut self, diags: Vec<Diagnostic>, last_pass: bool, mode: Mode) -> Fixed {
        self.out.unfinished = last_pass
            && diags
                .iter()
                .any(|d| d.fix.as_ref().is_some_and(|f| mode.applies(f)));
        self.out.remaining = diags;
        self.out
    }
}

/// Applies the fixes that do not overlap one taken before them (in order of
/// their first edit), and says how many. With `crlf`, line breaks in the new
/// text are written as `\r\n`.
pub fn apply<'f>(text: &str, fixes: impl Iterator<Item = &'f Fix>, crlf: bool) -> (String, usize) {
    let mut fixes: Vec<&Fix> = fixes.filter(|f| !f.edits.is_empty()).collect();
    fixes.sort_by_key(|f| f.edits.iter().map(|e| e.range.start).min());
    let mut taken: Vec<Range<usize>> = Vec::new();
    let mut edits: Vec<&Edit> = Vec::new();
    let mut count = 0;
    for fix in fixes {
        let valid = fix.edits.iter().all(|e| {
            e.range.start <= e.range.end
                && text.is_char_boundary(e.range.start)
                && text.is_char_boundary(e.range.end)
                && e.range.end <= text.len()
        });
        let overlaps = fix
            .edits
            .iter()
            .any(|e| taken.iter().any(|t| overlap(t, &e.range)));
        if !valid || overlaps {
            continue;
        }
        taken.extend(fix.edits.iter().map(|e| e.range.clone()));
        edits.extend(&fix.edits);
        count += 1;
    }
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut result = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in edits {
        if edit.range.start < at {
            continue;
        }
        result.push_str(&text[at..edit.range.start]);
        if crlf {
            result.push_str(&edit.content.replace("\r\n", "\n").replace('\n', "\r\n"));
        } else {
            result.push_str(&edit.content);
        }
        at = edit.range.end;
    }
    result.push_str(&text[at..]);
    (result, count)
}

/// Whether two edits touch the same text. Two insertions at one point
/// overlap too: their order would be a guess.
fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() && b.is_empty() {
        return a.start == b.start;
    }
    a.start < b.end && b.start < a.end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(range: Range<usize>, content: &str, safety: FixSafety) -> Fix {
        Fix {
            title: format!("put {content}"),
            safety,
            in_host: false,
            edits: vec![Edit {
                range,
                content: content.to_owned(),
            }],
        }
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_pass() {
        let a = replace(0..3, "x", FixSafety::Safe);
        let b = replace(1..4, "y", FixSafety::Safe);
        let c = replace(5..6, "z", FixSafety::Safe);
        let (text, n) = apply("abcdefg", [&a, &b, &c].into_iter(), false);
        assert_eq!((text.as_str(), n), ("xdezg", 2));
    }

    #[test]
    fn new_line_breaks_follow_the_file() {
        let a = replace(1..1, "\nb", FixSafety::Safe);
        assert_eq!(apply("a\r\nc", std::iter::once(&a), true).0, "a\r\nb\r\nc");
    }

    /// A toy linter: every `bad` is a finding whose fix rewrites it to
    /// `good`, or to `(` (which does not parse) after a `!`.
    fn toy(text: &str) -> Vec<Diagnostic> {
        text.match_indices("bad")
            .map(|(i, _)| {
                let content = if text[..i].ends_with('!') {
                    "("
                } else {
                    "good"
                };
                let mut d = Diagnostic::new(i..i + 3, "bad");
                d.rule = "toy";
                d.fix(replace(i..i + 3, content, FixSafety::Safe))
            })
            .collect()
    }

    fn unbalanced(text: &str) -> usize {
        text.matches('(').count()
    }

    #[test]
    fn a_fix_that_breaks_the_text_is_dropped_and_the_others_kept() {
        let out = fix("bad !bad bad", Mode::Safe, toy, unbalanced);
        assert_eq!(out.text, "good !bad good");
        assert_eq!(out.applied, 2);
        assert_eq!(out.rejected.len(), 1);
        assert_eq!(out.remaining.len(), 1);
    }

    #[test]
    fn unsafe_fixes_wait_for_the_unsafe_mode() {
        let lint = |text: &str| -> Vec<Diagnostic> {
            text.find("a")
                .map(|i| {
                    Diagnostic::new(i..i + 1, "a").fix(replace(i..i + 1, "b", FixSafety::Unsafe))
                })
                .into_iter()
                .collect()
        };
        assert_eq!(fix("xa", Mode::Safe, lint, |_| 0).text, "xa");
        let out = fix("xa", Mode::Unsafe, lint, |_| 0);
        assert_eq!((out.text.as_str(), out.applied), ("xb", 1));
        assert!(out.remaining.is_empty());
    }

    #[test]
    fn a_fix_that_never_settles_stops_after_the_last_pass() {
        // Each pass makes another finding.
        let lint =
            |_: &str| vec![Diagnostic::new(0..0, "grow").fix(replace(0..0, "+", FixSafety::Safe))];
        let out = fix("", Mode::Safe, lint, |_| 0);
        assert_eq!(out.text, "+".repeat(MAX_PASSES));
        assert!(out.unfinished);
    }
}
