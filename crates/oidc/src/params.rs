//! Form and query parameters, read once for every endpoint (RFC 6749 §3.1,
//! §3.2): a body or query string becomes name–value pairs
//! ([`parse_urlencoded`]); empty values count as absent; a name given twice
//! is recorded ([`Params::is_duplicated`]) and refused where the endpoint
//! reads it ([`Params::strict`]). The web tier reads every OAuth form with
//! [`parse_urlencoded`], the protocol rules read pairs through [`Params`].

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{ErrorCode, OAuthError};

/// The name–value pairs of a request, in order, as sent.
pub type Pairs = Vec<(String, String)>;

/// An `application/x-www-form-urlencoded` body or query string as pairs.
pub fn parse_urlencoded(body: &[u8]) -> Pairs {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The parameters that authenticate a client at the back channel (RFC
/// 6749 §2.3.1, RFC 7523 §2.2): never stored with a pushed request.
pub const CLIENT_AUTH: [&str; 3] = ["client_secret", "client_assertion", "client_assertion_type"];

/// `pairs` without the client's own credentials ([`CLIENT_AUTH`]).
pub fn without_client_auth(pairs: &[(String, String)]) -> Pairs {
    pairs
        .iter()
        .filter(|(k, _)| !CLIENT_AUTH.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Whether a parameter named `name` is present (even if empty).
pub fn has(pairs: &[(String, String)], name: &str) -> bool {
    pairs.iter().any(|(k, _)| k == name)
}

/// The parameters with RFC 6749 §3.1 applied: empty values count as
/// absent; a name given twice is recorded as duplicated.
pub struct Params<'a> {
    map: BTreeMap<&'a str, &'a str>,
    duplicated: BTreeSet<&'a str>,
}

impl<'a> Params<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        let mut map = BTreeMap::new();
        let mut duplicated = BTreeSet::new();
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            if map.insert(k.as_str(), v.as_str()).is_some() {
                duplicated.insert(k.as_str());
            }
        }
        Self { map, duplicated }
    }

    /// The parameters, refusing any name given twice (the back-channel
    /// endpoints, which read every parameter they are sent).
    pub fn strict(pairs: &'a [(String, String)]) -> Result<BTreeMap<&'a str, &'a str>, OAuthError> {
        let p = Self::new(pairs);
        if !p.duplicated.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                "a parameter is given more than once",
            ));
        }
        Ok(p.map)
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.map.get(name).copied()
    }

    pub fn is_duplicated(&self, name: &str) -> bool {
        self.duplicated.contains(name)
    }

    /// The first (in name order) of the names given more than once.
    pub fn first_duplicated(&self) -> Option<&'a str> {
        self.duplicated.iter().next().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Pairs {
        parse_urlencoded(s.as_bytes())
    }

    #[test]
    fn rules_of_rfc_6749_section_3_1() {
        let p = pairs("a=1&b=&c=x%20y&a=2");
        let q = Params::new(&p);
        assert_eq!(q.get("c"), Some("x y"));
        assert_eq!(q.get("b"), None, "empty is absent");
        assert!(q.is_duplicated("a"));
        assert!(Params::strict(&p).is_err(), "fail/duplicate");
        let p = pairs("a=1&b=&b=");
        assert!(Params::strict(&p).is_ok(), "ok/empty-repeated-is-absent");
    }

    #[test]
    fn client_credentials_are_taken_out() {
        let p = pairs(
            "client_id=c&client_secret=s&client_assertion=x&client_assertion_type=t&scope=openid",
        );
        let kept: Vec<_> = without_client_auth(&p)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(kept, ["client_id", "scope"]);
    }
}
