//! Positions for the one TOML error that comes without one: the `toml` parser refuses a dotted
//! key of [`KEY_PARTS_LIMIT`] parts or more ("recursion limit") without saying where it is, so
//! the config loader finds that key with the parser's own event stream and names its line.

use toml_parser::decoder::Encoding;
use toml_parser::parser::{parse_document, EventReceiver, RecursionGuard};
use toml_parser::{ErrorSink, Source, Span};

/// The fewest parts of a dotted key that `toml` refuses (its `LIMIT` of 80 counts the parts
/// before the last).
pub const KEY_PARTS_LIMIT: usize = 81;

/// How deep arrays and inline tables are followed, as `toml` follows them.
const NESTING_LIMIT: u32 = 80;

/// A dotted key too long to be read: its 1-based line and how many parts it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverlongKey {
    pub line: usize,
    pub parts: usize,
}

impl std::fmt::Display for OverlongKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: a dotted key of {} parts is too long to read (at most {})",
            self.line,
            self.parts,
            KEY_PARTS_LIMIT - 1
        )
    }
}

/// What `toml` said was wrong with `text`, with a line always named: its own message, or,
/// for the error it gives without a position, the key too long to read.
pub fn describe(error: &toml::de::Error, text: &str) -> String {
    match error.span() {
        Some(_) => error.to_string(),
        None => overlong_key(text).map_or_else(|| error.to_string(), |key| key.to_string()),
    }
}

/// The first dotted key in `text` with [`KEY_PARTS_LIMIT`] parts or more, if any.
pub fn overlong_key(text: &str) -> Option<OverlongKey> {
    let source = Source::new(text);
    let tokens: Vec<_> = source.lex().collect();
    let mut keys = Keys::default();
    // Nesting deeper than `toml` reads is not descended into (the parser recurses), and syntax
    // errors are the `toml` parser's to report, with their positions.
    let mut guarded = RecursionGuard::new(&mut keys, NESTING_LIMIT);
    parse_document(&tokens, &mut guarded, &mut ());
    keys.close();
    let (start, parts) = keys.found?;
    let line = 1 + text.as_bytes()[..start.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    Some(OverlongKey { line, parts })
}

/// Counts the parts of each key as the parser meets them (`a.b.c` is three simple keys with
/// two separators between them, whitespace allowed around the dots).
#[derive(Default)]
struct Keys {
    /// Parts of the key being read, and where it starts.
    parts: usize,
    start: usize,
    /// The first key found at or over the limit: where it starts and its parts.
    found: Option<(usize, usize)>,
}

impl Keys {
    /// Anything but a key part, a dot or whitespace ends the key being read.
    fn close(&mut self) {
        if self.parts >= KEY_PARTS_LIMIT && self.found.is_none() {
            self.found = Some((self.start, self.parts));
        }
        self.parts = 0;
    }
}

impl EventReceiver for Keys {
    fn simple_key(&mut self, span: Span, _kind: Option<Encoding>, _: &mut dyn ErrorSink) {
        if self.parts == 0 {
            self.start = span.start();
        }
        self.parts += 1;
    }
    fn key_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {}
    fn whitespace(&mut self, _: Span, _: &mut dyn ErrorSink) {}
    fn std_table_open(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn std_table_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn array_table_open(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn array_table_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn inline_table_open(&mut self, _: Span, _: &mut dyn ErrorSink) -> bool {
        self.close();
        true
    }
    fn inline_table_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn array_open(&mut self, _: Span, _: &mut dyn ErrorSink) -> bool {
        self.close();
        true
    }
    fn array_close(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn key_val_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn scalar(&mut self, _: Span, _kind: Option<Encoding>, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn value_sep(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn comment(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn newline(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
    fn error(&mut self, _: Span, _: &mut dyn ErrorSink) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dotted(parts: usize) -> String {
        (0..parts)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    #[test]
    fn the_first_key_too_long_to_read_is_found_by_its_line() {
        let limit = KEY_PARTS_LIMIT;
        // (text, what is found)
        let table = [
            (format!("{} = 1\n", dotted(limit - 1)), None),
            (format!("a = 1\n{} = 1\n", dotted(limit)), Some((2, limit))),
            (
                format!("# c\n\n[{}]\n", dotted(limit + 5)),
                Some((3, limit + 5)),
            ),
            (format!("[[{}]]\n", dotted(limit)), Some((1, limit))),
            (
                format!("x = {{ {} = 1 }}\n", dotted(limit)),
                Some((1, limit)),
            ),
            (
                format!(
                    "a = 1\n{} = 2\n{} = 3\n",
                    dotted(limit + 1),
                    dotted(limit + 9)
                ),
                Some((2, limit + 1)),
            ),
            // Whitespace and quoted parts are still parts of one key.
            (
                format!("\"q.q\" . {} = 1\n", dotted(limit - 1).replace('.', " . ")),
                Some((1, limit)),
            ),
            // Dots in values are not keys.
            (format!("a = \"{}\"\nb = 1.5\n", dotted(200)), None),
            ("not [ toml".to_owned(), None),
            // Nesting deeper than `toml` reads is not followed (no stack overflow).
            (
                format!("x = {}1{}", "[".repeat(100_000), "]".repeat(100_000)),
                None,
            ),
        ];
        for (text, expected) in table {
            let found = overlong_key(&text).map(|k| (k.line, k.parts));
            assert_eq!(found, expected, "{text:?}");
        }
    }

    #[test]
    fn what_toml_refuses_without_a_position_is_what_is_found() {
        for parts in [KEY_PARTS_LIMIT - 1, KEY_PARTS_LIMIT, KEY_PARTS_LIMIT + 1] {
            let text = format!("a = 1\n{} = 1\n", dotted(parts));
            let refused = toml::from_str::<toml::Table>(&text).err();
            let unplaced = refused.as_ref().is_some_and(|e| e.span().is_none());
            assert_eq!(unplaced, overlong_key(&text).is_some(), "{parts} parts");
        }
    }

    #[test]
    fn the_config_loader_names_the_line_of_a_key_too_long_to_read() {
        use crate::config::{Config, Mode};
        let text = format!("[portal]\n{} = 1\n", dotted(KEY_PARTS_LIMIT + 1));
        let err = Config::from_toml(&text, "deep.toml", Mode::Live)
            .unwrap_err()
            .to_string();
        let expected = format!(
            "config file deep.toml is not valid: line 2: a dotted key of {} parts",
            KEY_PARTS_LIMIT + 1
        );
        assert!(err.contains(&expected), "{err}");
    }
}
