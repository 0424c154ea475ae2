fn main() {
    std::process::exit(querylint::cli::main());
}
