//! The store suite: every test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nyckel_core::alias::Alias;
use nyckel_core::audit::{AuditEvent, ChainError, NewAuditEvent};
use nyckel_core::cpr::{Cpr, Date, PersonRecord, Residence};
use nyckel_core::credential::{CredentialKind, CredentialStatus, IdentityStatus};
use nyckel_core::ids::UserId;
use nyckel_core::lang::Lang;
use nyckel_store::{NewCredential, NewLetter, Store, StoreError};
use nyckel_testkit::TestDb;

fn today() -> Date {
    Date::new(2026, 11, 25).unwrap()
}

fn person(cpr: &str, given: &str) -> PersonRecord {
    PersonRecord {
        cpr: Cpr::parse(cpr, today()).unwrap(),
        given_names: given.into(),
        surname: "Jensen".into(),
        address: "Vestergade 1, 8000 Aarhus C".into(),
        residence: Residence::Resident,
    }
}

async fn with_each<F, Fut>(f: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in TestDb::each().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.open().await;
        f(store.clone()).await;
        store.close().await;
    }
}

async fn seed_identity(store: &Store) -> (String, String) {
    let mut tx = store.write().await.unwrap();
    tx.upsert_persons(&[person("010190-1234", "Anna")], 1, "test")
        .await
        .unwrap();
    let p = tx
        .find_person_by_cpr(&Cpr::parse("0101901234", today()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let i = tx
        .insert_identity(&p.id, &UserId::parse("123456789").unwrap(), Lang::Sv, 2)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (p.id, i.id)
}

#[tokio::test]
async fn persons_import_and_dated_changes() {
    with_each(|store| async move {
        let mut tx = store.write().await.unwrap();
        let s = tx
            .upsert_persons(
                &[person("010190-1234", "Anna"), person("020290-2345", "Bo")],
                1000,
                "a.csv",
            )
            .await
            .unwrap();
        assert_eq!((s.inserted, s.changed, s.unchanged), (2, 0, 0));
        tx.commit().await.unwrap();

        let mut moved = person("010190-1234", "Anna");
        moved.address = "Nørregade 2, 1165 København K".into();
        let mut tx = store.write().await.unwrap();
        let s = tx
            .upsert_persons(&[moved.clone(), person("020290-2345", "Bo")], 2000, "b.csv")
            .await
            .unwrap();
        assert_eq!((s.inserted, s.changed, s.unchanged), (0, 1, 1));
        let p = tx.find_person_by_cpr(&moved.cpr).await.unwrap().unwrap();
        assert_eq!(p.record, moved);
        let changes = tx.find_person_changes(&p.id).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, 2000);
        assert_eq!(changes[0].1, "address");
        assert_eq!(changes[0].2.as_deref(), Some("Vestergade 1, 8000 Aarhus C"));
        assert_eq!(tx.count_persons().await.unwrap(), 2);
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn rolled_back_import_leaves_nothing() {
    with_each(|store| async move {
        let mut tx = store.write().await.unwrap();
        tx.upsert_persons(&[person("010190-1234", "Anna")], 1, "x")
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.count_persons().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn one_live_identity_per_person() {
    with_each(|store| async move {
        let (person_id, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        let err = tx
            .insert_identity(
                &person_id,
                &UserId::parse("987654321").unwrap(),
                Lang::Da,
                3,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        tx.rollback().await.unwrap();

        let mut tx = store.write().await.unwrap();
        tx.update_identity_status(&identity_id, IdentityStatus::Revoked, Some("test"), 4)
            .await
            .unwrap();
        let again = tx
            .insert_identity(
                &person_id,
                &UserId::parse("987654321").unwrap(),
                Lang::Da,
                5,
            )
            .await
            .unwrap();
        assert_eq!(again.status, IdentityStatus::PendingActivation);
        let alias = Alias::parse("Anna Jensen").unwrap();
        tx.update_identity_alias(&again.id, Some(&alias))
            .await
            .unwrap();
        assert_eq!(
            tx.find_identity_by_alias(&alias).await.unwrap().unwrap().id,
            again.id
        );
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn key_is_consumed_once() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        let card = tx
            .insert_credential(
                &NewCredential {
                    identity_id: &identity_id,
                    kind: CredentialKind::KeyCard,
                    status: CredentialStatus::Active,
                    label: Some("KC0000000001"),
                    secret_hash: None,
                    data: None,
                    expires_at: None,
                },
                10,
            )
            .await
            .unwrap();
        let keys: Vec<(u16, [u8; 32])> = (1..=148u16).map(|n| (n, [n as u8; 32])).collect();
        tx.insert_key_card_keys(&card, &keys).await.unwrap();
        assert_eq!(tx.find_unused_keys(&card).await.unwrap().len(), 148);
        assert_eq!(
            tx.consume_key(&card, 7, 11).await.unwrap(),
            Some(vec![7u8; 32])
        );
        assert_eq!(tx.consume_key(&card, 7, 12).await.unwrap(), None);
        assert_eq!(tx.find_unused_keys(&card).await.unwrap().len(), 147);
        // The card with its key's hash and the keys left, in one read.
        let (row, hash, left) = tx.find_card_key(&card, 7).await.unwrap().unwrap();
        assert_eq!(row.id, card);
        assert_eq!(hash, Some(vec![7u8; 32]));
        assert_eq!(left, 147);
        let (_, hash, _) = tx.find_card_key(&card, 149).await.unwrap().unwrap();
        assert_eq!(hash, None, "no such key on the card");
        assert!(tx.find_card_key("no-such-card", 7).await.unwrap().is_none());
        // Random keys: each unused key once, in no fixed order, then none.
        let mut drawn = Vec::new();
        while let Some(k) = tx.consume_random_key(&card, 20).await.unwrap() {
            assert_ne!(k, 7, "a used key is never drawn again");
            drawn.push(k);
        }
        assert_eq!(drawn.len(), 147);
        let mut sorted = drawn.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 147, "every key drawn once");
        assert_ne!(drawn, sorted, "not in card order");
        assert_ne!(drawn.iter().rev().copied().collect::<Vec<_>>(), sorted);
        let (_, _, left) = tx.find_card_key(&card, 7).await.unwrap().unwrap();
        assert_eq!(left, 0);
        let live = tx
            .find_live_credentials(&identity_id, CredentialKind::KeyCard)
            .await
            .unwrap();
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].activated_at, Some(10));
        tx.update_credential_status(&card, CredentialStatus::BlockedByHolder, Some("lost"), 13)
            .await
            .unwrap();
        let c = tx.find_credential(&card).await.unwrap().unwrap();
        assert_eq!(c.status, CredentialStatus::BlockedByHolder);
        assert_eq!(c.status_reason.as_deref(), Some("lost"));
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn outbox_forgets_body_on_dispatch() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        let id = tx
            .insert_letter(
                &NewLetter {
                    identity_id: &identity_id,
                    kind: "activation-letter",
                    recipient: "Anna Jensen",
                    address: "Vestergade 1",
                    body: "code 123456",
                },
                1,
            )
            .await
            .unwrap();
        assert_eq!(tx.find_letters(false).await.unwrap().len(), 1);
        tx.update_letter_dispatched(&id, "operator:test", 2)
            .await
            .unwrap();
        let l = tx.find_letter(&id).await.unwrap().unwrap();
        assert_eq!(l.body, None);
        assert_eq!(l.dispatched_at, Some(2));
        assert!(tx.find_letters(false).await.unwrap().is_empty());
        assert!(matches!(
            tx.update_letter_dispatched(&id, "x", 3).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            tx.update_letter_dispatched("Lnope", "x", 3).await,
            Err(StoreError::NotFound)
        ));
        // Letters made in the same millisecond list in the order they were
        // made (ids are random, so ordering by id would shuffle them).
        let mut made = Vec::new();
        for i in 0..8 {
            let body = format!("letter {i}");
            made.push(
                tx.insert_letter(
                    &NewLetter {
                        identity_id: &identity_id,
                        kind: "key-card",
                        recipient: "Anna Jensen",
                        address: "Vestergade 1",
                        body: &body,
                    },
                    5,
                )
                .await
                .unwrap(),
            );
        }
        let listed: Vec<String> = tx
            .find_letters(false)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(listed, made);
        let of: Vec<String> = tx
            .find_letters_of(&identity_id)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(of[0], id, "the first letter, made at 1");
        assert_eq!(of[1..], made[..]);
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn flows_expire() {
    with_each(|store| async move {
        let mut tx = store.write().await.unwrap();
        tx.insert_flow("h1", "csrf", "{}", 100, 200).await.unwrap();
        assert!(tx.find_flow("h1", 199).await.unwrap().is_some());
        assert!(tx.find_flow("h1", 200).await.unwrap().is_none());
        tx.insert_flow("h2", "csrf", "{\"step\":\"identify\"}", 100, 900)
            .await
            .unwrap();
        assert_eq!(
            tx.delete_expired(200).await.unwrap(),
            (0, vec!["{}".to_owned()]),
            "the expired flow's state, once"
        );
        assert_eq!(tx.delete_expired(200).await.unwrap(), (0, vec![]));
        assert_eq!(
            tx.delete_flow("h2").await.unwrap().as_deref(),
            Some("{\"step\":\"identify\"}")
        );
        assert_eq!(tx.delete_flow("h2").await.unwrap(), None);
        tx.commit().await.unwrap();
    })
    .await;
}

async fn append(store: &Store, n: usize) {
    for i in 0..n {
        let mut tx = store.write().await.unwrap();
        tx.append_audit(
            &NewAuditEvent::new(
                "system",
                AuditEvent::CodeReplayed {
                    revoked_tokens: i as u64,
                },
            )
            .subject("s1"),
            1000 + i as i64,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn audit_chain_detects_edit_delete_and_truncation() {
    with_each(|store| async move {
        append(&store, 5).await;
        let r = store.verify_audit().await.unwrap();
        assert_eq!(r.entries, 5);
        assert_eq!(r.result, Ok(()));

        store
            .dangerous_execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
            .await
            .unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap().result,
            Err(ChainError::Edited { seq: 3 })
        );
        store
            .dangerous_execute_raw("UPDATE audit_log SET actor = 'system' WHERE seq = 3")
            .await
            .unwrap();
        assert_eq!(store.verify_audit().await.unwrap().result, Ok(()));

        store
            .dangerous_execute_raw("DELETE FROM audit_log WHERE seq = 2")
            .await
            .unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap().result,
            Err(ChainError::Gap {
                expected: 2,
                found: 3
            })
        );
    })
    .await;
}

#[tokio::test]
async fn audit_chain_detects_deleted_tail() {
    with_each(|store| async move {
        append(&store, 3).await;
        store
            .dangerous_execute_raw("DELETE FROM audit_log WHERE seq = 3")
            .await
            .unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap().result,
            Err(ChainError::Truncated { head: 3, last: 2 })
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_audit_appends_keep_the_chain() {
    with_each(|store| async move {
        let mut handles = Vec::new();
        for t in 0..4 {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                for i in 0..10 {
                    let mut tx = store.write().await.unwrap();
                    tx.append_audit(
                        &NewAuditEvent::new(
                            format!("t{t}"),
                            AuditEvent::CodeReplayed {
                                revoked_tokens: i as u64,
                            },
                        ),
                        i,
                    )
                    .await
                    .unwrap();
                    tx.commit().await.unwrap();
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let r = store.verify_audit().await.unwrap();
        assert_eq!((r.entries, r.result), (40, Ok(())));
    })
    .await;
}

fn client(id: &str) -> nyckel_store::ClientRow {
    nyckel_store::ClientRow {
        client_id: id.into(),
        name: "borger.demo".into(),
        secret_hash: Some("ab".repeat(32)),
        auth_method: "client_secret_basic".into(),
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![],
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        allow_cpr: true,
        require_par: false,
        subject_type: "pairwise".into(),
        id_token_alg: "ES256".into(),
        access_token_lifetime: 300,
        jwks_uri: None,
        jwks: None,
        status: "active".into(),
        created_at: 1,
    }
}

#[tokio::test]
async fn oidc_clients_codes_and_pushed_requests() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        tx.insert_client(&client("c1")).await.unwrap();
        assert!(matches!(
            tx.insert_client(&client("c1")).await,
            Err(StoreError::Conflict(_))
        ));
        tx.rollback().await.unwrap();
        let mut tx = store.write().await.unwrap();
        tx.insert_client(&client("c1")).await.unwrap();
        assert_eq!(tx.find_client("c1").await.unwrap().unwrap(), client("c1"));
        tx.insert_code("h1", "c1", &identity_id, "{}", 10, 70)
            .await
            .unwrap();
        assert!(matches!(
            tx.redeem_code("h1", "family-h1", 20).await.unwrap(),
            nyckel_store::Redeemed::Fresh(_)
        ));
        assert!(matches!(
            tx.redeem_code("h1", "family-h1", 21).await.unwrap(),
            nyckel_store::Redeemed::Replayed(_)
        ));
        assert_eq!(
            tx.redeem_code("nope", "family-nope", 21).await.unwrap(),
            nyckel_store::Redeemed::Unknown
        );
        tx.insert_par("urn:x:1", "c1", "[]", 100).await.unwrap();
        assert_eq!(
            tx.take_par("urn:x:1", "c2", 50).await.unwrap(),
            None,
            "another client's"
        );
        assert_eq!(
            tx.take_par("urn:x:1", "c1", 50).await.unwrap(),
            Some("[]".into()),
            "still there for its owner"
        );
        assert_eq!(
            tx.take_par("urn:x:1", "c1", 50).await.unwrap(),
            None,
            "single use"
        );
        tx.insert_par("urn:x:2", "c1", "[]", 100).await.unwrap();
        assert_eq!(
            tx.take_par("urn:x:2", "c1", 100).await.unwrap(),
            None,
            "expired"
        );
        assert!(tx.insert_assertion_jti("c1", "j1", 100).await.unwrap());
        assert!(
            !tx.insert_assertion_jti("c1", "j1", 100).await.unwrap(),
            "replay"
        );
        tx.upsert_consent(&identity_id, "c1", "openid ssn", 5)
            .await
            .unwrap();
        tx.upsert_consent(&identity_id, "c1", "openid", 6)
            .await
            .unwrap();
        assert_eq!(
            tx.find_consent(&identity_id, "c1")
                .await
                .unwrap()
                .as_deref(),
            Some("openid")
        );
        assert_eq!(tx.find_consents_of(&identity_id).await.unwrap().len(), 1);
        assert!(tx.delete_consent(&identity_id, "c1").await.unwrap());
        tx.update_client_status("c1", "disabled").await.unwrap();
        tx.delete_client("c1").await.unwrap();
        assert!(tx.find_client("c1").await.unwrap().is_none());
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn oidc_token_families_revoke_together() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        tx.insert_client(&client("c1")).await.unwrap();
        let access = nyckel_store::NewToken {
            id: "jti-1",
            kind: "access",
            token_hash: None,
            family_id: "f1",
            code_hash: Some("code-1"),
            client_id: "c1",
            identity_id: Some(&identity_id),
            grant_data: "{}",
            expires_at: 1000,
        };
        tx.insert_token(&access, 1).await.unwrap();
        tx.insert_token(
            &nyckel_store::NewToken {
                id: "r1",
                kind: "refresh",
                token_hash: Some("rh1"),
                ..access.clone()
            },
            1,
        )
        .await
        .unwrap();
        let r = tx.find_refresh_token("rh1").await.unwrap().unwrap();
        assert!(tx.update_token_used(&r.id, 2).await.unwrap());
        assert!(
            !tx.update_token_used(&r.id, 3).await.unwrap(),
            "reuse is detected"
        );
        assert_eq!(tx.revoke_tokens(Some("f1"), None, 4).await.unwrap(), 2);
        assert!(tx.is_jti_revoked("jti-1").await.unwrap());
        assert!(!tx.is_jti_revoked("jti-2").await.unwrap());
        assert_eq!(
            tx.revoke_tokens(None, Some("code-1"), 5).await.unwrap(),
            0,
            "already revoked"
        );
        // A code's replay revokes its family, refreshed tokens (no code_hash) included.
        tx.insert_token(
            &nyckel_store::NewToken {
                id: "jti-3",
                family_id: "f2",
                code_hash: Some("code-2"),
                ..access.clone()
            },
            6,
        )
        .await
        .unwrap();
        for (id, kind, hash) in [("jti-4", "access", None), ("r4", "refresh", Some("rh4"))] {
            tx.insert_token(
                &nyckel_store::NewToken {
                    id,
                    kind,
                    token_hash: hash,
                    family_id: "f2",
                    code_hash: None,
                    ..access.clone()
                },
                7,
            )
            .await
            .unwrap();
        }
        assert_eq!(tx.revoke_tokens(None, Some("code-2"), 8).await.unwrap(), 3);
        assert!(tx.is_jti_revoked("jti-4").await.unwrap());
        let r4 = tx.find_refresh_token("rh4").await.unwrap().unwrap();
        assert_eq!(r4.revoked_at, Some(8));
        tx.commit().await.unwrap();
    })
    .await;
}

/// The sweep deletes an unused code once it expired, a used one only when
/// the refresh tokens issued from it could have expired: a replay after the
/// code's expiry still finds it (and the families it started).
#[tokio::test]
async fn used_codes_outlive_their_expiry_until_their_tokens_could_have() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        tx.insert_client(&client("c1")).await.unwrap();
        for code in ["used", "unused"] {
            tx.insert_code(code, "c1", &identity_id, "{}", 10, 70)
                .await
                .unwrap();
        }
        assert!(matches!(
            tx.redeem_code("used", "family-used", 20).await.unwrap(),
            nyckel_store::Redeemed::Fresh(_)
        ));
        let keep = 1_000;
        tx.delete_expired_oidc(70, keep).await.unwrap();
        assert!(matches!(
            tx.redeem_code("used", "family-used", 71).await.unwrap(),
            nyckel_store::Redeemed::Replayed(_)
        ));
        assert_eq!(
            tx.redeem_code("unused", "family-unused", 71).await.unwrap(),
            nyckel_store::Redeemed::Unknown,
            "an unused code goes once expired"
        );
        tx.delete_expired_oidc(20 + keep - 1, keep).await.unwrap();
        assert!(matches!(
            tx.redeem_code("used", "family-used", 21 + keep)
                .await
                .unwrap(),
            nyckel_store::Redeemed::Replayed(_)
        ));
        tx.delete_expired_oidc(20 + keep, keep).await.unwrap();
        assert_eq!(
            tx.redeem_code("used", "family-used", 21 + keep)
                .await
                .unwrap(),
            nyckel_store::Redeemed::Unknown
        );
        tx.commit().await.unwrap();
    })
    .await;
}

/// A used code records the token family it started and is kept while that
/// family lives, beyond the usual retention: a replay still revokes a
/// family whose refresh tokens rotated long after the code was spent.
#[tokio::test]
async fn a_used_code_is_kept_while_its_family_lives() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        tx.insert_client(&client("c1")).await.unwrap();
        tx.insert_code("h", "c1", &identity_id, "{}", 10, 70)
            .await
            .unwrap();
        assert!(matches!(
            tx.redeem_code("h", "fam-1", 20).await.unwrap(),
            nyckel_store::Redeemed::Fresh(_)
        ));
        // A rotated refresh token of the family: no code hash of its own.
        tx.insert_token(
            &nyckel_store::NewToken {
                id: "r9",
                kind: "refresh",
                token_hash: Some("rh9"),
                family_id: "fam-1",
                code_hash: None,
                client_id: "c1",
                identity_id: Some(&identity_id),
                grant_data: "{}",
                expires_at: 5_000,
            },
            20,
        )
        .await
        .unwrap();
        let keep = 1_000;
        tx.delete_expired_oidc(20 + keep + 1, keep).await.unwrap();
        match tx.redeem_code("h", "fam-2", 20 + keep + 2).await.unwrap() {
            nyckel_store::Redeemed::Replayed(row) => {
                assert_eq!(row.family_id.as_deref(), Some("fam-1"), "the first family");
            }
            other => panic!("kept while its family lives: {other:?}"),
        }
        assert_eq!(
            tx.revoke_tokens(Some("fam-1"), Some("h"), 3_000)
                .await
                .unwrap(),
            1
        );
        tx.delete_expired_oidc(5_000, keep).await.unwrap();
        assert_eq!(
            tx.redeem_code("h", "fam-3", 5_001).await.unwrap(),
            nyckel_store::Redeemed::Unknown,
            "gone with its family"
        );
        tx.commit().await.unwrap();
    })
    .await;
}

/// Writers of one process wait for each other asynchronously: many tasks on
/// two runtime threads, each holding a write transaction across an `await`
/// (and others writing single statements without a transaction), all finish
/// and all their rows are there. Were a writer to wait in SQLite's busy
/// handler, it would hold a runtime thread while the transaction it waits
/// for could not run, and fail with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_wait_for_each_other_without_blocking_the_runtime() {
    for db in TestDb::each().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.open().await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    let mut tx = store.write().await?;
                    tx.insert_flow(&format!("tx-{i}"), "csrf", "{}", 0, i64::MAX)
                        .await?;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    tx.update_flow(&format!("tx-{i}"), "{\"n\":1}").await?;
                    tx.commit().await
                } else {
                    let mut conn = store.conn().await?;
                    conn.insert_flow(&format!("conn-{i}"), "csrf", "{}", 0, i64::MAX)
                        .await?;
                    tokio::task::yield_now().await;
                    conn.update_flow(&format!("conn-{i}"), "{\"n\":1}").await
                }
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let mut tx = store.read().await.unwrap();
        for i in 0..24 {
            let id = if i % 2 == 0 {
                format!("tx-{i}")
            } else {
                format!("conn-{i}")
            };
            let flow = tx.find_flow(&id, 1).await.unwrap().expect("the flow");
            assert_eq!(flow.state, "{\"n\":1}", "{id}");
        }
        drop(tx);
        store.close().await;
    }
}

/// A transaction dropped without commit (an early `?` return) changes
/// nothing, and the next writer is not held up by it.
#[tokio::test]
async fn a_dropped_transaction_rolls_back() {
    with_each(|store| async move {
        {
            let mut tx = store.write().await.unwrap();
            tx.insert_flow("dropped", "csrf", "{}", 0, i64::MAX)
                .await
                .unwrap();
        }
        let mut tx = store.write().await.unwrap();
        assert!(tx.find_flow("dropped", 1).await.unwrap().is_none());
        tx.insert_flow("kept", "csrf", "{}", 0, i64::MAX)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.read().await.unwrap();
        assert!(tx.find_flow("kept", 1).await.unwrap().is_some());
        assert!(tx.find_flow("dropped", 1).await.unwrap().is_none());
    })
    .await;
}

/// Migrations are recorded once (re-opening applies nothing), and a
/// database whose recorded migration differs from ours is refused rather
/// than used.
#[tokio::test]
async fn migrations_are_recorded_and_checked() {
    for db in TestDb::each().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.open().await;
        store.close().await;
        let again = Store::open(&db.url, &Default::default()).await.unwrap();
        let changed = again
            .dangerous_execute_raw(
                "UPDATE _sqlx_migrations SET checksum = substr(checksum, 2) WHERE version = 1",
            )
            .await
            .unwrap();
        assert_eq!(changed, 1);
        again.close().await;
        match Store::open(&db.url, &Default::default()).await {
            Err(StoreError::Migrate(e)) => {
                assert!(e.to_string().contains('1'), "{e}");
            }
            other => panic!("expected a migration mismatch, got {:?}", other.map(|_| ())),
        }
    }
}

/// A database migrated by a newer nyckel (a migration we do not know) is
/// refused rather than used with a schema this code does not expect.
#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    for db in TestDb::each().await {
        eprintln!("backend: {:?}", db.backend);
        let store = db.open().await;
        store
            .dangerous_execute_raw(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 SELECT 99990101, 'from the future', success, checksum, 0 FROM _sqlx_migrations WHERE version = 1",
            )
            .await
            .unwrap();
        store.close().await;
        match Store::open(&db.url, &Default::default()).await {
            Err(StoreError::Migrate(e)) => assert!(e.to_string().contains("99990101"), "{e}"),
            other => panic!("expected a missing migration, got {:?}", other.map(|_| ())),
        }
    }
}

/// A SQLite file, this process's store on it, and a write transaction of
/// another store on the same file (as a CLI command would hold), which has
/// inserted the flow "cli" and not committed.
async fn another_process_holding_the_lock() -> (TestDb, Store, nyckel_store::Tx) {
    let db = TestDb::sqlite();
    let server = db.open().await;
    let cli = db.open().await;
    let mut held = cli.write().await.unwrap();
    held.insert_flow("cli", "csrf", "{}", 0, i64::MAX)
        .await
        .unwrap();
    (db, server, held)
}

/// Another process writing the same SQLite file (here: a second store on
/// it, as a CLI command would be) makes this process's writers wait without
/// holding a runtime thread: on a runtime of one thread, a read still runs
/// while the other process holds the lock, and once it commits every writer
/// gets through. (A writer waiting in SQLite's busy handler would hold that
/// thread until the lock was free, and the read could not run.)
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn another_process_writing_does_not_stall_the_runtime() {
    let (_db, server, held) = another_process_holding_the_lock().await;

    let mut writers = Vec::new();
    for i in 0..4 {
        let server = server.clone();
        writers.push(tokio::spawn(async move {
            let mut conn = server.conn().await?;
            conn.insert_flow(&format!("server-{i}"), "csrf", "{}", 0, i64::MAX)
                .await
        }));
    }
    tokio::task::yield_now().await;
    // The read must finish while `held` still holds the lock: were a writer
    // waiting in SQLite's busy handler, the runtime's one thread would be
    // asleep in it and this would not run until the writer gave up.
    let reader = server.clone();
    let seen = tokio::spawn(async move {
        let mut tx = reader.read().await?;
        tx.find_flow("cli", 1).await
    })
    .await
    .unwrap()
    .unwrap();
    assert!(seen.is_none(), "the other process has not committed yet");
    held.commit().await.unwrap();
    for w in writers {
        w.await.unwrap().unwrap();
    }
    let mut tx = server.read().await.unwrap();
    assert!(tx.find_flow("cli", 1).await.unwrap().is_some());
    for i in 0..4 {
        assert!(
            tx.find_flow(&format!("server-{i}"), 1)
                .await
                .unwrap()
                .is_some()
        );
    }
}

/// Writers queued behind one that waits for another process's lock give up
/// together, when their own wait is over (10 s), instead of one after the
/// other (the k-th after k × 10 s). The other process here holds the lock
/// for 13 s: every writer has given up (`Busy`) before it lets go, and a
/// read still answers meanwhile. Takes 13 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writers_give_up_together() {
    let (_db, server, held) = another_process_holding_the_lock().await;

    let mut writers = Vec::new();
    for i in 0..3 {
        let server = server.clone();
        writers.push(tokio::spawn(async move {
            let mut tx = server.write().await?;
            tx.insert_flow(&format!("server-{i}"), "csrf", "{}", 0, i64::MAX)
                .await?;
            tx.commit().await
        }));
    }
    let mut tx = server.read().await.unwrap();
    assert!(tx.find_flow("cli", 1).await.unwrap().is_none());
    drop(tx);
    tokio::time::sleep(std::time::Duration::from_secs(13)).await;
    assert!(
        writers.iter().all(tokio::task::JoinHandle::is_finished),
        "a queued writer was still waiting after its 10 s"
    );
    for w in writers {
        match w.await.unwrap() {
            Err(StoreError::Busy(_)) => {}
            other => panic!("expected the writer to give up, got {other:?}"),
        }
    }
    held.commit().await.unwrap();
    let mut tx = server.write().await.unwrap();
    tx.insert_flow("after", "csrf", "{}", 0, i64::MAX)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// A PostgreSQL connection the server dropped (a restart, a fail-over) is
/// noticed by the ping a connection gets after being idle, and replaced:
/// the next request after a quiet second works.
#[tokio::test]
async fn a_dropped_postgres_connection_is_replaced() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.open().await;
    let mut tx = store.read().await.unwrap();
    assert!(tx.find_flow("none", 1).await.unwrap().is_none());
    drop(tx);
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let admin = nyckel_testkit::postgres_admin_url();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    let killed: Vec<(bool,)> =
        sqlx::query_as("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(&name)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert!(
        !killed.is_empty(),
        "the store's connections were there to end"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let mut tx = store.read().await.unwrap();
    assert!(tx.find_flow("none", 1).await.unwrap().is_none());
    drop(tx);
    store.close().await;
}

async fn seed_password(store: &Store, identity_id: &str) -> String {
    let mut tx = store.write().await.unwrap();
    let id = tx
        .insert_credential(
            &NewCredential {
                identity_id,
                kind: CredentialKind::Password,
                status: CredentialStatus::Active,
                label: None,
                secret_hash: Some("$argon2id$…"),
                data: None,
                expires_at: None,
            },
            10,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn concurrent_reservations_each_get_their_own_number() {
    use nyckel_core::lockout::Trust;
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let pw = seed_password(&store, &identity_id).await;
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let (store, pw) = (store.clone(), pw.clone());
            tasks.spawn(async move {
                let mut tx = store.write().await.unwrap();
                let row = tx.reserve_attempt(&pw, Trust::Untrusted).await.unwrap();
                tx.commit().await.unwrap();
                row.unwrap().counters.untrusted_failures
            });
        }
        let mut numbers = tasks.join_all().await;
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=16).collect::<Vec<u32>>());
        // A success with number 10 gives back ten, never below zero; the
        // trusted counter is separate.
        let mut tx = store.write().await.unwrap();
        tx.release_attempts(&pw, Trust::Untrusted, 10, false, Some(99))
            .await
            .unwrap();
        let c = tx.find_credential(&pw).await.unwrap().unwrap();
        assert_eq!((c.counters.untrusted_failures, c.counters.failures), (6, 0));
        assert_eq!(c.last_used_at, Some(99));
        tx.release_attempts(&pw, Trust::Untrusted, 10, false, None)
            .await
            .unwrap();
        let c = tx.find_credential(&pw).await.unwrap().unwrap();
        assert_eq!(c.counters.untrusted_failures, 0);
        // A pause starts once: not again while it runs.
        assert!(tx.lock_untrusted(&pw, 1, 500, 100).await.unwrap());
        assert!(!tx.lock_untrusted(&pw, 2, 900, 200).await.unwrap());
        let c = tx.find_credential(&pw).await.unwrap().unwrap();
        assert_eq!(c.counters.untrusted_locked_until, Some(500));
        assert!(tx.lock_untrusted(&pw, 2, 900, 500).await.unwrap());
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_flow_moves_on_once_from_the_state_it_was_read_in() {
    with_each(|store| async move {
        let mut tx = store.write().await.unwrap();
        tx.insert_flow("f1", "csrf", "{\"step\":\"a\"}", 100, 900)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Eight movers at once from the same state: one wins.
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let store = store.clone();
            tasks.spawn(async move {
                let mut tx = store.write().await.unwrap();
                let moved = tx
                    .replace_flow("f1", "{\"step\":\"a\"}", &format!("{{\"step\":\"b{i}\"}}"))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                moved
            });
        }
        let won = tasks.join_all().await.into_iter().filter(|m| *m).count();
        assert_eq!(won, 1);
        let mut tx = store.write().await.unwrap();
        let state = tx.find_flow("f1", 200).await.unwrap().unwrap().state;
        assert!(!tx.delete_flow_if("f1", "{\"step\":\"a\"}").await.unwrap());
        assert!(tx.delete_flow_if("f1", &state).await.unwrap());
        assert!(!tx.delete_flow_if("f1", &state).await.unwrap());
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_card_has_one_key_outstanding() {
    with_each(|store| async move {
        let (_, identity_id) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        let card = tx
            .insert_credential(
                &NewCredential {
                    identity_id: &identity_id,
                    kind: CredentialKind::KeyCard,
                    status: CredentialStatus::Active,
                    label: Some("KC0000000002"),
                    secret_hash: None,
                    data: None,
                    expires_at: None,
                },
                10,
            )
            .await
            .unwrap();
        let keys: Vec<(u16, [u8; 32])> = (1..=10u16).map(|n| (n, [n as u8; 32])).collect();
        tx.insert_key_card_keys(&card, &keys).await.unwrap();
        let first = tx.consume_random_key(&card, 20).await.unwrap().unwrap();
        assert!(tx.supersede_shown_keys(&card, 21).await.unwrap() == vec![first]);
        assert!(tx.supersede_shown_keys(&card, 22).await.unwrap().is_empty());
        assert!(
            !tx.answer_key(&card, first, 23).await.unwrap(),
            "superseded"
        );
        let second = tx.consume_random_key(&card, 24).await.unwrap().unwrap();
        assert!(tx.answer_key(&card, second, 25).await.unwrap());
        assert!(
            !tx.answer_key(&card, second, 26).await.unwrap(),
            "answered once"
        );
        assert!(tx.supersede_shown_keys(&card, 27).await.unwrap().is_empty());
        tx.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn identity_language_is_stored_and_changed() {
    with_each(|store| async move {
        let (_, identity) = seed_identity(&store).await;
        let mut tx = store.write().await.unwrap();
        let row = tx.find_identity(&identity).await.unwrap().unwrap();
        assert_eq!(row.language, Lang::Sv);
        tx.update_identity_language(&identity, Lang::En)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.read().await.unwrap();
        let row = tx.find_identity(&identity).await.unwrap().unwrap();
        assert_eq!(row.language, Lang::En);
        tx.commit().await.unwrap();
    })
    .await;
}

/// A second holder beside [`seed_identity`]'s.
async fn seed_second_identity(store: &Store) -> String {
    let mut tx = store.write().await.unwrap();
    tx.upsert_persons(&[person("020290-2345", "Bo")], 1, "test")
        .await
        .unwrap();
    let p = tx
        .find_person_by_cpr(&Cpr::parse("0202902345", today()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let i = tx
        .insert_identity(&p.id, &UserId::parse("234567891").unwrap(), Lang::Da, 2)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    i.id
}

/// The username is kept as typed and found and kept unique by its key:
/// another case or a decomposed accent is the same username.
#[tokio::test]
async fn username_display_stored_key_unique() {
    with_each(|store| async move {
        let (_, anna) = seed_identity(&store).await;
        let bo = seed_second_identity(&store).await;
        let typed = Alias::parse("Mette.Hånsen").unwrap();
        let mut tx = store.write().await.unwrap();
        tx.update_identity_alias(&anna, Some(&typed)).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.read().await.unwrap();
        let row = tx.find_identity(&anna).await.unwrap().unwrap();
        assert_eq!(row.alias.as_deref(), Some("Mette.Hånsen"));
        assert_eq!(row.alias_key.as_deref(), Some("mette.hånsen"));
        for variant in ["METTE.HÅNSEN", "mette.ha\u{30a}nsen", " Mette.Hånsen "] {
            let found = tx
                .find_identity_by_alias(&Alias::parse(variant).unwrap())
                .await
                .unwrap();
            assert_eq!(
                found.map(|r| r.id).as_deref(),
                Some(anna.as_str()),
                "{variant}"
            );
        }
        tx.commit().await.unwrap();

        // Another holder: refused for every variant, and nothing changed.
        for variant in ["mette.hånsen", "METTE.HA\u{30a}NSEN"] {
            let mut tx = store.write().await.unwrap();
            let err = tx
                .update_identity_alias(&bo, Some(&Alias::parse(variant).unwrap()))
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Conflict(_)), "{variant}: {err:?}");
            tx.rollback().await.unwrap();
        }
        let mut tx = store.read().await.unwrap();
        assert_eq!(tx.find_identity(&bo).await.unwrap().unwrap().alias, None);
        tx.commit().await.unwrap();

        // The holder changes only the case: the same key, no conflict.
        let mut tx = store.write().await.unwrap();
        tx.update_identity_alias(&anna, Some(&Alias::parse("METTE.hånsen").unwrap()))
            .await
            .unwrap();
        let row = tx.find_identity(&anna).await.unwrap().unwrap();
        assert_eq!(row.alias.as_deref(), Some("METTE.hånsen"));
        assert_eq!(row.alias_key.as_deref(), Some("mette.hånsen"));
        // Cleared: both forms go, and the other holder may take it.
        tx.update_identity_alias(&anna, None).await.unwrap();
        let row = tx.find_identity(&anna).await.unwrap().unwrap();
        assert_eq!((row.alias, row.alias_key), (None, None));
        tx.update_identity_alias(&bo, Some(&typed)).await.unwrap();
        tx.commit().await.unwrap();
    })
    .await;
}

/// A username chosen before migration 0009 has no display form: the key
/// is shown, and found as before.
#[tokio::test]
async fn username_from_before_the_display_form_shows_its_key() {
    with_each(|store| async move {
        let (_, anna) = seed_identity(&store).await;
        let changed = store
            .dangerous_execute_raw(&format!(
                "UPDATE identities SET alias = 'anna jensen', alias_display = NULL WHERE id = '{anna}'"
            ))
            .await
            .unwrap();
        assert_eq!(changed, 1);
        let mut tx = store.read().await.unwrap();
        let row = tx
            .find_identity_by_alias(&Alias::parse("Anna Jensen").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.id, anna);
        assert_eq!(row.alias.as_deref(), Some("anna jensen"));
        assert_eq!(row.alias_key.as_deref(), Some("anna jensen"));
        tx.commit().await.unwrap();
    })
    .await;
}

/// Two holders setting variants of one username at the same moment:
/// exactly one has it, the other is told it is taken.
#[tokio::test]
async fn concurrent_variants_of_one_username_one_wins() {
    with_each(|store| async move {
        let (_, anna) = seed_identity(&store).await;
        let bo = seed_second_identity(&store).await;
        let mut tasks = tokio::task::JoinSet::new();
        for (id, typed) in [(anna.clone(), "Mette.Hansen"), (bo.clone(), "mette.HANSEN")] {
            let store = store.clone();
            tasks.spawn(async move {
                let alias = Alias::parse(typed).unwrap();
                let mut tx = store.write().await.unwrap();
                match tx.update_identity_alias(&id, Some(&alias)).await {
                    Ok(()) => {
                        // Hold the transaction a moment so the other
                        // writer meets it uncommitted (PostgreSQL waits on
                        // the index entry; SQLite on the write gate).
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        tx.commit().await.unwrap();
                        Some(id)
                    }
                    Err(StoreError::Conflict(_)) => {
                        tx.rollback().await.unwrap();
                        None
                    }
                    Err(e) => panic!("{e:?}"),
                }
            });
        }
        let winners: Vec<String> = tasks.join_all().await.into_iter().flatten().collect();
        assert_eq!(winners.len(), 1, "{winners:?}");
        let mut tx = store.read().await.unwrap();
        let found = tx
            .find_identity_by_alias(&Alias::parse("mette.hansen").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, winners[0]);
        tx.commit().await.unwrap();
    })
    .await;
}
