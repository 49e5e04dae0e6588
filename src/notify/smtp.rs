//! Sending: [`Notifier`] turns an [`Event`] into a mail and hands it to the profile's SMTP server
//! with lettre on rustls (STARTTLS, implicit TLS, or plain to a loopback host only).
//!
//! Every attempt is two steps on their own connections: connect (TLS, AUTH), then send. The
//! split is what lets an error say whether the server refused us or the recipient, since
//! lettre's errors do not name the command that failed. Both are bounded by the timeout.
//!
//! Invariant: no error, log line or mail carries the SMTP password. Server replies are quoted
//! (they say why), sanitised, and scrubbed of the password and of its base64 forms in case a
//! server echoes the AUTH line back.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::dedup::StateFile;
use super::error::{NotifyError, io_kind, scrub};
use super::event::Event;
use super::message::{one_line, render};
use crate::config::{Notification, SmtpTls};
use crate::secrets::Secret;

/// Default bound on connecting and on each SMTP command.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends notification mail for one profile.
pub struct Notifier {
    profile: String,
    settings: Notification,
    host: String,
    password: Option<Secret>,
    timeout: Duration,
}

/// What [`Notifier::notify`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Not sent: this reason was already mailed for the profile.
    AlreadySent {
        reason: String,
    },
}

/// Which step failed: decides what an SMTP error means.
#[derive(Clone, Copy)]
enum Step {
    Connect,
    Send,
}

impl Notifier {
    /// A notifier for `profile`'s settings. `password` is the secret `smtp-password`, required
    /// when `smtp_user` is set. Fails on settings that can never work (no host, plain SMTP to a
    /// remote host, a bad address).
    pub fn new(profile: &str, settings: &Notification, password: Option<Secret>) -> Result<Self, NotifyError> {
        let Some(host) = settings.smtp_host.clone() else {
            return Err(NotifyError::NoHost {
                profile: profile.to_owned(),
            });
        };
        // Config validates this too; checked again here because a Notification can be built
        // in code, and plain SMTP to a remote host would send the password in clear.
        if settings.smtp_tls == SmtpTls::None && !is_loopback(&host) {
            return Err(NotifyError::PlainNotLoopback { host });
        }
        if settings.smtp_user.is_some() && password.is_none() {
            return Err(NotifyError::PasswordMissing {
                profile: profile.to_owned(),
            });
        }
        let notifier = Self {
            profile: profile.to_owned(),
            settings: settings.clone(),
            host,
            password,
            timeout: DEFAULT_TIMEOUT,
        };
        notifier.mailbox(&notifier.settings.email)?;
        notifier.mailbox(&notifier.sender())?;
        Ok(notifier)
    }

    /// Bounds connecting and each SMTP command by `timeout` instead of [`DEFAULT_TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The address notices go to.
    pub fn recipient(&self) -> &str {
        &self.settings.email
    }

    /// `host:port (starttls)`, for messages.
    pub fn server(&self) -> String {
        let tls = match self.settings.smtp_tls {
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
            SmtpTls::None => "plain",
        };
        format!("{}:{} ({tls})", self.host, self.settings.smtp_port)
    }

    /// The sender: `smtp_user` when it is an address (relays often insist that the sender is
    /// the login), else the recipient itself.
    pub fn sender(&self) -> String {
        match &self.settings.smtp_user {
            Some(user) if user.contains('@') => user.clone(),
            _ => self.settings.email.clone(),
        }
    }

    /// Mails `event` if [`super::should_send`] says so, and records it in `state` once the
    /// server accepted it (a failed send is tried again on the next event).
    pub async fn notify(&self, state: &StateFile, event: &Event) -> Result<Delivery, NotifyError> {
        let dedup = state.load()?;
        if !dedup.should_send(event) {
            let reason = event.reason().map(|r| r.as_str().to_owned()).unwrap_or_default();
            tracing::info!(profile = %event.profile, %reason, "notification already sent for this reason");
            return Ok(Delivery::AlreadySent { reason });
        }
        self.send(event).await?;
        // Read again: another profile may have recorded its own reason while this mail was on
        // its way (the engine runs profiles side by side); the window left is a few syscalls,
        // and losing it would cost one repeated mail, never a missed one.
        let mut latest = state.load()?;
        latest.record(event);
        state.save(&latest)?;
        Ok(Delivery::Sent)
    }

    /// Mails `event` now, without de-duplication.
    pub async fn send(&self, event: &Event) -> Result<(), NotifyError> {
        let mail = render(event);
        let from = Mailbox::new(Some("nowsync".to_owned()), self.mailbox(&self.sender())?.email);
        // A Message-ID in the sender's domain: mail without one scores as spam with many filters.
        let message_id = format!(
            "<nowsync.{}.{:016x}@{}>",
            event.time.timestamp_millis(),
            rand::random::<u64>(),
            from.email.domain()
        );
        let message = Message::builder()
            .message_id(Some(message_id))
            .from(from)
            .to(self.mailbox(&self.settings.email)?)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| NotifyError::Build(e.to_string()))?;
        let transport = self.transport()?;
        self.bounded(async {
            transport
                .test_connection()
                .await
                .map_err(|e| self.error(Step::Connect, &e))
        })
        .await?;
        self.bounded(async { transport.send(message).await.map_err(|e| self.error(Step::Send, &e)) })
            .await?;
        tracing::info!(profile = %self.profile, server = %self.server(), "notification sent");
        Ok(())
    }

    /// lettre's timeout bounds each read and write; this bounds a whole step, so a server that
    /// trickles bytes cannot hold the engine for long.
    async fn bounded<T>(&self, step: impl Future<Output = Result<T, NotifyError>>) -> Result<T, NotifyError> {
        let total = self.timeout * 4;
        tokio::time::timeout(total, step).await.unwrap_or_else(|_| {
            Err(NotifyError::Timeout {
                server: self.server(),
                after: total,
            })
        })
    }

    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, NotifyError> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_owned()).map_err(|e| NotifyError::Tls {
                server: self.server(),
                detail: self.detail(&e),
            })
        };
        let mode = match self.settings.smtp_tls {
            SmtpTls::StartTls => Tls::Required(tls(&self.host)?),
            SmtpTls::Tls => Tls::Wrapper(tls(&self.host)?),
            SmtpTls::None if is_loopback(&self.host) => Tls::None,
            SmtpTls::None => {
                return Err(NotifyError::PlainNotLoopback {
                    host: self.host.clone(),
                });
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.as_str())
            .port(self.settings.smtp_port)
            .tls(mode)
            .timeout(Some(self.timeout));
        if let (Some(user), Some(password)) = (&self.settings.smtp_user, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        Ok(builder.build())
    }

    fn mailbox(&self, address: &str) -> Result<Mailbox, NotifyError> {
        address
            .parse()
            .map_err(|e: lettre::address::AddressError| NotifyError::Address {
                value: one_line(address, 200),
                reason: e.to_string(),
            })
    }

    /// What an SMTP error means at `step`.
    fn error(&self, step: Step, e: &lettre::transport::smtp::Error) -> NotifyError {
        let server = self.server();
        let detail = self.detail(e);
        if e.is_timeout() {
            return NotifyError::Timeout {
                server,
                after: self.timeout,
            };
        }
        if e.is_tls() {
            return NotifyError::Tls { server, detail };
        }
        if let Some(io) = io_kind(e) {
            return match io {
                std::io::ErrorKind::ConnectionRefused => NotifyError::ConnectionRefused { server },
                // tokio-rustls reports a failed handshake (a plain server on a TLS port, a bad
                // certificate) as InvalidData.
                std::io::ErrorKind::InvalidData if self.settings.smtp_tls != SmtpTls::None => {
                    NotifyError::Tls { server, detail }
                }
                std::io::ErrorKind::TimedOut => NotifyError::Timeout {
                    server,
                    after: self.timeout,
                },
                _ => NotifyError::Connect { server, detail },
            };
        }
        let code = e.status().map(u16::from);
        match (step, code) {
            // 535 bad credentials, 534 mechanism too weak, 454 temporary auth failure (RFC 4954).
            (Step::Connect, Some(534 | 535 | 454)) => NotifyError::AuthFailed {
                server,
                user: self.settings.smtp_user.clone().unwrap_or_default(),
                detail,
            },
            // lettre refuses on its own when smtp_tls = "starttls" and the server does not offer
            // STARTTLS; it has no error kind for that, only this text.
            (Step::Connect, None) if e.is_client() && detail.contains("STARTTLS") => {
                NotifyError::Tls { server, detail }
            }
            // lettre's own refusal when the server offers no mechanism it knows.
            (Step::Connect, None) if self.settings.smtp_user.is_some() && e.is_client() => NotifyError::AuthFailed {
                server,
                user: self.settings.smtp_user.clone().unwrap_or_default(),
                detail,
            },
            (Step::Send, Some(530)) => NotifyError::AuthRequired { server, detail },
            (Step::Send, Some(501 | 550..=553)) => NotifyError::RecipientRefused {
                server,
                from: self.sender(),
                recipient: self.settings.email.clone(),
                detail,
            },
            _ => NotifyError::Rejected {
                server,
                detail,
                transient: e.is_transient(),
            },
        }
    }

    /// The error and its causes as one safe line, without the password in any form.
    fn detail(&self, e: &(dyn std::error::Error + 'static)) -> String {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        // lettre's message already quotes its io error, which says "Connection error" again.
        let text = text.replace("Connection error: Connection error: ", "Connection error: ");
        let text = match (&self.settings.smtp_user, &self.password) {
            (Some(user), Some(password)) => scrub(&text, user, password.expose()),
            _ => text,
        };
        one_line(&text, 400)
    }
}

/// `localhost` or a loopback address (`127.0.0.0/8`, `::1`, with or without brackets).
pub fn is_loopback(host: &str) -> bool {
    crate::net::proxy::is_loopback_name(host)
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
