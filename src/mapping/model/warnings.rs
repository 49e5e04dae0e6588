//! What `mapping check` warns about without refusing the file: mappings that load and run but
//! will not do what their author most likely meant.

use super::{Apply, MappingSet, MappingSource, ObjectMapping};
use crate::mapping::func::Function;
use crate::mapping::model::Problem;

/// Every warning of a mapping set, with the key path of the attribute it is about.
pub fn warnings(set: &MappingSet) -> Vec<Problem> {
    let mut out = Vec::new();
    for (key, mapping) in [("user", &set.user), ("group", &set.group)] {
        object(key, mapping, &mut out);
    }
    out
}

fn object(key: &str, mapping: &ObjectMapping, out: &mut Vec<Problem>) {
    for (i, a) in mapping.attributes.iter().enumerate() {
        let (MappingSource::Expression(e) | MappingSource::Direct { expression: e, .. }) = &a.source else {
            continue;
        };
        if a.apply != Apply::Always {
            continue;
        }
        let path = format!("{key}.attributes[{i}] ({})", a.target);
        // Entra's reference: each evaluation gives a new value, so on update the target would
        // be rewritten in every cycle (and a password reset each time).
        for f in [Function::Guid, Function::RandomString] {
            if e.uses(f) {
                out.push(Problem {
                    path: path.clone(),
                    message: format!(
                        "{}() gives a new value at every evaluation: applied always, it rewrites {} on every \
                         update; set apply = \"on_create\"",
                        f.name(),
                        a.target
                    ),
                });
            }
        }
        // Entra's reference: "use ... Only during object creation".
        if e.uses(Function::SelectUniqueValue) {
            out.push(Problem {
                path,
                message: format!(
                    "SelectUniqueValue is meant for object creation: applied always, an update can move {} to \
                     another candidate; set apply = \"on_create\"",
                    a.target
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::model::load_str;

    fn file(attrs: &str) -> String {
        format!(
            "[user]\n[[user.attributes]]\ntarget = \"user_name\"\nsource = \"userPrincipalName\"\nmatching = 1\n{attrs}"
        )
    }

    #[test]
    fn random_values_and_unique_values_applied_on_update_are_warned() {
        let set = load_str(&file(
            "[[user.attributes]]\ntarget = \"user_password\"\nexpression = 'Redact(RandomString(12,1,1,1,1))'\n\
             [[user.attributes]]\ntarget = \"u_ref\"\nexpression = 'Join(\"-\", [mail], Guid())'\n\
             [[user.attributes]]\ntarget = \"u_once\"\nexpression = 'Guid()'\napply = \"on_create\"\n\
             [[user.attributes]]\ntarget = \"email\"\nexpression = 'SelectUniqueValue([mail], Join(\"\", \"x\", [mail]))'\n",
        ))
        .unwrap();
        let w = warnings(&set);
        let text: Vec<String> = w.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        assert_eq!(w.len(), 3, "{text:#?}");
        assert!(text[0].starts_with("user.attributes[1] (user_password): RandomString() gives a new value"));
        assert!(text[1].starts_with("user.attributes[2] (u_ref): Guid() gives"));
        assert!(text[2].starts_with("user.attributes[4] (email): SelectUniqueValue is meant for object creation"));
        assert!(warnings(&crate::mapping::model::defaults().unwrap()).is_empty());
    }
}
