//! nowsync's entry point: parses arguments, resolves paths, starts logging, runs one command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nowsync::cli::{self, Exit};
use nowsync::config::Dirs;

#[derive(Debug, Parser)]
#[command(
    name = "nowsync",
    version,
    about = "Provision users and groups from Microsoft Entra ID into ServiceNow"
)]
struct Args {
    /// Configuration file [default: the platform config dir, nowsync/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Data directory: logs and state [default: the platform data dir]
    #[arg(long, global = true, value_name = "PATH", env = "NOWSYNC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Profile in the configuration file
    #[arg(long, global = true, default_value = "default", value_name = "NAME")]
    profile: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The profile's secrets in the OS keyring: status | set NAME | delete NAME
    Secrets {
        #[command(subcommand)]
        command: cli::secrets::SecretsCommand,
    },
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage.code() } else { 0 });
        }
    };
    let dirs = match Dirs::resolve(args.config.clone(), args.data_dir.clone()) {
        Ok(dirs) => dirs,
        Err(e) => {
            cli::report_error(&e);
            return ExitCode::from(Exit::Usage.code());
        }
    };
    let _log_guard = match cli::logging::init(&dirs.data_dir) {
        Ok(guard) => guard,
        Err(e) => {
            cli::report_error(&e);
            return ExitCode::from(Exit::Usage.code());
        }
    };
    let exit = match args.command {
        None => {
            eprintln!("the console is not built yet: run `nowsync --help` for the commands available today");
            Exit::Usage
        }
        Some(Command::Secrets { command }) => cli::secrets::run(&command, &dirs, &args.profile),
    };
    ExitCode::from(exit.code())
}
