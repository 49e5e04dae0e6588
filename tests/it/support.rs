//! Shared helpers: run the real binary, write a profile for a simulator.

use std::path::{Path, PathBuf};
use std::process::Output;

pub const BIN: &str = env!("CARGO_BIN_EXE_nowsync");

/// A temp dir with a config file and a data dir.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }

    /// A profile whose ServiceNow side is the given URL and user.
    pub fn servicenow_profile(&self, url: &str, user: &str) {
        self.write_config(&format!(
            "[profiles.default.servicenow]\ninstance = \"{url}\"\nusername = \"{user}\"\n"
        ));
    }

    /// A profile with both sides pointing at a simulated world.
    pub fn world_profile(&self, world: &nowsync::sim::world::World) {
        let line = world.ready_line();
        let get = |k: &str| line[k].as_str().unwrap_or_default().to_owned();
        self.write_config(&format!(
            "[profiles.default.servicenow]\ninstance = \"{}\"\nusername = \"{}\"\n\n\
             [profiles.default.entra]\ntenant_id = \"{}\"\nclient_id = \"{}\"\nservice_principal_id = \"{}\"\n\
             authority_url = \"{}\"\ngraph_url = \"{}\"\n",
            get("servicenow_url"),
            get("servicenow_user"),
            get("tenant_id"),
            get("client_id"),
            get("service_principal_id"),
            get("authority_url"),
            get("graph_url"),
        ));
    }

    /// Runs `nowsync --config C --data-dir D ARGS` with the given environment; stdin is closed.
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.arg("--config")
            .arg(self.config())
            .arg("--data-dir")
            .arg(self.data_dir());
        cmd.args(args).stdin(std::process::Stdio::null());
        cmd.env_remove("NOWSYNC_SERVICENOW_PASSWORD")
            .env_remove("NOWSYNC_DATA_DIR");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().await.unwrap()
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
