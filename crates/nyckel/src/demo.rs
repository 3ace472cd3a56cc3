//! `nyckel demo`: a fresh embedded database with a made-up population and a
//! holder who is enrolled and activated through the real service calls —
//! activation code, password, terms, key-card code — so that a newcomer can
//! log in at once with the user ID, password and key card shown.
//!
//! Beside nyckel it runs a demo service provider, "borger.demo"
//! ([`crate::demo_sp`]), registered as a confidential OpenID client entitled
//! to CPR numbers, so that the whole login of a service is there to try.
//!
//! The database is wiped at every start. To never wipe a real one, the demo
//! only reuses a data dir it marked as its own.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use nyckel_core::assurance::AuthMethod;
use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_core::cpr::{Date, PersonRecord, Residence, Sex};
use nyckel_core::enrollment::{Channel, DocumentKind};
use nyckel_core::lockout::Trust;
use nyckel_core::secret::SecretString;
use nyckel_oidc::client::{ClientAuthMethod, SubjectType};
use nyckel_server::web::DemoInfo;
use nyckel_service::clock::SystemClock;
use nyckel_service::{Enrolled, KeyCardStep, Nyckel, PasswordStep, random_token};

use crate::cli::GlobalArgs;
use crate::demo_sp::{self, SpConfig};
use crate::{serve, settings, synth};

/// The demo holder's password: passes the policy (8–64 characters, not
/// common, no "password", no user ID or CPR number).
pub const DEMO_PASSWORD: &str = "Aarhus-Sommer-2026";

/// The data dir when none is given.
pub const DEFAULT_DATA_DIR: &str = "nyckel-demo";

/// Marks a data dir as the demo's, so that its database may be wiped.
pub const MARKER_FILE: &str = ".nyckel-demo";

const DATABASE_FILE: &str = "nyckel.db";

/// Where the demo holder "logs in" from while being activated.
const DEMO_IP: &str = "127.0.0.1";

/// A person of the demo population and what they are there to show.
#[derive(Debug, Clone)]
pub struct DemoPerson {
    pub record: PersonRecord,
    pub note: &'static str,
}

struct Spec {
    given: &'static str,
    surname: &'static str,
    address: &'static str,
    residence: Residence,
    /// Birth date, or `None` for ten years before today (under 15).
    born: Option<(i32, u8, u8)>,
    sex: Sex,
    /// Whether the number passes the modulus-11 check (numbers issued since
    /// 2007 need not).
    modulus11: bool,
    note: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn spec(
    given: &'static str,
    surname: &'static str,
    address: &'static str,
    residence: Residence,
    born: Option<(i32, u8, u8)>,
    sex: Sex,
    modulus11: bool,
    note: &'static str,
) -> Spec {
    Spec {
        given,
        surname,
        address,
        residence,
        born,
        sex,
        modulus11,
        note,
    }
}

/// The first person is the demo holder.
#[rustfmt::skip]
const SPECS: [Spec; 14] = {
    use Residence::*;
    use Sex::*;
    [
        spec("Mette Kirstine", "Jensen", "Vestergade 12, 2. th., 8000 Aarhus C", Resident, Some((1985, 3, 14)), Female, true, "the demo holder (enrolled and activated)"),
        spec("Lars Ove", "Nielsen", "Nørregade 7, 1165 København K", Resident, Some((1972, 11, 2)), Male, true, "resident: can be enrolled"),
        spec("Sofie", "Hansen", "Algade 21, 4000 Roskilde", Resident, Some((1999, 6, 30)), Female, true, "resident: can be enrolled"),
        spec("Mads Peter", "Pedersen", "Kongensgade 40, 5000 Odense C", Resident, Some((1968, 1, 19)), Male, true, "resident: can be enrolled"),
        spec("Freja", "Andersen", "Jernbanegade 3, 1. tv., 9000 Aalborg", Resident, Some((2008, 9, 5)), Female, false, "resident (number from after 2007, fails modulus 11)"),
        spec("Rasmus", "Christensen", "Strandvejen 118, 2900 Hellerup", Resident, Some((1990, 4, 22)), Male, false, "resident (fails modulus 11)"),
        spec("Karen", "Larsen", "Torvet 5, 6700 Esbjerg", Resident, Some((1950, 12, 24)), Female, true, "resident: a witness for Anna Kowalska"),
        spec("Niels", "Madsen", "Skolevej 9, 8600 Silkeborg", Resident, Some((1979, 7, 1)), Male, true, "resident: can be enrolled"),
        spec("Birgitte", "Kristensen", "Møllevej 2, 7100 Vejle", Resident, Some((1961, 10, 10)), Female, true, "resident: can be enrolled"),
        spec("Emil", "Sørensen", "Birkevej 14, 8700 Horsens", Resident, None, Male, false, "under 15: refused"),
        spec("Ida", "Rasmussen", "Havnegade 30, 5700 Svendborg", Emigrated, Some((1983, 2, 8)), Female, true, "emigrated: refused"),
        spec("Poul Erik", "Jørgensen", "Kirkevej 1, 3400 Hillerød", Deceased, Some((1931, 5, 17)), Male, true, "deceased: refused"),
        spec("Anna", "Kowalska", "Amagerbrogade 150, 3. th., 2300 København S", ShortTerm, Some((1994, 8, 12)), Female, false, "short-term resident: needs a witness at a service centre"),
        spec("Ahmad", "Rahimi", "Rosenvænget 8, 2800 Kongens Lyngby", ImmigrationCase, Some((1988, 3, 3)), Male, false, "open immigration case: refused"),
    ]
};

/// The demo population on `today` (the youngest person is always 10).
pub fn population(today: Date) -> anyhow::Result<Vec<DemoPerson>> {
    let ten_years_ago = Date::new(today.year() - 10, today.month(), today.day())
        .or_else(|| Date::new(today.year() - 10, today.month(), 28))
        .context("calendar")?;
    SPECS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let born = match s.born {
                Some((y, m, d)) => Date::new(y, m, d).context("demo birth date")?,
                None => ten_years_ago,
            };
            // Spread the serial numbers so that the persons do not look alike.
            let start = u16::try_from((i * 3571 + 1234) % 10_000).unwrap_or(0);
            let cpr = synth::cpr_for(born, s.sex, s.modulus11, start, today)
                .context("no CPR number for a demo person")?;
            Ok(DemoPerson {
                record: PersonRecord {
                    cpr,
                    given_names: s.given.to_owned(),
                    surname: s.surname.to_owned(),
                    address: s.address.to_owned(),
                    residence: s.residence,
                },
                note: s.note,
            })
        })
        .collect()
}

pub async fn run(
    global: &GlobalArgs,
    listen: Option<SocketAddr>,
    sp_listen: SocketAddr,
) -> anyhow::Result<ExitCode> {
    serve::init_logging(global.log_format);
    let mut config = settings::load(global)?;
    if global.database_url.is_some() || config.database_url.is_some() {
        tracing::warn!("the demo runs on its own embedded database; database_url is not used");
    }
    let data_dir = global
        .data_dir
        .clone()
        .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
    fresh_database(&data_dir)?;
    config.data_dir = data_dir.clone();
    config.database_url = None;
    config.secure_cookies = false;

    let listen = listen.unwrap_or(config.listen);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let sp_listener = tokio::net::TcpListener::bind(sp_listen)
        .await
        .with_context(|| format!("cannot listen on {sp_listen} (the demo service provider)"))?;
    let sp_addr = sp_listener.local_addr()?;
    // The issuer is the URL nyckel really listens on: tokens name it and the
    // service provider fetches the endpoints from it.
    config.public_url = format!("http://{}", shown(addr));
    let url = format!("{}/", config.public_url);
    let sp_base = format!("http://{}", shown(sp_addr));

    let store = settings::open_store(&config).await?;
    let secret = settings::secret_key(&config)?;
    let nyckel = Nyckel::new(store, config, secret, Arc::new(SystemClock))?;

    let people = population(nyckel.today())?;
    import(&nyckel, &people).await?;
    let holder = people.first().context("empty demo population")?;
    let enrolled = nyckel
        .enroll(
            &holder.record.cpr,
            Channel::ServiceCentre,
            &[DocumentKind::DanishPassport],
            None,
            nyckel_core::lang::Lang::Da,
            "demo",
        )
        .await
        .map_err(|e| anyhow::anyhow!("enrolling the demo holder: {e}"))?;
    activate(&nyckel, &enrolled).await?;
    let sp = register_sp(&nyckel, &sp_base).await?;

    let info = DemoInfo {
        user_id: enrolled.user_id.to_string(),
        password: DEMO_PASSWORD.to_owned(),
        key_card: enrolled
            .key_card
            .keys
            .iter()
            .map(|(key, code)| (key.to_string(), code.expose().to_owned()))
            .collect(),
    };
    print_welcome(&url, sp.as_ref(), &info, &people, &data_dir);
    tracing::info!(%addr, "nyckel demo listening on {url}");
    let sp_task = match sp {
        Some(sp) => {
            tracing::info!(addr = %sp_addr, "demo service provider listening on {}/", sp.base_url);
            Some(tokio::spawn(demo_sp::serve(sp_listener, sp)))
        }
        None => None,
    };
    let served = nyckel_server::web::run(nyckel, listener, Some(info)).await;
    if let Some(task) = sp_task {
        task.abort();
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// A listening address as a browser on this machine reaches it.
fn shown(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
    } else {
        addr
    }
}

/// Registers borger.demo as nyckel's client. `None`, with a warning, when
/// the addresses rule OpenID out: the issuer and the redirect URIs may be
/// plain http only on loopback.
async fn register_sp(nyckel: &Nyckel, sp_base: &str) -> anyhow::Result<Option<SpConfig>> {
    let redirect_uri = SpConfig::redirect_uri(sp_base);
    let usable = nyckel.issuer().is_ok()
        && nyckel_oidc::request::check_redirect_uri(&redirect_uri, false).is_ok();
    if !usable {
        tracing::warn!(
            public_url = %nyckel.config.public_url,
            "the demo service provider needs nyckel and itself on loopback addresses \
             (http is accepted only there); running without it"
        );
        return Ok(None);
    }
    let (client_id, secret) = nyckel
        .add_client(
            demo_sp::CLIENT_NAME,
            vec![redirect_uri],
            vec![SpConfig::post_logout_redirect_uri(sp_base)],
            ClientAuthMethod::ClientSecretBasic,
            true,
            false,
            SubjectType::Pairwise,
            None,
            None,
            vec!["authorization_code".into(), "refresh_token".into()],
            "system",
        )
        .await
        .map_err(|e| anyhow::anyhow!("registering the demo service provider: {e}"))?;
    let client_secret = secret.context("a confidential client has a secret")?;
    Ok(Some(SpConfig {
        issuer: nyckel.config.public_url.clone(),
        base_url: sp_base.to_owned(),
        client_id,
        client_secret,
    }))
}

/// Removes the demo database of an earlier run. Refuses a data dir holding a
/// database the demo did not create.
fn fresh_database(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let marker = dir.join(MARKER_FILE);
    let db = dir.join(DATABASE_FILE);
    if db.exists() && !marker.exists() {
        bail!(
            "{} holds a database that the demo did not create; choose another --data-dir",
            dir.display()
        );
    }
    std::fs::write(
        &marker,
        "This directory belongs to `nyckel demo`, which wipes its database at every start.\n",
    )
    .with_context(|| format!("cannot write {}", marker.display()))?;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let path = dir.join(format!("{DATABASE_FILE}{suffix}"));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }
    Ok(())
}

async fn import(nyckel: &Nyckel, people: &[DemoPerson]) -> anyhow::Result<()> {
    let now = nyckel.now();
    let records: Vec<PersonRecord> = people.iter().map(|p| p.record.clone()).collect();
    let mut tx = nyckel.store.write().await?;
    let stats = tx.upsert_persons(&records, now, "demo").await?;
    tx.append_audit(
        &NewAuditEvent::new(
            "system",
            AuditEvent::PopulationImported {
                file: None,
                source: "demo".into(),
                format: None,
                rows: records.len() as u64,
                inserted: stats.inserted,
                changed: stats.changed,
                unchanged: stats.unchanged,
            },
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The first login of a new holder, as the login pages do it: activation
/// code → own password → terms → a key-card code → logged in (which
/// activates the identity).
async fn activate(nyckel: &Nyckel, enrolled: &Enrolled) -> anyhow::Result<()> {
    let mut tx = nyckel.store.read().await?;
    let identity = tx
        .find_identity(&enrolled.identity_id)
        .await?
        .context("the enrolled identity is missing")?;
    tx.commit().await?;

    let step = nyckel
        .check_password_step(
            Some(&identity),
            &enrolled.activation_code,
            Trust::Untrusted,
            DEMO_IP,
        )
        .await?;
    let PasswordStep::ActivationCode(identity) = step else {
        bail!("the demo holder's activation code was not accepted: {step:?}");
    };
    if let Err(rejected) = nyckel
        .set_password(&identity, &SecretString::new(DEMO_PASSWORD))
        .await?
    {
        bail!("the demo password was refused: {rejected}");
    }
    nyckel.accept_terms(&identity).await?;
    let challenge = nyckel
        .start_key_challenge(&identity, false)
        .await?
        .context("the demo holder's key card has no key to ask for")?;
    let code = enrolled
        .key_card
        .code(challenge.key_number)
        .context("the key asked for is not on the demo card")?;
    let (step, auth) = nyckel
        .check_key_code(
            &identity,
            &challenge,
            code.expose(),
            &[AuthMethod::ActivationCode],
            DEMO_IP,
        )
        .await?;
    let (KeyCardStep::Accepted, Some(auth)) = (step, auth) else {
        bail!("the demo holder's key-card code was not accepted");
    };
    nyckel
        .complete_login(auth, &random_token(), &random_token(), DEMO_IP)
        .await?;
    Ok(())
}

fn print_welcome(
    url: &str,
    sp: Option<&SpConfig>,
    info: &DemoInfo,
    people: &[DemoPerson],
    data_dir: &Path,
) {
    let mut lines = vec![
        "nyckel demo is running".to_owned(),
        String::new(),
        format!("Open      {url}"),
    ];
    if let Some(sp) = sp {
        lines.push(format!(
            "Service   {}/  ({}: log in with nyckel)",
            sp.base_url,
            demo_sp::CLIENT_NAME
        ));
    }
    lines.extend([
        format!("User ID   {}", info.user_id),
        format!("Password  {}", info.password),
        format!(
            "Key card  {} codes, shown on the start page",
            info.key_card.len()
        ),
    ]);
    println!("{}", boxed(&lines));
    println!();
    println!("Demo population (made up):");
    for p in people {
        println!(
            "  {}  {:<28} {}",
            p.record.cpr,
            p.record.full_name(),
            p.note
        );
    }
    println!();
    if let Some(sp) = sp {
        println!("OpenID Connect: {url}.well-known/openid-configuration");
        println!(
            "  {} is client {} (see docs/integration.md)",
            demo_sp::CLIENT_NAME,
            sp.client_id
        );
        println!();
    }
    println!("Try the operator commands on it, e.g.");
    println!("  nyckel outbox list --data-dir {}", data_dir.display());
    println!("  nyckel client list --data-dir {}", data_dir.display());
    if let Some(p) = people.get(1) {
        println!(
            "  nyckel enroll --data-dir {} --cpr {} --channel service-centre --document danish-passport",
            data_dir.display(),
            p.record.cpr
        );
    }
    println!("Stop with Ctrl-C; the next start begins afresh.");
}

/// `lines` in a box drawn with box-drawing characters.
pub fn boxed(lines: &[String]) -> String {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = "─".repeat(width + 2);
    let mut out = format!("┌{rule}┐\n");
    for l in lines {
        let pad = width - l.chars().count();
        out.push_str(&format!("│ {l}{} │\n", " ".repeat(pad)));
    }
    out.push_str(&format!("└{rule}┘"));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use nyckel_core::enrollment::{EnrollmentRequest, Refusal, check_eligibility};

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn ok_population_has_every_case() {
        for today in [date(2026, 6, 15), date(2028, 2, 29), date(2040, 1, 1)] {
            let people = population(today).unwrap();
            assert!(people.len() >= 12);
            let cprs: HashSet<_> = people.iter().map(|p| p.record.cpr).collect();
            assert_eq!(cprs.len(), people.len(), "unique CPR numbers");
            assert!(people.iter().any(|p| p.record.cpr.modulus11_ok()));
            assert!(people.iter().any(|p| !p.record.cpr.modulus11_ok()));
            for r in [
                Residence::Emigrated,
                Residence::Deceased,
                Residence::ShortTerm,
                Residence::ImmigrationCase,
            ] {
                assert!(people.iter().any(|p| p.record.residence == r), "{r}");
            }
            let young = people
                .iter()
                .filter(|p| p.record.cpr.birth_date().age_on(today) < 15)
                .count();
            assert_eq!(young, 1, "one person under 15 on {today}");
            let holder = &people[0].record;
            let req = EnrollmentRequest {
                birth_date: holder.cpr.birth_date(),
                residence: holder.residence,
                has_active_identity: false,
                channel: Channel::ServiceCentre,
                documents: vec![DocumentKind::DanishPassport],
                witness: None,
                applicant_cpr: holder.cpr,
                today,
            };
            assert!(check_eligibility(&req).is_ok());
            let mut young_req = req.clone();
            let child = people
                .iter()
                .find(|p| p.record.cpr.birth_date().age_on(today) < 15)
                .unwrap();
            young_req.birth_date = child.record.cpr.birth_date();
            young_req.applicant_cpr = child.record.cpr;
            assert!(matches!(
                check_eligibility(&young_req),
                Err(Refusal::Underage { .. })
            ));
        }
    }

    #[test]
    fn ok_demo_password_passes_the_policy() {
        let holder = &population(date(2026, 6, 15)).unwrap()[0].record;
        let user_id = nyckel_core::ids::UserId::parse("123456789").unwrap();
        nyckel_core::password::check_password(
            &nyckel_core::password::PasswordPolicy::default(),
            &SecretString::new(DEMO_PASSWORD),
            &user_id,
            &holder.cpr,
            None,
        )
        .unwrap();
        assert!(!DEMO_PASSWORD.to_lowercase().contains("password"));
    }

    #[test]
    fn ok_box_is_aligned() {
        let b = boxed(&["ab".to_owned(), "æøå123".to_owned()]);
        let widths: HashSet<usize> = b.lines().map(|l| l.chars().count()).collect();
        assert_eq!(widths.len(), 1, "{b}");
    }

    #[test]
    fn fail_foreign_data_dir_is_not_wiped() {
        let dir = std::env::temp_dir().join(format!("nyckel-demo-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(DATABASE_FILE), b"real data").unwrap();
        let _ = std::fs::remove_file(dir.join(MARKER_FILE));
        assert!(fresh_database(&dir).is_err());
        assert!(dir.join(DATABASE_FILE).exists());
        std::fs::write(dir.join(MARKER_FILE), b"").unwrap();
        fresh_database(&dir).unwrap();
        assert!(!dir.join(DATABASE_FILE).exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
