//! The token endpoint's refusals (spec §1.4): Entra's OAuth `error`, the AADSTS code with plain
//! advice for the admin, and the trace id to quote to Microsoft.

use std::fmt;

use serde::Deserialize;

/// The token endpoint refused: Entra's `error`, AADSTS code and description (first line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    pub status: u16,
    /// OAuth `error`, e.g. `invalid_client`.
    pub error: String,
    /// The AADSTS number, e.g. 7000215.
    pub code: Option<u32>,
    /// `error_description` without its trailing trace/correlation lines.
    pub description: String,
    pub trace_id: Option<String>,
    pub correlation_id: Option<String>,
}

impl TokenError {
    /// What the admin should do, by AADSTS code.
    pub fn advice(&self) -> String {
        Self::advice_for(self.code)
    }

    /// What the admin should do for AADSTS `code` (the console's wizard words its own for the
    /// fields it has, and recognises this text to replace it).
    pub fn advice_for(code: Option<u32>) -> String {
        match code {
            Some(7000215) => "the client secret is wrong: store the secret's Value (not its Secret ID) from the app \
                              registration's Certificates & secrets as graph-client-secret"
                .into(),
            Some(7000222) => "the client secret has expired: create a new one in the app registration and store it \
                              as graph-client-secret"
                .into(),
            Some(90002) => "the tenant was not found: check tenant_id, and that cloud names the cloud the tenant \
                            lives in (global, usgov, usgov-dod, china)"
                .into(),
            Some(700016) => "no application with this client_id exists in the tenant: check client_id, and that the \
                             app is registered in this tenant and cloud"
                .into(),
            Some(1002012 | 70011) => "the scope was refused: it must be the cloud's Graph root with /.default; check \
                                      the cloud setting"
                .into(),
            Some(7000218 | 7000216) => "no client secret was sent: set graph-client-secret".into(),
            Some(n) => format!("see https://login.microsoftonline.com/error?code={n}"),
            None => "the authority's answer carried no AADSTS code; check authority_url".into(),
        }
    }

    /// Builds from a token endpoint error body (any shape; missing fields tolerated).
    pub fn from_body(status: u16, body: &[u8]) -> TokenError {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Body {
            error: String,
            error_description: String,
            error_codes: Vec<u32>,
            trace_id: Option<String>,
            correlation_id: Option<String>,
        }
        let b: Body = serde_json::from_slice(body).unwrap_or_default();
        let description = b.error_description.lines().next().unwrap_or("").trim().to_owned();
        let code = b.error_codes.first().copied().or_else(|| {
            let digits: String = description
                .strip_prefix("AADSTS")?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        });
        TokenError {
            status,
            error: if b.error.is_empty() {
                format!("HTTP {status}")
            } else {
                b.error
            },
            code,
            description: if description.is_empty() {
                String::from_utf8_lossy(body).chars().take(200).collect()
            } else {
                description
            },
            trace_id: b.trace_id,
            correlation_id: b.correlation_id,
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sign-in refused ({}): {} — {}",
            self.error,
            self.description,
            self.advice()
        )?;
        if let Some(t) = &self.trace_id {
            write!(f, " [trace id {t}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Error;

    #[test]
    fn token_errors_map_to_advice() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: a\r\nCorrelation ID: b\r\nTimestamp: c","error_codes":[7000215],"trace_id":"a","correlation_id":"b"}"#;
        let e = TokenError::from_body(401, body);
        assert_eq!(e.code, Some(7000215));
        assert_eq!(e.description, "AADSTS7000215: Invalid client secret provided.");
        assert!(e.to_string().contains("AADSTS7000215") && e.to_string().contains("Secret ID"));
        // No error_codes array: the code comes from the description prefix.
        let e = TokenError::from_body(
            400,
            br#"{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'x' not found."}"#,
        );
        assert_eq!(e.code, Some(90002));
        assert!(e.advice().contains("tenant"));
        for (code, word) in [
            (7000222, "expired"),
            (700016, "client_id"),
            (1002012, "scope"),
            (70011, "scope"),
        ] {
            let e = TokenError {
                code: Some(code),
                ..TokenError::from_body(400, b"{}")
            };
            assert!(e.advice().contains(word), "{code}");
        }
        let e = TokenError::from_body(502, b"<html>bad gateway</html>");
        assert_eq!(e.code, None);
        assert!(Error::Token(e).is_transient());
    }
}
