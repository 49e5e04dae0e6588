//! Encoded-query parser (`sysparm_query`, spec §1.4).
//!
//! Shape: `^NQ` splits top-level OR groups; inside a group `^` is AND and `^OR` binds only to the
//! condition right before it, so a group is an AND of OR-lists. `ORDERBY<f>`/`ORDERBYDESC<f>`
//! terms may appear anywhere and apply in order; a trailing `^EQ` is ignored. A condition whose
//! operator is not recognised is dropped, as the platform drops invalid parts. Field names are
//! lower-case tokens (`[a-z0-9_.]`), which is what lets `user_nameSTARTSWITHx` split cleanly.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Like,
    NotLike,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
    EmptyString,
    Anything,
    Lt,
    Le,
    Gt,
    Ge,
    Between,
    SameAs,
    NSameAs,
    /// Name-value pair filter: equals the stored value or, for references, the display value.
    EqOrDisplay,
}

/// Operators by their spelling, longest first where one is a prefix of another.
const OPERATORS: &[(&str, Op)] = &[
    ("NOT LIKE", Op::NotLike),
    ("NOTLIKE", Op::NotLike),
    ("NOT IN", Op::NotIn),
    ("NOTIN", Op::NotIn),
    ("LIKE", Op::Like),
    ("STARTSWITH", Op::StartsWith),
    ("ENDSWITH", Op::EndsWith),
    ("ISNOTEMPTY", Op::IsNotEmpty),
    ("ISEMPTY", Op::IsEmpty),
    ("IN", Op::In),
    ("EMPTYSTRING", Op::EmptyString),
    ("ANYTHING", Op::Anything),
    ("BETWEEN", Op::Between),
    ("NSAMEAS", Op::NSameAs),
    ("SAMEAS", Op::SameAs),
    ("!=", Op::Ne),
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("=", Op::Eq),
    ("<", Op::Lt),
    (">", Op::Gt),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cond {
    pub field: String,
    pub op: Op,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub field: String,
    pub desc: bool,
}

/// A parsed query: OR of groups; each group an AND of OR-lists of conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub groups: Vec<Vec<Vec<Cond>>>,
    pub order: Vec<Order>,
}

/// Parses one condition such as `user_nameSTARTSWITHabel`; `None` when it has no operator.
pub fn parse_cond(term: &str) -> Option<Cond> {
    let split = term.find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.'))?;
    let (field, rest) = term.split_at(split);
    if field.is_empty() {
        return None;
    }
    let (spelling, op) = OPERATORS.iter().find(|(s, _)| rest.starts_with(s))?;
    Some(Cond {
        field: field.to_owned(),
        op: *op,
        value: rest[spelling.len()..].to_owned(),
    })
}

/// Parses a whole encoded query. Never fails: unparsable parts are dropped.
pub fn parse(text: &str) -> Query {
    let mut query = Query::default();
    let mut group: Vec<Vec<Cond>> = Vec::new();
    for term in text.split('^') {
        if term.is_empty() || term == "EQ" {
            continue;
        }
        if let Some(field) = term.strip_prefix("ORDERBYDESC") {
            query.order.push(Order {
                field: field.to_owned(),
                desc: true,
            });
        } else if let Some(field) = term.strip_prefix("ORDERBY") {
            query.order.push(Order {
                field: field.to_owned(),
                desc: false,
            });
        } else if let Some(rest) = term.strip_prefix("NQ") {
            query.groups.push(std::mem::take(&mut group));
            group.extend(parse_cond(rest).map(|c| vec![c]));
        } else if let Some(rest) = term.strip_prefix("OR") {
            match (parse_cond(rest), group.last_mut()) {
                (Some(c), Some(last)) => last.push(c),
                (Some(c), None) => group.push(vec![c]),
                (None, _) => {}
            }
        } else if let Some(c) = parse_cond(term) {
            group.push(vec![c]);
        }
    }
    query.groups.push(group);
    query.groups.retain(|g| !g.is_empty());
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(field: &str, op: Op, value: &str) -> Cond {
        Cond {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    #[test]
    fn operators_parse() {
        let cases = [
            ("a=1", c("a", Op::Eq, "1")),
            ("a!=1", c("a", Op::Ne, "1")),
            ("nameLIKEab", c("name", Op::Like, "ab")),
            ("nameNOT LIKEab", c("name", Op::NotLike, "ab")),
            ("nameNOTLIKEab", c("name", Op::NotLike, "ab")),
            ("nameSTARTSWITHab", c("name", Op::StartsWith, "ab")),
            ("nameENDSWITH@x.com", c("name", Op::EndsWith, "@x.com")),
            ("nameINa,b", c("name", Op::In, "a,b")),
            ("nameNOT INa,b", c("name", Op::NotIn, "a,b")),
            ("departmentISEMPTY", c("department", Op::IsEmpty, "")),
            ("departmentISNOTEMPTY", c("department", Op::IsNotEmpty, "")),
            ("nameEMPTYSTRING", c("name", Op::EmptyString, "")),
            ("nameANYTHING", c("name", Op::Anything, "")),
            ("n<5", c("n", Op::Lt, "5")),
            ("n<=5", c("n", Op::Le, "5")),
            ("n>5", c("n", Op::Gt, "5")),
            ("n>=5", c("n", Op::Ge, "5")),
            ("nBETWEEN1@5", c("n", Op::Between, "1@5")),
            ("first_nameSAMEASlast_name", c("first_name", Op::SameAs, "last_name")),
            ("first_nameNSAMEASlast_name", c("first_name", Op::NSameAs, "last_name")),
            ("user.user_name=x", c("user.user_name", Op::Eq, "x")),
            (
                "user=javascript:gs.getUserID()",
                c("user", Op::Eq, "javascript:gs.getUserID()"),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_cond(text), Some(want), "{text}");
        }
        assert_eq!(parse_cond("nameFOOx"), None);
        assert_eq!(parse_cond("=x"), None);
    }

    #[test]
    fn or_binds_to_previous_condition_and_nq_splits_groups() {
        let q = parse("a=1^b=2^ORb=3^NQc=4^d=5^EQ");
        assert_eq!(
            q.groups,
            vec![
                vec![
                    vec![c("a", Op::Eq, "1")],
                    vec![c("b", Op::Eq, "2"), c("b", Op::Eq, "3")]
                ],
                vec![vec![c("c", Op::Eq, "4")], vec![c("d", Op::Eq, "5")]],
            ]
        );
    }

    #[test]
    fn orderings_collect_in_order() {
        let q = parse("active=true^ORDERBYDESCuser_name^ORDERBYsys_id");
        assert_eq!(
            q.order,
            vec![
                Order {
                    field: "user_name".into(),
                    desc: true
                },
                Order {
                    field: "sys_id".into(),
                    desc: false
                }
            ]
        );
        assert_eq!(q.groups.len(), 1);
        assert!(parse("").groups.is_empty());
        assert!(parse("^EQ").groups.is_empty());
    }
}
