//! Assurance levels (NSIS / eIDAS: Low, Substantial, High) and the
//! authentication methods a login used (R-CRED-6).
//!
//! [`level`] rates a completed login from the methods it used; relying
//! parties demand a minimum [`Loa`] through `acr_values` (OIDC) or
//! `RequestedAuthnContext` (SAML). The methods are reported as `amr` values:
//! RFC 8176 ones via [`AuthMethod::amr`] and [`amr_values`], MitID broker
//! names via [`AuthMethod::mitid_name`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An NSIS level of assurance (*sikringsniveau*). Ordered: `Low < Substantial < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loa {
    Low,
    Substantial,
    High,
}

const URI_PREFIX: &str = "https://data.gov.dk/concept/core/nsis/";
const LOA_URI_PREFIX: &str = "https://data.gov.dk/concept/core/nsis/loa/";

impl Loa {
    pub const ALL: [Loa; 3] = [Loa::Low, Loa::Substantial, Loa::High];

    /// `Low`, `Substantial` or `High`, as in the URIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Loa::Low => "Low",
            Loa::Substantial => "Substantial",
            Loa::High => "High",
        }
    }

    /// The OIDC `acr` value used by the MitID brokers,
    /// e.g. `https://data.gov.dk/concept/core/nsis/Substantial`.
    pub fn uri(self) -> &'static str {
        match self {
            Loa::Low => "https://data.gov.dk/concept/core/nsis/Low",
            Loa::Substantial => "https://data.gov.dk/concept/core/nsis/Substantial",
            Loa::High => "https://data.gov.dk/concept/core/nsis/High",
        }
    }

    /// The OIOSAML 3 `AuthnContextClassRef`,
    /// e.g. `https://data.gov.dk/concept/core/nsis/loa/Substantial`.
    pub fn loa_uri(self) -> &'static str {
        match self {
            Loa::Low => "https://data.gov.dk/concept/core/nsis/loa/Low",
            Loa::Substantial => "https://data.gov.dk/concept/core/nsis/loa/Substantial",
            Loa::High => "https://data.gov.dk/concept/core/nsis/loa/High",
        }
    }

    /// Parses the OIDC form ([`Loa::uri`]); exact match.
    pub fn from_uri(uri: &str) -> Option<Loa> {
        Self::from_name(uri.strip_prefix(URI_PREFIX)?)
    }

    /// Parses the SAML form ([`Loa::loa_uri`]); exact match.
    pub fn from_loa_uri(uri: &str) -> Option<Loa> {
        Self::from_name(uri.strip_prefix(LOA_URI_PREFIX)?)
    }

    fn from_name(name: &str) -> Option<Loa> {
        Self::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// Whether a login at this level meets a demanded level.
    pub fn satisfies(self, demanded: Loa) -> bool {
        self >= demanded
    }
}

impl fmt::Display for Loa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not a level name (`low`, `substantial`, `high`, any case) nor a level URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("assurance level must be low, substantial or high, or an NSIS level URI")]
pub struct UnknownLoa;

/// Accepts a name in any case (`substantial`, as in configuration) or either URI form.
impl FromStr for Loa {
    type Err = UnknownLoa;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_uri(s)
            .or_else(|| Self::from_loa_uri(s))
            .or_else(|| {
                Self::ALL
                    .into_iter()
                    .find(|l| l.as_str().eq_ignore_ascii_case(s))
            })
            .ok_or(UnknownLoa)
    }
}

/// A way the holder proved who they are during one login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// The password (*adgangskode*): something known.
    Password,
    /// A one-time code from the printed key card (*nøglekort*).
    KeyCard,
    /// An approval signed by the code app (*kodeapp*) with its device key.
    CodeApp,
    /// A time-based code from a code token / code display (*kodeviser*, RFC 6238).
    CodeToken,
    /// A FIDO2 / WebAuthn security key or passkey (MitID's chip).
    Passkey,
    /// The activation code from the letter: it lets the holder set a password
    /// and proves no assurance on its own.
    ActivationCode,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 6] = [
        AuthMethod::Password,
        AuthMethod::KeyCard,
        AuthMethod::CodeApp,
        AuthMethod::CodeToken,
        AuthMethod::Passkey,
        AuthMethod::ActivationCode,
    ];

    /// The RFC 8176 `amr` value: `pwd` for the password; `otp` for the
    /// key card, the code token and the single-use activation code; `swk`
    /// (software-secured key) for the code app's device key; `hwk`
    /// (hardware-secured key) for a security key.
    pub fn amr(self) -> &'static str {
        match self {
            AuthMethod::Password => "pwd",
            AuthMethod::KeyCard | AuthMethod::CodeToken | AuthMethod::ActivationCode => "otp",
            AuthMethod::CodeApp => "swk",
            AuthMethod::Passkey => "hwk",
        }
    }

    /// The `amr` value the MitID OIDC brokers use. The activation code has
    /// none there; nyckel calls it `activation_code`.
    pub fn mitid_name(self) -> &'static str {
        match self {
            AuthMethod::Password => "password",
            AuthMethod::KeyCard => "key_card",
            AuthMethod::CodeApp => "code_app",
            AuthMethod::CodeToken => "code_token",
            AuthMethod::Passkey => "u2f_token",
            AuthMethod::ActivationCode => "activation_code",
        }
    }

    /// Whether the method is an authentication factor at all (the activation
    /// code is not).
    fn is_factor(self) -> bool {
        self != AuthMethod::ActivationCode
    }
}

/// The RFC 8176 `amr` claim for a login: each method's value once, in the
/// order first used, then `mfa` when two or more different authentication
/// factors were used (the activation code does not count).
pub fn amr_values(methods: &[AuthMethod]) -> Vec<&'static str> {
    let mut values: Vec<&'static str> = Vec::new();
    for m in methods {
        if !values.contains(&m.amr()) {
            values.push(m.amr());
        }
    }
    let mut factors: Vec<AuthMethod> = methods.iter().copied().filter(|m| m.is_factor()).collect();
    factors.sort();
    factors.dedup();
    if factors.len() >= 2 {
        values.push("mfa");
    }
    values
}

/// The assurance a login reached from the methods it used (R-CRED-6), after
/// the MitID rules:
///
/// - password + passkey: High;
/// - the code app or a code token (with or without the password), or
///   password + key card: Substantial. The app reaches High only when it
///   was enrolled at High, which nyckel cannot do yet;
/// - any other single factor (password alone, key card or passkey alone):
///   Low, as NSIS Low needs one factor;
/// - nothing, or only an activation code: `None`.
pub fn level(methods: &[AuthMethod]) -> Option<Loa> {
    let has = |m: AuthMethod| methods.contains(&m);
    use AuthMethod::*;
    if has(Password) && has(Passkey) {
        Some(Loa::High)
    } else if has(CodeApp) || has(CodeToken) || (has(Password) && has(KeyCard)) {
        Some(Loa::Substantial)
    } else if has(Password) || has(KeyCard) || has(Passkey) {
        Some(Loa::Low)
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::AuthMethod::*;
    use super::*;

    #[test]
    fn levels() {
        let cases: &[(&str, &[AuthMethod], Option<Loa>)] = &[
            ("ok/password-alone-low", &[Password], Some(Loa::Low)),
            (
                "ok/password-key-card-substantial",
                &[Password, KeyCard],
                Some(Loa::Substantial),
            ),
            (
                "ok/key-card-password-order-irrelevant",
                &[KeyCard, Password],
                Some(Loa::Substantial),
            ),
            (
                "ok/code-app-substantial",
                &[CodeApp],
                Some(Loa::Substantial),
            ),
            (
                "ok/password-code-app-substantial",
                &[Password, CodeApp],
                Some(Loa::Substantial),
            ),
            (
                "ok/code-token-substantial",
                &[CodeToken],
                Some(Loa::Substantial),
            ),
            (
                "ok/password-code-token-substantial",
                &[Password, CodeToken],
                Some(Loa::Substantial),
            ),
            (
                "ok/password-passkey-high",
                &[Password, Passkey],
                Some(Loa::High),
            ),
            (
                "ok/passkey-password-code-app-high",
                &[Passkey, Password, CodeApp],
                Some(Loa::High),
            ),
            ("ok/passkey-alone-low", &[Passkey], Some(Loa::Low)),
            ("ok/key-card-alone-low", &[KeyCard], Some(Loa::Low)),
            (
                "ok/passkey-key-card-low",
                &[Passkey, KeyCard],
                Some(Loa::Low),
            ),
            (
                "ok/passkey-code-app-substantial",
                &[Passkey, CodeApp],
                Some(Loa::Substantial),
            ),
            (
                "ok/activation-code-adds-nothing",
                &[ActivationCode, Password],
                Some(Loa::Low),
            ),
            (
                "ok/repeated-password-still-low",
                &[Password, Password],
                Some(Loa::Low),
            ),
            ("fail/activation-code-alone", &[ActivationCode], None),
            ("fail/nothing", &[], None),
        ];
        for (name, methods, want) in cases {
            assert_eq!(level(methods), *want, "{name}");
        }
    }

    #[test]
    fn ok_loa_order_and_satisfies() {
        assert!(Loa::Low < Loa::Substantial && Loa::Substantial < Loa::High);
        assert!(Loa::High.satisfies(Loa::Substantial));
        assert!(Loa::Substantial.satisfies(Loa::Substantial));
        assert!(!Loa::Low.satisfies(Loa::Substantial));
    }

    #[test]
    fn ok_loa_uris_round_trip() {
        let cases = [
            (
                Loa::Low,
                "https://data.gov.dk/concept/core/nsis/Low",
                "https://data.gov.dk/concept/core/nsis/loa/Low",
            ),
            (
                Loa::Substantial,
                "https://data.gov.dk/concept/core/nsis/Substantial",
                "https://data.gov.dk/concept/core/nsis/loa/Substantial",
            ),
            (
                Loa::High,
                "https://data.gov.dk/concept/core/nsis/High",
                "https://data.gov.dk/concept/core/nsis/loa/High",
            ),
        ];
        for (loa, uri, loa_uri) in cases {
            assert_eq!(loa.uri(), uri);
            assert_eq!(loa.loa_uri(), loa_uri);
            assert_eq!(Loa::from_uri(uri), Some(loa));
            assert_eq!(Loa::from_loa_uri(loa_uri), Some(loa));
            assert_eq!(uri.parse(), Ok(loa));
            assert_eq!(loa_uri.parse(), Ok(loa));
            assert_eq!(loa.as_str().to_lowercase().parse(), Ok(loa));
            let json = serde_json::to_string(&loa).unwrap();
            assert_eq!(serde_json::from_str::<Loa>(&json).unwrap(), loa);
        }
    }

    #[test]
    fn fail_loa_uris() {
        let cases = [
            "https://data.gov.dk/concept/core/nsis/loa/Low",
            "https://data.gov.dk/concept/core/nsis/low",
            "https://data.gov.dk/concept/core/nsis/Low/",
            "http://data.gov.dk/concept/core/nsis/Low",
            "https://data.gov.dk/concept/core/nsis/",
            "Low",
            "",
        ];
        for uri in cases {
            assert_eq!(Loa::from_uri(uri), None, "{uri}");
        }
        assert_eq!(
            Loa::from_loa_uri("https://data.gov.dk/concept/core/nsis/Low"),
            None
        );
        assert_eq!("medium".parse::<Loa>(), Err(UnknownLoa));
    }

    #[test]
    fn ok_amr_names() {
        let cases = [
            (Password, "pwd", "password"),
            (KeyCard, "otp", "key_card"),
            (CodeApp, "swk", "code_app"),
            (CodeToken, "otp", "code_token"),
            (Passkey, "hwk", "u2f_token"),
            (ActivationCode, "otp", "activation_code"),
        ];
        for (m, amr, mitid) in cases {
            assert_eq!(m.amr(), amr, "{m:?}");
            assert_eq!(m.mitid_name(), mitid, "{m:?}");
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{mitid}\"").replace("u2f_token", "passkey")
            );
        }
        assert_eq!(AuthMethod::ALL.len(), cases.len());
    }

    #[test]
    fn amr_claims() {
        let cases: &[(&str, &[AuthMethod], &[&str])] = &[
            ("ok/password", &[Password], &["pwd"]),
            (
                "ok/password-key-card",
                &[Password, KeyCard],
                &["pwd", "otp", "mfa"],
            ),
            (
                "ok/password-passkey",
                &[Password, Passkey],
                &["pwd", "hwk", "mfa"],
            ),
            (
                "ok/key-card-and-code-token-share-otp",
                &[KeyCard, CodeToken],
                &["otp", "mfa"],
            ),
            (
                "ok/activation-code-is-no-second-factor",
                &[ActivationCode, Password],
                &["otp", "pwd"],
            ),
            ("ok/repeat-counted-once", &[Password, Password], &["pwd"]),
            ("ok/nothing", &[], &[]),
        ];
        for (name, methods, want) in cases {
            assert_eq!(amr_values(methods), *want, "{name}");
        }
    }
}
