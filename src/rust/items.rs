//! What a loop's item reaches: the names its pattern binds (`for (id,
//! cents) in prices`, `.map(|p| ...)`) and the locals made from them
//! (`let next = p.cents * 2`). A write whose values come from the item
//! writes a row of its own each turn, which the rule about queries in
//! loops does not count as one query a batch would replace; a create whose
//! row the turn goes on to use is the same.

use std::ops::Range;

use syn::Expr;

use super::Scan;
use super::values::bound_names;

impl Scan<'_> {
    /// Starts reading a loop whose head begins at `head`, with the names
    /// its item binds.
    pub(super) fn enter_items(&mut self, head: usize, names: Vec<String>) {
        self.items.push((head, names));
    }

    pub(super) fn leave_items(&mut self) {
        self.items.pop();
    }

    /// The names the closures among `args` bind, for a loop method
    /// (`ids.iter().map(|id| ...)`).
    pub(super) fn closure_items<'e>(args: impl Iterator<Item = &'e Expr>) -> Vec<String> {
        let mut names = Vec::new();
        for arg in args {
            if let Expr::Closure(c) = arg {
                for input in &c.inputs {
                    bound_names(input, &mut names);
                }
            }
        }
        names
    }

    /// A `let` in a loop whose value is made from the item makes more
    /// names of it.
    /// In a loop over chunks of a list, every local a turn makes is made
    /// for its chunk (a list of placeholders, the values to bind).
    pub(super) fn derive_items(&mut self, pat: &syn::Pat, expr: &Expr) {
        let text = &self.text[self.at(expr)];
        if !self.mentions_item(text) && !self.in_chunks() {
            return;
        }
        let mut names = Vec::new();
        bound_names(pat, &mut names);
        if let Some((_, frame)) = self.items.last_mut() {
            frame.extend(names);
        }
    }

    /// A `let` that names the result of a query made in its value keeps
    /// the row it returns (`let id = insert_into(..)..get_result(conn)?`):
    /// the turn goes on to use it. `calls` is how many calls were known
    /// before the value was read.
    pub(super) fn keep_rows(
        &mut self,
        pat: &syn::Pat,
        expr: &Expr,
        (calls, looped): (usize, usize),
    ) {
        let mut names = Vec::new();
        bound_names(pat, &mut names);
        if names.iter().all(|n| n.starts_with('_')) {
            return;
        }
        // A call of a project function whose result is kept: if that
        // function's query creates a row, the turn uses it (decided with
        // the crate's functions, see `RustFacts::scan`).
        let mut core = expr;
        loop {
            match core {
                Expr::Await(a) => core = &a.base,
                Expr::Try(t) => core = &t.expr,
                Expr::Paren(p) => core = &p.expr,
                _ => break,
            }
        }
        let named = match core {
            Expr::MethodCall(m) => Some(self.at(&m.method)),
            Expr::Call(c) => Some(self.at(&c.func)),
            _ => None,
        };
        if let Some(named) = named {
            for call in &mut self.looped_calls[looped..] {
                if call.range == named {
                    call.kept = true;
                }
            }
        }
        let start = self.at(expr).start;
        for call in &mut self.calls[calls..] {
            if call.range.start == start && call.method != "execute" {
                call.kept = true;
                // SQL text's `INSERT ... RETURNING`: the row written is
                // the item's, and the turn goes on to use it.
                if call.orm == crate::model::Orm::Sql && self.inserts.contains(&start) {
                    call.keeps_created();
                }
            }
        }
    }

    /// The values a chain binds to its query's placeholders, in order
    /// (`query(..).bind(a).bind(b)`), read from the outermost call in.
    pub(super) fn bound_values(&self, mut chain: &Expr) -> Vec<String> {
        let mut binds = Vec::new();
        loop {
            match chain {
                Expr::MethodCall(m) => {
                    if m.method == "bind"
                        && let Some(arg) = m.args.first()
                    {
                        binds.push(self.text[self.at(arg)].to_owned());
                    }
                    chain = &m.receiver;
                }
                Expr::Await(a) => chain = &a.base,
                Expr::Paren(p) => chain = &p.expr,
                Expr::Try(t) => chain = &t.expr,
                _ => break,
            }
        }
        binds.reverse();
        binds
    }

    /// Whether the code being read is in a loop over chunks of a list.
    pub(super) fn in_chunks(&self) -> bool {
        self.current_head()
            .is_some_and(|head| self.chunked.contains(&head))
    }

    /// Marks the query just recorded as writing values of the item.
    pub(super) fn writes_from_item(&mut self) {
        if let Some(each) = self.calls.last_mut().and_then(|c| c.in_loop.as_mut()) {
            each.writes_per_item = true;
        }
    }

    /// Whether `text` names the item of the loop the code being read is
    /// in (the innermost one that counts items), or a local made from it.
    pub(super) fn mentions_item(&self, text: &str) -> bool {
        let Some(head) = self.current_head() else {
            return false;
        };
        let Some((_, names)) = self.items.iter().rev().find(|(h, _)| *h == head) else {
            return false;
        };
        words(text).any(|w| names.iter().any(|n| n == w && n != "_"))
    }

    /// Whether the SQL of an `UPDATE` takes a value of its `SET` list from
    /// the item: a placeholder there whose bound value (`binds`, in the
    /// order of the placeholders) names it.
    pub(super) fn sets_from_item(&self, sql: &str, binds: &[String]) -> bool {
        let Some(set) = set_list(sql) else {
            return false;
        };
        let before = &sql[..set.start];
        let mut question = before.matches('?').count();
        let list = &sql[set];
        let bytes = list.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'$' => {
                    let digits = list[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
                    if let Ok(n) = list[i + 1..i + 1 + digits].parse::<usize>()
                        && n >= 1
                        && binds.get(n - 1).is_some_and(|b| self.mentions_item(b))
                    {
                        return true;
                    }
                    i += 1 + digits;
                }
                b'?' => {
                    if binds.get(question).is_some_and(|b| self.mentions_item(b)) {
                        return true;
                    }
                    question += 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        false
    }
}

/// The byte range of an `UPDATE`'s `SET` list: from after `SET` to
/// `WHERE`, `FROM` or `RETURNING` (or the end).
fn set_list(sql: &str) -> Option<Range<usize>> {
    let lower = sql.to_ascii_lowercase();
    let word_at = |w: &str, from: usize| -> Option<usize> {
        let mut at = from;
        while let Some(found) = lower[at..].find(w) {
            let start = at + found;
            let end = start + w.len();
            let boundary = |i: usize| {
                lower
                    .as_bytes()
                    .get(i)
                    .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            };
            if (start == 0 || boundary(start - 1)) && boundary(end) {
                return Some(start);
            }
            at = end;
        }
        None
    };
    let update = word_at("update", 0)?;
    let start = word_at("set", update)? + 3;
    let end = ["where", "from", "returning"]
        .iter()
        .filter_map(|w| word_at(w, start))
        .min()
        .unwrap_or(sql.len());
    Some(start..end)
}

/// The identifiers in `text`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::set_list;

    #[test]
    fn the_set_list_ends_at_where_from_or_returning() {
        let sql = "UPDATE t SET a = $1, b = now() WHERE id = $2";
        assert_eq!(&sql[set_list(sql).unwrap()], " a = $1, b = now() ");
        let sql = "update t set a = s.a from s where t.id = s.id";
        assert_eq!(&sql[set_list(sql).unwrap()], " a = s.a ");
        assert_eq!(set_list("SELECT settings FROM t"), None);
        let sql = "UPDATE t SET reset_at = now()";
        assert_eq!(&sql[set_list(sql).unwrap()], " reset_at = now()");
    }
}
