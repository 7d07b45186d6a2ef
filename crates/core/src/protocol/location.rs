//! Problems found in a protocol file, located by line and column.
//!
//! Byte spans come from the TOML parser; people read lines and columns, so every problem is
//! converted once, here, against the text it was found in.

use std::ops::Range;

/// One problem in a protocol file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line; 0 when the problem concerns the file as a whole.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        }
    }
}

/// Every problem found in a protocol, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem(s) in the protocol: {}", .problems.len(), first(.problems))]
pub struct ProtocolError {
    pub problems: Vec<Problem>,
}

fn first(problems: &[Problem]) -> String {
    problems.first().map(ToString::to_string).unwrap_or_default()
}

/// Collects problems while a protocol is built.
pub(crate) struct Problems<'t> {
    text: &'t str,
    list: Vec<Problem>,
}

impl<'t> Problems<'t> {
    pub fn new(text: &'t str) -> Self {
        Self { text, list: Vec::new() }
    }

    /// Records a problem at a byte span of the text.
    pub fn at(&mut self, span: &Range<usize>, message: impl Into<String>) {
        let (line, column) = line_column(self.text, span.start);
        self.list.push(Problem { line, column, message: message.into() });
    }

    /// Records a problem with the file as a whole.
    pub fn whole(&mut self, message: impl Into<String>) {
        self.list.push(Problem { line: 0, column: 0, message: message.into() });
    }

    pub fn text(&self) -> &'t str {
        self.text
    }

    pub fn finish(mut self) -> Result<(), ProtocolError> {
        if self.list.is_empty() {
            Ok(())
        } else {
            self.list.sort_by_key(|p| (p.line, p.column));
            Err(ProtocolError { problems: self.list })
        }
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 6), (2, 1));
        assert_eq!(line_column(t, 9), (2, 4));
    }
}
