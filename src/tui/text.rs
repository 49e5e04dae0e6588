//! Plain-text helpers for drawing: word wrap by characters (the console's text is sanitised,
//! one column per character).

pub use crate::model::words::count;

/// `text` wrapped at word boundaries to lines of at most `width` characters; a word longer
/// than a line is cut. An empty text is one empty line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        if len > 0 && len + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
            len = 0;
        }
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        len += word.len();
        line.extend(word);
    }
    lines.push(line);
    lines
}

/// As many of `parts` as fit in `width` characters, joined by ` · `, in order: the first ones
/// matter most, so a narrow terminal drops the last rather than cutting a word, and a row
/// that left some out ends with "…" (a row cut silently reads as complete).
pub fn fit(parts: &[String], width: usize) -> String {
    let all = parts.join(" · ");
    if all.chars().count() <= width {
        return all;
    }
    let mut out = String::new();
    for part in parts {
        // Room for the separator, the part and the " …" that ends the row.
        let sep = if out.is_empty() { 0 } else { 3 };
        if out.chars().count() + sep + part.chars().count() + 2 > width {
            break;
        }
        if !out.is_empty() {
            out.push_str(" · ");
        }
        out.push_str(part);
    }
    if out.is_empty() {
        return ellipsis(&all, width);
    }
    out.push_str(" …");
    out
}

/// A key hint: as many of `parts` (the most useful first) as fit in `width` characters, and
/// always "F1 more" after them, which lists the rest (a hint is never cut mid-key).
pub fn fit_keys(parts: &[&str], width: usize) -> String {
    const MORE: &str = "F1 more";
    let mut out = String::new();
    for part in parts {
        let len = out.chars().count() + part.chars().count() + 3 + MORE.len();
        if len > width {
            break;
        }
        out.push_str(part);
        out.push_str(" · ");
    }
    out.push_str(MORE);
    ellipsis(&out, width)
}

/// `long` when all of it fits in `width`, else `short` (the same parts in fewer letters) as
/// [`fit`] fits it.
pub fn fit_either(long: &[String], short: &[String], width: usize) -> String {
    let all = long.join(" · ");
    if all.chars().count() <= width {
        all
    } else {
        fit(short, width)
    }
}

/// `text` in at most `width` characters: cut, it ends with "…".
pub fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_words_and_cuts_long_ones() {
        assert_eq!(wrap("the quick brown fox", 9), ["the quick", "brown fox"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 5), [""]);
        let parts = ["failed 2".to_owned(), "created 200".to_owned(), "updated 10".to_owned()];
        assert_eq!(fit(&parts, 35), "failed 2 · created 200 · updated 10");
        assert_eq!(fit(&parts, 24), "failed 2 · created 200 …", "a cut row says so");
        assert_eq!(fit(&parts, 23), "failed 2 …");
        assert_eq!(fit(&parts, 5), "fail…");
        let short = ["fail 2".to_owned(), "new 200".to_owned(), "upd 10".to_owned()];
        assert_eq!(fit_either(&parts, &short, 35), "failed 2 · created 200 · updated 10");
        assert_eq!(fit_either(&parts, &short, 34), "fail 2 · new 200 · upd 10");
        assert_eq!(ellipsis("abcdef", 6), "abcdef");
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        let keys = ["e edit", "S save", "n add"];
        assert_eq!(fit_keys(&keys, 40), "e edit · S save · n add · F1 more");
        assert_eq!(fit_keys(&keys, 25), "e edit · S save · F1 more");
        assert_eq!(fit_keys(&keys, 24), "e edit · F1 more");
        assert_eq!(fit_keys(&keys, 5), "F1 m…");
    }
}
