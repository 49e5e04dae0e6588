use std::fmt;
use std::str::FromStr;

/// A ServiceNow record id: exactly 32 lowercase hexadecimal characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SysId(String);

/// A string that is not a sys_id.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not a sys_id: expected 32 lowercase hexadecimal characters")]
pub struct SysIdError(pub String);

impl SysId {
    /// Parses a sys_id, accepting upper-case hex by lower-casing it.
    pub fn parse(s: &str) -> Result<Self, SysIdError> {
        let lower = s.to_ascii_lowercase();
        if lower.len() == 32 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(lower))
        } else {
            Err(SysIdError(s.to_owned()))
        }
    }

    /// Builds a sys_id from 16 random bytes, as the platform does for new records.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        use std::fmt::Write;
        let mut s = String::with_capacity(32);
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SysId {
    type Err = SysIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SysId {
    type Error = SysIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SysId> for String {
    fn from(id: SysId) -> String {
        id.0
    }
}

impl fmt::Display for SysId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SysId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SysId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_case() {
        let id = SysId::parse("6816F79CC0A8016401C5A33BE04BE441").unwrap();
        assert_eq!(id.as_str(), "6816f79cc0a8016401c5a33be04be441");
    }

    #[test]
    fn rejects_wrong_length_and_non_hex() {
        assert!(SysId::parse("abc").is_err());
        assert!(SysId::parse("zz16f79cc0a8016401c5a33be04be441").is_err());
        assert!(SysId::parse("").is_err());
    }

    #[test]
    fn from_bytes_is_32_hex() {
        let id = SysId::from_bytes([0xab; 16]);
        assert_eq!(id.as_str(), "ab".repeat(16));
    }
}
