//! Shared helpers for the CLI tests: a fresh database and data dir per
//! environment, the real binary run against them, and store look-ups.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use nyckel_core::audit::AuditEntry;
use nyckel_core::cpr::{Cpr, Date, Sex};
use nyckel_store::Store;
use nyckel_testkit::TestDb;

pub const BIN: &str = env!("CARGO_BIN_EXE_nyckel");

/// The operator name the binary sees as `$USER`.
pub const USER: &str = "tester";

/// A temporary directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "nyckel-cli-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One backend's fresh database and a data dir.
pub struct Env {
    pub db: TestDb,
    pub dir: TempDir,
}

/// The outcome of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{self:?}");
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The binary with a clean environment: no `NYCKEL_*` configuration from
/// the caller, a fast Argon2 (set through the environment, as an operator
/// would) and a stray `NYCKEL_TEST_…` variable that must be ignored.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("NYCKEL_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("USER", USER)
        .env("NYCKEL_ARGON2__MEMORY_KIB", "4096")
        .env("NYCKEL_ARGON2__ITERATIONS", "1")
        .env("NYCKEL_TEST_IGNORED", "1")
        .env("NYCKEL_REQUIRE_POSTGRES", "0")
        .env_remove("RUST_LOG");
    cmd
}

impl Env {
    /// A fresh environment on each backend (PostgreSQL when reachable).
    pub async fn each() -> Vec<Env> {
        TestDb::each()
            .await
            .into_iter()
            .map(|db| Env {
                db,
                dir: TempDir::new(),
            })
            .collect()
    }

    pub fn sqlite() -> Env {
        Env {
            db: TestDb::sqlite(),
            dir: TempDir::new(),
        }
    }

    /// Runs `nyckel --database-url … --data-dir … ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        command()
            .arg("--database-url")
            .arg(&self.db.url)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            .output()
            .unwrap()
            .into()
    }

    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Writes a CSV of `rows` and imports it.
    pub fn import(&self, name: &str, rows: &[Person]) -> Run {
        let path = self.file(name, &csv(rows));
        self.run(&["population", "import", path.to_str().unwrap()])
    }

    pub async fn store(&self) -> Store {
        self.db.open().await
    }

    pub async fn count_persons(&self) -> i64 {
        let store = self.store().await;
        let mut tx = store.read().await.unwrap();
        let n = tx.count_persons().await.unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        n
    }

    pub async fn audit(&self) -> Vec<AuditEntry> {
        let store = self.store().await;
        let mut tx = store.read().await.unwrap();
        let entries = tx.find_audit_after(0, 100_000).await.unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        entries
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        self.audit().await.into_iter().map(|e| e.action).collect()
    }

    /// Enrolls with `--json` and returns the parsed output.
    pub fn enroll_json(&self, cpr: &str, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["enroll", "--cpr", cpr, "--json"];
        args.extend_from_slice(extra);
        self.run(&args).ok().json()
    }
}

/// A person as a row of an import file.
#[derive(Debug, Clone)]
pub struct Person {
    pub cpr: String,
    pub given: &'static str,
    pub surname: &'static str,
    pub address: &'static str,
    pub residence: &'static str,
}

pub fn person(cpr: &str, given: &'static str, residence: &'static str) -> Person {
    Person {
        cpr: cpr.to_owned(),
        given,
        surname: "Jensen",
        address: "Vestergade 12, 8000 Aarhus C",
        residence,
    }
}

pub fn csv(rows: &[Person]) -> String {
    let mut out = String::from("cpr,given_names,surname,address,residence\n");
    for p in rows {
        out.push_str(&format!(
            "{},{},{},\"{}\",{}\n",
            p.cpr, p.given, p.surname, p.address, p.residence
        ));
    }
    out
}

pub fn jsonl(rows: &[Person]) -> String {
    rows.iter()
        .map(|p| {
            serde_json::json!({
                "cpr": p.cpr,
                "given_names": p.given,
                "surname": p.surname,
                "address": p.address,
                "residence": p.residence,
            })
            .to_string()
                + "\n"
        })
        .collect()
}

pub fn today() -> Date {
    nyckel::today()
}

/// A CPR number of someone who turns `age` today minus a few days.
pub fn cpr_aged(age: i32, sex: Sex) -> String {
    let t = today();
    let born = Date::new(t.year() - age, t.month(), t.day())
        .or_else(|| Date::new(t.year() - age, t.month(), 28))
        .unwrap();
    nyckel::synth::cpr_for(born, sex, false, 1234, t)
        .unwrap()
        .formatted()
}

pub fn parse_cpr(s: &str) -> Cpr {
    Cpr::parse(s, today()).unwrap()
}

// Adults with fixed numbers (real dates, right century digits).
pub const RESIDENT: &str = "150385-2134";
pub const RESIDENT_2: &str = "020272-1457";
pub const RESIDENT_3: &str = "220490-3012";
pub const WITNESS: &str = "241250-1008";
pub const EMIGRATED: &str = "080283-2236";
pub const DECEASED: &str = "170531-1125";
pub const SHORT_TERM: &str = "120894-2310";
pub const IMMIGRATION_CASE: &str = "030388-1551";

/// A population with one person of each kind the rules tell apart.
pub fn population() -> Vec<Person> {
    vec![
        person(RESIDENT, "Mette", "resident"),
        person(RESIDENT_2, "Lars", "resident"),
        person(RESIDENT_3, "Sofie", "resident"),
        person(WITNESS, "Karen", "resident"),
        person(EMIGRATED, "Ida", "emigrated"),
        person(DECEASED, "Poul", "deceased"),
        person(SHORT_TERM, "Anna", "short-term"),
        person(IMMIGRATION_CASE, "Ahmad", "immigration-case"),
        Person {
            cpr: cpr_aged(10, Sex::Male),
            given: "Emil",
            surname: "Sørensen",
            address: "Birkevej 14, 8700 Horsens",
            residence: "resident",
        },
    ]
}

pub fn child() -> String {
    population().last().unwrap().cpr.clone()
}
