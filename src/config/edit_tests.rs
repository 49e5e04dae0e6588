//! Edits keep what they do not own, byte for byte.

use super::*;
use crate::secrets::StoreKind;

const KEYUTILS: StoreChoice = StoreChoice::Store(StoreKind::Keyutils);

fn p() -> &'static Path {
    Path::new("c.toml")
}

#[test]
fn a_key_is_replaced_in_place_keeping_its_comment_and_every_other_line() {
    let text = "# mine\n[profiles.p.servicenow]\ninstance = \"dev1\" # keep\nmax_in_flight = 8\n\n[profiles.p.secrets]\nstore = \"env\"\n";
    let out = apply(
        text,
        p(),
        "p",
        &[Edit::set("servicenow", "max_in_flight", EditValue::Int(4))],
    )
    .unwrap();
    assert_eq!(out, text.replace("max_in_flight = 8", "max_in_flight = 4"));
    let out = apply(text, p(), "p", &[Edit::set("servicenow", "instance", "dev2")]).unwrap();
    assert_eq!(out, text.replace("\"dev1\" # keep", "\"dev2\" # keep"));
}

#[test]
fn a_value_set_to_what_it_is_stays_as_written() {
    let text = "[profiles.p.servicenow]\ninstance = 'dev1'   # literal\n";
    assert_eq!(
        apply(text, p(), "p", &[Edit::set("servicenow", "instance", "dev1")]).unwrap(),
        text
    );
}

#[test]
fn a_missing_key_or_table_is_added_after_the_profile_s_tables() {
    let text = "# top\n[profiles.p.servicenow]\ninstance = \"dev1\"\n\n[profiles.q.servicenow]\ninstance = \"q\"\n";
    let out = apply(text, p(), "p", &[Edit::set("notification", "email", "a@b.c")]).unwrap();
    assert_eq!(
        out,
        "# top\n[profiles.p.servicenow]\ninstance = \"dev1\"\n\n[profiles.p.notification]\nemail = \"a@b.c\"\n\n[profiles.q.servicenow]\ninstance = \"q\"\n"
    );
    assert_eq!(
        apply("", p(), "p", &[Edit::set("secrets", "store", "env")]).unwrap(),
        "[profiles.p.secrets]\nstore = \"env\"\n"
    );
}

#[test]
fn removes_only_the_key_or_table_of_the_profile() {
    let text = "[profiles.p.entra]\ngraph_url = \"x\" # mine\ncloud = \"global\"\n[profiles.p.notification]\nemail = \"a@b.c\"\n[profiles.q.entra]\ngraph_url = \"y\"\n";
    let out = apply(text, p(), "p", &[Edit::remove("entra", "graph_url")]).unwrap();
    assert_eq!(out, text.replace("graph_url = \"x\" # mine\n", ""));
    let out = apply(text, p(), "p", &[Edit::DropTable { table: "notification" }]).unwrap();
    assert_eq!(out, text.replace("[profiles.p.notification]\nemail = \"a@b.c\"\n", ""));
    assert_eq!(
        apply(text, p(), "r", &[Edit::remove("entra", "graph_url")]).unwrap(),
        text
    );
}

#[test]
fn inline_tables_are_edited_in_their_own_form() {
    let text = "[profiles.x]\nsecrets = { store = \"env\" }\n";
    let out = apply(text, p(), "x", &[Edit::set("secrets", "store", "keyutils")]).unwrap();
    assert_eq!(out, "[profiles.x]\nsecrets = { store = \"keyutils\" }\n");
    let err = apply(
        "[profiles.x]\nsecrets = 5\n",
        p(),
        "x",
        &[Edit::set("secrets", "store", "env")],
    )
    .unwrap_err();
    assert!(err.to_string().contains("profiles.x.secrets` is not a table"), "{err}");
}

#[test]
fn saves_the_store_choice_to_a_new_file_and_refuses_what_would_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowsync/config.toml");
    save_store_choice(&path, "default", KEYUTILS).unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(config.profile("default").unwrap().secrets.store, KEYUTILS);

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[profiles.x.secrets]\nstore = \"env\"\nbogus = 1\n").unwrap();
    let err = save_store_choice(&bad, "x", KEYUTILS).unwrap_err().to_string();
    assert!(err.contains("by hand"), "{err}");
    assert!(
        std::fs::read_to_string(&bad).unwrap().contains("\"env\""),
        "nothing written"
    );
}

#[test]
fn edit_profile_reads_the_file_again_and_refuses_what_would_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"a\"\n";
    std::fs::write(&path, text).unwrap();
    let err = edit_profile(
        &path,
        "p",
        &[Edit::set("provisioning", "interval_minutes", EditValue::Int(0))],
    )
    .unwrap_err();
    assert!(err.to_string().contains("interval_minutes"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // Someone else added a key since: it stays.
    std::fs::write(&path, format!("{text}max_in_flight = 9\n")).unwrap();
    let saved = edit_profile(&path, "p", &[Edit::set("servicenow", "username", "b")]).unwrap();
    assert_eq!(
        saved.text,
        "[profiles.p.servicenow]\ninstance = \"dev1\"\nusername = \"b\"\nmax_in_flight = 9\n"
    );
    assert_eq!(saved.profile.servicenow.unwrap().max_in_flight, 9);
}

#[test]
fn a_mapping_file_keeps_its_comments_where_it_did_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mappings.toml");
    let old = "# our mappings\nskip_out_of_scope_deletions = false # for now\n\n[user]\n# the users\ntarget_table = \"sys_user\"\n\n[[user.attributes]]\n# login\nsource = \"userPrincipalName\"\ntarget = \"user_name\"\n\n[[user.attributes]]\nsource = \"mail\"\ntarget = \"email\"\n";
    std::fs::write(&path, old).unwrap();
    let new = "skip_out_of_scope_deletions = true\n\n[user]\ntarget_table = \"sys_user\"\n\n[[user.attributes]]\nsource = \"userPrincipalName\"\ntarget = \"user_name\"\n\n[[user.attributes]]\nsource = \"mail\"\ntarget = \"email\"\n\n[[user.attributes]]\nsource = \"jobTitle\"\ntarget = \"title\"\n";
    write_mappings(&path, new).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written,
        old.replace("= false # for now", "= true # for now")
            + "\n[[user.attributes]]\nsource = \"jobTitle\"\ntarget = \"title\"\n"
    );
    assert_eq!(
        written.parse::<toml::Table>().unwrap(),
        new.parse::<toml::Table>().unwrap(),
        "the same data as the new file"
    );
}

#[test]
fn awkward_values_are_quoted() {
    let out = apply("", p(), "p", &[Edit::set("servicenow", "username", "a\"b\\c'")]).unwrap();
    let parsed: toml::Table = toml::from_str(&out).unwrap();
    assert_eq!(
        parsed["profiles"]["p"]["servicenow"]["username"].as_str(),
        Some("a\"b\\c'")
    );
}

/// The built-in mappings write a reference inline (`reference = { … }`); the console's save
/// writes it as a `[user.attributes.reference]` table. Merged, the table was placed by its
/// position in the new text, under another mapping, so the file no longer loaded (found with
/// acceptance N12's two-console save).
#[test]
fn a_mapping_file_with_inline_references_keeps_each_with_its_mapping() {
    use crate::mapping::model::{DEFAULT_MAPPINGS_TOML, load_str, raw::RawMappingFile, to_toml};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mappings.toml");
    std::fs::write(&path, DEFAULT_MAPPINGS_TOML).unwrap();
    let mut file: RawMappingFile = toml::from_str(DEFAULT_MAPPINGS_TOML).unwrap();
    let state = file
        .user
        .as_mut()
        .unwrap()
        .attributes
        .iter_mut()
        .find(|a| a.target == "state")
        .unwrap();
    state.source = None;
    state.expression = Some("Left([state], 30)".to_owned());
    let new = to_toml(&file).unwrap();
    write_mappings(&path, &new).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let read: RawMappingFile = toml::from_str(&written).unwrap();
    assert_eq!(read, file, "{written}");
    assert!(load_str(&written).is_ok());
    assert!(
        written.contains("reference = { table = \"sys_user\", provisioned = true }"),
        "{written}"
    );
}
