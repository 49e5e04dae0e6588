//! The one path-segment encoder of both clients (issue 13, "wire hygiene").
//!
//! RFC 3986 §2.3: unreserved characters (`A-Z a-z 0-9 - . _ ~`) are never encoded; every
//! other byte of the UTF-8 text is percent-encoded, reserved characters included (§2.2: data
//! that would read as a delimiter must be). This is RFC 6570's simple string expansion, the rule
//! Microsoft's Graph SDKs apply to `{id}` in their URL templates. Servers and proxies that route
//! on the raw path then all see the same path: a Graph id `9531985d-5d9d-…` stays as it is (never
//! `9531985d%2D5d9d…`), a UPN `a_b#EXT#@contoso.onmicrosoft.com` keeps its `#` out of the fragment
//! and a name with `/` stays one segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `value` as one path segment.
pub fn segment(value: &str) -> String {
    utf8_percent_encode(value, NOT_UNRESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_stay_and_everything_else_is_encoded() {
        let cases = [
            // Graph object ids and ServiceNow sys_ids: as they are.
            (
                "9531985d-5d9d-4a4f-9d2b-6b4f3c2e1a00",
                "9531985d-5d9d-4a4f-9d2b-6b4f3c2e1a00",
            ),
            ("6816f79cc0a8016401c5a33be04be441", "6816f79cc0a8016401c5a33be04be441"),
            ("a.b_c~d-e", "a.b_c~d-e"),
            // A B2B guest's UPN: `#` would start a fragment, `@` is a delimiter.
            (
                "ada_fabrikam.com#EXT#@contoso.onmicrosoft.com",
                "ada_fabrikam.com%23EXT%23%40contoso.onmicrosoft.com",
            ),
            ("Sales & Marketing", "Sales%20%26%20Marketing"),
            ("R/D", "R%2FD"),
            ("50%", "50%25"),
            ("a+b=c?d", "a%2Bb%3Dc%3Fd"),
            ("O'Brien", "O%27Brien"),
            ("Zürich Büro", "Z%C3%BCrich%20B%C3%BCro"),
            ("東京", "%E6%9D%B1%E4%BA%AC"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(segment(raw), want, "{raw}");
        }
    }

    #[test]
    fn encoded_segments_decode_back_to_the_value() {
        for raw in ["Sales & Marketing", "R/D", "ada#EXT#@x", "Zürich", "-"] {
            let encoded = segment(raw);
            let back = percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap();
            assert_eq!(back, raw);
            let url = url::Url::parse(&format!("https://graph.example/v1.0/groups/{}/members", segment(raw))).unwrap();
            assert_eq!(
                url.path_segments().unwrap().nth(2),
                Some(segment(raw).as_str()),
                "{raw}"
            );
        }
    }
}
