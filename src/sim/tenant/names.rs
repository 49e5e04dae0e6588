//! Word lists the generator draws from, and the ServiceNow reference rows the tenant mostly matches.
//!
//! `REFERENCE_DEPARTMENTS` and `REFERENCE_LOCATIONS` are the names the ServiceNow simulator should
//! seed into `cmn_department` and `cmn_location`: the tenant draws mostly from them, and sometimes
//! from `OTHER_DEPARTMENTS`/`OTHER_LOCATIONS`, which a matching instance does not hold
//! (Entra's `InvalidLookupReference`).

/// Departments present in the ServiceNow simulator's `cmn_department`.
pub const REFERENCE_DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Finance",
    "Human Resources",
    "IT",
    "Legal",
    "Marketing",
    "Operations",
    "Sales",
    "Customer Support",
    "Product Management",
    "Facilities",
    "Procurement",
];

/// Departments the tenant uses that no reference row holds.
pub const OTHER_DEPARTMENTS: &[&str] = &["Quantum Research", "Mergers & Acquisitions", "Innovation Lab"];

/// Locations present in the ServiceNow simulator's `cmn_location`.
pub const REFERENCE_LOCATIONS: &[&str] = &[
    "Seattle",
    "New York",
    "London",
    "Amsterdam",
    "Munich",
    "San Diego",
    "Singapore",
    "São Paulo",
    "Tokyo",
    "Sydney",
];

/// Office locations the tenant uses that no reference row holds.
pub const OTHER_LOCATIONS: &[&str] = &["Remote", "Building 7", "Zürich Satellite"];

/// The company name on member users (`core_company` in the ServiceNow simulator).
pub const COMPANY_NAME: &str = "Contoso Ltd";

pub(super) const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Amelia",
    "Mateo",
    "José",
    "Zoë",
    "Björn",
    "Chloé",
    "Søren",
    "Łukasz",
    "François",
    "Mónica",
    "Jürgen",
    "Siobhán",
    "Đorđe",
    "Ayşe",
    "Ngọc",
    "Håkon",
    "Ines",
    "Raúl",
    "Priya",
    "Arjun",
    "Wei",
    "Yuki",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Aisha",
    "Kwame",
    "Amara",
    "Dmitri",
    "Olga",
    "Anaïs",
    "Renée",
    "Tomás",
    "Małgorzata",
    "Ólafur",
    "Seán",
    "Çağla",
    "Zoltán",
];

pub(super) const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "Müller",
    "Schröder",
    "Nguyễn",
    "Østergaard",
    "Kowalski",
    "O'Brien",
    "Ångström",
    "Dubois",
    "Fernández",
    "Núñez",
    "Papadopoulos",
    "Yılmaz",
    "Novák",
    "Wiśniewska",
    "Johansson",
    "Virtanen",
    "Kim",
    "Park",
    "Tanaka",
    "Sato",
    "Chen",
    "Wang",
    "Singh",
    "Patel",
    "Okafor",
    "Mensah",
    "Ivanova",
    "Rossi",
    "Bianchi",
    "De Vries",
    "Van der Berg",
    "García-Márquez",
    "Þórsdóttir",
];

/// Long surnames appended to a few aliases so that some UPNs exceed 40 characters.
pub(super) const LONG_SURNAMES: &[&str] = &[
    "wolfeschlegelsteinhausenbergerdorff",
    "vanderbijl-hoogendoorn-oosterhout",
    "papadimitriou-konstantinidis",
];

pub(super) const JOB_TITLES: &[&str] = &[
    "Software Engineer",
    "Senior Software Engineer",
    "Engineering Manager",
    "Accountant",
    "Financial Analyst",
    "HR Business Partner",
    "Recruiter",
    "Service Desk Analyst",
    "Systems Administrator",
    "Counsel",
    "Marketing Specialist",
    "Operations Manager",
    "Account Executive",
    "Sales Director",
    "Support Engineer",
    "Product Manager",
    "Facilities Coordinator",
    "Buyer",
    "Chief Executive Officer",
    "Vice President, Worldwide Strategic Partnerships and Alliances Development",
];

pub(super) const GROUP_TOPICS: &[&str] = &[
    "Engineering",
    "Finance",
    "HR",
    "IT Ops",
    "Legal",
    "Marketing",
    "Operations",
    "Sales",
    "Support",
    "Product",
    "Facilities",
    "Procurement",
    "Security",
    "Data",
    "Platform",
    "Mobile",
    "Web",
    "Payroll",
    "Audit",
    "Design",
];

pub(super) const GROUP_KINDS: &[&str] = &[
    "Team",
    "Approvers",
    "Admins",
    "Readers",
    "Leads",
    "Project",
    "On-Call",
    "Contractors",
    "Committee",
];

pub(super) const GUEST_DOMAINS: &[&str] = &["gmail.com", "outlook.com", "partner.example", "fabrikam.com"];

/// Folds a name to the ASCII letters an alias is made of (`Łukasz` → `lukasz`, `O'Brien` → `obrien`).
pub(super) fn ascii_alias(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let folded: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
            'æ' | 'Æ' => "ae",
            'ç' | 'Ç' | 'č' | 'Č' | 'ć' => "c",
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ı' | 'Í' | 'Î' => "i",
            'ñ' | 'Ñ' | 'ń' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ó' | 'Ö' | 'Ø' | 'Ò' | 'ọ' => "o",
            'ù' | 'ú' | 'û' | 'ü' | 'Ú' | 'Ü' => "u",
            'ý' | 'ÿ' => "y",
            'ß' => "ss",
            'ł' | 'Ł' => "l",
            'ś' | 'ş' | 'Ś' | 'Ş' | 'š' => "s",
            'ğ' | 'Ğ' => "g",
            'đ' | 'Đ' => "d",
            'ž' | 'ź' | 'ż' => "z",
            'ő' => "o",
            'ű' => "u",
            'ễ' => "e",
            'þ' | 'Þ' => "th",
            'ð' => "d",
            '-' => "-",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => "",
        };
        out.push_str(folded);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_ascii() {
        for name in FIRST_NAMES.iter().chain(LAST_NAMES) {
            let alias = ascii_alias(name);
            assert!(!alias.is_empty(), "{name}");
            assert!(
                alias
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} -> {alias}"
            );
        }
        assert_eq!(ascii_alias("Łukasz"), "lukasz");
        assert_eq!(ascii_alias("O'Brien"), "obrien");
        assert_eq!(ascii_alias("Van der Berg"), "vanderberg");
    }
}
