// syn and sqlparser allocate a node per token; mimalloc serves those small,
// short-lived allocations faster than the system allocator, on every thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, which
/// `libmimalloc-sys` does not name): how long freed memory stays with the
/// process before it is given back to the system, in milliseconds; -1 is
/// never. A run of `check` lives a second or less: memory given back is
/// soon asked for again, and the system zeroes it anew each time.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's default delay, for the language server, which lives long.
const DEFAULT_PURGE_DELAY: std::ffi::c_long = 10;

fn main() {
    // SAFETY: sets one of mimalloc's options, which it reads on each purge.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
    let code = match querylint::cli::main() {
        querylint::cli::Run::Done(code) => code,
        querylint::cli::Run::Server => {
            // SAFETY: as above.
            unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, DEFAULT_PURGE_DELAY) };
            querylint::server::run()
        }
    };
    std::process::exit(code);
}
