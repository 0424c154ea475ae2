//! Documents as an editor sees them: LSP positions count UTF-16 code units
//! on a line; querylint's ranges are byte offsets.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

use crate::source::{LineIndex, floor_char_boundary};

/// A text indexed by line, to turn offsets into positions and back.
pub struct Lines<'t> {
    text: &'t str,
    index: LineIndex,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Self {
        // LSP lines end at `\n`, `\r\n` or `\r`, as `LineIndex`'s do.
        Lines {
            text,
            index: LineIndex::new(text),
        }
    }

    /// The position of a byte offset (clamped into the text, and back to a
    /// character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset);
        let (line, start) = self.index.line_start(offset);
        let character: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, range: &std::ops::Range<usize>) -> Range {
        Range::new(self.position(range.start), self.position(range.end))
    }

    /// The byte offset of a position. A line past the end is the end of
    /// the text; a character past the end of its line is the line's end.
    pub fn offset(&self, position: Position) -> usize {
        let Some(line) = self.index.line_range(self.text, position.line as usize + 1) else {
            return self.text.len();
        };
        let mut units = 0;
        for (i, c) in self.text[line.clone()].char_indices() {
            if units >= position.character as usize {
                return line.start + i;
            }
            units += c.len_utf16();
        }
        line.end
    }
}

/// Applies an editor's changes to a document, in order: a change with a
/// range replaces that range, one without replaces the whole text.
pub fn apply_changes(text: &mut String, changes: Vec<TextDocumentContentChangeEvent>) {
    for change in changes {
        match change.range {
            Some(range) => {
                let lines = Lines::new(text);
                let start = lines.offset(range.start);
                let end = lines.offset(range.end).max(start);
                text.replace_range(start..end, &change.text);
            }
            None => *text = change.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        // `é` is one unit, `😀` two, in 2 and 4 bytes.
        let text = "ab\r\né😀x\ny";
        let lines = Lines::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(lines.position(x), Position::new(1, 3));
        assert_eq!(lines.offset(Position::new(1, 3)), x);
        assert_eq!(lines.position(text.len()), Position::new(2, 1));
        // Past the end of a line: the line's end; past the last line: the end.
        assert_eq!(lines.offset(Position::new(0, 99)), 2);
        assert_eq!(lines.offset(Position::new(9, 0)), text.len());
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut text = "SELECT 1;\nSELECT 😀;\n".to_owned();
        apply_changes(
            &mut text,
            vec![
                TextDocumentContentChangeEvent {
                    range: Some(Range::new(Position::new(1, 7), Position::new(1, 9))),
                    range_length: None,
                    text: "2".to_owned(),
                },
                TextDocumentContentChangeEvent {
                    range: Some(Range::new(Position::new(0, 0), Position::new(0, 0))),
                    range_length: None,
                    text: "-- x\n".to_owned(),
                },
            ],
        );
        assert_eq!(text, "-- x\nSELECT 1;\nSELECT 2;\n");
    }
}
