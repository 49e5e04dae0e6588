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
            c if c.is_control() || is_bidi_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
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

// Bidirectional overrides can make a terminal show text in a different order than it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
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
