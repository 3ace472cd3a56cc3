//! The issuer identifier: the one string that is `iss` in every token and
//! authorization response and the base of every endpoint URL.

use std::fmt;

use crate::error::{Error, Result};

/// A valid issuer identifier (OpenID Connect Discovery 1.0 §3, RFC 8414 §2):
/// an `https` URL with no query, fragment or user info. nyckel also asks for
/// the canonical form (lower-case host, no default port) and no trailing
/// slash, so that `{issuer}/token` is one well-formed URL and the issuer
/// compares equal byte for byte wherever a client checks it.
///
/// `http` is accepted only for loopback hosts (`localhost`, `127.0.0.1`,
/// `[::1]`) so that development and tests can run without TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

impl Issuer {
    pub fn parse(s: &str) -> Result<Self> {
        let url = url::Url::parse(s).map_err(|_| Error::Issuer("not a URL"))?;
        let loopback = matches!(
            url.host_str(),
            Some("localhost") | Some("127.0.0.1") | Some("[::1]")
        );
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(Error::Issuer("must be https (http only on loopback)")),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Issuer("must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Issuer("must not have user info"));
        }
        if s.ends_with('/') {
            return Err(Error::Issuer("must not end with a slash"));
        }
        let canonical = url.as_str();
        let canonical = if url.path() == "/" {
            canonical.strip_suffix('/').unwrap_or(canonical)
        } else {
            canonical
        };
        if canonical != s {
            return Err(Error::Issuer(
                "must be in canonical form (lower-case host, no default port, no escapes to normalise)",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{issuer}{path}`, e.g. `endpoint("/token")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Issuer {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        let cases = [
            ("ok/https", "https://id.nyckel.dk", true),
            ("ok/https-path", "https://nyckel.dk/oidc", true),
            ("ok/https-port", "https://id.nyckel.dk:8443", true),
            ("ok/http-localhost", "http://localhost:8080", true),
            ("ok/http-127", "http://127.0.0.1:3000", true),
            ("ok/http-v6-loopback", "http://[::1]:3000", true),
            ("fail/http-public", "http://id.nyckel.dk", false),
            ("fail/trailing-slash", "https://id.nyckel.dk/", false),
            ("fail/query", "https://id.nyckel.dk?x=1", false),
            ("fail/fragment", "https://id.nyckel.dk#x", false),
            ("fail/userinfo", "https://a:b@id.nyckel.dk", false),
            ("fail/upper-case-host", "https://ID.nyckel.dk", false),
            ("fail/default-port", "https://id.nyckel.dk:443", false),
            ("fail/relative", "/oidc", false),
            ("fail/other-scheme", "ftp://id.nyckel.dk", false),
            ("fail/empty", "", false),
        ];
        for (name, s, ok) in cases {
            assert_eq!(Issuer::parse(s).is_ok(), ok, "{name}");
        }
        let iss = Issuer::parse("https://nyckel.dk/oidc").unwrap();
        assert_eq!(iss.endpoint("/token"), "https://nyckel.dk/oidc/token");
        assert_eq!(iss.to_string(), "https://nyckel.dk/oidc");
    }
}
