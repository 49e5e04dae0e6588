//! Batch API against single Table API writes (issue 16 §2): the same N creates in `sys_user`
//! sent one request each, and as Batch API requests of K items, against `nowsync sim` in a
//! separate process (`--latency-ms L --semaphore S`; the simulator runs a batch's items one
//! after another in the one slot the batch holds, each costing L, as an instance does).
//! Both keep the client's in-flight limit + 4 requests going (the applier's rule). Prints wall
//! time, its ratio to the bound N·L/S, the HTTP requests sent, the 429s, and the CPU seconds of
//! the client (this process) and of the simulator.
//!
//! Knobs: `NOWSYNC_BENCH_BATCH_N` (1200), `NOWSYNC_BENCH_BATCH_K` (10),
//! `NOWSYNC_BENCH_LATENCY_MS` (20), `NOWSYNC_BENCH_SLOTS` (`4,16`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use nowsync::secrets::Secret;
use nowsync::servicenow::{self, Auth, BatchOp, ClientOptions, Instance};
use serde_json::{Map, Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_nowsync");

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Sim(Child, Value);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sim(slots: u64, latency_ms: u64) -> Sim {
    let mut child = Command::new(BIN)
        .args([
            "sim",
            "--users",
            "10",
            "--groups",
            "1",
            "--seed",
            "3",
            "--snow-users",
            "0",
        ])
        .args([
            "--latency-ms",
            &latency_ms.to_string(),
            "--semaphore",
            &slots.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start nowsync sim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let ready = serde_json::from_str(&line).expect("ready JSON");
    Sim(child, ready)
}

fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let Some(end) = stat.rfind(')') else { return 0.0 };
    let fields: Vec<&str> = stat[end + 2..].split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn fields(mode: &str, i: u64) -> Map<String, Value> {
    let row = json!({"user_name": format!("{mode}.{i}"), "first_name": "Bench", "last_name": format!("{i}")});
    row.as_object().cloned().unwrap_or_default()
}

async fn run(client: &servicenow::Client, n: u64, k: u64, mode: &str) -> u64 {
    let mut next = 0u64;
    let mut inflight = FuturesUnordered::new();
    let mut failed = 0;
    loop {
        while inflight.len() < client.in_flight_limit() + 4 && next < n {
            let c = client.clone();
            if k <= 1 {
                let f = fields(mode, next);
                inflight.push(tokio::spawn(async move {
                    u64::from(c.create("sys_user", &f).await.is_err())
                }));
                next += 1;
            } else {
                let ops: Vec<BatchOp> = (next..(next + k).min(n))
                    .map(|i| BatchOp::Create {
                        table: "sys_user".into(),
                        fields: fields(mode, i),
                    })
                    .collect();
                next += ops.len() as u64;
                inflight.push(tokio::spawn(async move {
                    match c.batch(&ops).await {
                        Ok(results) => results.iter().filter(|r| r.is_err()).count() as u64,
                        Err(_) => ops.len() as u64,
                    }
                }));
            }
        }
        match inflight.next().await {
            Some(r) => failed += r.unwrap_or(0),
            None => break,
        }
    }
    failed
}

fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"batch_api".contains(a.as_str()))
    {
        return;
    }
    let n = env_num("NOWSYNC_BENCH_BATCH_N", 1200);
    let k = env_num("NOWSYNC_BENCH_BATCH_K", 10);
    let latency_ms = env_num("NOWSYNC_BENCH_LATENCY_MS", 20);
    let slots: Vec<u64> = std::env::var("NOWSYNC_BENCH_SLOTS")
        .unwrap_or_else(|_| "4,16".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "| case | items | bound N·L/S | wall | ratio | HTTP requests | 429s | failed items | CPU client / simulator |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for s in slots {
        for (label, per) in [("Table API, one write per request", 1), ("Batch API", k)] {
            let sim = sim(s, latency_ms);
            let r = &sim.1;
            let get = |key: &str| r[key].as_str().expect(key).to_owned();
            let auth = Auth::Basic {
                username: get("servicenow_user"),
                password: Secret::new(get("servicenow_password")),
            };
            let instance = Instance::parse(&get("servicenow_url"), false).expect("instance");
            let client = servicenow::Client::new(instance, auth, ClientOptions::default()).expect("client");
            let (cpu0, sim0) = (cpu_secs(std::process::id()), cpu_secs(sim.0.id()));
            let started = Instant::now();
            let failed = rt.block_on(run(&client, n, per, &format!("s{s}k{per}")));
            let wall = started.elapsed();
            let (cpu, sim_cpu) = (cpu_secs(std::process::id()) - cpu0, cpu_secs(sim.0.id()) - sim0);
            let st: Value = rt.block_on(async {
                reqwest::get(get("stats_url"))
                    .await
                    .expect("stats")
                    .json()
                    .await
                    .expect("JSON")
            });
            let http = ["GET", "POST", "PATCH", "PUT", "DELETE"]
                .iter()
                .map(|m| st["requests"][m].as_u64().unwrap_or(0))
                .sum::<u64>()
                .saturating_sub(if per > 1 { n } else { 0 })
                + st["batches"].as_u64().unwrap_or(0);
            let bound = Duration::from_millis(n * latency_ms / s);
            println!(
                "| S={s}, L={latency_ms} ms: {label}{} | {n} | {:.1} s | {:.1} s | {:.2}x | {http} | {} | {failed} | {cpu:.1} s / {sim_cpu:.1} s |",
                if per > 1 {
                    format!(" ({per} items each)")
                } else {
                    String::new()
                },
                bound.as_secs_f64(),
                wall.as_secs_f64(),
                wall.as_secs_f64() / bound.as_secs_f64().max(1e-9),
                st["rejected_429"],
            );
        }
    }
}
