//! What the service's tests share: a store with one enrolled person.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use nyckel_core::cpr::{Cpr, Date, PersonRecord, Residence};
use nyckel_core::enrollment::{Channel, DocumentKind};
use nyckel_service::clock::ManualClock;
use nyckel_service::config::Config;
use nyckel_service::{Nyckel, SecretKey};

pub fn today() -> Date {
    Date::new(2026, 11, 25).unwrap()
}

/// A service on `store` (a manual clock) and one person enrolled at a
/// service centre: the service, the identity id and its letters.
pub async fn enrolled(store: &nyckel_store::Store) -> (Nyckel, String, Vec<String>) {
    let cpr = Cpr::parse("0707614285", today()).unwrap();
    let mut tx = store.write().await.unwrap();
    tx.upsert_persons(
        &[PersonRecord {
            cpr,
            given_names: "Anna".into(),
            surname: "Hansen".into(),
            address: "Vestergade 1, 8000 Aarhus C".into(),
            residence: Residence::Resident,
        }],
        1,
        "test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let clock = ManualClock::new(1_764_000_000_000);
    let nyckel = Nyckel::new(
        store.clone(),
        Config::default(),
        SecretKey::new(vec![7u8; 64]).unwrap(),
        Arc::new(clock),
    )
    .unwrap();
    let e = nyckel
        .enroll(
            &cpr,
            Channel::ServiceCentre,
            &[DocumentKind::DanishPassport],
            None,
            nyckel_core::lang::Lang::En,
            "officer",
        )
        .await
        .unwrap();
    (nyckel, e.identity_id, e.letters)
}
