//! [`NotifyError`]: why a notification was not sent, with advice, and the helpers that keep the
//! SMTP password out of it.

use std::time::Duration;

use base64::Engine as _;

use super::dedup::StateError;

/// A notification could not be sent. Never carries the password.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(
        "[profiles.{profile}.notification] has no smtp_host: set smtp_host (and smtp_port, smtp_tls) to the mail server that should send the notices"
    )]
    NoHost { profile: String },
    #[error(
        "refusing to send plain SMTP (smtp_tls = \"none\") to '{host}', which is not a loopback host: use starttls or tls"
    )]
    PlainNotLoopback { host: String },
    #[error(
        "smtp_user is set but no password was given: run `nowsync --profile {profile} secrets set smtp-password`, or remove smtp_user if the server needs no login"
    )]
    PasswordMissing { profile: String },
    #[error("'{value}' is not a usable e-mail address: {reason}")]
    Address { value: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("{server} refused the connection: check smtp_host and smtp_port, and that the mail server is running")]
    ConnectionRefused { server: String },
    #[error("cannot connect to {server}: {detail}: check smtp_host, smtp_port and the network")]
    Connect { server: String, detail: String },
    #[error("{server} did not answer within {}s: check smtp_host, smtp_port and any firewall", .after.as_secs())]
    Timeout { server: String, after: Duration },
    #[error(
        "TLS with {server} failed: {detail}: check smtp_tls (starttls is usual on port 587, tls on 465) and that the server's certificate is valid for smtp_host"
    )]
    Tls { server: String, detail: String },
    #[error(
        "{server} rejected the login of '{user}': {detail}: check smtp_user and the secret smtp-password (`nowsync secrets set smtp-password`)"
    )]
    AuthFailed {
        server: String,
        user: String,
        detail: String,
    },
    #[error("{server} requires a login: {detail}: set smtp_user and the secret smtp-password")]
    AuthRequired { server: String, detail: String },
    #[error(
        "{server} refused the message from '{from}' to '{recipient}': {detail}: check email in [notification], and that smtp_user may send as '{from}'"
    )]
    RecipientRefused {
        server: String,
        from: String,
        recipient: String,
        detail: String,
    },
    #[error("{server} did not accept the message: {detail}")]
    Rejected {
        server: String,
        detail: String,
        transient: bool,
    },
    #[error(transparent)]
    State(#[from] StateError),
}

impl NotifyError {
    /// A problem of the configuration or the secret store (exit 2), not of the server (exit 3).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            NotifyError::NoHost { .. }
                | NotifyError::PlainNotLoopback { .. }
                | NotifyError::PasswordMissing { .. }
                | NotifyError::Address { .. }
                | NotifyError::Build(_)
                | NotifyError::State(_)
        )
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::ConnectionRefused { .. } | NotifyError::Connect { .. } | NotifyError::Timeout { .. } => true,
            NotifyError::Rejected { transient, .. } => *transient,
            _ => false,
        }
    }
}

/// `text` with `password`, and the base64 forms AUTH PLAIN and LOGIN send it in, replaced.
pub(super) fn scrub(text: &str, user: &str, password: &str) -> String {
    if password.is_empty() {
        return text.to_owned();
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let forms = [
        b64(&format!("\0{user}\0{password}")),
        b64(password),
        password.to_owned(),
    ];
    forms
        .iter()
        .fold(text.to_owned(), |t, form| t.replace(form.as_str(), "***"))
}

pub(super) fn io_kind(e: &lettre::transport::smtp::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_password_in_every_form_auth_sends() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let plain = b64("\0me\0pw-1!");
        let text = format!("535 bad {plain} / {} / pw-1!", b64("pw-1!"));
        assert_eq!(scrub(&text, "me", "pw-1!"), "535 bad *** / *** / ***");
        assert_eq!(scrub("nothing here", "me", ""), "nothing here");
    }
}
