fn dump(node: tree_sitter::Node, src: &str, depth: usize) {
    let text = &src[node.byte_range()];
    let short: String = text.chars().take(50).collect::<String>().replace('\n', " ");
    println!(
        "{}{}{} [{}..{}] {:?}",
        "  ".repeat(depth),
        if node.is_error() { "ERROR:" } else { "" },
        node.kind(),
        node.start_byte(),
        node.end_byte(),
        short
    );
    let mut c = node.walk();
    for ch in node.named_children(&mut c) {
        dump(ch, src, depth + 1);
    }
}
fn main() {
    let src = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into())
        .unwrap();
    let t = p.parse(&src, None).unwrap();
    dump(t.root_node(), &src, 0);
}
