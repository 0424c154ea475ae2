//! Host files and positions in them.
//!
//! Every span querylint reports is a byte range in the host file. This module
//! turns byte offsets into the 1-based line and column pairs that reports show.

use std::ops::Range;

/// A 1-based line and column. Columns count Unicode scalar values, so a
/// column is what a reader counts on screen for most text, independent of
/// how many bytes a character takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of a text. Lines end at `\n`, at `\r\n`, or
/// at a lone `\r`, as in the editors that show the file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// The line and column of a byte offset. An offset inside a character or
    /// past the end is clamped to the nearest valid position before it.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(text, offset);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = text[start..offset].chars().count() + 1;
        LineCol {
            line: line + 1,
            column,
        }
    }

    /// The 0-based line of a byte offset, and the offset where it starts.
    pub fn line_start(&self, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        (line, self.starts[line])
    }

    /// The byte range of a 1-based line, without its line ending.
    pub fn line_range(&self, text: &str, line: usize) -> Option<Range<usize>> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let mut end = self.starts.get(line).copied().unwrap_or(text.len());
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        Some(start..end)
    }
}

/// Resolves many offsets of one text, reusing the last answer: offsets near
/// the previous one on the same line cost only the distance between them,
/// so a file that is one long line does not make every lookup scan it.
pub struct Locator<'a> {
    text: &'a str,
    index: LineIndex,
    last: Option<(usize, LineCol)>,
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator {
            text,
            index: LineIndex::new(text),
            last: None,
        }
    }

    pub fn line_col(&mut self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(self.text, offset);
        let line = self.index.starts.partition_point(|&s| s <= offset);
        let pos = match self.last {
            Some((at, prev)) if prev.line == line && at <= offset => LineCol {
                line,
                column: prev.column + self.text[at..offset].chars().count(),
            },
            Some((at, prev)) if prev.line == line => LineCol {
                line,
                column: prev.column - self.text[offset..at].chars().count(),
            },
            _ => self.index.line_col(self.text, offset),
        };
        self.last = Some((offset, pos));
        pos
    }
}

/// The largest char boundary at or before `offset`, clamped to the text.
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_all_line_endings() {
        let text = "ab\r\nçé x\rz\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(idx.line_col(text, x), LineCol { line: 2, column: 4 });
        let z = text.find('z').unwrap();
        assert_eq!(idx.line_col(text, z), LineCol { line: 3, column: 1 });
        assert_eq!(idx.line_range(text, 2), Some(4..x + 1));
        // An offset inside `ç` is clamped to its start.
        assert_eq!(idx.line_col(text, 5), LineCol { line: 2, column: 1 });
    }

    #[test]
    fn the_locator_agrees_with_the_index_in_any_order() {
        let text = "ab\r\nçé xy😀z\rq\n";
        let idx = LineIndex::new(text);
        let mut loc = Locator::new(text);
        for offset in [9, 4, 14, 6, 0, 20, 17, 8, 3, 21, 99] {
            assert_eq!(
                loc.line_col(offset),
                idx.line_col(text, offset),
                "at {offset}"
            );
        }
    }
}

/// Why a file's bytes cannot be linted as text.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err("looks like a binary file (it contains NUL bytes), skipped".to_owned());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "is not valid UTF-8 (invalid byte at offset {}), skipped",
            e.utf8_error().valid_up_to()
        )
    })
}
