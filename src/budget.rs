//! A time budget per file, so that one pathological file cannot hang a
//! run: the CLI lints each file [`within`] the budget, and the long loops
//! (statements, SQL units, parser progress, fix passes) stop once
//! [`expired`] says so. The file is then reported as skipped.
//!
//! The deadline is thread-local: a file is linted on one thread.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static EXPIRED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with a deadline `limit` from now: `Err(limit)` if it ran out,
/// in which case what `f` returned is incomplete and dropped.
pub fn within<T>(limit: Duration, f: impl FnOnce() -> T) -> Result<T, Duration> {
    match run_within(limit, f) {
        (result, false) => Ok(result),
        (_, true) => Err(limit),
    }
}

/// [`within`], for work that checks [`expired`] itself before anything it
/// cannot take back: what `f` returned, and whether the budget ran out.
pub fn run_within<T>(limit: Duration, f: impl FnOnce() -> T) -> (T, bool) {
    let outer = DEADLINE.with(|d| d.replace(Instant::now().checked_add(limit)));
    let outer_expired = EXPIRED.with(|e| e.replace(false));
    let result = f();
    DEADLINE.with(|d| d.set(outer));
    let ran_out = EXPIRED.with(|e| e.replace(outer_expired));
    (result, ran_out)
}

/// Whether the current file's budget is spent. Work that sees `true` stops
/// early; the caller of [`within`] then drops its result.
pub fn expired() -> bool {
    let over = DEADLINE.with(|d| d.get().is_some_and(|t| Instant::now() >= t));
    if over {
        EXPIRED.with(|e| e.set(true));
    }
    over
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_past_the_deadline_is_reported_and_outside_any_budget_nothing_expires() {
        assert!(!expired());
        assert_eq!(within(Duration::ZERO, expired), Err(Duration::ZERO));
        assert_eq!(within(Duration::from_secs(3600), expired), Ok(false));
        // A budget that ran out inside another does not spend the outer one.
        let outer = within(Duration::from_secs(3600), || {
            let inner = within(Duration::ZERO, expired);
            (inner.is_err(), expired())
        });
        assert_eq!(outer, Ok((true, false)));
        assert!(!expired());
    }
}
