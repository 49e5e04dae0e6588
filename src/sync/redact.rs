//! `Redact()` end to end. A redacted value goes only into the request that writes it: every
//! record, diff, screen and output shows `***` ([`MASK`]), and where the engine must remember
//! it, it keeps what no one can read it back from:
//! - to compare (the op's hash, a stored plan): a keyed digest ([`Redaction::digest`],
//!   HMAC-SHA256 of the attribute and value), never the value;
//! - to evaluate again (a source attribute a redacted mapping reads, in the source cache: a
//!   delta carries only what changed): sealed with AES-256-GCM ([`Redaction::seal`]).
//!
//! Both keys are derived (HKDF-SHA256) from the password of the ServiceNow account nowsync
//! signs in as, which is never in the data dir: a copy of the state database alone cannot test
//! guesses against a digest. After that password changes, a remembered digest no longer
//! matches (the attribute is written once more) and sealed cache values read as absent until
//! the next full read of the source (a reconciliation or an initial cycle) seals them again.

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use ring::{aead, hkdf, hmac};
use serde_json::{Map, Value as J, json};

use crate::mapping::model::{MappingSource, ObjectMapping};
use crate::secrets::Secret;

/// What a person sees instead of a redacted value.
pub const MASK: &str = "***";

/// The keys of one profile's redaction.
pub struct Redaction {
    digest: hmac::Key,
    seal: aead::LessSafeKey,
}

impl fmt::Debug for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redaction(***)")
    }
}

impl Redaction {
    /// The keys derived from `secret` (the ServiceNow account's password).
    pub fn from_secret(secret: &Secret) -> Redaction {
        Self::from_bytes(secret.expose().as_bytes())
    }

    /// Keys no one else has (tests, and consumers that never store a digest).
    pub fn random() -> Redaction {
        Self::from_bytes(&rand::random::<[u8; 32]>())
    }

    fn from_bytes(ikm: &[u8]) -> Redaction {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"nowsync redaction v1").extract(ikm);
        // HKDF refuses only outputs over 255 hash lengths; these are 32 bytes each, whatever
        // the input.
        let digest = prk
            .expand(&[b"digest"], hmac::HMAC_SHA256)
            .map(hmac::Key::from)
            .expect("a 32-byte HKDF output");
        let seal = prk
            .expand(&[b"seal"], &aead::AES_256_GCM)
            .map(aead::UnboundKey::from)
            .map(aead::LessSafeKey::new)
            .expect("a 32-byte HKDF output");
        Redaction { digest, seal }
    }

    /// The keyed digest of `attribute` holding `value` (`h1:` and 32 hex digits): equal values
    /// give equal digests under one key, and nothing else can be learnt from it.
    pub fn digest(&self, attribute: &str, value: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.digest);
        ctx.update(attribute.as_bytes());
        ctx.update(&[0]);
        ctx.update(value.as_bytes());
        let tag = ctx.sign();
        let hex: String = tag.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("h1:{hex}")
    }

    /// `plain` sealed: base64 of a fresh nonce and the ciphertext with its tag.
    pub fn seal(&self, plain: &str) -> String {
        let nonce_bytes: [u8; aead::NONCE_LEN] = rand::random();
        let mut data = plain.as_bytes().to_vec();
        let nonce = aead::Nonce::assume_unique_for_key(nonce_bytes);
        if self
            .seal
            .seal_in_place_append_tag(nonce, aead::Aad::empty(), &mut data)
            .is_err()
        {
            // Only for inputs over AES-GCM's limit (64 GiB): nothing is kept rather than the value.
            return String::new();
        }
        let mut out = nonce_bytes.to_vec();
        out.extend(data);
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
    }

    /// What [`Redaction::seal`] sealed; `None` when it was sealed under another key or is not
    /// a sealed text.
    pub fn unseal(&self, sealed: &str) -> Option<String> {
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < aead::NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(aead::NONCE_LEN);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = rest.to_vec();
        let plain = self.seal.open_in_place(nonce, aead::Aad::empty(), &mut data).ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

/// The source attributes (lower-cased) that a redacting attribute of `mappings` reads: shown
/// as [`MASK`] where the source is shown (the Import step), sealed in the source cache.
pub fn redacted_sources(mappings: &[&ObjectMapping]) -> HashSet<String> {
    mappings
        .iter()
        .flat_map(|m| m.attributes.iter())
        .filter(|a| a.redacts())
        .flat_map(|a| match &a.source {
            MappingSource::Direct { expression, .. } | MappingSource::Expression(expression) => {
                expression.attributes().into_iter().map(str::to_lowercase).collect()
            }
            MappingSource::Constant(_) | MappingSource::None => Vec::new(),
        })
        .filter(|n| n != "id")
        .collect()
}

/// The key of a sealed value in the source cache: `{"@sealed": "<sealed JSON text>"}`.
const SEALED: &str = "@sealed";

/// The source attributes that a redacting mapping reads, sealed in the source cache: a delta
/// carries only what changed, so the cache must keep them, and keeps them unreadable.
pub struct Sealing<'a> {
    key: &'a Redaction,
    /// Lower-cased attribute names.
    names: HashSet<String>,
}

impl<'a> Sealing<'a> {
    /// What the redacting attributes of `mappings` read.
    pub fn new(key: &'a Redaction, mappings: &[&ObjectMapping]) -> Sealing<'a> {
        Sealing {
            key,
            names: redacted_sources(mappings),
        }
    }

    /// Every plain value of a sealed attribute in `obj` sealed (values sealed already stay).
    pub fn seal(&self, obj: &mut Map<String, J>) {
        if self.names.is_empty() {
            return;
        }
        for (k, v) in obj.iter_mut() {
            if !v.is_null() && !is_sealed(v) && self.names.contains(&k.to_lowercase()) {
                *v = json!({ SEALED: self.key.seal(&v.to_string()) });
            }
        }
    }

    /// Every sealed value in `obj` opened; one sealed under another key (the password changed)
    /// is dropped, read again by the next full round.
    pub fn unseal(&self, obj: &mut Map<String, J>) {
        let sealed: Vec<String> = obj
            .iter()
            .filter(|(_, v)| is_sealed(v))
            .map(|(k, _)| k.clone())
            .collect();
        for k in sealed {
            let open = obj
                .get(&k)
                .and_then(|v| v.get(SEALED))
                .and_then(J::as_str)
                .and_then(|s| self.key.unseal(s))
                .and_then(|text| serde_json::from_str::<J>(&text).ok());
            match open {
                Some(v) => obj.insert(k, v),
                None => obj.remove(&k),
            };
        }
    }
}

fn is_sealed(v: &J) -> bool {
    v.as_object().is_some_and(|o| o.len() == 1 && o.contains_key(SEALED))
}

/// `text` with every occurrence of each of `values` replaced by [`MASK`] (an error message from
/// ServiceNow may quote what was sent: "Duplicate entry '…' for key …").
pub fn scrub(text: &str, values: &[&str]) -> String {
    let mut out = text.to_owned();
    for v in values.iter().filter(|v| !v.is_empty()) {
        out = out.replace(v, MASK);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_keyed_and_seals_open_only_with_their_key() {
        let a = Redaction::from_secret(&Secret::new("pw-1"));
        let b = Redaction::from_secret(&Secret::new("pw-2"));
        assert_eq!(
            a.digest("x", "v"),
            Redaction::from_secret(&Secret::new("pw-1")).digest("x", "v")
        );
        assert_ne!(a.digest("x", "v"), b.digest("x", "v"));
        assert_ne!(a.digest("x", "v"), a.digest("y", "v"));
        assert!(!a.digest("x", "secret-value").contains("secret"));
        let sealed = a.seal("+1 425 555 0100");
        assert!(!sealed.contains("425"), "{sealed}");
        assert_ne!(sealed, a.seal("+1 425 555 0100"), "a fresh nonce each time");
        assert_eq!(a.unseal(&sealed).as_deref(), Some("+1 425 555 0100"));
        assert_eq!(b.unseal(&sealed), None);
        assert_eq!(a.unseal("not sealed"), None);
        assert_eq!(format!("{a:?}"), "Redaction(***)");
        assert_eq!(
            scrub("Duplicate entry 'E-1' for key", &["E-1", ""]),
            "Duplicate entry '***' for key"
        );
    }

    #[test]
    fn sealing_hides_what_redacting_mappings_read_and_opens_it_again() {
        let (users, groups) = crate::mapping::model::DEFAULT_MAPPINGS_TOML
            .split_once("\n[group]\n")
            .unwrap_or_default();
        let extra = "[[user.attributes]]\ntarget = \"u_phone\"\nexpression = 'Redact([mobilePhone])'\n";
        let user = crate::mapping::model::load_str(&format!("{users}\n{extra}\n[group]\n{groups}"))
            .unwrap()
            .user;
        let key = Redaction::random();
        let sealing = Sealing::new(&key, &[&user]);
        let mut obj: Map<String, J> =
            serde_json::from_str(r#"{"mobilePhone":"+1 425 555 0100","department":"Sales","mail":null}"#).unwrap();
        sealing.seal(&mut obj);
        let text = J::Object(obj.clone()).to_string();
        assert!(!text.contains("555"), "{text}");
        assert!(text.contains("Sales"), "{text}");
        sealing.seal(&mut obj);
        sealing.unseal(&mut obj);
        assert_eq!(obj["mobilePhone"], "+1 425 555 0100");
        sealing.seal(&mut obj);
        Sealing::new(&Redaction::random(), &[&user]).unseal(&mut obj);
        assert!(!obj.contains_key("mobilePhone"), "another key opens nothing");
    }
}
