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

/// Writes the manual page of `command` (roff, section 1) to stdout: the command, its global
/// flags and its subcommands with their one-line help.
pub fn man(command: clap::Command) -> Exit {
    let mut buf = Vec::new();
    match clap_mangen::Man::new(command).render(&mut buf) {
        Ok(()) => write_stdout(&buf),
        Err(e) => super::fail(&e),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> clap::Command {
        clap::Command::new("nowsync")
            .about("Provision users")
            .arg(clap::Arg::new("profile").long("profile").global(true))
            .subcommand(clap::Command::new("run").about("Cycles on the interval"))
    }

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = String::from_utf8(script(shell, sample())).unwrap();
            assert!(text.contains("run") && text.contains("profile"), "{shell:?}: {text}");
        }
    }
}
