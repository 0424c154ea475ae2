//! The fix engine: applies the edits rules attach to their findings, pass
//! after pass, and keeps a fix only when its result is judged no worse.
//!
//! A pass lints the text, takes the applicable fixes in order of position,
//! skips any that overlaps one already taken, and applies the rest. The
//! result is linted: when it parses as well as the text before and shows no
//! new warning or error, the pass stands, and the next pass
//! starts from its findings, so fixes that overlapped get their turn and
//! fixes that a fix made necessary appear. Otherwise the fixes are tried
//! one at a time, the most severe finding's first, and each is kept only if
//! its result, with the ones kept before it, is judged no worse. A fix that
//! breaks the parse is a bug in its rule; a fix that leaves a new finding is
//! withdrawn and shown as a suggestion that says which (two fixes that are
//! each fine alone may not be together: `SET lock_timeout` before a lone
//! `CREATE INDEX CONCURRENTLY` puts it in a transaction). Passes stop when
//! no fix applies, or after [`MAX_PASSES`].

use std::ops::Range;

use crate::diagnostic::{Diagnostic, Edit, Fix, FixSafety, Severity};

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

/// What a text's lint says, for judging a fix: its syntax errors (the host
/// language's and the SQL's) and its findings.
pub struct Linted {
    pub syntax_errors: usize,
    pub findings: Vec<Diagnostic>,
}

/// Why a fix was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Its result does not parse: a bug in the rule.
    Unparseable,
    /// Its result has a new warning or error.
    Leaves {
        rule: &'static str,
        severity: Severity,
    },
}

impl Why {
    /// Says why, after "not applied: ".
    pub fn reason(&self) -> String {
        match self {
            Why::Unparseable => "it would leave the file unparseable".to_owned(),
            Why::Leaves { rule, severity } => {
                format!("the result would have a new `{rule}` {}", severity.as_str())
            }
        }
    }
}

/// A fix that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    pub rule: &'static str,
    pub title: String,
    pub why: Why,
}

/// What fixing a file came to.
#[derive(Debug, Default)]
pub struct Fixed {
    pub text: String,
    /// How many fixes were applied.
    pub applied: usize,
    /// The findings of the fixed text. A finding whose fix was withdrawn
    /// carries it as a suggestion whose title says why.
    pub remaining: Vec<Diagnostic>,
    /// Fixes withdrawn, and why.
    pub withdrawn: Vec<Withdrawn>,
    /// Whether fixes still applied after the last pass.
    pub unfinished: bool,
}

impl Fixed {
    /// The fixes withdrawn because they would break the parse: each is a
    /// bug in its rule.
    pub fn unparseable(&self) -> impl Iterator<Item = &Withdrawn> {
        self.withdrawn.iter().filter(|w| w.why == Why::Unparseable)
    }
}

/// Fixes `text`: `lint` lints a text as the file's.
pub fn fix(text: &str, mode: Mode, lint: impl Fn(&str) -> Linted) -> Fixed {
    let first = lint(text);
    let mut state = Fixing::new(text, first.syntax_errors);
    let mut diags = first.findings;
    for _ in 0..MAX_PASSES {
        if crate::budget::expired() {
            return state.done(diags, false, mode);
        }
        match state.pass(&diags, mode, &lint) {
            Some(next) => diags = next,
            None => return state.done(diags, false, mode),
        }
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
    /// Starts fixing `text`, which has `syntax_errors` syntax errors.
    pub fn new(text: &str, syntax_errors: usize) -> Fixing {
        Fixing {
            out: Fixed {
                text: text.to_owned(),
                ..Fixed::default()
            },
            allowed: syntax_errors,
            crlf: text.contains("\r\n"),
        }
    }

    /// The text as fixed so far.
    pub fn text(&self) -> &str {
        &self.out.text
    }

    /// Applies the fixes of `diags`, the findings of the current text, that
    /// are judged no worse; `lint` lints a candidate text. Returns the
    /// findings of the new text when it changed (call this once more with
    /// them), none when no fix applied.
    pub fn pass(
        &mut self,
        diags: &[Diagnostic],
        mode: Mode,
        lint: &impl Fn(&str) -> Linted,
    ) -> Option<Vec<Diagnostic>> {
        let withdrawn = &self.out.withdrawn;
        let mut fixes: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| {
                d.fix.as_ref().is_some_and(|f| {
                    mode.applies(f)
                        && !withdrawn
                            .iter()
                            .any(|w| w.rule == d.rule && w.title == f.title)
                })
            })
            .collect();
        if fixes.is_empty() {
            return None;
        }
        let text = self.out.text.clone();
        let crlf = self.crlf;
        fn of<'d>(d: &&'d Diagnostic) -> &'d Fix {
            d.fix.as_ref().expect("filtered on fixes")
        }
        let (candidate, edits, n) = apply_edits(&text, fixes.iter().map(of), crlf);
        let linted = lint(&candidate);
        if judge(self.allowed, diags, &edits, &linted).is_none() {
            self.out.text = candidate;
            self.out.applied += n;
            return (n > 0).then_some(linted.findings);
        }
        // One at a time, the most severe first: each is kept if the fixes
        // kept so far and it are judged no worse together.
        fixes.sort_by_key(|d| (d.severity, d.range.start));
        let mut kept: Vec<&Fix> = Vec::new();
        let mut last = None;
        for d in fixes {
            let f = of(&d);
            let (candidate, edits, n) =
                apply_edits(&text, kept.iter().copied().chain(std::iter::once(f)), crlf);
            if n <= kept.len() {
                // Overlaps one kept: its turn comes in the next pass.
                continue;
            }
            let linted = lint(&candidate);
            match judge(self.allowed, diags, &edits, &linted) {
                None => {
                    kept.push(f);
                    last = Some((candidate, linted.findings));
                }
                Some(why) => self.out.withdrawn.push(Withdrawn {
                    rule: d.rule,
                    title: f.title.clone(),
                    why,
                }),
            }
        }
        let (candidate, findings) = last?;
        self.out.text = candidate;
        self.out.applied += kept.len();
        Some(findings)
    }

    /// The outcome, given the findings of the final text; `last_pass` when
    /// the passes ran out rather than the fixes.
    pub fn done(mut self, mut diags: Vec<Diagnostic>, last_pass: bool, mode: Mode) -> Fixed {
        self.out.unfinished = last_pass
            && diags
                .iter()
                .any(|d| d.fix.as_ref().is_some_and(|f| mode.applies(f)));
        withdraw(&mut diags, &self.out.withdrawn);
        self.out.remaining = diags;
        self.out
    }
}

/// Turns the fixes of `diags` that were withdrawn into suggestions whose
/// title says why.
pub fn withdraw(diags: &mut [Diagnostic], withdrawn: &[Withdrawn]) {
    for d in diags {
        let rule = d.rule;
        if let Some(fix) = &mut d.fix
            && let Some(w) = withdrawn
                .iter()
                .find(|w| w.rule == rule && w.title == fix.title)
        {
            fix.withhold(&w.why.reason());
        }
    }
}

/// Judges each applicable fix of `diags` on its own, as an editor applies
/// it: a fix whose result parses worse or has a new warning or error
/// becomes a suggestion that says why. `lint` lints a text as the
/// file's, `current` is what it says of `text`. At most `limit` fixes are
/// judged one by one; when more apply, they are judged together first, and
/// all kept if their joint result is no worse.
pub fn judge_each(
    text: &str,
    diags: &mut [Diagnostic],
    mode: Mode,
    current: usize,
    lint: &impl Fn(&str) -> Linted,
    limit: usize,
) {
    let crlf = text.contains("\r\n");
    let fixable: Vec<usize> = (0..diags.len())
        .filter(|&i| diags[i].fix.as_ref().is_some_and(|f| mode.applies(f)))
        .collect();
    if fixable.is_empty() {
        return;
    }
    if fixable.len() > limit {
        let fixes = fixable.iter().filter_map(|&i| diags[i].fix.as_ref());
        let (candidate, edits, _) = apply_edits(text, fixes, crlf);
        if judge(current, diags, &edits, &lint(&candidate)).is_none() {
            return;
        }
    }
    let mut withdrawn = Vec::new();
    for &i in fixable.iter().take(limit) {
        let d = &diags[i];
        let f = d.fix.as_ref().expect("filtered on fixes");
        let (candidate, edits, _) = apply_edits(text, std::iter::once(f), crlf);
        let linted = lint(&candidate);
        if let Some(why) = judge(current, diags, &edits, &linted) {
            withdrawn.push(Withdrawn {
                rule: d.rule,
                title: f.title.clone(),
                why,
            });
        }
    }
    withdraw(diags, &withdrawn);
}

/// Whether the text `edits` made, linted `after`, is worse than the text
/// whose findings are `before` and whose syntax errors were `allowed`: it
/// parses worse, or it has a warning or an error that the text did not
/// have. (A fix may leave a new `info`: such findings never fail a run.)
fn judge(allowed: usize, before: &[Diagnostic], edits: &[Edit], after: &Linted) -> Option<Why> {
    if after.syntax_errors > allowed {
        return Some(Why::Unparseable);
    }
    let new =
        new_findings(before, &after.findings, edits).find(|d| d.severity <= Severity::Warning)?;
    Some(Why::Leaves {
        rule: new.rule,
        severity: new.severity,
    })
}

/// The findings of `after` that `before` did not have. `edits` (in order,
/// with ranges in the text before) made the text after: a finding after is
/// an old one when a finding of the same rule before covers or touches the
/// range it maps back to.
fn new_findings<'a>(
    before: &'a [Diagnostic],
    after: &'a [Diagnostic],
    edits: &'a [Edit],
) -> impl Iterator<Item = &'a Diagnostic> {
    after.iter().filter(move |a| {
        let (start, end) = (back(edits, a.range.start), back(edits, a.range.end));
        !before.iter().any(|b| {
            b.rule == a.rule
                && (b.range.start == start || (b.range.start <= end && start <= b.range.end))
        })
    })
}

/// Maps an offset in the edited text back to the text before `edits`. An
/// offset in text an edit wrote maps to where the edit began.
fn back(edits: &[Edit], offset: usize) -> usize {
    let mut delta: isize = 0;
    for e in edits {
        let start = (e.range.start as isize + delta) as usize;
        if offset < start {
            break;
        }
        if offset < start + e.content.len() {
            return e.range.start;
        }
        delta += e.content.len() as isize - e.range.len() as isize;
    }
    (offset as isize - delta).max(0) as usize
}

/// Applies the fixes that do not overlap one taken before them (in order of
/// their first edit), and says how many. With `crlf`, line breaks in the new
/// text are written as `\r\n`.
pub fn apply<'f>(text: &str, fixes: impl Iterator<Item = &'f Fix>, crlf: bool) -> (String, usize) {
    let (text, _, n) = apply_edits(text, fixes, crlf);
    (text, n)
}

/// [`apply`], with the edits made, in order, as written.
fn apply_edits<'f>(
    text: &str,
    fixes: impl Iterator<Item = &'f Fix>,
    crlf: bool,
) -> (String, Vec<Edit>, usize) {
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
    let mut made = Vec::with_capacity(edits.len());
    let mut at = 0;
    for edit in edits {
        if edit.range.start < at {
            continue;
        }
        result.push_str(&text[at..edit.range.start]);
        let content = if crlf {
            edit.content.replace("\r\n", "\n").replace('\n', "\r\n")
        } else {
            edit.content.clone()
        };
        result.push_str(&content);
        made.push(Edit {
            range: edit.range.clone(),
            content,
        });
        at = edit.range.end;
    }
    result.push_str(&text[at..]);
    (result, made, count)
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

    /// A linter of findings `lint` and syntax errors `syntax`.
    fn linter(
        lint: impl Fn(&str) -> Vec<Diagnostic>,
        syntax: impl Fn(&str) -> usize,
    ) -> impl Fn(&str) -> Linted {
        move |t: &str| Linted {
            syntax_errors: syntax(t),
            findings: lint(t),
        }
    }

    #[test]
    fn a_fix_that_breaks_the_text_is_dropped_and_the_others_kept() {
        let out = fix("bad !bad bad", Mode::Safe, linter(toy, unbalanced));
        assert_eq!(out.text, "good !bad good");
        assert_eq!(out.applied, 2);
        assert_eq!(out.unparseable().count(), 1);
        assert_eq!(out.remaining.len(), 1);
    }

    /// Two fixes each fine alone: `a` becomes `A`, `b` becomes `B`, but a
    /// text with both `A` and `B` has an error `clash` (at the `B`).
    fn pair(text: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (from, to) in [("a", "A"), ("b", "B")] {
            if let Some(i) = text.find(from) {
                let mut d = Diagnostic::new(i..i + 1, from);
                d.rule = if from == "a" { "low" } else { "high" };
                if from == "b" {
                    d.severity = Severity::Error;
                }
                out.push(d.fix(replace(i..i + 1, to, FixSafety::Safe)));
            }
        }
        if let (Some(_), Some(i)) = (text.find('A'), text.find('B')) {
            let mut d = Diagnostic::new(i..i + 1, "clash");
            d.rule = "clash";
            d.severity = Severity::Error;
            out.push(d);
        }
        out
    }

    #[test]
    fn fixes_fine_alone_but_not_together_keep_the_most_severe_finding_s() {
        let out = fix("a\nb", Mode::Safe, linter(pair, |_| 0));
        assert_eq!(out.text, "a\nB");
        assert_eq!(out.applied, 1);
        assert_eq!(
            out.withdrawn,
            vec![Withdrawn {
                rule: "low",
                title: "put A".into(),
                why: Why::Leaves {
                    rule: "clash",
                    severity: Severity::Error,
                }
            }]
        );
        // The finding stays, its fix now a suggestion that says why.
        let fix = out.remaining[0].fix.as_ref().unwrap();
        assert_eq!(fix.safety, FixSafety::DisplayOnly);
        assert_eq!(
            fix.title,
            "put A — not applied: the result would have a new `clash` error"
        );
    }

    #[test]
    fn an_editor_s_fixes_are_judged_each_on_its_own() {
        // Alone, each is fine; once `B` is there, `a`'s fix is not.
        let lint = linter(pair, |_| 0);
        let mut diags = pair("a\nb");
        judge_each("a\nb", &mut diags, Mode::Safe, 0, &lint, 20);
        assert!(
            diags
                .iter()
                .all(|d| d.fix.as_ref().unwrap().safety == FixSafety::Safe)
        );
        let mut diags = pair("a\nB");
        judge_each("a\nB", &mut diags, Mode::Safe, 0, &lint, 20);
        let low = diags.iter().find(|d| d.rule == "low").unwrap();
        assert_eq!(low.fix.as_ref().unwrap().safety, FixSafety::DisplayOnly);
    }

    #[test]
    fn offsets_map_back_through_the_edits() {
        let edits = [
            Edit {
                range: 2..2,
                content: "xyz".into(),
            },
            Edit {
                range: 5..8,
                content: "q".into(),
            },
        ];
        // "ab" + "xyz" + "cde" + "q" + rest
        assert_eq!(back(&edits, 1), 1);
        assert_eq!(back(&edits, 3), 2);
        assert_eq!(back(&edits, 5), 2);
        assert_eq!(back(&edits, 6), 3);
        assert_eq!(back(&edits, 8), 5);
        assert_eq!(back(&edits, 9), 8);
        assert_eq!(back(&edits, 10), 9);
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
        assert_eq!(fix("xa", Mode::Safe, linter(lint, |_| 0)).text, "xa");
        let out = fix("xa", Mode::Unsafe, linter(lint, |_| 0));
        assert_eq!((out.text.as_str(), out.applied), ("xb", 1));
        assert!(out.remaining.is_empty());
    }

    #[test]
    fn a_fix_that_never_settles_stops_after_the_last_pass() {
        // Each pass makes another finding.
        let lint =
            |_: &str| vec![Diagnostic::new(0..0, "grow").fix(replace(0..0, "+", FixSafety::Safe))];
        let out = fix("", Mode::Safe, linter(lint, |_| 0));
        assert_eq!(out.text, "+".repeat(MAX_PASSES));
        assert!(out.unfinished);
    }
}
