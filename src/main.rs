// syn and sqlparser allocate a node per token; mimalloc serves those small,
// short-lived allocations faster than the system allocator, on every thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = match querylint::cli::main() {
        querylint::cli::Run::Done(code) => code,
        querylint::cli::Run::Server => querylint::server::run(),
    };
    std::process::exit(code);
}
