//! Serves a ServiceNow simulator on loopback until Ctrl-C, for trying clients by hand
//! (pysnow, curl). Prints one JSON line with the URL and the admin credentials.
//!
//! `cargo run --example sim_snow -- [PORT] [SNOW_USERS]`

use nowsync::sim::snow::{self, Options, Sim};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let snow_users = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let sim = Sim::new(Options {
        snow_users,
        ..Options::default()
    });
    let o = sim.options();
    let line = serde_json::json!({
        "servicenow_url": format!("http://{}", listener.local_addr()?),
        "servicenow_user": o.admin_user,
        "servicenow_password": o.admin_password,
        "reader_user": snow::READER_USER,
        "reader_password": snow::READER_PASSWORD,
        "oauth_client_id": snow::OAUTH_CLIENT_ID,
        "oauth_client_secret": snow::OAUTH_CLIENT_SECRET,
    });
    println!("{line}");
    snow::serve(listener, sim, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
