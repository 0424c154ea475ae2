//! A node's child by field name, with the field's id looked up once.
//!
//! tree-sitter's `child_by_field_name` compares the name with the
//! grammar's field names, one after another, on every call; the walks ask
//! for fields of nearly every node, so that search was a tenth of a scan.
//! [`Fields::field`] remembers each name's id per grammar (TypeScript and
//! TSX number their fields differently) and asks by id.

use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroU16;

use tree_sitter::Node;

pub(super) trait Fields<'t> {
    /// The child in field `name`, as `child_by_field_name` gives it.
    fn field(&self, name: &'static str) -> Option<Node<'t>>;
}

impl<'t> Fields<'t> for Node<'t> {
    #[inline]
    fn field(&self, name: &'static str) -> Option<Node<'t>> {
        self.child_by_field_id(field_id(self, name)?.get())
    }
}

/// The id of field `name` in the grammar of `node`. A grammar is told
/// apart by its number of node kinds: the two grammars a scan reads differ
/// in it, and asking costs no string comparison.
fn field_id(node: &Node<'_>, name: &'static str) -> Option<NonZeroU16> {
    thread_local! {
        static IDS: RefCell<HashMap<(usize, &'static str), Option<NonZeroU16>>> =
            RefCell::new(HashMap::new());
    }
    let language = node.language();
    let grammar = language.node_kind_count();
    IDS.with(|ids| {
        *ids.borrow_mut()
            .entry((grammar, name))
            .or_insert_with(|| language.field_id_for_name(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_the_same_children_as_by_name_in_both_grammars() {
        let text = "const load = async (id: number) => db.user.find(id);";
        for tsx in [false, true] {
            let kind = if tsx {
                crate::discover::FileKind::Tsx
            } else {
                crate::discover::FileKind::TypeScript
            };
            let tree = super::super::parse(text, kind).unwrap();
            let mut stack = vec![tree.root_node()];
            let mut asked = 0;
            while let Some(node) = stack.pop() {
                for name in ["name", "value", "body", "function", "arguments", "object"] {
                    assert_eq!(node.field(name), node.child_by_field_name(name));
                    asked += usize::from(node.field(name).is_some());
                }
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            assert!(asked >= 6, "{asked}");
        }
    }
}
