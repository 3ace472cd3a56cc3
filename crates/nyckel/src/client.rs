//! `nyckel client`: the services (OpenID Connect relying parties) that log
//! people in with nyckel.
//!
//! Registration goes through `Nyckel::add_client`, which checks the redirect
//! URIs and keys, generates the secret and audits; this module first turns
//! the flags into a consistent registration (so that a contradiction such as
//! `--public --allow-cpr` is a usage error naming the flags) and prints the
//! result. Disabling, enabling and deleting change the store and append the
//! audit event in one transaction. A client's secret is printed once, at
//! registration, and never again: only a keyed hash of it is kept.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_oidc::client::{AccessTokenLifetime, ClientAuthMethod, GrantType, SubjectType};
use nyckel_oidc::keys::SigningAlg;
use nyckel_service::ServiceError;
use nyckel_service::clock::{Clock as _, SystemClock};
use nyckel_service::config::Config;
use nyckel_service::provider::NewClient;
use nyckel_store::{ClientRow, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{ClientAddArgs, ClientIdArgs, GrantTypeArg, IdTokenAlgArg};
use crate::{EXIT_FAILURE, EXIT_USAGE, json, local_time, operator_name, settings};

/// Longest client name: it is a heading on the consent screen.
pub const MAX_NAME_CHARS: usize = 100;

/// Largest JWK Set file accepted.
const MAX_JWKS_BYTES: u64 = 64 * 1024;

/// A client's status in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Disabled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
        }
    }
}

/// What `client add` registers: the flags made consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub auth_method: ClientAuthMethod,
    pub allow_cpr: bool,
    pub require_par: bool,
    pub subject_type: SubjectType,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub id_token_alg: SigningAlg,
    pub access_token_lifetime: AccessTokenLifetime,
}

/// Turns the flags (and the JWK Set file's content) into a registration,
/// or says which flags contradict each other.
pub fn registration(args: &ClientAddArgs, jwks: Option<&str>) -> Result<Registration, String> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err("--name must not be empty".into());
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(format!(
            "--name must be at most {MAX_NAME_CHARS} characters without control characters"
        ));
    }

    let auth_method = match (args.public, args.auth_method.map(ClientAuthMethod::from)) {
        (true, None | Some(ClientAuthMethod::None)) => ClientAuthMethod::None,
        (true, Some(m)) => {
            return Err(format!(
                "--public means --auth-method none, not {}",
                m.as_str()
            ));
        }
        (false, Some(m)) => m,
        (false, None) => ClientAuthMethod::ClientSecretBasic,
    };
    let public = auth_method.is_public();

    let mut grants: Vec<GrantTypeArg> = if args.grant_types.is_empty() {
        vec![GrantTypeArg::AuthorizationCode, GrantTypeArg::RefreshToken]
    } else {
        args.grant_types.clone()
    };
    grants.sort_unstable();
    grants.dedup();
    let logs_people_in = grants.contains(&GrantTypeArg::AuthorizationCode);
    if grants.contains(&GrantTypeArg::RefreshToken) && !logs_people_in {
        return Err("--grant-type refresh_token needs --grant-type authorization_code".into());
    }
    if logs_people_in && args.redirect_uris.is_empty() {
        return Err(
            "a client that logs people in needs --redirect-uri (a machine client takes \
                    --grant-type client_credentials alone)"
                .into(),
        );
    }
    if !logs_people_in {
        if args.id_token_alg != IdTokenAlgArg::Es256 {
            return Err("--id-token-alg is used only with --grant-type authorization_code".into());
        }
        if !args.redirect_uris.is_empty() || !args.post_logout_redirect_uris.is_empty() {
            return Err("redirect URIs are used only with --grant-type authorization_code".into());
        }
        if args.allow_cpr || args.require_par {
            return Err(
                "--allow-cpr and --require-par are used only with --grant-type authorization_code"
                    .into(),
            );
        }
    }
    if public && args.allow_cpr {
        return Err("a public client cannot be entitled to CPR numbers (--allow-cpr)".into());
    }
    if public && grants.contains(&GrantTypeArg::ClientCredentials) {
        return Err("a public client cannot use --grant-type client_credentials".into());
    }

    match (auth_method, jwks) {
        (ClientAuthMethod::PrivateKeyJwt, None) => {
            return Err(
                "--auth-method private_key_jwt needs the client's public keys: \
                        --jwks FILE (--jwks-uri is not used yet)"
                    .into(),
            );
        }
        (ClientAuthMethod::PrivateKeyJwt, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err("--jwks is used only with --auth-method private_key_jwt".into());
        }
    }
    let jwks = match jwks {
        Some(text) => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| format!("--jwks: the file is not JSON ({e})"))?;
            Some(v.to_string())
        }
        None => None,
    };
    if let Some(uri) = &args.jwks_uri {
        check_jwks_uri(uri).map_err(|e| format!("--jwks-uri {uri:?}: {e}"))?;
    }
    let access_token_lifetime = match args.access_token_lifetime {
        None => AccessTokenLifetime::DEFAULT,
        Some(secs) => AccessTokenLifetime::from_secs(secs)
            .map_err(|e| format!("--access-token-lifetime: {e}"))?,
    };

    Ok(Registration {
        name: name.to_owned(),
        redirect_uris: unique(&args.redirect_uris),
        post_logout_redirect_uris: unique(&args.post_logout_redirect_uris),
        auth_method,
        allow_cpr: args.allow_cpr,
        require_par: args.require_par,
        subject_type: args.subject_type.into(),
        jwks,
        jwks_uri: args.jwks_uri.clone(),
        grant_types: grants.iter().map(|g| grant_type(*g)).collect(),
        id_token_alg: args.id_token_alg.into(),
        access_token_lifetime,
    })
}

fn grant_type(g: GrantTypeArg) -> GrantType {
    match g {
        GrantTypeArg::AuthorizationCode => GrantType::AuthorizationCode,
        GrantTypeArg::RefreshToken => GrantType::RefreshToken,
        GrantTypeArg::ClientCredentials => GrantType::ClientCredentials,
    }
}

/// The values in their first order, each once.
fn unique(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

/// A JWK Set URL: https, or http on a loopback host.
fn check_jwks_uri(uri: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(uri).map_err(|_| "not an absolute URL")?;
    let loopback = matches!(
        url.host_str(),
        Some("localhost") | Some("127.0.0.1") | Some("[::1]")
    );
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err("must be https (http only on loopback)"),
    }
}

fn read_jwks(path: &Path) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_JWKS_BYTES {
        anyhow::bail!(
            "{} is larger than {} KiB: not a JWK Set",
            path.display(),
            MAX_JWKS_BYTES / 1024
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

pub async fn add(config: Config, args: ClientAddArgs) -> anyhow::Result<ExitCode> {
    let jwks = args.jwks.as_deref().map(read_jwks).transpose()?;
    let reg = match registration(&args, jwks.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let who = format!("operator:{}", operator_name(args.operator.as_deref()));
    let nyckel = settings::open_nyckel(config).await?;
    let added = nyckel
        .register_client(
            &NewClient {
                name: reg.name.clone(),
                redirect_uris: reg.redirect_uris.clone(),
                post_logout_redirect_uris: reg.post_logout_redirect_uris.clone(),
                auth_method: reg.auth_method,
                allow_cpr: reg.allow_cpr,
                require_par: reg.require_par,
                subject_type: reg.subject_type,
                jwks: reg.jwks.clone(),
                jwks_uri: reg.jwks_uri.clone(),
                grant_types: reg.grant_types.clone(),
                access_token_lifetime: reg.access_token_lifetime,
            },
            &who,
        )
        .await;
    let (client_id, secret) = match added {
        Ok(added) => added,
        Err(ServiceError::Invalid(e)) => {
            nyckel.store.close().await;
            eprintln!("error: the client cannot be registered: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
        Err(e) => return Err(e.into()),
    };
    // `register_client` always registers ES256; another algorithm is a second,
    // separately audited change.
    if reg.id_token_alg != SigningAlg::ES256
        && let Err(e) = nyckel
            .set_id_token_alg(&client_id, reg.id_token_alg, &who)
            .await
    {
        nyckel.store.close().await;
        return Err(anyhow::anyhow!(
            "client {client_id} was registered, but its ID token algorithm stays ES256: {e}"
        ));
    }
    nyckel.store.close().await;

    if args.json {
        let mut out = json!({ "client_id": client_id });
        if let Some(s) = &secret {
            out["client_secret"] = json!(s.expose());
        }
        println!("{}", json::line(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("registered client {:?}", reg.name);
    println!();
    println!("  client_id      {client_id}");
    match &secret {
        Some(s) => println!("  client_secret  {}", s.expose()),
        None => println!(
            "  client_secret  none ({})",
            describe_auth(reg.auth_method.as_str())
        ),
    }
    println!("  auth method    {}", reg.auth_method.as_str());
    let grants: Vec<&str> = reg.grant_types.iter().map(|g| g.as_str()).collect();
    println!("  grant types    {}", grants.join(", "));
    for uri in &reg.redirect_uris {
        println!("  redirect URI   {uri}");
    }
    for uri in &reg.post_logout_redirect_uris {
        println!("  after logout   {uri}");
    }
    println!("  subject type   {}", reg.subject_type.as_str());
    if reg.grant_types.contains(&GrantType::AuthorizationCode) {
        println!("  ID tokens      {}", reg.id_token_alg.as_str());
    }
    println!(
        "  access tokens  live {} s",
        reg.access_token_lifetime.secs()
    );
    println!("  CPR numbers    {}", yes_no(reg.allow_cpr));
    println!("  PAR required   {}", yes_no(reg.require_par));
    if secret.is_some() {
        println!();
        println!(
            "WARNING: the client secret is shown only now. nyckel keeps only a keyed hash of it \
             and cannot show it again: hand it to the service over a secure channel."
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn describe_auth(method: &str) -> &'static str {
    match method {
        "none" => "public client: PKCE S256 required",
        "private_key_jwt" => "authenticates with a JWT signed by its private key",
        _ => "authenticates with its secret",
    }
}

/// A client as listed and shown: everything but the secret's hash.
#[derive(Debug, Serialize)]
struct ClientJson<'a> {
    client_id: &'a str,
    name: &'a str,
    status: &'a str,
    auth_method: &'a str,
    public: bool,
    has_secret: bool,
    redirect_uris: &'a [String],
    post_logout_redirect_uris: &'a [String],
    grant_types: &'a [String],
    allow_cpr: bool,
    require_par: bool,
    subject_type: &'a str,
    id_token_alg: &'a str,
    /// Seconds.
    access_token_lifetime: i64,
    jwks: Option<Value>,
    jwks_uri: Option<&'a str>,
    /// Unix milliseconds.
    created_at: i64,
}

impl<'a> From<&'a ClientRow> for ClientJson<'a> {
    fn from(c: &'a ClientRow) -> Self {
        Self {
            client_id: &c.client_id,
            name: &c.name,
            status: &c.status,
            auth_method: &c.auth_method,
            public: c.auth_method == ClientAuthMethod::None.as_str(),
            has_secret: c.secret_hash.is_some(),
            redirect_uris: &c.redirect_uris,
            post_logout_redirect_uris: &c.post_logout_redirect_uris,
            grant_types: &c.grant_types,
            allow_cpr: c.allow_cpr,
            require_par: c.require_par,
            subject_type: &c.subject_type,
            id_token_alg: &c.id_token_alg,
            access_token_lifetime: c.access_token_lifetime,
            jwks: c.jwks.as_deref().and_then(|j| serde_json::from_str(j).ok()),
            jwks_uri: c.jwks_uri.as_deref(),
            created_at: c.created_at,
        }
    }
}

async fn find_client(config: &Config, id: &str) -> anyhow::Result<Option<ClientRow>> {
    let store = settings::open_store(config).await?;
    let mut tx = store.read().await?;
    let client = tx.find_client(id).await?;
    tx.commit().await?;
    store.close().await;
    Ok(client)
}

fn unknown(id: &str) -> ExitCode {
    eprintln!("error: no client {id}");
    ExitCode::from(EXIT_FAILURE)
}

pub async fn list(config: &Config, as_json: bool) -> anyhow::Result<ExitCode> {
    let store = settings::open_store(config).await?;
    let mut tx = store.read().await?;
    let clients = tx.find_clients().await?;
    tx.commit().await?;
    store.close().await;

    if as_json {
        let rows: Vec<ClientJson<'_>> = clients.iter().map(ClientJson::from).collect();
        println!("{}", json::line(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if clients.is_empty() {
        println!("no clients registered");
        return Ok(ExitCode::SUCCESS);
    }
    let id_width = column(clients.iter().map(|c| c.client_id.as_str()), "CLIENT ID");
    let name_width = column(clients.iter().map(|c| c.name.as_str()), "NAME");
    println!(
        "{:<id_width$}  {:<name_width$}  {:<8}  {:<19}  {:<3}  CREATED",
        "CLIENT ID", "NAME", "STATUS", "AUTH", "CPR"
    );
    for c in &clients {
        println!(
            "{:<id_width$}  {:<name_width$}  {:<8}  {:<19}  {:<3}  {}",
            c.client_id,
            c.name,
            c.status,
            c.auth_method,
            yes_no(c.allow_cpr),
            local_time(c.created_at)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn column<'a>(values: impl Iterator<Item = &'a str>, heading: &str) -> usize {
    values
        .map(|v| v.chars().count())
        .max()
        .unwrap_or(0)
        .max(heading.len())
}

pub async fn show(config: &Config, id: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let Some(c) = find_client(config, id).await? else {
        return Ok(unknown(id));
    };
    if as_json {
        println!("{}", json::line(&ClientJson::from(&c))?);
        return Ok(ExitCode::SUCCESS);
    }
    let none = || "none".to_owned();
    let list = |v: &[String]| if v.is_empty() { none() } else { v.join(" ") };
    let keys = match c
        .jwks
        .as_deref()
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
    {
        Some(v) => {
            let n = v["keys"].as_array().map_or(0, Vec::len);
            format!("{n} public key{}", if n == 1 { "" } else { "s" })
        }
        None => none(),
    };
    let rows = [
        ("client ID", c.client_id.clone()),
        ("name", c.name.clone()),
        ("status", c.status.clone()),
        (
            "auth method",
            format!("{} ({})", c.auth_method, describe_auth(&c.auth_method)),
        ),
        ("redirect URIs", list(&c.redirect_uris)),
        ("after logout", list(&c.post_logout_redirect_uris)),
        ("grant types", list(&c.grant_types)),
        ("subject type", c.subject_type.clone()),
        ("ID tokens", c.id_token_alg.clone()),
        (
            "access tokens",
            format!("live {} s", c.access_token_lifetime),
        ),
        ("CPR numbers", yes_no(c.allow_cpr).to_owned()),
        ("PAR required", yes_no(c.require_par).to_owned()),
        ("JWKS", keys),
        (
            "JWKS URI",
            c.jwks_uri
                .as_deref()
                .map_or_else(none, |u| format!("{u} (stored, not used yet)")),
        ),
        ("created", local_time(c.created_at)),
    ];
    for (label, value) in rows {
        println!("{label:<14} {value}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `client disable` / `client enable`.
pub async fn rotate_secret(
    config: Config,
    args: ClientIdArgs,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let who = format!("operator:{}", operator_name(args.operator.as_deref()));
    let nyckel = settings::open_nyckel(config).await?;
    let rotated = nyckel.rotate_client_secret(&args.id, &who).await;
    nyckel.store.close().await;
    let secret = match rotated {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(unknown(&args.id)),
        Err(ServiceError::Invalid(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        let out = json!({ "client_id": args.id, "client_secret": secret.expose() });
        println!("{}", json::line(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("new secret for client {}", args.id);
    println!();
    println!("  client_secret  {}", secret.expose());
    println!();
    println!(
        "WARNING: the client secret is shown only now, and the old one no longer works. \
         Hand it to the service over a secure channel."
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn set_status(
    config: &Config,
    args: ClientIdArgs,
    status: Status,
) -> anyhow::Result<ExitCode> {
    let who = format!("operator:{}", operator_name(args.operator.as_deref()));
    let store = settings::open_store(config).await?;
    let mut tx = store.write().await?;
    let Some(client) = tx.find_client(&args.id).await? else {
        tx.rollback().await?;
        store.close().await;
        return Ok(unknown(&args.id));
    };
    let verb = match status {
        Status::Active => "enabled",
        Status::Disabled => "disabled",
    };
    if client.status == status.as_str() {
        tx.rollback().await?;
        store.close().await;
        println!("client {} ({}) is already {verb}", args.id, client.name);
        return Ok(ExitCode::SUCCESS);
    }
    tx.update_client_status(&args.id, status.as_str()).await?;
    tx.append_audit(
        &NewAuditEvent::new(
            who,
            match status {
                Status::Active => AuditEvent::ClientEnabled {
                    name: client.name.clone(),
                    previous_status: client.status.clone(),
                },
                Status::Disabled => AuditEvent::ClientDisabled {
                    name: client.name.clone(),
                    previous_status: client.status.clone(),
                },
            },
        )
        .subject(format!("client:{}", args.id)),
        SystemClock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    store.close().await;
    println!("{verb} client {} ({})", args.id, client.name);
    Ok(ExitCode::SUCCESS)
}

pub async fn delete(config: &Config, args: ClientIdArgs) -> anyhow::Result<ExitCode> {
    let who = format!("operator:{}", operator_name(args.operator.as_deref()));
    let store = settings::open_store(config).await?;
    let mut tx = store.write().await?;
    let Some(client) = tx.find_client(&args.id).await? else {
        tx.rollback().await?;
        store.close().await;
        return Ok(unknown(&args.id));
    };
    match tx.delete_client(&args.id).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => {
            tx.rollback().await?;
            store.close().await;
            return Ok(unknown(&args.id));
        }
        Err(e) => return Err(e.into()),
    }
    tx.append_audit(
        &NewAuditEvent::new(
            who,
            AuditEvent::ClientDeleted {
                name: client.name.clone(),
                status: client.status.clone(),
            },
        )
        .subject(format!("client:{}", args.id)),
        SystemClock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    store.close().await;
    println!(
        "deleted client {} ({}) with its codes, tokens and consents",
        args.id, client.name
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{AuthMethodArg, SubjectTypeArg};

    fn args() -> ClientAddArgs {
        ClientAddArgs {
            name: "borger.example".into(),
            redirect_uris: vec!["https://borger.example/cb".into()],
            post_logout_redirect_uris: vec![],
            public: false,
            allow_cpr: false,
            require_par: false,
            subject_type: SubjectTypeArg::Pairwise,
            auth_method: None,
            jwks: None,
            jwks_uri: None,
            grant_types: vec![],
            id_token_alg: IdTokenAlgArg::Es256,
            access_token_lifetime: None,
            json: false,
            operator: None,
        }
    }

    fn names(g: &[GrantType]) -> Vec<&'static str> {
        g.iter().map(|g| g.as_str()).collect()
    }

    #[test]
    fn access_token_lifetime_bounds() {
        let r = registration(&args(), None).unwrap();
        assert_eq!(r.access_token_lifetime.secs(), 300, "ok/default");
        for (name, secs, ok) in [
            ("fail/below", 59, false),
            ("ok/min", 60, true),
            ("ok/max", 3600, true),
            ("fail/above", 3601, false),
            ("fail/negative", -1, false),
        ] {
            let r = registration(&with(|a| a.access_token_lifetime = Some(secs)), None);
            match r {
                Ok(r) => {
                    assert!(ok, "{name}");
                    assert_eq!(r.access_token_lifetime.secs(), secs, "{name}");
                }
                Err(e) => {
                    assert!(!ok, "{name}: {e}");
                    assert!(e.contains("--access-token-lifetime"), "{name}: {e}");
                }
            }
        }
    }

    fn with(f: impl FnOnce(&mut ClientAddArgs)) -> ClientAddArgs {
        let mut a = args();
        f(&mut a);
        a
    }

    const JWKS: &str = r#"{"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}"#;

    #[test]
    fn ok_defaults() {
        let r = registration(&args(), None).unwrap();
        assert_eq!(r.auth_method, ClientAuthMethod::ClientSecretBasic);
        assert_eq!(r.subject_type, SubjectType::Pairwise);
        assert_eq!(
            names(&r.grant_types),
            ["authorization_code", "refresh_token"]
        );
        assert!(!r.allow_cpr && !r.require_par);
        assert_eq!(r.jwks, None);
    }

    #[test]
    fn registrations() {
        type Check = fn(&Registration) -> bool;
        type Case = (
            &'static str,
            ClientAddArgs,
            Option<&'static str>,
            Result<Check, &'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "ok/public-means-none",
                with(|a| a.public = true),
                None,
                Ok(|r| r.auth_method == ClientAuthMethod::None),
            ),
            (
                "ok/auth-method-none-is-public",
                with(|a| a.auth_method = Some(AuthMethodArg::None)),
                None,
                Ok(|r| r.auth_method == ClientAuthMethod::None),
            ),
            (
                "ok/machine-client",
                with(|a| {
                    a.redirect_uris.clear();
                    a.grant_types = vec![GrantTypeArg::ClientCredentials];
                }),
                None,
                Ok(|r| {
                    names(&r.grant_types) == ["client_credentials"] && r.redirect_uris.is_empty()
                }),
            ),
            (
                "ok/grant-types-deduplicated-in-order",
                with(|a| {
                    a.grant_types = vec![
                        GrantTypeArg::ClientCredentials,
                        GrantTypeArg::AuthorizationCode,
                        GrantTypeArg::ClientCredentials,
                    ]
                }),
                None,
                Ok(|r| names(&r.grant_types) == ["authorization_code", "client_credentials"]),
            ),
            (
                "ok/redirect-uris-deduplicated",
                with(|a| a.redirect_uris.push("https://borger.example/cb".into())),
                None,
                Ok(|r| r.redirect_uris.len() == 1),
            ),
            (
                "ok/private-key-jwt-with-jwks-compacted",
                with(|a| a.auth_method = Some(AuthMethodArg::PrivateKeyJwt)),
                Some(JWKS),
                Ok(|r| r.jwks.as_deref().is_some_and(|j| !j.contains(' '))),
            ),
            (
                "ok/public-subject-and-cpr-and-par",
                with(|a| {
                    a.subject_type = SubjectTypeArg::Public;
                    a.allow_cpr = true;
                    a.require_par = true;
                }),
                None,
                Ok(|r| r.subject_type == SubjectType::Public && r.allow_cpr && r.require_par),
            ),
            (
                "fail/empty-name",
                with(|a| a.name = "  ".into()),
                None,
                Err("--name"),
            ),
            (
                "fail/control-in-name",
                with(|a| a.name = "a\nb".into()),
                None,
                Err("control characters"),
            ),
            (
                "fail/public-with-secret-method",
                with(|a| {
                    a.public = true;
                    a.auth_method = Some(AuthMethodArg::ClientSecretPost);
                }),
                None,
                Err("--public means --auth-method none"),
            ),
            (
                "fail/public-with-cpr",
                with(|a| {
                    a.public = true;
                    a.allow_cpr = true;
                }),
                None,
                Err("CPR"),
            ),
            (
                "fail/public-machine-client",
                with(|a| {
                    a.public = true;
                    a.grant_types = vec![
                        GrantTypeArg::AuthorizationCode,
                        GrantTypeArg::ClientCredentials,
                    ];
                }),
                None,
                Err("client_credentials"),
            ),
            (
                "fail/login-without-redirect-uri",
                with(|a| a.redirect_uris.clear()),
                None,
                Err("needs --redirect-uri"),
            ),
            (
                "fail/machine-client-with-redirect-uri",
                with(|a| a.grant_types = vec![GrantTypeArg::ClientCredentials]),
                None,
                Err("only with --grant-type authorization_code"),
            ),
            (
                "fail/machine-client-with-cpr",
                with(|a| {
                    a.redirect_uris.clear();
                    a.allow_cpr = true;
                    a.grant_types = vec![GrantTypeArg::ClientCredentials];
                }),
                None,
                Err("--allow-cpr"),
            ),
            (
                "ok/rs256-id-tokens",
                with(|a| a.id_token_alg = IdTokenAlgArg::Rs256),
                None,
                Ok(|r| r.id_token_alg == SigningAlg::RS256),
            ),
            (
                "fail/id-token-alg-for-machine-client",
                with(|a| {
                    a.redirect_uris.clear();
                    a.id_token_alg = IdTokenAlgArg::Rs256;
                    a.grant_types = vec![GrantTypeArg::ClientCredentials];
                }),
                None,
                Err("--id-token-alg"),
            ),
            (
                "fail/refresh-without-code",
                with(|a| {
                    a.redirect_uris.clear();
                    a.grant_types = vec![GrantTypeArg::RefreshToken];
                }),
                None,
                Err("refresh_token needs"),
            ),
            (
                "fail/private-key-jwt-without-jwks",
                with(|a| {
                    a.auth_method = Some(AuthMethodArg::PrivateKeyJwt);
                    a.jwks_uri = Some("https://borger.example/jwks".into());
                }),
                None,
                Err("--jwks FILE"),
            ),
            (
                "fail/jwks-with-secret",
                args(),
                Some(JWKS),
                Err("--jwks is used only with"),
            ),
            (
                "fail/jwks-not-json",
                with(|a| a.auth_method = Some(AuthMethodArg::PrivateKeyJwt)),
                Some("{keys"),
                Err("not JSON"),
            ),
            (
                "fail/jwks-uri-http",
                with(|a| a.jwks_uri = Some("http://borger.example/jwks".into())),
                None,
                Err("--jwks-uri"),
            ),
        ];
        for (name, a, jwks, want) in cases {
            match (registration(&a, jwks), want) {
                (Ok(r), Ok(check)) => assert!(check(&r), "{name}: {r:?}"),
                (Err(e), Err(part)) => assert!(e.contains(part), "{name}: {e}"),
                (got, _) => panic!("{name}: {got:?}"),
            }
        }
    }
}
