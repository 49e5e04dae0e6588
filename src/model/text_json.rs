//! JSON for output that may reach a terminal or a log shipper: serde_json escapes `"`, `\`
//! and C0 controls, but writes DEL, the C1 controls (U+0080–U+009F, among them U+009B, a
//! one-byte CSI) and the bidirectional controls as themselves; here every one of them is
//! written as `\uXXXX`. The text means the same to any JSON parser.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use super::text::is_unsafe;

/// `value` as compact JSON with every control and bidirectional character escaped.
pub fn to_safe_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Escaping(CompactFormatter));
    value.serialize(&mut ser)?;
    // Valid UTF-8: serde_json writes only UTF-8 and the escapes are ASCII.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A formatter that escapes what serde_json leaves as is (see the module).
struct Escaping(CompactFormatter);

impl Formatter for Escaping {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                // Every such character is in the Basic Multilingual Plane: one \\u escape.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_and_bidi_character_is_escaped_and_the_text_reads_back() {
        let hostile = "a\u{1b}]52;c;x\u{7}b\u{7f}c\u{9b}31md\u{202e}e\u{2066}f\u{85}g\r\n\"\\ Zoë 👩‍💻 e\u{301}";
        let json = to_safe_json(&serde_json::json!({ "name": hostile })).unwrap();
        assert!(json.chars().all(|c| !is_unsafe(c)), "{json:?}");
        for escaped in [
            "\\u001b", "\\u0007", "\\u007f", "\\u009b", "\\u202e", "\\u2066", "\\u0085",
        ] {
            assert!(json.contains(escaped), "{escaped} missing in {json}");
        }
        assert!(json.contains("Zoë 👩‍💻 e\u{301}"), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["name"], hostile);
    }

    proptest::proptest! {
        #[test]
        fn any_string_round_trips_with_no_unsafe_character(s in "\\PC*|[\\x00-\\x7f\\u{80}-\\u{9f}\\u{2000}-\\u{206f}]{0,40}") {
            let json = to_safe_json(&s).unwrap();
            proptest::prop_assert!(json.chars().all(|c| !is_unsafe(c)));
            proptest::prop_assert_eq!(serde_json::from_str::<String>(&json).unwrap(), s);
        }
    }
}
