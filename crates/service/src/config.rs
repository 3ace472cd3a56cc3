//! Configuration: one documented TOML file, every key overridable by an
//! `NYCKEL_…` environment variable (nested keys joined by `__`, e.g.
//! `NYCKEL_ARGON2__MEMORY_KIB`), defaults that need no file.

use std::net::SocketAddr;
use std::path::PathBuf;

use nyckel_core::lockout::LockoutPolicy;
use nyckel_core::support::SupportSchedule;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the embedded database and the generated secret key live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `sqlite://<data_dir>/nyckel.db`.
    pub database_url: Option<String>,
    /// Pool size (SQLite writers still take turns).
    pub database_max_connections: u32,
    /// The public URL holders reach nyckel at (for links and cookies).
    pub public_url: String,
    /// Hex-encoded 64-byte key for keyed hashes (key-card codes, activation
    /// codes, cookies). Default: generated once into `<data_dir>/secret.key`.
    /// Every server process sharing one database must have the same key.
    pub secret_key: Option<String>,
    pub argon2: Argon2Config,
    pub lockout: LockoutPolicy,
    /// Password and code attempts per minute from one IP
    /// address before it must wait; devices that logged in before are exempt.
    pub ip_attempts_per_minute: u32,
    /// Seconds a login flow may take.
    pub flow_ttl_secs: i64,
    /// Seconds a My nyckel session lasts.
    pub session_ttl_secs: i64,
    /// Key-card keys left when a new card is sent.
    pub key_card_reorder_threshold: usize,
    /// Days an activation code stays valid.
    pub activation_code_days: i64,
    /// Set the `Secure` attribute on cookies even when `public_url` is plain
    /// HTTP (behind a proxy that terminates TLS under another name). With an
    /// `https` public URL cookies are always `Secure` and `__Host-` named.
    pub secure_cookies: bool,
    /// `Strict-Transport-Security: max-age=…` sent when `public_url` is
    /// https (default one year); 0 sends none.
    pub hsts_max_age_secs: u64,
    pub support: SupportSchedule,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Hashes computed at once (default: the number of CPUs).
    pub workers: Option<usize>,
    /// Logins allowed to wait for a worker before nyckel answers 503.
    pub max_waiting: usize,
}

impl Default for Argon2Config {
    fn default() -> Self {
        // OWASP's recommendation for Argon2id.
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            workers: None,
            max_waiting: 64,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: 8,
            public_url: "http://127.0.0.1:8080".into(),
            secret_key: None,
            argon2: Argon2Config::default(),
            lockout: LockoutPolicy::default(),
            ip_attempts_per_minute: 30,
            flow_ttl_secs: 15 * 60,
            session_ttl_secs: 30 * 60,
            key_card_reorder_threshold: nyckel_core::keycard::DEFAULT_REORDER_THRESHOLD,
            activation_code_days: 30,
            secure_cookies: false,
            hsts_max_age_secs: 365 * 86_400,
            support: SupportSchedule::default(),
        }
    }
}

impl Config {
    /// Whether holders reach nyckel over HTTPS.
    pub fn is_https(&self) -> bool {
        self.public_url
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
    }

    /// Whether cookies carry `Secure` (and then the `__Host-` prefix).
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies || self.is_https()
    }

    /// Whether `public_url` is plain HTTP to a host other than the loopback
    /// interface: cookies, codes and passwords would cross a network in
    /// clear text. `serve` refuses it unless told it is dangerous.
    pub fn is_insecure_public_url(&self) -> bool {
        if self.is_https() {
            return false;
        }
        let Ok(url) = url::Url::parse(&self.public_url) else {
            return true;
        };
        match url.host() {
            Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
            Some(url::Host::Domain(d)) => !d.eq_ignore_ascii_case("localhost"),
            None => true,
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("nyckel.db").display()))
    }
}
