//! nowsync's entry point: parses arguments, resolves paths, starts logging, runs one command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use nowsync::cli::{self, Exit};
use nowsync::config::{Config, Dirs};
use nowsync::sync::Prompt;

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
    /// Run both simulators, ServiceNow and Microsoft Graph (with its token endpoint), in the
    /// foreground on one generated tenant; the first stdout line is JSON with their URLs and
    /// credentials; until SIGINT/SIGTERM
    Sim(cli::sim::SimArgs),
    /// Diagnose each configured side, step by step
    TestConnection {
        /// Print the result as one JSON document
        #[arg(long)]
        json: bool,
    },
    /// Attribute mappings: evaluate an expression, check, import or export an Entra schema
    Mapping {
        #[command(subcommand)]
        command: cli::mapping::MappingCommand,
    },
    /// The profile's secrets in the OS keyring: status | set NAME | delete NAME
    Secrets {
        #[command(subcommand)]
        command: cli::secrets::SecretsCommand,
    },
    /// One provisioning cycle, headless (whatever `enabled` says)
    Sync {
        /// Run exactly one cycle (required: scheduled cycles are `nowsync run`)
        #[arg(long)]
        once: bool,
        /// Plan and print the cycle without writing to ServiceNow
        #[arg(long)]
        dry_run: bool,
        /// Read both sides whole and correct drift (a reconciliation), whatever
        /// reconcile_hours says: rows changed by hand in ServiceNow, restores Graph's delta
        /// left out, links whose rows vanished
        #[arg(long)]
        reconcile: bool,
        /// Print one JSON document
        #[arg(long)]
        json: bool,
    },
    /// Cycles on the profile's interval while enabled, until SIGINT/SIGTERM; serves the
    /// engine's socket (DATA_DIR/<profile>.sock); SIGHUP re-reads the configuration
    Run {
        /// Also serve Prometheus metrics at GET /metrics on ADDR (a port alone: 127.0.0.1:PORT)
        #[arg(long, value_name = "ADDR")]
        metrics: Option<String>,
        /// Allow --metrics on an address other than loopback
        #[arg(long, requires = "metrics")]
        metrics_allow_remote: bool,
        /// Started by a console as its background engine (said to consoles that attach)
        #[arg(long, hide = true)]
        started_by_console: bool,
    },
    /// The console, attached to the profile's running engine (`nowsync run`, the systemd unit,
    /// a console's background engine) through DATA_DIR/<profile>.sock; leaving it leaves the
    /// engine running
    Attach,
    /// The provisioning log
    Logs(cli::logs::LogsArgs),
    /// Links between Entra objects and ServiceNow rows
    Links(cli::links::LinksArgs),
    /// Notification email: send a test message through the profile's [notification] settings
    Notify(cli::notify::NotifyArgs),
    /// SAML single sign-on readiness: `sso check`
    Sso {
        #[command(subcommand)]
        command: cli::sso::SsoCommand,
    },
    /// The console against built-in simulators; nothing leaves the machine (its configuration
    /// and data dir are temporary: --config and --profile are refused)
    Demo,
    /// Shell completions on stdout: `nowsync completions bash > /etc/bash_completion.d/nowsync`
    Completions {
        #[arg(value_enum)]
        shell: cli::docs::Shell,
    },
    /// The manual page (roff) on stdout: `nowsync man > nowsync.1`
    Man,
    /// Provisioning status: enabled, running, quarantine, statistics, staged deletions, escrows (exit 4 when quarantined)
    Status {
        /// Print one JSON document
        #[arg(long)]
        json: bool,
    },
    /// Provision on demand: one user (or a group with its members) now, step by step, also while quarantined
    Provision {
        /// The user's UPN or object id
        #[arg(
            long,
            value_name = "UPN|ID",
            conflicts_with = "group",
            required_unless_present = "group"
        )]
        user: Option<String>,
        /// The group's name or object id
        #[arg(long, value_name = "NAME|ID")]
        group: Option<String>,
        /// Show the steps without writing to ServiceNow
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON document
        #[arg(long)]
        json: bool,
    },
    /// Apply exactly the deletions the deletion threshold staged
    AllowDeletes,
    /// Clear state as Entra's restart does: watermark | escrows | quarantine | full | force-deletes
    Restart {
        #[arg(long, value_enum)]
        scope: cli::ops::Scope,
    },
}

fn main() -> ExitCode {
    let parsed = Args::command()
        .try_get_matches()
        .and_then(|matches| Args::from_arg_matches(&matches).map(|args| (args, matches)));
    let (args, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage.code() } else { 0 });
        }
    };
    match args.command {
        // Generated from the same definitions as `--help`; they need no config or data dir.
        Some(Command::Completions { shell }) => {
            return ExitCode::from(cli::docs::completions(shell, Args::command()).code());
        }
        Some(Command::Man) => return ExitCode::from(cli::docs::man(Args::command()).code()),
        Some(Command::Demo) if let Some(flags) = cli::docs::demo_refused_flags(&matches) => {
            eprintln!(
                "error: `nowsync demo` runs on a temporary configuration, profile and data dir of its own, against built-in simulators; it does not use {flags}: drop it (your profile's console is `nowsync --profile NAME`)"
            );
            return ExitCode::from(Exit::Usage.code());
        }
        _ => {}
    }
    ExitCode::from(run(args).code())
}

/// The daily log file (kept as long as the longest retention of the profiles asks); the
/// read-only commands create nothing in the data dir.
fn logging(args: &Args, dirs: &Dirs) -> Result<Option<cli::logging::Logging>, Exit> {
    // `logs`, `links` and `status` only read: they create nothing in the data dir.
    let read_only = matches!(
        args.command,
        Some(Command::Logs(_) | Command::Links(_) | Command::Status { .. })
    );
    let logging = if read_only {
        cli::logging::init_existing(&dirs.data_dir)
    } else {
        match cli::logging::init(&dirs.data_dir) {
            Ok(guard) => Some(guard),
            Err(e) => return Err(cli::fail(&e)),
        }
    };
    if let (Some(logging), Ok(config)) = (&logging, Config::load(&dirs.config_file))
        && let Some(days) = config
            .profiles
            .values()
            .map(|p| p.provisioning.log_retention_days)
            .max()
    {
        // The log files are shared by the profiles: the longest retention decides.
        logging.keep_days(days);
    }
    Ok(logging)
}

fn run(args: Args) -> Exit {
    let dirs = match Dirs::resolve(args.config.clone(), args.data_dir.clone()) {
        Ok(dirs) => dirs,
        Err(e) => return cli::fail(&e),
    };
    let _logging = match logging(&args, &dirs) {
        Ok(guard) => guard,
        Err(exit) => return exit,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return cli::fail(&e),
    };
    match args.command {
        None => match runtime.block_on(nowsync::tui::run_console(&dirs, &args.profile)) {
            Ok(()) => Exit::Success,
            Err(e) => cli::fail(&e),
        },
        Some(Command::Attach) => {
            let socket = nowsync::door::socket_path(&dirs.data_dir, &args.profile);
            if nowsync::door::client::probe(&socket).is_none() {
                eprintln!(
                    "error: no engine serves {} for profile '{}': start one with `nowsync run` (or `systemctl start nowsync@{}`), or open the console with `nowsync`",
                    socket.display(),
                    args.profile,
                    args.profile
                );
                return Exit::Connection;
            }
            match runtime.block_on(nowsync::tui::run_console(&dirs, &args.profile)) {
                Ok(()) => Exit::Success,
                Err(e) => cli::fail(&e),
            }
        }
        Some(Command::Sim(sim_args)) => match runtime.block_on(cli::sim::run(sim_args)) {
            Ok(()) => Exit::Success,
            Err(e) => cli::fail(&e),
        },
        Some(Command::TestConnection { json }) => test_connection(&dirs, &args.profile, json, &runtime),
        Some(Command::Mapping { command }) => cli::mapping::run(command, &dirs, &args.profile),
        Some(Command::Secrets { command }) => cli::secrets::run(&command, &dirs, &args.profile),
        Some(Command::Logs(logs_args)) => cli::logs::logs(&dirs.data_dir, &args.profile, &logs_args),
        Some(Command::Links(links_args)) => cli::links::links(&dirs.data_dir, &args.profile, &links_args),
        Some(Command::Sso {
            command: cli::sso::SsoCommand::Check(check),
        }) => match cli::engine_profile(&dirs, &args.profile) {
            Ok((profile, credentials)) => {
                runtime.block_on(cli::sso::check(&profile, credentials, &dirs.data_dir, &check))
            }
            Err(exit) => exit,
        },
        Some(Command::Notify(notify_args)) => cli::notify::run(&notify_args, &dirs, &args.profile, &runtime),
        Some(Command::Demo) => match runtime.block_on(nowsync::tui::run_demo()) {
            Ok(()) => Exit::Success,
            Err(e) => cli::fail(&e),
        },
        Some(Command::Status { json }) => match cli::profile_of(&dirs, &args.profile) {
            Ok(profile) => cli::ops::status(&dirs.data_dir, &profile, json),
            Err(exit) => exit,
        },
        Some(Command::Completions { .. } | Command::Man) => Exit::Success,
        Some(Command::Restart { scope }) if scope != cli::ops::Scope::ForceDeletes => {
            cli::ops::restart(&dirs.data_dir, &args.profile, scope)
        }
        Some(engine) => engine_command(engine, &dirs, &args.profile, &runtime),
    }
}

/// The commands that run the engine: `sync --once`, `run`, `allow-deletes` (and `restart
/// --scope force-deletes`), `provision`.
fn engine_command(command: Command, dirs: &Dirs, name: &str, runtime: &tokio::runtime::Runtime) -> Exit {
    let subject = match &command {
        Command::Sync { once: false, .. } => {
            eprintln!("error: `nowsync sync` needs --once (scheduled cycles: `nowsync run`)");
            return Exit::Usage;
        }
        Command::Provision { user, group, .. } => match (user, group) {
            (Some(u), _) => Some(nowsync::sync::Subject::User(u.clone())),
            (None, Some(g)) => Some(nowsync::sync::Subject::Group(g.clone())),
            (None, None) => return Exit::Usage,
        },
        _ => None,
    };
    // An engine serves the profile (it holds the lock): through its door, no secrets needed.
    if let Some(request) = door_request(&command, subject.clone())
        && let Some(engine) = cli::door::served(&dirs.data_dir, name)
    {
        return runtime.block_on(cli::door::run(&dirs.data_dir, name, &engine, request));
    }
    let (profile, credentials) = match cli::engine_profile(dirs, name) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let data_dir = &dirs.data_dir;
    match (command, subject) {
        (
            Command::Sync {
                dry_run,
                reconcile,
                json,
                ..
            },
            _,
        ) => runtime.block_on(cli::sync::once(
            &profile,
            credentials,
            data_dir,
            dry_run,
            reconcile,
            json,
        )),
        (
            Command::Run {
                metrics,
                metrics_allow_remote,
                started_by_console,
            },
            _,
        ) => {
            let metrics = match metrics.map(|m| cli::sync::metrics_addr(&m, metrics_allow_remote)) {
                None => None,
                Some(Ok(addr)) => Some(addr),
                Some(Err(message)) => {
                    eprintln!("error: {message}");
                    return Exit::Usage;
                }
            };
            let started_by = if started_by_console {
                "background"
            } else {
                nowsync::door::started_by(false)
            };
            runtime.block_on(cli::sync::run(
                &profile,
                credentials,
                data_dir,
                &dirs.config_file,
                metrics,
                started_by,
            ))
        }
        (Command::Provision { dry_run, json, .. }, Some(subject)) => runtime.block_on(cli::provision::run(
            &profile,
            credentials,
            data_dir,
            subject,
            dry_run,
            json,
        )),
        // `allow-deletes`, `restart --scope force-deletes`.
        _ => runtime.block_on(cli::ops::allow_deletes(&profile, credentials, data_dir)),
    }
}

/// What a command asks of a running engine through its door; `None` for `run`.
fn door_request(command: &Command, subject: Option<nowsync::sync::Subject>) -> Option<cli::door::Request> {
    use cli::door::Request;
    Some(match (command, subject) {
        (
            Command::Sync {
                dry_run,
                reconcile,
                json,
                ..
            },
            _,
        ) => Request::Cycle {
            dry_run: *dry_run,
            reconcile: *reconcile,
            json: *json,
        },
        (Command::Provision { dry_run, json, .. }, Some(subject)) => Request::Provision {
            subject,
            dry_run: *dry_run,
            json: *json,
        },
        (Command::Run { .. } | Command::Provision { .. }, _) => return None,
        _ => Request::AllowDeletes,
    })
}

/// `test-connection`: every configured side, with its secrets (a prompt on a terminal).
fn test_connection(dirs: &Dirs, name: &str, json: bool, runtime: &tokio::runtime::Runtime) -> Exit {
    let profile = match cli::profile_of(dirs, name) {
        Ok(profile) => profile,
        Err(exit) => return exit,
    };
    if let Err(e) = cli::test_connection::precheck(&profile) {
        return cli::fail(&e);
    }
    let sources = profile.credential_sources();
    let credentials = match nowsync::sync::read_credentials(&sources, &sources.secrets(), Prompt::OnTerminal) {
        Ok(credentials) => credentials,
        Err(e) => return cli::fail(&e),
    };
    runtime.block_on(cli::test_connection::run(&profile, credentials, json))
}
