//! Loading the configuration and the secret key, opening the store and the
//! services.
//!
//! Precedence: `Config`'s defaults < the TOML file < `NYCKEL_*` environment
//! variables < command-line flags.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use figment::Figment;
use figment::providers::{Env, Format as _, Toml};
use nyckel_service::clock::SystemClock;
use nyckel_service::config::Config;
use nyckel_service::{Nyckel, SecretKey};
use nyckel_store::{Store, StoreOptions};
use rand::RngExt as _;
use serde::Deserialize as _;

use crate::cli::GlobalArgs;

/// The file the secret key is generated into when the configuration has none.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// Bytes of a generated secret key.
const SECRET_KEY_BYTES: usize = 64;

/// Reads the configuration: defaults, then the file, then the environment,
/// then the flags.
pub fn load(global: &GlobalArgs) -> anyhow::Result<Config> {
    // `Config` has `#[serde(default)]`: what no provider sets keeps its
    // default, so the empty figment is `Config::default()`.
    let mut figment = Figment::new();
    if let Some(path) = &global.config {
        if !path.is_file() {
            bail!("configuration file {} not found", path.display());
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(env_provider());
    let mut config: Config = figment
        .extract()
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    if let Some(dir) = &global.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &global.database_url {
        config.database_url = Some(url.clone());
    }
    Ok(config)
}

/// `NYCKEL_*` variables naming a key of [`Config`]. Others with the prefix
/// (`NYCKEL_CONFIG`, `NYCKEL_TEST_…`, `NYCKEL_REQUIRE_POSTGRES`) belong to
/// someone else and would trip `deny_unknown_fields`.
fn env_provider() -> Env {
    let keys = config_keys();
    Env::prefixed("NYCKEL_").split("__").filter(move |key| {
        let top = key.as_str().split('.').next().unwrap_or_default();
        keys.iter().any(|k| k.eq_ignore_ascii_case(top))
    })
}

/// The top-level keys of [`Config`], read from its `Deserialize` impl so
/// that a key added to the server's configuration is picked up here too.
pub fn config_keys() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // This deserializer only records the field names and then fails.
    let _ = Config::deserialize(FieldNames(&mut fields));
    fields
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("field names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The secret key: `secret_key` from the configuration (hex), else
/// `<data_dir>/secret.key`, generated on first use (mode 0600).
pub fn secret_key(config: &Config) -> anyhow::Result<SecretKey> {
    if let Some(hex_key) = &config.secret_key {
        let bytes =
            hex::decode(hex_key.trim()).context("configuration: secret_key must be hex-encoded")?;
        return SecretKey::new(bytes).context("configuration: secret_key");
    }
    let path = config.data_dir.join(SECRET_KEY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => decode_key_file(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(&path)?,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    SecretKey::new(bytes).with_context(|| format!("{}", path.display()))
}

/// A key file holds hex (as written here); raw bytes are accepted too.
fn decode_key_file(bytes: Vec<u8>) -> Vec<u8> {
    match std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| hex::decode(s.trim()).ok())
    {
        Some(decoded) => decoded,
        None => bytes,
    }
}

fn create_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut key = vec![0u8; SECRET_KEY_BYTES];
    rand::rng().fill(&mut key[..]);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", hex::encode(&key)).as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path)
            .map(decode_key_file)
            .with_context(|| format!("cannot read {}", path.display())),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Opens (and migrates) the configured database. The embedded default lives
/// in the data dir, which is created if missing.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    }
    let url = config.database_url();
    Store::open(
        &url,
        &StoreOptions {
            max_connections: config.database_max_connections,
            ..StoreOptions::default()
        },
    )
    .await
    .with_context(|| format!("cannot open the database ({})", redact_url(&url)))
}

/// The services over the configured store, on the system clock.
pub async fn open_nyckel(config: Config) -> anyhow::Result<Nyckel> {
    let store = open_store(&config).await?;
    let secret = secret_key(&config)?;
    Ok(Nyckel::new(store, config, secret, Arc::new(SystemClock))?)
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_config_keys_are_read_from_config() {
        let keys = config_keys();
        for k in ["listen", "data_dir", "database_url", "argon2", "secret_key"] {
            assert!(keys.contains(&k), "{k} in {keys:?}");
        }
    }

    #[test]
    fn ok_redact_url() {
        assert_eq!(
            redact_url("postgres://nyckel:s3cret@db:5432/nyckel"),
            "postgres://nyckel:***@db:5432/nyckel"
        );
        assert_eq!(
            redact_url("sqlite://data/nyckel.db"),
            "sqlite://data/nyckel.db"
        );
    }

    #[test]
    fn ok_key_file_hex_or_raw() {
        assert_eq!(decode_key_file(b"00ff\n".to_vec()), vec![0, 255]);
        assert_eq!(decode_key_file(vec![0xff, 0x00]), vec![0xff, 0x00]);
    }
}
