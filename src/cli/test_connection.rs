//! `nowsync test-connection [--json]`: each configured side, step by step.
//!
//! Exit codes (DESIGN.md): all configured steps pass → 0; any failure → 3; neither side
//! configured → 2. A side without configuration is reported as skipped. Sides run one after
//! the other so that their steps print in a stable order.

use std::io::IsTerminal;

use serde::Serialize;

use crate::config::Profile;
use crate::graph;
use crate::model::check::{Outcome, Step};
use crate::model::text::sanitize_multiline;
use crate::servicenow::{self, ClientOptions};
use crate::sync::Credentials;

use super::Exit;

/// The result of one side.
#[derive(Debug, Serialize)]
pub struct SideReport {
    pub side: &'static str,
    /// `pass`, `fail` or `skipped`.
    pub status: &'static str,
    /// What was tested: the instance URL, or the tenant.
    pub target: Option<String>,
    /// Why the side was skipped.
    pub reason: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub profile: String,
    pub ok: bool,
    pub sides: Vec<SideReport>,
}

/// A profile with nothing to test.
#[derive(Debug, thiserror::Error)]
#[error(
    "profile '{0}' configures neither [servicenow] nor [entra]: add [profiles.{0}.servicenow] with instance and username"
)]
pub struct NothingToTest(pub String);

/// Checks that the profile names something to test.
pub fn precheck(profile: &Profile) -> Result<(), NothingToTest> {
    if profile.servicenow.is_none() && profile.entra.is_none() {
        return Err(NothingToTest(profile.name.clone()));
    }
    Ok(())
}

/// Runs the checks of every configured side and prints them; returns the exit code.
pub async fn run(profile: &Profile, credentials: Credentials, json: bool) -> Exit {
    let mut sides = Vec::new();
    match (&profile.servicenow, credentials.servicenow) {
        (Some(sn), Some(auth)) => {
            let options = ClientOptions::for_profile(sn);
            let steps = servicenow::check::test_connection(&sn.instance, &auth, &options).await;
            sides.push(side("servicenow", Some(sn.instance.base_url()), steps));
        }
        _ => sides.push(skipped("servicenow", "not configured in this profile")),
    }
    match (&profile.entra, credentials.graph_client_secret) {
        (Some(entra), Some(secret)) => {
            let steps = graph::check::test_connection(entra, &secret).await;
            sides.push(side("entra", Some(format!("tenant {}", entra.tenant_id)), steps));
        }
        _ => sides.push(skipped("entra", "not configured in this profile")),
    }
    let failed = sides.iter().any(|s| s.status == "fail");
    let report = Report {
        profile: profile.name.clone(),
        ok: !failed,
        sides,
    };
    if json {
        super::out::json(&report);
    } else {
        print!("{}", render_text(&report));
    }
    if failed { Exit::Connection } else { Exit::Success }
}

fn side(name: &'static str, target: Option<String>, steps: Vec<Step>) -> SideReport {
    let failed = steps.iter().any(|s| s.outcome == Outcome::Fail);
    SideReport {
        side: name,
        status: if failed { "fail" } else { "pass" },
        target,
        reason: None,
        steps,
    }
}

fn skipped(name: &'static str, reason: &str) -> SideReport {
    SideReport {
        side: name,
        status: "skipped",
        target: None,
        reason: Some(reason.to_owned()),
        steps: Vec::new(),
    }
}

/// The human form: one line per step with its result and duration, the message under it.
pub fn render_text(report: &Report) -> String {
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    let width = report
        .sides
        .iter()
        .flat_map(|s| &s.steps)
        .map(|step| step.title.chars().count())
        .max()
        .unwrap_or(0);
    for s in &report.sides {
        let title = match s.side {
            "servicenow" => "ServiceNow",
            _ => "Entra ID",
        };
        let target = s.target.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
        out.push_str(&format!("{title}{target}\n"));
        if s.status == "skipped" {
            let reason = s.reason.as_deref().unwrap_or_default();
            out.push_str(&format!("  {}  {reason}\n", paint("33", "SKIP")));
        }
        for step in &s.steps {
            let (label, code) = match step.outcome {
                Outcome::Pass => ("PASS", "32"),
                Outcome::Fail => ("FAIL", "31"),
                Outcome::Skipped => ("SKIP", "33"),
            };
            out.push_str(&format!(
                "  {}  {:<width$} {:>6} ms\n",
                paint(code, label),
                sanitize_multiline(&step.title),
                step.duration.as_millis()
            ));
            if !step.message.is_empty() && step.outcome != Outcome::Skipped {
                let code = step
                    .error_code
                    .as_deref()
                    .map(|c| format!("[{c}] "))
                    .unwrap_or_default();
                for (i, line) in sanitize_multiline(&step.message).lines().enumerate() {
                    let prefix = if i == 0 { code.as_str() } else { "" };
                    out.push_str(&format!("        {prefix}{line}\n"));
                }
            }
        }
    }
    out.push_str(if report.ok {
        "All configured checks passed.\n"
    } else {
        "Connection test failed: fix the first failing step above and run it again.\n"
    });
    out
}
