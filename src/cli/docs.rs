//! `nowsync completions bash|zsh|fish` and `nowsync man`: generated from the same clap
//! definitions as `--help` (clap_complete, clap_mangen), so they never drift from it.

use std::io::Write;

use super::Exit;

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the completion script of `shell` for `command` to stdout.
pub fn completions(shell: Shell, command: clap::Command) -> Exit {
    write_stdout(&script(shell, command))
}

fn script(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let name = command.get_name().to_owned();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(generator, &mut command, name, &mut buf);
    buf
}

/// Writes the manual page of `command` (roff, section 1) to stdout: one page with the
/// command, its global flags, and under COMMANDS every subcommand (nested ones too) with its
/// synopsis, description and options. clap_mangen's own page lists `nowsync-sync(1)` and the
/// like, pages nothing installs (acceptance pass); this one needs no other.
pub fn man(command: clap::Command) -> Exit {
    match page(command) {
        Ok(buf) => write_stdout(&buf),
        Err(e) => super::fail(&e),
    }
}

fn page(mut command: clap::Command) -> std::io::Result<Vec<u8>> {
    // Built once, so each subcommand's synopsis reads `nowsync sync …`.
    command.build();
    let man = clap_mangen::Man::new(command.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    buf.extend_from_slice(b".SH COMMANDS\n");
    for sub in visible(&command) {
        subcommand(sub, &mut buf)?;
    }
    if command.get_after_long_help().is_some() || command.get_after_help().is_some() {
        man.render_extra_section(&mut buf)?;
    }
    if command.get_version().is_some() {
        man.render_version_section(&mut buf)?;
    }
    Ok(one_preamble(&buf))
}

/// The page with the roff preamble each rendered section starts with kept once, at the top.
fn one_preamble(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut seen = false;
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with(PREAMBLE) {
            let second = lines.next().unwrap_or_default();
            if !seen {
                seen = true;
                out.push_str(line);
                out.push('\n');
                out.push_str(second);
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

/// How the roff preamble clap_mangen writes before every section begins (its second line
/// follows).
const PREAMBLE: &str = ".ie \\n(.g .ds Aq";

/// The subcommands a page documents (clap's own `help` is not one).
fn visible(command: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// One subcommand as a subsection: its synopsis, description and options, then its own
/// subcommands.
fn subcommand(sub: &clap::Command, buf: &mut Vec<u8>) -> std::io::Result<()> {
    let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name()).to_owned();
    buf.extend_from_slice(format!(".SS \"{}\"\n", name.replace('-', "\\-")).as_bytes());
    let man = clap_mangen::Man::new(sub.clone());
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    man.render_options_section(&mut part)?;
    buf.extend_from_slice(&within(&part));
    for nested in visible(sub) {
        subcommand(nested, buf)?;
    }
    Ok(())
}

/// Section text made part of a subsection: no section headings (`.SH SYNOPSIS`, `.SH OPTIONS`: the subsection's parts follow one another).
fn within(part: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(part)
        .lines()
        .filter(|l| !l.starts_with(".SH "))
        .flat_map(|l| [l, "\n"])
        .collect::<String>()
        .into_bytes()
}

fn write_stdout(bytes: &[u8]) -> Exit {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Success,
        // A closed pipe (`nowsync man | head`) is not a failure of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => super::fail(&e),
    }
}

/// The global flags given on the command line that `demo` would ignore (`--data-dir` from
/// `NOWSYNC_DATA_DIR` is the environment's, not a request: it is not refused).
pub fn demo_refused_flags(matches: &clap::ArgMatches) -> Option<String> {
    let given = |name: &str| {
        let on_line = |m: &clap::ArgMatches| m.value_source(name) == Some(clap::parser::ValueSource::CommandLine);
        on_line(matches) || matches.subcommand().is_some_and(|(_, sub)| on_line(sub))
    };
    let flags: Vec<&str> = [
        ("config", "--config"),
        ("profile", "--profile"),
        ("data_dir", "--data-dir"),
    ]
    .into_iter()
    .filter(|(id, _)| given(id))
    .map(|(_, flag)| flag)
    .collect();
    (!flags.is_empty()).then(|| flags.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> clap::Command {
        clap::Command::new("nowsync")
            .about("Provision users")
            .arg(clap::Arg::new("profile").long("profile").global(true))
            .subcommand(clap::Command::new("run").about("Cycles on the interval"))
    }

    /// Acceptance F6: the page named nowsync-run(1) and the like, which nothing installs, and
    /// had no subcommand's options.
    #[test]
    fn the_page_has_every_subcommand_with_its_options_and_names_no_other_page() {
        let command = sample().subcommand(
            clap::Command::new("logs")
                .about("The provisioning log")
                .arg(clap::Arg::new("since").long("since").help("Records since then")),
        );
        let text = String::from_utf8(page(command).unwrap()).unwrap();
        assert!(text.contains(".SS \"nowsync run\""), "{text}");
        assert!(text.contains(".SS \"nowsync logs\""), "{text}");
        assert!(
            text.contains("\\-\\-since") && text.contains("Records since then"),
            "{text}"
        );
        assert!(!text.contains("(1)"), "no other page named: {text}");
        assert_eq!(text.matches(".ie \\n(.g").count(), 1, "one preamble: {text}");
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = String::from_utf8(script(shell, sample())).unwrap();
            assert!(text.contains("run") && text.contains("profile"), "{shell:?}: {text}");
        }
    }
}
