//! Test support shared by nyckel's integration tests: a fresh database per
//! test on each backend. PostgreSQL tests skip with a printed reason when the
//! server is unreachable, unless `NYCKEL_REQUIRE_POSTGRES=1` (set by `.ci/run`)
//! makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use nyckel_store::{Store, StoreOptions};
use sqlx::Connection;

/// Where the admin connection for creating test databases goes.
pub fn postgres_admin_url() -> String {
    std::env::var("NYCKEL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn postgres_required() -> bool {
    std::env::var("NYCKEL_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database that is removed when dropped.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database { admin: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("nyckel-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("nyckel.db");
        Self {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite,
            cleanup: Cleanup::File(dir),
        }
    }

    /// A new PostgreSQL database with a unique name, or `None` (after printing
    /// why) when PostgreSQL is unreachable and not required.
    pub async fn postgres() -> Option<Self> {
        let admin = postgres_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if postgres_required() {
                    panic!(
                        "PostgreSQL is required (NYCKEL_REQUIRE_POSTGRES=1) but unreachable at {admin}: {e}"
                    );
                }
                eprintln!("SKIPPED: PostgreSQL unreachable at {admin}: {e}");
                return None;
            }
        };
        let name = format!("nyckel_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.ok();
        let base = admin
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin.clone());
        Some(Self {
            url: format!("{base}/{name}"),
            backend: Backend::Postgres,
            cleanup: Cleanup::Database { admin, name },
        })
    }

    /// Both backends (PostgreSQL only when reachable or required).
    pub async fn each() -> Vec<Self> {
        let mut v = vec![Self::sqlite()];
        v.extend(Self::postgres().await);
        v
    }

    pub async fn open(&self) -> Store {
        Store::open(&self.url, &StoreOptions::default())
            .await
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin, name } => {
                let admin = admin.clone();
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                // Drop may run inside a runtime: do the async work on a thread of its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                                .execute(&mut c)
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
