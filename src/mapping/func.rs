//! The function catalogue: every function of Entra's expression reference (43 documented
//! plus `AssertiveAppRoleAssignmentsComplex`), with its canonical spelling and arity.
//!
//! Arity counts argument *slots*, omitted ones included: `Replace` always has seven, as in
//! every documented example. Names are matched case-insensitively because the reference
//! itself writes `switch(...)` once; the printer writes the canonical spelling.

macro_rules! functions {
    ($($variant:ident => $name:literal, $min:expr, $max:expr;)*) => {
        /// A function of the expression language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Function {
            $($variant,)*
        }

        impl Function {
            /// Every function, in alphabetical order of the reference.
            pub const ALL: &'static [Function] = &[$(Function::$variant,)*];

            /// The spelling used by Entra's reference.
            pub fn name(self) -> &'static str {
                match self {
                    $(Function::$variant => $name,)*
                }
            }

            /// Smallest and largest number of argument slots (`None`: no upper bound).
            pub fn arity(self) -> (usize, Option<usize>) {
                match self {
                    $(Function::$variant => ($min, $max),)*
                }
            }
        }
    };
}

const MANY: Option<usize> = None;

functions! {
    Append => "Append", 2, Some(2);
    AppRoleAssignmentsComplex => "AppRoleAssignmentsComplex", 1, Some(1);
    AssertiveAppRoleAssignmentsComplex => "AssertiveAppRoleAssignmentsComplex", 1, Some(1);
    BitAnd => "BitAnd", 2, Some(2);
    CBool => "CBool", 1, Some(1);
    CDate => "CDate", 1, Some(1);
    Coalesce => "Coalesce", 1, MANY;
    ConvertToBase64 => "ConvertToBase64", 1, Some(1);
    ConvertToUtf8Hex => "ConvertToUTF8Hex", 1, Some(1);
    Count => "Count", 1, Some(1);
    CStr => "CStr", 1, Some(1);
    DateAdd => "DateAdd", 3, Some(3);
    DateDiff => "DateDiff", 3, Some(3);
    DateFromNum => "DateFromNum", 1, Some(1);
    FormatDateTime => "FormatDateTime", 4, Some(4);
    Guid => "Guid", 0, Some(0);
    IgnoreFlowIfNullOrEmpty => "IgnoreFlowIfNullOrEmpty", 1, Some(1);
    Iif => "IIF", 3, Some(3);
    InStr => "InStr", 2, Some(4);
    IsNull => "IsNull", 1, Some(1);
    IsNullOrEmpty => "IsNullOrEmpty", 1, Some(1);
    IsPresent => "IsPresent", 1, Some(1);
    IsString => "IsString", 1, Some(1);
    Item => "Item", 2, Some(2);
    Join => "Join", 2, MANY;
    Left => "Left", 2, Some(2);
    Mid => "Mid", 3, Some(3);
    NormalizeDiacritics => "NormalizeDiacritics", 1, Some(1);
    Not => "Not", 1, Some(1);
    Now => "Now", 0, Some(0);
    NumFromDate => "NumFromDate", 1, Some(1);
    PCase => "PCase", 1, Some(2);
    RandomString => "RandomString", 5, Some(6);
    Redact => "Redact", 1, Some(1);
    RemoveDuplicates => "RemoveDuplicates", 1, Some(1);
    Replace => "Replace", 7, Some(7);
    SelectUniqueValue => "SelectUniqueValue", 2, MANY;
    SingleAppRoleAssignment => "SingleAppRoleAssignment", 1, Some(1);
    Split => "Split", 2, Some(2);
    StripSpaces => "StripSpaces", 1, Some(1);
    Switch => "Switch", 4, MANY;
    ToLower => "ToLower", 1, Some(2);
    ToUpper => "ToUpper", 1, Some(2);
    Word => "Word", 3, Some(3);
}

impl Function {
    /// Looks a function up by name, ignoring ASCII case.
    pub fn lookup(name: &str) -> Option<Function> {
        Function::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Whether `n` argument slots suit this function. `Switch` takes its key/value pairs in
    /// pairs, so its count is even.
    pub fn accepts(self, n: usize) -> bool {
        let (min, max) = self.arity();
        let in_range = n >= min && max.is_none_or(|m| n <= m);
        in_range && (self != Function::Switch || n.is_multiple_of(2))
    }

    /// Human wording of the arity for error messages.
    pub fn arity_text(self) -> String {
        match (self, self.arity()) {
            (Function::Switch, _) => "a source, a default and key/value pairs (an even number, at least 4)".into(),
            (_, (min, Some(max))) if min == max => format!("{min}"),
            (_, (min, Some(max))) => format!("{min} to {max}"),
            (_, (min, None)) => format!("at least {min}"),
        }
    }
}

/// Bare tokens the language accepts outside quotes.
pub const TOKENS: &[&str] = &[
    "vbTextCompare",
    "vbBinaryCompare",
    "IgnoreAttributeFlow",
    "IgnoreObjectFlow",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_documented_functions() {
        // 43 documented + AssertiveAppRoleAssignmentsComplex.
        assert_eq!(Function::ALL.len(), 44);
        assert_eq!(Function::lookup("switch"), Some(Function::Switch));
        assert_eq!(Function::lookup("CONVERTTOUTF8HEX"), Some(Function::ConvertToUtf8Hex));
        assert_eq!(Function::lookup("Nope"), None);
    }

    #[test]
    fn switch_needs_pairs() {
        assert!(Function::Switch.accepts(4));
        assert!(!Function::Switch.accepts(5));
        assert!(Function::Switch.accepts(6));
        assert!(!Function::Switch.accepts(2));
    }
}
