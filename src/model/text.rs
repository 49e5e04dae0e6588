//! Text that came from a directory or an instance is data: before it reaches a terminal, control
//! characters (ANSI escapes, carriage returns, bells) are made visible instead of obeyed.

/// Replaces control characters (other than a plain space) with visible escapes, so that a
/// value like `"\x1b[2J"` cannot clear or restyle the admin's terminal.
pub fn sanitize_for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Like [`sanitize_for_terminal`] but keeps line breaks, for multi-line messages we composed
/// around foreign values.
pub fn sanitize_multiline(text: &str) -> String {
    text.split('\n')
        .map(sanitize_for_terminal)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Bidirectional embeddings, overrides, isolates and marks can make a terminal show text in a
/// different order than it is (U+202A–E, U+2066–9, LRM/RLM, the Arabic letter mark); the line
/// and paragraph separators break lines where nothing shows a break.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}' | '\u{2029}'
    )
}

/// Whether a character must never reach a terminal as itself: C0 and C1 controls, DEL, and
/// the bidirectional controls of [`is_bidi_control`].
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_keeps_unicode() {
        let cases = [
            ("plain text", "plain text"),
            ("Zoë Ångström", "Zoë Ångström"),
            ("\x1b[2Jboom", "\\u{1b}[2Jboom"),
            ("a\rb\nc\td", "a\\rb\\nc\\td"),
            ("bell\x07", "bell\\u{7}"),
            ("rtl\u{202e}txt", "rtl\\u{202e}txt"),
            ("csi\u{9b}31m del\x7f", "csi\\u{9b}31m del\\u{7f}"),
            ("isolate\u{2066}x\u{2069}", "isolate\\u{2066}x\\u{2069}"),
            ("e\u{301}moji 👩\u{200d}💻", "e\u{301}moji 👩\u{200d}💻"),
        ];
        for (input, want) in cases {
            assert_eq!(sanitize_for_terminal(input), want, "{input:?}");
        }
    }

    #[test]
    fn multiline_keeps_newlines_only() {
        assert_eq!(sanitize_multiline("a\x1b\nb"), "a\\u{1b}\nb");
    }
}
