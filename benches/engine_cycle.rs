//! Engine benchmark (issues 6, 16): initial cycles of the real binary against `nowsync sim` in a
//! separate process, scope `all`, seed 3.
//!
//! 1. Capacity found with no configuration (issue 16): `sim --latency-ms 20 --semaphore S` for
//!    S = 2, 4 and 16, and a profile without `max_in_flight`. One row each: the writes W, the
//!    performance model's bound W·L/S (DESIGN.md), the cycle's wall time, their ratio (target
//!    ≤ 1.15×) and the share of requests the simulator refused with 429 (target ≤ 0.5 %).
//! 2. The 429 storm: S = 1, queue 2, L = 20 ms, 1,000 users: objects failed for throttling
//!    (target 0).
//! 3. Small at 100,000 (issue 16 §3): `sim --users 100000 --groups 2000 --latency-ms 0`, the
//!    peak resident memory (VmHWM) of the nowsync process (not the simulator's) during its
//!    initial cycle (target < 300 MB), then a quiet cycle (target < 150 MB) with its reads and
//!    writes (ServiceNow and Graph requests, from both simulators' `/sim/stats`), then a quiet
//!    cycle with `--json`; and a second world's initial cycle with `--json`.
//! 4. Writes per initial cycle (the S = 4 world): rows created (users, groups, memberships)
//!    against every write sent; the difference is what references to objects outside the
//!    cycle's creations cost (target: none but those; managers ride in the creates).
//! 5. An incremental cycle with 1 % of the users changed in Entra (their `jobTitle`), against
//!    its own bound W·L/S (target ≤ 1.2×).
//!
//! After the table, the CPU seconds the nowsync process and the simulator spent in each
//! capacity cycle, against its wall time × 2 cores (is a case CPU-bound on this machine?).
//!
//! `cargo bench --bench engine_cycle -- rss` runs part 3 alone (its table rows only).
//!
//! Knobs (environment): `NOWSYNC_BENCH_USERS` (3000), `NOWSYNC_BENCH_GROUPS` (150),
//! `NOWSYNC_BENCH_LATENCY_MS` (20), `NOWSYNC_BENCH_SLOTS` (`2,4,16`), `NOWSYNC_BENCH_STORM_USERS`
//! (1000; 0 skips part 2), `NOWSYNC_BENCH_BIG_USERS` (100000; 0 skips part 3),
//! `NOWSYNC_BENCH_BIG_GROUPS` (2000), `NOWSYNC_BENCH_BIG_JSON` (1; 0 skips the second world).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nowsync");

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Sim {
    child: Child,
    ready: serde_json::Value,
}

/// CPU seconds (user + system) a process has spent so far, from `/proc/<pid>/stat`.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The simulator's performance model: API_INT slots, queue, latency per request.
#[derive(Clone, Copy)]
struct Model {
    slots: u64,
    queue: u64,
    latency_ms: u64,
}

fn sim(users: u64, groups: u64, model: Model) -> Sim {
    let mut child = Command::new(BIN)
        .args([
            "sim",
            "--users",
            &users.to_string(),
            "--groups",
            &groups.to_string(),
            "--seed",
            "3",
        ])
        .args([
            "--snow-users",
            &(users / 10).to_string(),
            "--latency-ms",
            &model.latency_ms.to_string(),
        ])
        .args([
            "--semaphore",
            &model.slots.to_string(),
            "--queue",
            &model.queue.to_string(),
        ])
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
         tenant_id = \"{}\"\nclient_id = \"{}\"\nservice_principal_id = \"{}\"\nauthority_url = \"{}\"\ngraph_url = \"{}\"\n\n\
         [profiles.default.provisioning]\nscope = \"all\"\n",
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

/// What one `sync --once --json` did.
struct Cycle {
    wall: Duration,
    /// Peak RSS in kB, as last seen.
    rss_kb: u64,
    /// CPU seconds of the nowsync process, as last seen.
    cpu: f64,
    /// Failed objects by error code.
    failed: std::collections::BTreeMap<String, u64>,
}

/// Runs one `sync --once` (with `--json` when the failures are wanted).
fn cycle(dir: &Path, r: &serde_json::Value, json: bool) -> Cycle {
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["sync", "--once"])
        .args(json.then_some("--json"))
        .env(
            "NOWSYNC_SERVICENOW_PASSWORD",
            r["servicenow_password"].as_str().expect("pw"),
        )
        .env(
            "NOWSYNC_GRAPH_CLIENT_SECRET",
            r["client_secret"].as_str().expect("secret"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nowsync sync");
    let mut stdout = child.stdout.take().expect("sync stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let mut peak = 0;
    let mut cpu = 0.0f64;
    loop {
        if let Some(kb) = peak_rss_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(c) = cpu_secs(child.id()) {
            cpu = cpu.max(c);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed();
    let doc: serde_json::Value = serde_json::from_str(&reader.join().unwrap_or_default()).unwrap_or_default();
    let mut failed = std::collections::BTreeMap::new();
    for r in doc["results"].as_array().into_iter().flatten() {
        if r["status"] == "failure" {
            let code = r["error_code"].as_str().unwrap_or("?").to_owned();
            *failed.entry(code).or_insert(0) += 1;
        }
    }
    Cycle {
        wall,
        rss_kb: peak,
        cpu,
        failed,
    }
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

fn writes_and_requests(st: &serde_json::Value) -> (u64, u64) {
    let n = |m: &str| st["requests"][m].as_u64().unwrap_or(0);
    let writes = n("POST") + n("PUT") + n("PATCH") + n("DELETE");
    (writes, writes + n("GET"))
}

fn reset_stats(r: &serde_json::Value) {
    let url = format!("{}/reset", r["stats_url"].as_str().expect("stats url"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async { reqwest::Client::new().post(url).send().await.expect("reset") });
}

/// A world after its initial cycle: the simulator and the data dir.
struct World {
    sim: Sim,
    dir: tempfile::TempDir,
}

/// One initial cycle with no configuration against `model`; prints its row, keeps a line of
/// CPU figures for after the table, and returns the world.
fn capacity_row(users: u64, groups: u64, model: Model, cpu: &mut Vec<String>) -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = sim(users, groups, model);
    write_config(dir.path(), &s.ready);
    let sim_cpu = cpu_secs(s.child.id()).unwrap_or(0.0);
    let c = cycle(dir.path(), &s.ready, true);
    let sim_cpu = cpu_secs(s.child.id()).unwrap_or(0.0) - sim_cpu;
    cpu.push(format!(
        "engine_cycle: S={}: CPU nowsync {:.1} s + simulator {:.1} s in {:.1} s wall ({:.0} % of 2 cores)",
        model.slots,
        c.cpu,
        sim_cpu,
        c.wall.as_secs_f64(),
        100.0 * (c.cpu + sim_cpu) / (2.0 * c.wall.as_secs_f64()).max(1e-9)
    ));
    let st = stats(&s.ready);
    let (w, requests) = writes_and_requests(&st);
    let refused = st["rejected_429"].as_u64().unwrap_or(0);
    let bound = Duration::from_millis(w * model.latency_ms / model.slots);
    let throttled = c.failed.get("ServiceNowThrottled").copied().unwrap_or(0);
    println!(
        "| {users} users, L={} ms, S={} | W={w} | {:.1} s | {:.1} s | {:.2}x | {refused} ({:.2} %) | {} | {throttled} | {} MB |",
        model.latency_ms,
        model.slots,
        bound.as_secs_f64(),
        c.wall.as_secs_f64(),
        c.wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
        100.0 * refused as f64 / (requests + refused).max(1) as f64,
        st["peak_in_flight"],
        c.rss_kb / 1024,
    );
    World { sim: s, dir }
}

/// Writes of the initial cycle whose statistics are `st`: rows created against all writes.
fn writes_row(st: &serde_json::Value) {
    let n = |t: &str, m: &str| st["by_table"][t][m].as_u64().unwrap_or(0);
    let created = n("sys_user", "POST") + n("sys_user_group", "POST") + n("sys_user_grmember", "POST");
    let (w, _) = writes_and_requests(st);
    println!(
        "| initial writes: {created} rows created (users {}, groups {}, memberships {}); other writes {} (PATCH sys_user {}) | W={w} | – | – | {:.3}x rows | – | – | – |",
        n("sys_user", "POST"),
        n("sys_user_group", "POST"),
        n("sys_user_grmember", "POST"),
        w - created,
        n("sys_user", "PATCH"),
        w as f64 / created.max(1) as f64,
    );
}

/// 1 % of the users changed in Entra (`jobTitle`), then one incremental cycle: its row.
fn incremental_row(world: &World, model: Model) {
    let r = &world.sim.ready;
    let get = |k: &str| r[k].as_str().expect(k).to_owned();
    let entra = nowsync::config::Entra {
        tenant_id: get("tenant_id"),
        client_id: get("client_id"),
        service_principal_id: get("service_principal_id"),
        cloud: nowsync::config::Cloud::Global,
        authority_url: Some(get("authority_url")),
        graph_url: Some(get("graph_url")),
        network: Default::default(),
    };
    let secret = nowsync::secrets::Secret::new(get("client_secret"));
    let graph = nowsync::graph::Client::new(&entra, secret, nowsync::graph::Options::default()).expect("graph client");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let changed = rt.block_on(async {
        let users = graph.users().all().await.expect("users");
        let mut changed = 0;
        for u in users.iter().step_by(100) {
            let body = serde_json::json!({"jobTitle": format!("Changed {}", u.id)});
            graph
                .request(reqwest::Method::PATCH, &format!("/users/{}", u.id), Some(&body))
                .await
                .expect("change");
            changed += 1;
        }
        changed
    });
    reset_stats(r);
    let c = cycle(world.dir.path(), r, false);
    let st = stats(r);
    let (w, requests) = writes_and_requests(&st);
    let refused = st["rejected_429"].as_u64().unwrap_or(0);
    let bound = Duration::from_millis(w * model.latency_ms / model.slots);
    println!(
        "| incremental: {changed} users changed (1 %), L={} ms, S={} | W={w} | {:.2} s | {:.2} s | {:.2}x | {refused} ({:.2} %) | {} | – |",
        model.latency_ms,
        model.slots,
        bound.as_secs_f64(),
        c.wall.as_secs_f64(),
        c.wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
        100.0 * refused as f64 / (requests + refused).max(1) as f64,
        st["peak_in_flight"],
    );
}

/// The 429 storm: one slot, a queue of two. Prints its row and the failures by code.
fn storm_row(users: u64, latency_ms: u64) {
    let model = Model {
        slots: 1,
        queue: 2,
        latency_ms,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let s = sim(users, users / 20, model);
    write_config(dir.path(), &s.ready);
    let c = cycle(dir.path(), &s.ready, true);
    let st = stats(&s.ready);
    let (w, requests) = writes_and_requests(&st);
    let refused = st["rejected_429"].as_u64().unwrap_or(0);
    let bound = Duration::from_millis(w * latency_ms);
    let throttled = c.failed.get("ServiceNowThrottled").copied().unwrap_or(0);
    println!(
        "| storm: {users} users, L={latency_ms} ms, S=1, queue 2 | W={w} | {:.1} s | {:.1} s | {:.2}x | {refused} ({:.2} %) | {} | {throttled} | {} MB |",
        bound.as_secs_f64(),
        c.wall.as_secs_f64(),
        c.wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
        100.0 * refused as f64 / (requests + refused).max(1) as f64,
        st["peak_in_flight"],
        c.rss_kb / 1024,
    );
    println!(
        "engine_cycle: storm failures by code (planted data failures are expected): {:?}",
        c.failed
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| a != "rss" && !"engine_cycle".contains(a.as_str())) {
        return;
    }
    if args.iter().any(|a| a == "rss") {
        // Part 3 alone: `cargo bench --bench engine_cycle -- rss`.
        println!("| case | writes | bound | wall | ratio | 429s | peak in flight | reads | nowsync peak RSS (VmHWM) |");
        println!("|---|---|---|---|---|---|---|---|---|");
        big_rows(
            env_num("NOWSYNC_BENCH_BIG_USERS", 100_000),
            env_num("NOWSYNC_BENCH_BIG_GROUPS", 2000),
            env_num("NOWSYNC_BENCH_BIG_JSON", 1) > 0,
        );
        return;
    }
    let users = env_num("NOWSYNC_BENCH_USERS", 3000);
    let groups = env_num("NOWSYNC_BENCH_GROUPS", 150);
    let latency_ms = env_num("NOWSYNC_BENCH_LATENCY_MS", 20);
    let slots: Vec<u64> = std::env::var("NOWSYNC_BENCH_SLOTS")
        .unwrap_or_else(|_| "2,4,16".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    println!(
        "| case (no configuration) | writes | bound W·L/S | wall | ratio | 429s (share of requests) | peak in flight | objects failed ServiceNowThrottled, or reads | nowsync peak RSS (VmHWM) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut cpu = Vec::new();
    for s in slots {
        let model = Model {
            slots: s,
            queue: 50,
            latency_ms,
        };
        let world = capacity_row(users, groups, model, &mut cpu);
        if s == 4 {
            writes_row(&stats(&world.sim.ready));
            incremental_row(&world, model);
        }
    }
    let storm = env_num("NOWSYNC_BENCH_STORM_USERS", 1000);
    if storm > 0 {
        storm_row(storm, latency_ms);
    }
    for line in cpu {
        println!("{line}");
    }
    let big = env_num("NOWSYNC_BENCH_BIG_USERS", 100_000);
    if big > 0 {
        big_rows(
            big,
            env_num("NOWSYNC_BENCH_BIG_GROUPS", 2000),
            env_num("NOWSYNC_BENCH_BIG_JSON", 1) > 0,
        );
    }
}

fn post(url: &str) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        reqwest::Client::new().post(url).send().await.expect("post");
    });
}

/// Both simulators' request counts zeroed (the quiet cycle's reads are counted alone).
fn reset_both_stats(r: &serde_json::Value) {
    post(&format!("{}/reset", r["stats_url"].as_str().expect("stats url")));
    post(&format!(
        "{}/sim/stats/reset",
        r["authority_url"].as_str().expect("authority")
    ));
}

fn graph_requests(r: &serde_json::Value) -> u64 {
    let url = format!("{}/sim/stats", r["authority_url"].as_str().expect("authority"));
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let st: serde_json::Value = rt.block_on(async {
        reqwest::get(url)
            .await
            .expect("graph stats")
            .json()
            .await
            .expect("graph stats JSON")
    });
    st["requests"].as_u64().unwrap_or(0)
}

/// One row of part 3: the cycle's writes and reads, wall time and the nowsync process's peak.
fn big_row(case: &str, r: &serde_json::Value, c: &Cycle, target_mb: u64) {
    let st = stats(r);
    let (writes, requests) = writes_and_requests(&st);
    println!(
        "| {case} | W={writes} | - | {:.1} s | - | {} | {} | {} GETs, {} Graph requests | **{} MB** ({} kB; target < {target_mb} MB) |",
        c.wall.as_secs_f64(),
        st["rejected_429"],
        st["peak_in_flight"],
        requests - writes,
        graph_requests(r),
        c.rss_kb / 1024,
        c.rss_kb,
    );
}

/// Part 3: peak RSS at `users` (scope all, L = 0), initial and quiet, with and without `--json`.
fn big_rows(users: u64, groups: u64, json_world: bool) {
    let model = Model {
        slots: 4,
        queue: 50,
        latency_ms: 0,
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let s = sim(users, groups, model);
    write_config(dir.path(), &s.ready);
    let c = cycle(dir.path(), &s.ready, false);
    big_row(
        &format!("{users} users, {groups} groups, L=0: initial"),
        &s.ready,
        &c,
        300,
    );
    for json in [false, true] {
        reset_both_stats(&s.ready);
        let c = cycle(dir.path(), &s.ready, json);
        let case = format!("… quiet cycle after it{}", if json { ", --json" } else { "" });
        big_row(&case, &s.ready, &c, 150);
    }
    drop(s);
    drop(dir);
    if json_world {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = sim(users, groups, model);
        write_config(dir.path(), &s.ready);
        let c = cycle(dir.path(), &s.ready, true);
        big_row(
            &format!("{users} users, {groups} groups, L=0: initial, --json"),
            &s.ready,
            &c,
            300,
        );
    }
}
