//! Blocking and unblocking against a real store on both backends: an
//! unblock that sends a new activation code is a one-time thing, however
//! many operators press at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use nyckel_core::audit::AuditEvent;
use nyckel_core::credential::{Actor, CredentialKind, TransitionError};
use nyckel_core::secret::SecretString;
use nyckel_service::BlockTarget;
use nyckel_testkit::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn six_unblocks_of_a_password_at_once_send_one_new_activation_code() {
    for db in TestDb::each().await {
        let store = db.open().await;
        let (nyckel, identity, _) = common::enrolled(&store).await;
        // The holder has chosen a password; support blocks it.
        let mut tx = store.read().await.unwrap();
        let row = tx.find_identity(&identity).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        nyckel
            .set_password(&row, &SecretString::new("Odense-Vinter-2031"))
            .await
            .unwrap()
            .unwrap();
        nyckel
            .block(
                &identity,
                BlockTarget::Password,
                Actor::Support,
                "operator:anna",
                "lost letter",
            )
            .await
            .unwrap()
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(6));
        let presses: Vec<_> = (0..6)
            .map(|i| {
                let nyckel = nyckel.clone();
                let identity = identity.clone();
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    nyckel
                        .unblock(
                            &identity,
                            BlockTarget::Password,
                            Actor::Support,
                            &format!("operator:op{i}"),
                            "holder called",
                        )
                        .await
                })
            })
            .collect();
        let (mut letters, mut not_blocked) = (0, 0);
        for p in presses {
            match p.await.unwrap().unwrap() {
                Ok(Some(_)) => letters += 1,
                Err(TransitionError::NotBlocked) => not_blocked += 1,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!((letters, not_blocked), (1, 5), "{:?}", db.backend);

        let mut tx = store.read().await.unwrap();
        let codes = tx
            .find_live_credentials(&identity, CredentialKind::ActivationCode)
            .await
            .unwrap();
        let entries = tx.find_audit_by_subject(&identity, 100).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(codes.len(), 1, "one live activation code");
        let unblocks = entries
            .iter()
            .filter(|e| matches!(e.event(), AuditEvent::Unblocked { .. }))
            .count();
        assert_eq!(unblocks, 1);
        store.close().await;
    }
}
