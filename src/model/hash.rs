//! A stable hash for what is stored and compared across runs (op hashes, the rules hash).

/// FNV-1a of the parts, each followed by a 0 byte, as 16 hex digits. It is stored, so it must
/// not change between builds (unlike `std`'s hashers, which may).
pub fn stable_hash(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hash_is_stable_and_separates_parts() {
        assert_eq!(super::stable_hash(&[]), "cbf29ce484222325");
        assert_ne!(super::stable_hash(&["ab", "c"]), super::stable_hash(&["a", "bc"]));
    }
}
