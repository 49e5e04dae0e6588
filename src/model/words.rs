//! The one wording of counts, shared by the engine's log lines, the console and the headless
//! commands: `1,436` ([`thousands`]) and `1 cycle`, `3 cycles` ([`count`]).

/// `1436` as `1,436`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` followed by the word for one or many: "1 cycle", "3 cycles".
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped_and_counts_take_their_word() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1436), "1,436");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(count(1, "cycle", "cycles"), "1 cycle");
        assert_eq!(count(0, "cycle", "cycles"), "0 cycles");
    }
}
