//! What every function gives when each argument is NULL, and when each is "": the edge
//! every mapping meets on sparse directory data.

#[cfg(test)]
mod tests {
    use crate::mapping::func::Function;
    use crate::mapping::functions::testutil::run;

    fn call(f: Function, arg: &str) -> String {
        let (min, _) = f.arity();
        let n = if f == Function::Switch { 4 } else { min.max(1) };
        let args = vec![arg; if min == 0 { 0 } else { n }];
        format!("{}({})", f.name(), args.join(", "))
    }

    #[test]
    fn every_function_on_null_and_empty_arguments() {
        use Function as F;
        // (function, result with NULL arguments, result with "" arguments); errors start with "!".
        let table: &[(Function, &str, &str)] = &[
            (F::Append, "null", ""),
            (F::AppRoleAssignmentsComplex, "null", "null"),
            (F::AssertiveAppRoleAssignmentsComplex, "null", "null"),
            (F::BitAnd, "null", "null"),
            (F::CBool, "False", "False"),
            (F::CDate, "null", "null"),
            (F::Coalesce, "null", ""),
            (F::ConvertToBase64, "null", ""),
            (F::ConvertToUtf8Hex, "null", ""),
            (F::Count, "0", "1"),
            (F::CStr, "null", ""),
            (F::DateAdd, "!DateAdd: unknown interval", "!DateAdd: unknown interval"),
            (
                F::DateDiff,
                "!DateDiff: unknown interval",
                "!DateDiff: unknown interval",
            ),
            (F::DateFromNum, "null", "null"),
            (F::FormatDateTime, "null", "null"),
            (F::Guid, "*", "*"),
            (F::IgnoreFlowIfNullOrEmpty, "dropped", "dropped"),
            (F::Iif, "!IIF: the condition uses [n]", "!IIF: the condition uses [e]"),
            (F::InStr, "null", "1"),
            (F::IsNull, "True", "False"),
            (F::IsNullOrEmpty, "True", "True"),
            (F::IsPresent, "False", "False"),
            (F::IsString, "False", "True"),
            (F::Item, "null", "null"),
            (F::Join, "null", ""),
            (F::Left, "", ""),
            (F::Mid, "null", ""),
            (F::NormalizeDiacritics, "null", ""),
            (F::Not, "True", "True"),
            (F::Now, "*", "*"),
            (F::NumFromDate, "null", "null"),
            (F::PCase, "null", ""),
            (F::RandomString, "", ""),
            (F::Redact, "null", ""),
            (F::RemoveDuplicates, "null", ""),
            (F::Replace, "null", "null"),
            (
                F::SelectUniqueValue,
                "!SelectUniqueValue: every candidate",
                "!SelectUniqueValue: every candidate",
            ),
            (F::SingleAppRoleAssignment, "null", "null"),
            (F::Split, "null", r#"[""]"#),
            (F::StripSpaces, "null", ""),
            (F::Switch, "null", ""),
            (F::ToLower, "null", ""),
            (F::ToUpper, "null", ""),
            (F::Word, "", ""),
        ];
        assert_eq!(table.len(), Function::ALL.len());
        for &(f, with_null, with_empty) in table {
            for (arg, attrs, want) in [("[n]", &[][..], with_null), ("[e]", &[("e", "")][..], with_empty)] {
                let expr = call(f, arg);
                let got = match run(&expr, attrs, &[]) {
                    Ok(v) => v,
                    Err(e) => format!("!{e}"),
                };
                let ok = match want {
                    "*" => !got.starts_with('!'),
                    w if w.starts_with('!') => got.starts_with(w),
                    w => got == w,
                };
                assert!(ok, "{expr}: got {got:?}, want {want:?}");
            }
        }
    }
}
