//! A set of Rust names (functions of the project) and a search for them in
//! a text by reading its words.
//!
//! The workspace asks of every file whether it names one of its crate's
//! query functions, a function whose parameters are pasted into SQL, or
//! a wrapper. There may be thousands of such names; a multi-pattern
//! automaton over them reads each byte slowly, and its prefilter finds
//! little to skip in code, where every name is made of common letters.
//! Reading the text's words and looking each up is faster, and a call
//! always names its function as a whole word.

use std::collections::HashSet;

/// Names looked up as whole words of a text.
pub struct Names {
    set: HashSet<Box<[u8]>, foldhash::fast::RandomState>,
    /// The lengths of the names (bit 63: 63 or longer), and their first
    /// two bytes (a name of one byte: that byte and 0), as bits: most
    /// words fail one of these before they are hashed.
    lengths: u64,
    pairs: Box<[u64; 1024]>,
}

/// The bytes of Rust identifiers. Bytes of non-ASCII characters count,
/// so such a name is read as one word.
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        b += 1;
    }
    t
};

fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

fn pair(word: &[u8]) -> usize {
    (word[0] as usize) << 8 | word.get(1).copied().unwrap_or(0) as usize
}

impl Names {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Names {
        let mut set = HashSet::with_hasher(foldhash::fast::RandomState::default());
        let mut pairs = Box::new([0u64; 1024]);
        let mut lengths = 0;
        for name in names.into_iter().filter(|n| !n.is_empty()) {
            let bytes = name.as_bytes();
            let p = pair(bytes);
            pairs[p / 64] |= 1 << (p % 64);
            lengths |= length_bit(bytes.len());
            set.insert(Box::from(bytes));
        }
        Names {
            set,
            lengths,
            pairs,
        }
    }

    /// Whether `name` is one of the names.
    pub fn contains(&self, name: &str) -> bool {
        self.set.contains(name.as_bytes())
    }

    /// Whether `text` holds one of the names as a whole word (in code,
    /// a comment or a string alike).
    pub fn is_match(&self, text: &str) -> bool {
        self.found(text).next().is_some()
    }

    /// The words of `text` that are names, with where they start.
    pub fn found<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, &'t str)> + 't {
        let bytes = text.as_bytes();
        let mut i = 0;
        std::iter::from_fn(move || {
            while i < bytes.len() {
                while i < bytes.len() && !WORD[bytes[i] as usize] {
                    i += 1;
                }
                let start = i;
                while i < bytes.len() && WORD[bytes[i] as usize] {
                    i += 1;
                }
                if start == i {
                    break;
                }
                let word = &bytes[start..i];
                let p = pair(word);
                if self.lengths & length_bit(word.len()) != 0
                    && self.pairs[p / 64] & (1 << (p % 64)) != 0
                    && self.set.contains(word)
                {
                    // Words end at ASCII bytes or the text's end, so this
                    // is a whole character sequence.
                    return Some((start, &text[start..i]));
                }
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Names;

    #[test]
    fn a_name_is_found_only_as_a_whole_word() {
        let names = Names::new(["list_users", "résumé_of"]);
        assert!(names.is_match("let rows = store.list_users(&pool).await?;"));
        assert!(names.is_match("crate::db::list_users(p)"));
        assert!(names.is_match("x = résumé_of(y)"));
        // A longer name holding it, or one it holds, is another function.
        assert!(!names.is_match("store.list_users_by_team(&pool)"));
        assert!(!names.is_match("fn relist_users() {}"));
        assert!(!names.is_match("list_user(p)"));
        assert!(!Names::new([]).is_match("list_users"));
        let found: Vec<(usize, &str)> = names.found("a(list_users, résumé_of)").collect();
        assert_eq!(found, [(2, "list_users"), (14, "résumé_of")]);
    }
}
