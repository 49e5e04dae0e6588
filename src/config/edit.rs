//! Saving the one setting nowsync writes itself: `[profiles.P.secrets] store`, chosen when the
//! Secret Service is unreachable.
//!
//! The file is edited as text, so the admin's comments and layout survive: the `store` line of
//! the profile's `[secrets]` table is replaced, or the table is appended. The result must
//! resolve to the new choice before it is written; otherwise nothing is written and the error
//! says what to add by hand.

use std::path::Path;

use super::{Config, ConfigError, write_private_file};
use crate::secrets::StoreChoice;

/// Sets `[profiles.PROFILE.secrets] store = CHOICE` in the file at `path`, creating the file if
/// there is none.
pub fn save_store_choice(path: &Path, profile: &str, choice: StoreChoice) -> Result<(), ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let edited = with_store_choice(&text, profile, choice);
    let by_hand = |detail: String| ConfigError::Invalid {
        path: path.to_owned(),
        key: format!("profiles.{profile}.secrets.store"),
        value: format!("'{choice}'"),
        expected: format!(
            "could not save it ({detail}): add `[profiles.{profile}.secrets]` with `store = \"{choice}\"` by hand"
        ),
    };
    match Config::parse(&edited, path) {
        Ok(config) if config.profile(profile).is_ok_and(|p| p.secrets.store == choice) => {}
        Ok(_) => return Err(by_hand("the edited file does not read back as that choice".to_owned())),
        Err(e) => return Err(by_hand(e.to_string())),
    }
    write_private_file(path, edited.as_bytes()).map_err(|e| by_hand(e.to_string()))
}

/// `text` with the profile's `store` set to `choice`.
fn with_store_choice(text: &str, profile: &str, choice: StoreChoice) -> String {
    let header = format!("[profiles.{profile}.secrets]");
    let line = format!("store = \"{choice}\"");
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| strip_comment(l) == header) else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&format!("{header}\n{line}\n"));
        return out;
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| strip_comment(l).starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match (start + 1..end).find(|&i| {
        strip_comment(lines[i])
            .split('=')
            .next()
            .is_some_and(|k| k.trim() == "store")
    }) {
        Some(i) => out[i] = line,
        None => out.insert(start + 1, line),
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

fn strip_comment(line: &str) -> &str {
    line.split('#').next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::StoreKind;

    const KEYUTILS: StoreChoice = StoreChoice::Store(StoreKind::Keyutils);

    #[test]
    fn appends_the_table_and_keeps_comments() {
        let text = "# my comment\n[profiles.default.servicenow]\ninstance = \"dev1\"\nusername = \"a\"";
        let out = with_store_choice(text, "default", KEYUTILS);
        assert_eq!(
            out,
            "# my comment\n[profiles.default.servicenow]\ninstance = \"dev1\"\nusername = \"a\"\n\n[profiles.default.secrets]\nstore = \"keyutils\"\n"
        );
        assert_eq!(
            with_store_choice("", "p", StoreChoice::Env),
            "[profiles.p.secrets]\nstore = \"env\"\n"
        );
    }

    #[test]
    fn replaces_the_existing_line_only_in_its_profile() {
        let text = "[profiles.a.secrets]\nstore = \"env\"\n\n[profiles.b.secrets] # b\nstore = \"env\" # old\n[profiles.b.servicenow]\nstore = 1\n";
        let out = with_store_choice(text, "b", KEYUTILS);
        assert_eq!(
            out,
            "[profiles.a.secrets]\nstore = \"env\"\n\n[profiles.b.secrets] # b\nstore = \"keyutils\"\n[profiles.b.servicenow]\nstore = 1\n"
        );
        let out = with_store_choice("[profiles.c.secrets]\n", "c", KEYUTILS);
        assert_eq!(out, "[profiles.c.secrets]\nstore = \"keyutils\"\n");
    }

    #[test]
    fn saves_to_a_new_file_and_refuses_what_it_cannot_edit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nowsync/config.toml");
        save_store_choice(&path, "default", KEYUTILS).unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.profile("default").unwrap().secrets.store, KEYUTILS);

        let inline = dir.path().join("inline.toml");
        std::fs::write(&inline, "[profiles.x]\nsecrets = { store = \"env\" }\n").unwrap();
        let err = save_store_choice(&inline, "x", KEYUTILS).unwrap_err().to_string();
        assert!(err.contains("by hand"), "{err}");
        assert!(std::fs::read_to_string(&inline).unwrap().contains("\"env\""));
    }
}
