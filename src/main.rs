fn main() {
    let code = match querylint::cli::main() {
        querylint::cli::Run::Done(code) => code,
        querylint::cli::Run::Server => querylint::server::run(),
    };
    std::process::exit(code);
}
