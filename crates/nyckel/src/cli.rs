//! The command line (clap derive). Values are parsed here into domain types
//! (`Cpr`, `UserId`, `DocumentKind`), so that a malformed value is a usage
//! error (exit code 2) before anything is opened or changed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};
use nyckel_core::cpr::Cpr;
use nyckel_core::enrollment::{Channel, DocumentKind};
use nyckel_core::ids::UserId;
use nyckel_core::population::ImportFormat;
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use nyckel_oidc::keys::SigningAlg;
use nyckel_service::BlockTarget;

#[derive(Debug, Parser)]
#[command(
    name = "nyckel",
    version,
    about = "nyckel — an open national eID platform: server, demo and operator commands",
    after_help = "Configuration: defaults < the TOML file (--config, NYCKEL_CONFIG) < NYCKEL_* \
                  environment variables (nested keys joined by __, e.g. NYCKEL_ARGON2__MEMORY_KIB) \
                  < command-line flags."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, env = "NYCKEL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the embedded database and the generated secret key live.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://… (default: sqlite in the data dir).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Log format of `serve` and `demo` (RUST_LOG sets the filter; default info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server.
    Serve {
        /// Address to listen on (default: `listen` from the configuration).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Serve a plain-HTTP `public_url` on a host other than loopback:
        /// passwords, codes and cookies would cross the network in clear
        /// text. Refused without this flag; never in production.
        #[arg(long)]
        dangerous_insecure_http: bool,
    },
    /// Runs a demo with made-up persons and a ready-to-use holder, on a fresh
    /// embedded database in the data dir (default ./nyckel-demo), wiped at every
    /// start, and a demo service provider ("borger.demo") that logs the holder
    /// in through nyckel with OpenID Connect.
    Demo {
        /// Address nyckel listens on (default: `listen` from the configuration,
        /// 127.0.0.1:8080). The OpenID provider needs a loopback address.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Address the demo service provider listens on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
        sp_listen: SocketAddr,
    },
    /// The population register (CPR).
    #[command(subcommand)]
    Population(PopulationCommand),
    /// Enrolls a person: checks the rules, creates the identity and puts the
    /// activation letter and the key card in the outbox.
    ///
    /// Exit codes: 0 enrolled, 3 refused by a rule (named on stderr), 1 other
    /// failures, 2 usage errors.
    Enroll(EnrollArgs),
    /// Letters waiting to be posted: activation letters and key cards.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Blocks a holder's password, key card or whole identity (support).
    Block(BlockArgs),
    /// Lifts a block. Unblocking a password issues a new activation letter.
    Unblock(BlockArgs),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// OpenID Connect clients: the services (relying parties) that log people
    /// in with nyckel.
    #[command(subcommand)]
    Client(ClientCommand),
    /// The keys nyckel signs ID and access tokens with.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum PopulationCommand {
    /// Imports persons from a CSV or JSON Lines file in one transaction:
    /// all rows or none.
    ///
    /// CSV header: cpr,given_names,surname,address,residence. JSON Lines: one
    /// object per line with these members. residence is one of resident,
    /// short-term, emigrated, deceased, immigration-case.
    Import {
        /// The file to import.
        file: PathBuf,
        /// File format (default: from the extension, else from the content).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Name recorded with each change (default: the file name).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
    },
    /// Writes a synthetic population CSV to stdout: a benchmark and test
    /// helper (made-up persons with valid, unique CPR numbers born 1920–2010).
    Generate {
        /// Number of persons.
        #[arg(long)]
        count: u64,
        /// Seed for a reproducible file (default: random).
        #[arg(long)]
        seed: Option<u64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
}

impl From<FormatArg> for ImportFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Csv => ImportFormat::Csv,
            FormatArg::Jsonl => ImportFormat::JsonLines,
        }
    }
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// The applicant's CPR number (DDMMYY-SSSS).
    #[arg(long, value_parser = parse_cpr)]
    pub cpr: Cpr,
    /// Where the enrollment takes place.
    #[arg(long, value_enum)]
    pub channel: ChannelArg,
    /// An identity document shown; repeat for several (e.g. a foreign
    /// passport and the yellow health card).
    #[arg(long = "document", value_name = "KIND", value_enum, required = true)]
    pub documents: Vec<DocumentArg>,
    /// CPR number of a witness who signed a sworn statement (short-term
    /// residents at a citizen service centre).
    #[arg(long, value_parser = parse_cpr, value_name = "CPR")]
    pub witness_cpr: Option<Cpr>,
    /// The holder's language for letters, key cards and the code app:
    /// `da`, `en` or `sv` (the holder can change it in My nyckel).
    #[arg(long, value_name = "LANG", default_value = "da")]
    pub language: nyckel_core::lang::Lang,
    /// The registration officer (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub officer: Option<String>,
    /// Print the result as JSON, including the activation code and the key
    /// card's codes (for printing services and tests; they are secrets).
    #[arg(long)]
    pub json: bool,
}

/// A [`DocumentKind`] on the command line, listed with its description in
/// `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentArg(pub DocumentKind);

static DOCUMENTS: [DocumentArg; DocumentKind::ALL.len()] = {
    let mut out = [DocumentArg(DocumentKind::DanishPassport); DocumentKind::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = DocumentArg(DocumentKind::ALL[i]);
        i += 1;
    }
    out
};

impl ValueEnum for DocumentArg {
    fn value_variants<'a>() -> &'a [Self] {
        &DOCUMENTS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()).help(self.0.description()))
    }
}

/// A [`Channel`] on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelArg(pub Channel);

static CHANNELS: [ChannelArg; 3] = [
    ChannelArg(Channel::ServiceCentre),
    ChannelArg(Channel::Bank),
    ChannelArg(Channel::OnlineAbroad),
];

impl ValueEnum for ChannelArg {
    fn value_variants<'a>() -> &'a [Self] {
        &CHANNELS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()).help(self.0.description()))
    }
}

fn parse_cpr(s: &str) -> Result<Cpr, String> {
    Cpr::parse(s, crate::today()).map_err(|e| e.to_string())
}

fn parse_user_id(s: &str) -> Result<UserId, String> {
    UserId::parse(s).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Lists letters not yet dispatched (all with --all).
    List {
        /// Include letters already dispatched.
        #[arg(long)]
        all: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prints a letter for posting (the operator's view is audited).
    Print {
        /// The letter's id (L…).
        id: String,
        /// Plain text, or print-ready HTML (key cards only).
        #[arg(long, value_enum, default_value_t = LetterFormat::Text)]
        format: LetterFormat,
    },
    /// Marks a letter as posted: its content is then forgotten.
    Dispatched {
        /// The letter's id (L…).
        id: String,
        /// Who posted it (default: $USER).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LetterFormat {
    Text,
    Html,
}

#[derive(Debug, Args)]
pub struct BlockArgs {
    /// The holder's 9-digit user ID.
    #[arg(long = "user", value_name = "USERID", value_parser = parse_user_id)]
    pub user: UserId,
    /// What to block or unblock.
    #[arg(long, value_enum)]
    pub what: What,
    /// Why (recorded in the audit log).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The support operator (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum What {
    /// The password (unblocking issues a new activation code by letter).
    Password,
    /// The key card(s).
    KeyCard,
    /// The whole identity.
    Identity,
}

impl From<What> for BlockTarget {
    fn from(w: What) -> Self {
        match w {
            What::Password => BlockTarget::Password,
            What::KeyCard => BlockTarget::KeyCard,
            What::Identity => BlockTarget::Identity,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verifies the hash chain. Exit code 1 if it is broken, naming the entry.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Registers a client and prints its client ID and (for confidential
    /// clients) its secret, which is shown only this once.
    ///
    /// Defaults: a confidential client authenticating with
    /// client_secret_basic, pairwise subject identifiers, grant types
    /// authorization_code and refresh_token. A client with only
    /// `--grant-type client_credentials` and no redirect URI is a machine
    /// client: it gets tokens for itself, never a person's data.
    Add(ClientAddArgs),
    /// Lists the registered clients.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Shows one client's registration (never its secret).
    Show {
        /// The client ID.
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disables a client: its logins, token requests and tokens stop
    /// working until it is enabled again (running servers notice within 5
    /// seconds). Audited.
    Disable(ClientIdArgs),
    /// Enables a disabled client again. Audited.
    Enable(ClientIdArgs),
    /// Deletes a client with its codes, tokens and the consents people gave
    /// it (running servers notice within 5 seconds). Audited. Cannot be
    /// undone: registering the service again gives it a new client ID, and
    /// with pairwise subjects new `sub` values.
    Delete(ClientIdArgs),
    /// Gives a client that authenticates with a secret a new secret and
    /// prints it once. The old secret stops working at once (running
    /// servers notice within 5 seconds): hand the new one to the service
    /// first, or plan the moment. Audited. The client ID, and with it every
    /// pairwise `sub`, stays the same.
    RotateSecret {
        #[command(flatten)]
        client: ClientIdArgs,
        /// Print `{"client_id": "...", "client_secret": "..."}`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ClientAddArgs {
    /// The service's name, shown to people on the consent screen.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Where nyckel may send the browser back with a code (exact match;
    /// https, or http on 127.0.0.1/localhost/[::1]; public clients may use a
    /// private-use scheme such as dk.example.app:/cb). Repeat for several.
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Where nyckel may send the browser after RP-initiated logout. Repeat
    /// for several.
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (a native or browser app that cannot keep a secret):
    /// no secret, token endpoint auth method `none`, PKCE S256 required.
    #[arg(long)]
    pub public: bool,
    /// Entitled to the CPR number: may ask for the `ssn` scope (the person
    /// is still asked to consent). Never for public clients.
    #[arg(long)]
    pub allow_cpr: bool,
    /// Accept only pushed authorization requests (RFC 9126) from this client.
    #[arg(long)]
    pub require_par: bool,
    /// What the client sees as `sub`: a pairwise value of its own, or the
    /// person's UUID that every public-subject client sees alike.
    #[arg(long, value_enum, default_value_t = SubjectTypeArg::Pairwise)]
    pub subject_type: SubjectTypeArg,
    /// How the client authenticates at the token endpoint (default
    /// client_secret_basic; none with --public).
    #[arg(long, value_enum, value_name = "METHOD")]
    pub auth_method: Option<AuthMethodArg>,
    /// The client's public keys as a JWK Set file, for private_key_jwt.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,
    /// A URL of the client's JWK Set. Stored with the registration but not
    /// used yet: private_key_jwt is checked only against the keys given
    /// with --jwks.
    #[arg(long, value_name = "URI")]
    pub jwks_uri: Option<String>,
    /// The algorithm of the client's ID tokens: ES256, or RS256 for
    /// relying parties that only support RSA.
    #[arg(long, value_enum, value_name = "ALG", default_value_t = IdTokenAlgArg::Es256)]
    pub id_token_alg: IdTokenAlgArg,
    /// How long the client's access tokens live, in seconds (60 to 3600;
    /// 300 by default).
    #[arg(long, value_name = "SECS")]
    pub access_token_lifetime: Option<i64>,
    /// A grant type the client may use; repeat for several (default:
    /// authorization_code and refresh_token).
    #[arg(long = "grant-type", value_enum, value_name = "GRANT")]
    pub grant_types: Vec<GrantTypeArg>,
    /// Print `{"client_id": …, "client_secret": …}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// The operator registering it (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClientIdArgs {
    /// The client ID.
    pub id: String,
    /// The operator (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SubjectTypeArg {
    Pairwise,
    Public,
}

impl From<SubjectTypeArg> for SubjectType {
    fn from(s: SubjectTypeArg) -> Self {
        match s {
            SubjectTypeArg::Pairwise => SubjectType::Pairwise,
            SubjectTypeArg::Public => SubjectType::Public,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdTokenAlgArg {
    #[value(name = "ES256")]
    Es256,
    #[value(name = "RS256")]
    Rs256,
}

impl From<IdTokenAlgArg> for SigningAlg {
    fn from(a: IdTokenAlgArg) -> Self {
        match a {
            IdTokenAlgArg::Es256 => SigningAlg::ES256,
            IdTokenAlgArg::Rs256 => SigningAlg::RS256,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMethodArg {
    /// HTTP Basic with the client ID and secret.
    #[value(name = "client_secret_basic")]
    ClientSecretBasic,
    /// client_id and client_secret in the form body.
    #[value(name = "client_secret_post")]
    ClientSecretPost,
    /// A JWT signed with the client's private key (needs --jwks).
    #[value(name = "private_key_jwt")]
    PrivateKeyJwt,
    /// No authentication: a public client (same as --public).
    #[value(name = "none")]
    None,
}

impl From<AuthMethodArg> for ClientAuthMethod {
    fn from(m: AuthMethodArg) -> Self {
        match m {
            AuthMethodArg::ClientSecretBasic => ClientAuthMethod::ClientSecretBasic,
            AuthMethodArg::ClientSecretPost => ClientAuthMethod::ClientSecretPost,
            AuthMethodArg::PrivateKeyJwt => ClientAuthMethod::PrivateKeyJwt,
            AuthMethodArg::None => ClientAuthMethod::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum GrantTypeArg {
    /// Logs people in: the code flow.
    #[value(name = "authorization_code")]
    AuthorizationCode,
    /// Renews a person's tokens without a new login.
    #[value(name = "refresh_token")]
    RefreshToken,
    /// Tokens for the client itself (machine to machine).
    #[value(name = "client_credentials")]
    ClientCredentials,
}

impl GrantTypeArg {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantTypeArg::AuthorizationCode => "authorization_code",
            GrantTypeArg::RefreshToken => "refresh_token",
            GrantTypeArg::ClientCredentials => "client_credentials",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Makes new signing keys (ES256 and RS256) current. The old ones stay
    /// published for verification until the tokens they signed expired.
    /// Running servers switch within 30 seconds. Audited.
    Rotate {
        /// The operator (default: $USER).
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
    },
    /// Lists the signing keys that are current or still published.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn ok_cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn ok_every_document_kind_is_offered() {
        for d in DocumentKind::ALL {
            assert!(DOCUMENTS.contains(&DocumentArg(d)));
        }
        for c in Channel::ALL {
            assert!(CHANNELS.contains(&ChannelArg(c)));
        }
    }
}
