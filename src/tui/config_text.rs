//! Setting one key of one table in the configuration file's text, keeping every other line
//! (comments, order, other keys) as the admin wrote it. The caller checks the result with
//! `Config::parse` before writing it.

/// Whether `line` is the header `header`, ignoring spaces and a trailing comment.
fn is_header(line: &str, header: &str) -> bool {
    line.split('#').next().is_some_and(|l| l.trim() == header)
}

/// `text` with `key = value` (`value` already TOML) in table `header` (`[profiles.p.x]`):
/// the key's line replaced, or added under the header, or the table appended.
pub fn set_key(text: &str, header: &str, key: &str, value: &str) -> String {
    let line = format!("{key} = {value}");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let Some(start) = lines.iter().position(|l| is_header(l, header)) else {
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
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let is_key = |l: &str| {
        l.split_once('=')
            .is_some_and(|(k, _)| k.trim() == key && !l.trim_start().starts_with('#'))
    };
    match (start + 1..end).find(|i| is_key(&lines[*i])) {
        Some(i) => lines[i] = line,
        None => lines.insert(start + 1, line),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `text` without `key`'s line in table `header` (unchanged when it is not there).
pub fn remove_key(text: &str, header: &str, key: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| is_header(l, header)) else {
        return text.to_owned();
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let found = (start + 1..end).find(|i| {
        let l = lines[*i];
        l.split_once('=')
            .is_some_and(|(k, _)| k.trim() == key && !l.trim_start().starts_with('#'))
    });
    let Some(i) = found else {
        return text.to_owned();
    };
    lines.remove(i);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_adds_or_appends_and_keeps_the_rest() {
        let text = "# mine\n[profiles.p.servicenow]\ninstance = \"dev1\" # keep\nmax_in_flight = 8\n\n[profiles.p.secrets]\nstore = \"file\"\n";
        let out = set_key(text, "[profiles.p.servicenow]", "max_in_flight", "4");
        assert_eq!(out, text.replace("max_in_flight = 8", "max_in_flight = 4"));
        let out = set_key(text, "[profiles.p.secrets]", "x", "1");
        assert!(
            out.ends_with("[profiles.p.secrets]\nx = 1\nstore = \"file\"\n"),
            "{out}"
        );
        let out = set_key(text, "[profiles.p.notification]", "email", "\"a@b.c\"");
        assert!(out.starts_with(text) && out.ends_with("\n[profiles.p.notification]\nemail = \"a@b.c\"\n"));
    }

    #[test]
    fn removes_only_the_key_of_the_table() {
        let text =
            "[profiles.p.entra]\ngraph_url = \"x\" # mine\ncloud = \"global\"\n[profiles.q.entra]\ngraph_url = \"y\"\n";
        let out = remove_key(text, "[profiles.p.entra]", "graph_url");
        assert_eq!(out, text.replace("graph_url = \"x\" # mine\n", ""));
        assert_eq!(remove_key(text, "[profiles.p.entra]", "authority_url"), text);
        assert_eq!(remove_key(text, "[profiles.r.entra]", "graph_url"), text);
    }
}
