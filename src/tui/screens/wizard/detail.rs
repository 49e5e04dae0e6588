//! What the wizard says under a step's fields: the instance's URL (or why it is not one, once
//! something was typed), the secret store and why it was chosen, where to find the Entra ids
//! and which Graph permissions to grant, the connection test's steps, and the review with what
//! saving does and whether provisioning starts. Reads state only.

use ratatui::text::{Line, Span};

use super::view::{WizardView, store_word};
use super::{Field, SaveStatus, SideTest, Step, StoreStatus, cloud_word};
use crate::model::check::Outcome;
use crate::model::text::{sanitize_for_terminal, sanitize_multiline};
use crate::secrets::StoreKind;

/// Where an admin finds the Entra step's values, and what the app must be granted
/// (specs/graph.md: users, group members, app-role assignments; `Directory.Read.All` covers all).
const ENTRA_HELP: [&str; 4] = [
    "Tenant id: Entra admin center > Overview (Tenant ID).",
    "Client id: App registrations > the app > Overview (Application (client) ID); the secret: its Certificates & secrets.",
    "Service principal id: Enterprise applications > the app > Overview (Object ID).",
    "Grant the app these Graph application permissions, with admin consent: User.Read.All, GroupMember.Read.All, Application.Read.All (or Directory.Read.All).",
];

impl WizardView<'_> {
    /// The step's one-line hint, under its title.
    pub(super) fn hint(&self) -> &'static str {
        match self.wizard.step {
            Step::Instance => "The name before .service-now.com (e.g. dev35214), or a full https:// URL.",
            Step::Credentials => "An admin account of the instance (the admin role is checked in the test).",
            Step::Entra => "The app registration (client credentials) and the enterprise app's service principal.",
            Step::Test => "Enter or t runs both sides; each step shows its result, duration and what to do.",
            Step::Notification => "Who hears about quarantine and failures (sending is configured in Settings).",
            Step::Review => "Enter saves: the secrets to the store, the profile to the configuration file.",
        }
    }

    /// The lines under the fields.
    pub(super) fn detail(&self) -> Vec<Line<'static>> {
        let w = self.wizard;
        let t = self.theme;
        let mut lines: Vec<Line<'static>> = vec![Line::default()];
        if w.marked(w.step)
            && let Some(problem) = w.problem(w.step).filter(|_| w.step != Step::Instance)
        {
            lines.push(Line::from(Span::styled(
                format!("✗ {}: Enter moves on once it is fixed", sanitize_for_terminal(&problem)),
                t.error(),
            )));
        }
        match w.step {
            Step::Instance => self.instance_lines(&mut lines),
            Step::Credentials => {
                if w.oauth {
                    lines.extend(
                        super::oauth::INSTANCE_STEPS
                            .iter()
                            .map(|h| Line::from(Span::styled(*h, t.dim()))),
                    );
                }
                self.store_lines(&mut lines);
            }
            Step::Entra => {
                let clouds: Vec<&str> = super::CLOUDS.iter().map(|(_, w)| *w).collect();
                // The line about the focused field (one row at 80 columns, so the help still fits).
                let first = if matches!(w.field(), Some(Field::AuthorityUrl | Field::GraphUrl)) {
                    "Optional: empty uses the cloud's default shown; https:// only.".to_owned()
                } else {
                    format!("Clouds: {} (← →)", clouds.join(", "))
                };
                lines.push(Line::from(Span::styled(first, t.dim())));
                lines.extend(ENTRA_HELP.iter().map(|h| Line::from(Span::styled(*h, t.dim()))));
            }
            Step::Test => {
                if w.offers_oauth() {
                    lines.push(Line::from(Span::styled(
                        "This instance's API access policy refuses Basic authentication: press o to sign in with OAuth instead (step 2 shows what to create on the instance).",
                        t.warn(),
                    )));
                }
                self.side_lines(&mut lines, "ServiceNow", &w.servicenow_test);
                self.side_lines(&mut lines, "Entra", &w.entra_test);
            }
            Step::Notification => lines.push(Line::from(Span::styled("Optional: leave empty for none.", t.dim()))),
            Step::Review => self.review_lines(&mut lines),
        }
        lines
    }

    /// The instance's URL as the engine will use it, or why it is not one (once typed).
    fn instance_lines(&self, lines: &mut Vec<Line<'static>>) {
        let w = self.wizard;
        let t = self.theme;
        match w.instance() {
            Ok(instance) => lines.push(Line::from(Span::styled(
                format!(
                    "✓ URL {} (the Test step checks that its name resolves)",
                    instance.base_url()
                ),
                t.ok(),
            ))),
            Err(why) if w.marked(Step::Instance) => lines.push(Line::from(Span::styled(
                format!("✗ {}", sanitize_for_terminal(&why.to_string())),
                t.error(),
            ))),
            Err(_) => lines.push(Line::from(Span::styled(
                "Type the instance's name or URL; Enter moves on once it is one.",
                t.dim(),
            ))),
        }
    }

    /// Where the secrets go, why that store, and how to pick another.
    fn store_lines(&self, lines: &mut Vec<Line<'static>>) {
        let w = self.wizard;
        let t = self.theme;
        if let Some(note) = &w.store_note {
            lines.push(Line::from(Span::styled(note.clone(), t.warn())));
        }
        let (text, style) = match &w.store_status {
            _ if w.secrets_from_env() => (
                "Secrets: from the environment, nothing stored.".to_owned(),
                t.ok(),
            ),
            StoreStatus::Probing => ("checking the secret store…".to_owned(), t.dim()),
            StoreStatus::Ready(StoreKind::Memory) => (
                "Secrets are kept in memory for this demo: nothing is written anywhere.".to_owned(),
                t.ok(),
            ),
            StoreStatus::Ready(StoreKind::Keyutils) => (
                "Secrets will be saved to keyutils, the kernel keyring: it is cleared on reboot.".to_owned(),
                t.warn(),
            ),
            StoreStatus::Ready(kind) => (format!("Secrets will be saved to {kind} (the OS keyring)."), t.ok()),
            StoreStatus::EnvOnly => (
                "Nothing will be stored: set NOWSYNC_SERVICENOW_PASSWORD and NOWSYNC_GRAPH_CLIENT_SECRET (or their _FILE variants) where nowsync runs. The values typed here are used for the test only.".to_owned(),
                t.warn(),
            ),
            StoreStatus::Unavailable(why) => (sanitize_multiline(why), t.error()),
        };
        for l in text.lines() {
            lines.push(Line::from(Span::styled(l.to_owned(), style)));
        }
        for (name, var) in &w.env_secrets {
            lines.push(Line::from(Span::styled(
                format!("{name} comes from {var}: not asked here, not stored."),
                t.dim(),
            )));
        }
        if w.store_choices.len() > 1 {
            lines.push(Line::from(Span::styled(
                "← → on \"Secret store\" picks another: auto (the OS keyring), keyutils (cleared on reboot), env (NOWSYNC_* variables).",
                t.key(),
            )));
        }
    }

    pub(super) fn side_lines(&self, lines: &mut Vec<Line<'static>>, name: &str, side: &SideTest) {
        let t = self.theme;
        let w = self.wizard;
        let status = match side {
            SideTest::NotRun => ("not run".to_owned(), t.dim()),
            SideTest::Invalid(why) => (format!("cannot run: {}", sanitize_for_terminal(why)), t.error()),
            SideTest::Running => ("running…".to_owned(), t.warn()),
            SideTest::Done(_) if side.passed() => ("PASS".to_owned(), t.ok()),
            SideTest::Done(_) => ("FAIL".to_owned(), t.error()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{name}: "), t.title()),
            Span::styled(status.0, status.1),
        ]));
        let SideTest::Done(steps) = side else {
            return;
        };
        for step in steps {
            let (mark, style) = match step.outcome {
                Outcome::Pass => ("✓", t.ok()),
                Outcome::Fail => ("✗", t.error()),
                Outcome::Skipped => ("-", t.dim()),
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {mark}"), style),
                Span::styled(format!("{:>5}ms ", step.duration.as_millis()), t.dim()),
                Span::raw(sanitize_for_terminal(&step.title)),
            ]));
            if step.outcome == Outcome::Fail {
                let code = step
                    .error_code
                    .as_deref()
                    .map(|c| format!("[{c}] "))
                    .unwrap_or_default();
                lines.push(Line::from(Span::styled(
                    format!(
                        "      {}{}",
                        sanitize_for_terminal(&code),
                        sanitize_for_terminal(&w.advice(step))
                    ),
                    t.error(),
                )));
            }
        }
    }

    fn review_lines(&self, lines: &mut Vec<Line<'static>>) {
        let w = self.wizard;
        let t = self.theme;
        let row = |k: &str, v: String| Line::from(vec![Span::styled(format!("  {k:<20}"), t.dim()), Span::raw(v)]);
        let instance = w.instance().map(|i| i.base_url()).unwrap_or_else(|e| e.to_string());
        lines.push(row("Instance", sanitize_for_terminal(&instance)));
        lines.push(row("Admin user", sanitize_for_terminal(w.inputs.username.value())));
        lines.push(row(
            "Tenant / cloud",
            format!(
                "{} / {}",
                sanitize_for_terminal(w.inputs.tenant_id.value()),
                cloud_word(w.cloud)
            ),
        ));
        lines.push(row("Email", sanitize_for_terminal(w.inputs.email.value())));
        if w.secrets_from_env() {
            lines.push(row("Secrets", "from the environment, nothing stored".to_owned()));
        } else {
            lines.push(row("Secrets to", store_word(w.store_choice())));
        }
        lines.push(row(
            "Profile file",
            format!("{} [profiles.{}]", w.config_path.display(), w.profile),
        ));
        let tested = w.servicenow_test.passed() && w.entra_test.passed();
        lines.push(row(
            "Connection test",
            if tested {
                "passed".into()
            } else {
                "not passed (you may still save)".into()
            },
        ));
        lines.push(row(
            "Provisioning",
            if w.start && w.was_enabled == Some(true) {
                "stays on: scheduled cycles go on writing to ServiceNow".into()
            } else if w.start {
                "starts: scheduled cycles write to ServiceNow".into()
            } else if w.was_enabled == Some(true) {
                "turned off: scheduled cycles stop writing until it is turned on again (Settings)".into()
            } else {
                "stays off: nothing is written until it is turned on (Settings) or r runs a cycle; a dry run is offered"
                    .into()
            },
        ));
        lines.push(Line::default());
        let (text, style) = match (w.validation(), &w.save) {
            (Err(why), _) => (format!("✗ {}", sanitize_for_terminal(&why.to_string())), t.error()),
            (Ok(_), SaveStatus::NotSaved) => ("Enter saves.".to_owned(), t.key()),
            (Ok(_), SaveStatus::Saving) => ("saving…".to_owned(), t.warn()),
            (Ok(_), SaveStatus::Saved(m)) => (format!("✓ {m}"), t.ok()),
            (Ok(_), SaveStatus::Failed(m)) => (format!("✗ {m}"), t.error()),
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
}
