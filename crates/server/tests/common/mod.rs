//! The harness: a real nyckel server on a random loopback port over a fresh
//! database, an HTTP client with its own cookie jar, and helpers to read
//! the pages the way a person (or a password manager) would.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::TimeZone;
use nyckel_core::cpr::{Cpr, Date, PersonRecord, Residence};
use nyckel_core::enrollment::{Channel, DocumentKind};
use nyckel_service::clock::ManualClock;
use nyckel_service::config::Config;
use nyckel_service::{Enrolled, Nyckel, SecretKey};
use nyckel_store::Store;
use nyckel_testkit::{Backend, TestDb};

pub struct TestServer {
    pub url: String,
    pub nyckel: Nyckel,
    pub clock: ManualClock,
    pub store: Store,
    pub backend: Backend,
    _db: Arc<TestDb>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Wednesday 25 November 2026, 12:00 in Copenhagen.
pub fn default_now() -> i64 {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 25, 11, 0, 0)
        .unwrap()
        .timestamp_millis()
}

pub fn test_config() -> Config {
    Config {
        ip_attempts_per_minute: 1000,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start(db: Arc<TestDb>, config: Config) -> Self {
        let store = db.open().await;
        Self::start_on(db, store, config, ManualClock::new(default_now())).await
    }

    /// Another server process on the same database (stateless servers).
    pub async fn start_on(
        db: Arc<TestDb>,
        store: Store,
        config: Config,
        clock: ManualClock,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // The issuer is the address the server really listens on, unless
        // the test plays a server behind TLS (an https public URL is kept).
        let config = if config.public_url.starts_with("https://") {
            config
        } else {
            Config {
                public_url: format!("http://{addr}"),
                ..config
            }
        };
        let secret = SecretKey::new(vec![7u8; 64]).unwrap();
        let nyckel = Nyckel::new(store.clone(), config, secret, Arc::new(clock.clone())).unwrap();
        let app = nyckel_server::web::router(nyckel.clone(), None);
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        TestServer {
            url: format!("http://{addr}"),
            nyckel,
            clock,
            store,
            backend: db.backend,
            _db: db,
            task,
        }
    }

    pub async fn each(config: Config) -> Vec<TestServer> {
        let mut v = Vec::new();
        for db in TestDb::each().await {
            v.push(Self::start(Arc::new(db), config.clone()).await);
        }
        v
    }

    pub fn client(&self) -> Browser {
        Browser::new(&self.url)
    }

    /// Imports a few persons and enrolls the first.
    pub async fn enroll_demo(&self) -> Enrolled {
        seed_population(&self.store).await;
        self.enroll_cpr("0707614285").await
    }

    /// The second adult of [`seed_population`] (Jens Nielsen), enrolled.
    pub async fn enroll_second(&self) -> Enrolled {
        seed_population(&self.store).await;
        self.enroll_cpr("1502851234").await
    }

    /// Enrolls the person of `number`, already in the register, at a
    /// service centre with a passport; letters in English (the tests read
    /// them).
    pub async fn enroll_cpr(&self, number: &str) -> Enrolled {
        self.nyckel
            .enroll(
                &cpr(number),
                Channel::ServiceCentre,
                &[DocumentKind::DanishPassport],
                None,
                nyckel_core::lang::Lang::En,
                "test",
            )
            .await
            .unwrap()
    }
}

pub fn today() -> Date {
    Date::new(2026, 11, 25).unwrap()
}

pub fn cpr(s: &str) -> Cpr {
    Cpr::parse(s, today()).unwrap()
}

pub async fn seed_population(store: &Store) {
    let people = [
        (
            "0707614285",
            "Anne Marie",
            "Hansen",
            "Vestergade 12, 1. th, 8000 Aarhus C",
            Residence::Resident,
        ),
        (
            "1502851234",
            "Jens",
            "Nielsen",
            "Nørregade 3, 1165 København K",
            Residence::Resident,
        ),
        (
            "0101121236",
            "Lille",
            "Barn",
            "Skolevej 1, 5000 Odense C",
            Residence::Resident,
        ),
    ];
    let records: Vec<PersonRecord> = people
        .iter()
        .map(|(c, g, s, a, r)| PersonRecord {
            cpr: cpr(c),
            given_names: (*g).into(),
            surname: (*s).into(),
            address: (*a).into(),
            residence: *r,
        })
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.upsert_persons(&records, 1, "test").await.unwrap();
    tx.commit().await.unwrap();
}

/// A browser: cookies, redirects, and the last page.
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        attr_after(&self.body, "name=\"csrf\" value=\"").expect("page has a CSRF token")
    }
    pub fn key_number(&self) -> Option<String> {
        attr_after(&self.body, "data-key-number=\"")
    }
    pub fn has(&self, needle: &str) -> bool {
        self.body.contains(needle)
    }
}

fn attr_after(body: &str, prefix: &str) -> Option<String> {
    let i = body.find(prefix)? + prefix.len();
    let j = body[i..].find('"')? + i;
    Some(body[i..j].to_owned())
}

impl Browser {
    /// A browser that asks for English (the tests read the English texts).
    pub fn new(base: &str) -> Self {
        Self::speaking(base, "en")
    }

    /// A browser whose `Accept-Language` is `accept_language`.
    pub fn speaking(base: &str, accept_language: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_str(accept_language).unwrap(),
        );
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            http,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap();
        Self::page(r).await
    }

    /// GET of a full URL.
    pub async fn get_raw(&self, url: &str) -> Page {
        let r = self.http.get(url).send().await.unwrap();
        Self::page(r).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(form)
            .send()
            .await
            .unwrap();
        Self::page(r).await
    }

    async fn page(r: reqwest::Response) -> Page {
        let status = r.status().as_u16();
        let url = r.url().path().to_owned();
        let body = r.text().await.unwrap();
        Page { status, url, body }
    }

    /// Identify + password from a fresh login page; returns the page after.
    pub async fn identify_and_password(&self, login_name: &str, password: &str) -> Page {
        let p = self.get("/login?restart=1").await;
        assert_eq!(p.status, 200);
        let p = self
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", login_name)],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.has("autocomplete=\"current-password\""));
        self.post(
            "/login/password",
            &[("csrf", &p.csrf()), ("password", password)],
        )
        .await
    }

    /// Answers the key-card challenge on `p` from `card`.
    pub async fn answer_key(&self, p: &Page, enrolled: &Enrolled) -> Page {
        let key = p.key_number().expect("a key-card challenge");
        let code = code_for(enrolled, &key);
        self.post("/login/keycard", &[("csrf", &p.csrf()), ("code", &code)])
            .await
    }
}

pub fn code_for(enrolled: &Enrolled, key: &str) -> String {
    enrolled
        .key_card
        .keys
        .iter()
        .find(|(k, _)| k.to_string() == key)
        .map(|(_, c)| c.expose().to_owned())
        .expect("key on the card")
}

/// Runs the first login: activation code → new password → terms → key card.
pub async fn activate(b: &Browser, e: &Enrolled, password: &str) -> Page {
    let p = b
        .identify_and_password(&e.user_id.to_string(), e.activation_code.expose())
        .await;
    assert!(p.has("autocomplete=\"new-password\""), "{}", p.body);
    let p = b
        .post(
            "/login/new-password",
            &[
                ("csrf", &p.csrf()),
                ("new_password", password),
                ("confirm", password),
            ],
        )
        .await;
    assert!(p.has("Terms of use"), "{}", p.body);
    let p = b
        .post("/login/terms", &[("csrf", &p.csrf()), ("accept", "yes")])
        .await;
    let p = b.answer_key(&p, e).await;
    assert_eq!(p.url, "/my", "{}", p.body);
    p
}

/// `Accept-Language: en`: the tests read the English texts.
pub fn english() -> reqwest::header::HeaderMap {
    reqwest::header::HeaderMap::from_iter([(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("en"),
    )])
}

/// From My nyckel to the new-password page: "Change password", the
/// current password, a key code.
pub async fn to_new_password(b: &Browser, my: &Page, e: &Enrolled, current: &str) -> Page {
    let p = b.post("/my/password", &[("csrf", &my.csrf())]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.has("Change your password"), "{}", p.body);
    assert!(p.has("autocomplete=\"current-password\""), "{}", p.body);
    let p = b
        .post(
            "/login/password",
            &[("csrf", &p.csrf()), ("password", current)],
        )
        .await;
    assert!(p.key_number().is_some(), "{}", p.body);
    assert!(p.has("Change your password"), "{}", p.body);
    let p = b.answer_key(&p, e).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.has("autocomplete=\"new-password\""), "{}", p.body);
    p
}
