//! Engine benchmark (issue 6): an initial cycle of the real binary against `nowsync sim` in a
//! separate process.
//!
//! 1. `sim --users 5000 --groups 250 --latency-ms 20 --semaphore 4`: prints the writes W, the
//!    performance model's bound W·L/S (DESIGN.md), the cycle's wall time and their ratio
//!    (target ≤ 1.2×), and the simulator's 429 count (target 0).
//! 2. `sim --users 100000 --latency-ms 0`: the peak resident memory (VmHWM) of the nowsync
//!    process during its initial cycle (target < 300 MB).
//!
//! Knobs (environment): `NOWSYNC_BENCH_USERS` (5000), `NOWSYNC_BENCH_GROUPS` (250),
//! `NOWSYNC_BENCH_LATENCY_MS` (20), `NOWSYNC_BENCH_BIG_USERS` (100000; 0 skips part 2).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nowsync");
const SLOTS: u64 = 4;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Sim {
    child: Child,
    ready: serde_json::Value,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sim(users: u64, groups: u64, latency_ms: u64) -> Sim {
    let mut child = Command::new(BIN)
        .args(["sim", "--users", &users.to_string(), "--groups", &groups.to_string()])
        .args([
            "--snow-users",
            &(users / 10).to_string(),
            "--latency-ms",
            &latency_ms.to_string(),
        ])
        .args(["--semaphore", &SLOTS.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nowsync sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("sim stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let ready = serde_json::from_str(&line).expect("ready JSON");
    Sim { child, ready }
}

fn write_config(dir: &Path, r: &serde_json::Value) {
    let get = |k: &str| r[k].as_str().expect(k).to_owned();
    let text = format!(
        "[profiles.default.servicenow]\ninstance = \"{}\"\nusername = \"{}\"\n\n[profiles.default.entra]\n\
         tenant_id = \"{}\"\nclient_id = \"{}\"\nservice_principal_id = \"{}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n",
        get("servicenow_url"),
        get("servicenow_user"),
        get("tenant_id"),
        get("client_id"),
        get("service_principal_id"),
        get("authority_url"),
        get("graph_url")
    );
    std::fs::write(dir.join("config.toml"), text).expect("config");
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Runs one `sync --once`; returns (wall time, peak RSS in kB as last seen).
fn cycle(dir: &Path, r: &serde_json::Value) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["sync", "--once"])
        .env(
            "NOWSYNC_SERVICENOW_PASSWORD",
            r["servicenow_password"].as_str().expect("pw"),
        )
        .env(
            "NOWSYNC_GRAPH_CLIENT_SECRET",
            r["client_secret"].as_str().expect("secret"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start nowsync sync");
    let mut peak = 0;
    loop {
        if let Some(kb) = peak_rss_kb(child.id()) {
            peak = peak.max(kb);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (started.elapsed(), peak)
}

fn stats(r: &serde_json::Value) -> serde_json::Value {
    let url = r["stats_url"].as_str().expect("stats url");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        reqwest::get(url)
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON")
    })
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"engine_cycle".contains(a.as_str()))
    {
        return;
    }
    let users = env_num("NOWSYNC_BENCH_USERS", 5000);
    let groups = env_num("NOWSYNC_BENCH_GROUPS", 250);
    let latency = env_num("NOWSYNC_BENCH_LATENCY_MS", 20);
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let s = sim(users, groups, latency);
        write_config(dir.path(), &s.ready);
        let (wall, rss) = cycle(dir.path(), &s.ready);
        let st = stats(&s.ready);
        let w: u64 = ["POST", "PUT", "PATCH", "DELETE"]
            .iter()
            .map(|m| st["requests"][m].as_u64().unwrap_or(0))
            .sum();
        let reads = st["requests"]["GET"].as_u64().unwrap_or(0);
        let bound = Duration::from_millis(w * latency / SLOTS);
        println!(
            "engine_cycle: {users} users, {groups} groups, L={latency} ms, S={SLOTS}: W={w} writes (+{reads} reads), \
             bound W·L/S={:.2} s, wall={:.2} s, ratio={:.2}x, 429s={}, peak_in_flight={}, peak RSS={} MB",
            bound.as_secs_f64(),
            wall.as_secs_f64(),
            wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
            st["rejected_429"],
            st["peak_in_flight"],
            rss / 1024
        );
    }
    let big = env_num("NOWSYNC_BENCH_BIG_USERS", 100_000);
    if big > 0 {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = sim(big, 500, 0);
        write_config(dir.path(), &s.ready);
        let (wall, rss) = cycle(dir.path(), &s.ready);
        let st = stats(&s.ready);
        println!(
            "engine_cycle: {big} users at L=0: wall={:.2} s, writes={}, peak RSS of nowsync={} MB (target < 300 MB)",
            wall.as_secs_f64(),
            ["POST", "PUT", "PATCH", "DELETE"]
                .iter()
                .map(|m| st["requests"][m].as_u64().unwrap_or(0))
                .sum::<u64>(),
            rss / 1024
        );
    }
}
