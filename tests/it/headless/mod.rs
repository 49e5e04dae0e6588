//! The headless commands as an admin uses them: `status`, `logs`, `links` only read (a fresh
//! or read-only data dir, a cycle starting at the same moment), their tables and formats, the
//! exit codes by kind, and hostile data through every output.

mod exit_codes;
mod state_access;

use std::path::Path;
use std::process::Output;

use super::engine::Env;
use super::support::BIN;

/// Runs `nowsync --config C --data-dir DATA_DIR ARGS` with the world's secrets; stdin closed.
pub async fn run_in(env: &Env, data_dir: &Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--config").arg(env.ws.config()).arg("--data-dir").arg(data_dir);
    cmd.args(args).stdin(std::process::Stdio::null());
    cmd.env_remove("NOWSYNC_DATA_DIR");
    for (k, v) in &env.env {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}
