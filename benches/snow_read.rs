//! Whole-table read benchmark: `read_all` of every `sys_user` row from the ServiceNow simulator,
//! reported as rows/s and as a ratio to the performance model's bound (DESIGN, "The performance
//! model"): with P page requests, S semaphore slots and L server latency per request, no client
//! can finish faster than about P·L/S.
//!
//! The simulator runs in a separate process: this binary re-executes itself with
//! `NOWSYNC_BENCH_ROLE=sim`, and that child serves the simulator and prints one JSON line with
//! its URL and admin credentials, so the benchmark needs no separately built binary.
//!
//! Knobs (environment): `NOWSYNC_BENCH_USERS` (default 100000), `NOWSYNC_BENCH_LATENCY_MS`
//! (default 50), `NOWSYNC_BENCH_PAGE` (default 2000), `NOWSYNC_BENCH_IN_FLIGHT` (default 8).

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nowsync::secrets::Secret;
use nowsync::servicenow::{Auth, Client, ClientOptions, Instance, ListParams};

const SLOTS: usize = 4;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    if std::env::var("NOWSYNC_BENCH_ROLE").as_deref() == Ok("sim") {
        run_sim();
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument that names another bench skips us.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"snow_read".contains(a.as_str()))
    {
        return;
    }
    let users = env_num("NOWSYNC_BENCH_USERS", 100_000);
    let latency_ms = env_num("NOWSYNC_BENCH_LATENCY_MS", 50);
    let page = env_num("NOWSYNC_BENCH_PAGE", 2000) as u32;
    let in_flight = env_num("NOWSYNC_BENCH_IN_FLIGHT", 8) as usize;

    let exe = std::env::current_exe().expect("own path");
    let started_sim = Instant::now();
    let mut child = Command::new(exe)
        .env("NOWSYNC_BENCH_ROLE", "sim")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the simulator process");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("child stdout"))
        .read_line(&mut line)
        .expect("simulator line");
    let info: serde_json::Value = serde_json::from_str(&line).expect("simulator JSON line");
    let url = info["url"].as_str().expect("url").to_owned();
    eprintln!(
        "simulator with {users} extra users up in {:?} at {url}",
        started_sim.elapsed()
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::new();
        let set = serde_json::json!({"latency_ms": latency_ms});
        http.post(format!("{url}/sim/faults"))
            .json(&set)
            .send()
            .await
            .expect("set latency");
        http.post(format!("{url}/sim/stats/reset"))
            .send()
            .await
            .expect("reset stats");
        let auth = Auth::Basic {
            username: info["user"].as_str().expect("user").to_owned(),
            password: Secret::new(info["password"].as_str().expect("password")),
        };
        let options = ClientOptions {
            page_size: page,
            max_in_flight: in_flight,
            ..ClientOptions::default()
        };
        let client = Client::new(Instance::parse(&url, false).expect("url"), auth, options).expect("client");
        let params = ListParams::default().fields(&["sys_id", "user_name", "email", "active", "department"]);
        let started = Instant::now();
        let mut pages = 0u64;
        let rows = client
            .read_all("sys_user", &params, |_| pages += 1)
            .await
            .expect("read_all");
        let elapsed = started.elapsed();
        let stats: serde_json::Value = http
            .get(format!("{url}/sim/stats"))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON");
        let requests = stats["requests"]["GET"].as_u64().unwrap_or(pages + 1);
        let bound = Duration::from_millis(latency_ms) * requests as u32 / SLOTS as u32;
        println!("snow_read: {rows} rows in {pages} pages ({requests} GETs) in {elapsed:.2?}");
        println!(
            "  {:.0} rows/s; page {page}, in flight {in_flight}, latency {latency_ms} ms, {SLOTS} slots",
            rows as f64 / elapsed.as_secs_f64()
        );
        if bound.is_zero() {
            println!("  bound P·L/S = 0 (no simulated latency): the time is processing on both sides");
        } else {
            let ratio = elapsed.as_secs_f64() / bound.as_secs_f64();
            println!("  bound P·L/S = {bound:.2?}; elapsed / bound = {ratio:.2}");
        }
        println!(
            "  simulator peak in flight {}, 429s {}",
            stats["peak_in_flight"], stats["rejected_429"]
        );
    });
    drop(child.stdin.take());
    let _ = child.wait();
}

/// The child: serves a simulator until its stdin closes.
fn run_sim() {
    let users = env_num("NOWSYNC_BENCH_USERS", 100_000) as usize;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let options = nowsync::sim::snow::Options {
            snow_users: users,
            ..Default::default()
        };
        let running = nowsync::sim::snow::spawn(options).await.expect("simulator");
        let line =
            serde_json::json!({"url": running.url, "user": running.admin_user, "password": running.admin_password});
        println!("{line}");
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .ok();
        drop(running);
    });
}
