//! A lost key card over real HTTP on both backends: blocking asks first
//! and says what follows; a blocked card is replaced by a new one sent to
//! the address in the population register, at most three extra a year,
//! one however many presses arrive at once; ordering a new card keeps the
//! old one working; My nyckel shows the keys left.

mod common;

use common::*;
use nyckel_core::credential::{Actor, CredentialKind, CredentialStatus};
use nyckel_service::CardReplacement;

const PW: &str = "Tusind-Tak-Aarhus-7";

async fn cards(s: &TestServer, identity_id: &str) -> Vec<nyckel_store::CredentialRow> {
    let mut tx = s.store.read().await.unwrap();
    let c = tx
        .find_live_credentials(identity_id, CredentialKind::KeyCard)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    c
}

async fn key_card_letters(s: &TestServer, identity_id: &str) -> Vec<nyckel_store::OutboxRow> {
    let mut tx = s.store.read().await.unwrap();
    let l = tx.find_letters_of(identity_id).await.unwrap();
    tx.commit().await.unwrap();
    l.into_iter().filter(|l| l.kind == "key-card").collect()
}

/// The holder "receives" the card on its way and logs in with it: the
/// pending card becomes the active one, as a first use makes it.
async fn receive_new_card(s: &TestServer, identity_id: &str) {
    let mut tx = s.store.write().await.unwrap();
    for c in tx
        .find_live_credentials(identity_id, CredentialKind::KeyCard)
        .await
        .unwrap()
    {
        if c.status == CredentialStatus::Pending {
            tx.update_credential_status(&c.id, CredentialStatus::Active, None, 1)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn blocking_a_card_asks_first_then_sends_a_new_one_to_the_register_address() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        assert!(my.has("Keys left"), "{}", my.body);
        assert!(my.has(" of 148"), "{}", my.body);
        let address = "Vestergade 12, 1. th, 8000 Aarhus C";
        let letters_before = key_card_letters(&s, &e.identity_id).await.len();

        let p = b
            .post("/my/block", &[("csrf", &my.csrf()), ("what", "key-card")])
            .await;
        assert_eq!(p.status, 200);
        assert!(p.has("Block your key card?"), "{}", p.body);
        assert!(p.has(&e.key_card.card_id));
        assert!(p.has(address), "{}", p.body);
        assert!(p.has("name=\"confirmed\" value=\"yes\""));
        // Nothing happened yet.
        let c = cards(&s, &e.identity_id).await;
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].status, CredentialStatus::Active);

        let p = b
            .post(
                "/my/block",
                &[
                    ("csrf", &my.csrf()),
                    ("what", "key-card"),
                    ("confirmed", "yes"),
                ],
            )
            .await;
        assert!(p.has("Your key card is blocked"), "{}", p.body);
        assert!(p.has(address), "{}", p.body);
        let c = cards(&s, &e.identity_id).await;
        assert_eq!(c.len(), 2, "{c:?}");
        let old = c
            .iter()
            .find(|c| c.label.as_deref() == Some(&e.key_card.card_id));
        assert_eq!(old.unwrap().status, CredentialStatus::BlockedByHolder);
        let new = c
            .iter()
            .find(|c| c.status == CredentialStatus::Pending)
            .unwrap();
        let new_label = new.label.clone().unwrap();
        assert!(p.has(&new_label), "{}", p.body);
        let letters = key_card_letters(&s, &e.identity_id).await;
        assert_eq!(letters.len(), letters_before + 1);
        let letter = letters
            .iter()
            .find(|l| l.body.as_deref().unwrap_or("").contains(&new_label))
            .expect("the new card's letter");
        assert_eq!(letter.address, address);
        // The next login asks from the new card.
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(
            p.has(&format!("card <strong>{new_label}</strong>")),
            "{}",
            p.body
        );
        // A planted form (wrong CSRF token) blocks nothing, confirmed or not.
        let r = b
            .post(
                "/my/block",
                &[
                    ("csrf", "planted"),
                    ("what", "identity"),
                    ("confirmed", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(b.get("/my").await.url, "/my");
    }
}

#[tokio::test]
async fn presses_at_once_order_one_card() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let csrf = my.csrf();
        let mut presses = tokio::task::JoinSet::new();
        for i in 0..8 {
            let http = b.http.clone();
            let url = format!(
                "{}/my/{}",
                s.url,
                if i % 2 == 0 { "block" } else { "order-card" }
            );
            let csrf = csrf.clone();
            presses.spawn(async move {
                http.post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("what", "key-card"),
                        ("confirmed", "yes"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            });
        }
        let statuses = presses.join_all().await;
        assert!(!statuses.contains(&500), "{statuses:?} on {:?}", s.backend);
        let c = cards(&s, &e.identity_id).await;
        let pending = c
            .iter()
            .filter(|c| c.status == CredentialStatus::Pending)
            .count();
        assert_eq!(pending, 1, "{c:?} on {:?}", s.backend);
        assert!(
            c.iter()
                .filter(|c| c.status != CredentialStatus::Pending)
                .all(|c| c.status == CredentialStatus::BlockedByHolder),
            "{c:?}"
        );
        // One letter for the new card (and the enrollment's).
        assert_eq!(key_card_letters(&s, &e.identity_id).await.len(), 2);
    }
}

#[tokio::test]
async fn at_most_three_extra_cards_a_year() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let replace = || {
            s.nyckel
                .replace_key_card(&e.identity_id, Actor::Holder, "holder:test", "lost", true)
        };
        for n in 0..3 {
            let r = replace().await.unwrap();
            assert!(
                matches!(r, CardReplacement::Ordered { blocked: 1, .. }),
                "{n}: {r:?}"
            );
            // Pressed again before the card arrived: it is on its way.
            let r = replace().await.unwrap();
            assert!(matches!(r, CardReplacement::OnItsWay { .. }), "{n}: {r:?}");
            receive_new_card(&s, &e.identity_id).await;
        }
        // The fourth this year: the confirmation says no card can be
        // ordered, and the block goes on all the same, with no new card.
        let p = b
            .post("/my/block", &[("csrf", &my.csrf()), ("what", "key-card")])
            .await;
        assert!(p.has("No new card can be ordered here"), "{}", p.body);
        assert!(p.has(">Block the key card<"), "{}", p.body);
        assert!(!p.has("send me a new card"), "{}", p.body);
        let p = b
            .post(
                "/my/block",
                &[
                    ("csrf", &my.csrf()),
                    ("what", "key-card"),
                    ("confirmed", "yes"),
                ],
            )
            .await;
        assert_eq!(p.status, 409, "{}", p.body);
        assert!(
            p.has("already ordered 3 extra key cards this year"),
            "{}",
            p.body
        );
        assert!(p.has("href=\"tel:"), "{}", p.body);
        let c = cards(&s, &e.identity_id).await;
        assert!(
            c.iter()
                .all(|c| c.status == CredentialStatus::BlockedByHolder),
            "{c:?}"
        );
        // A year on, the holder may order again.
        s.clock.advance_secs(366 * 86_400);
        let r = replace().await.unwrap();
        assert!(
            matches!(r, CardReplacement::Ordered { blocked: 0, .. }),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn ordering_a_new_card_keeps_the_old_one_working() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        assert!(my.has("Order a new key card"), "{}", my.body);
        let p = b.post("/my/order-card", &[("csrf", &my.csrf())]).await;
        assert!(p.has("A new key card is on its way"), "{}", p.body);
        let c = cards(&s, &e.identity_id).await;
        assert_eq!(c.len(), 2);
        assert!(c.iter().any(|c| c.status == CredentialStatus::Active));
        // Pressed again: the one on its way is enough.
        let p = b.post("/my/order-card", &[("csrf", &my.csrf())]).await;
        assert!(p.has("already on its way"), "{}", p.body);
        assert_eq!(cards(&s, &e.identity_id).await.len(), 2);
        // The old card still logs in.
        let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        assert_eq!(b.answer_key(&p, &e).await.url, "/my");
    }
}

/// "Lost your key card?" without the card: the user ID and the password
/// lead to the block's confirmation (never to a session); the confirmation
/// blocks the card and orders one new card, however many presses arrive
/// at once; a wrong password there counts like any other.
#[tokio::test]
async fn a_lost_card_is_blocked_and_replaced_with_the_password_alone() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        activate(&s.client(), &e, PW).await;
        let b = s.client();
        let help = b.get("/help").await;
        assert!(help.has("href=\"/lost-card\""), "{}", help.body);
        let p = b.get("/lost-card").await;
        assert_eq!(p.url, "/login");
        assert!(p.has("Block a lost key card"), "{}", p.body);
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        assert!(p.has("Block a lost key card"), "{}", p.body);
        let wrong = b
            .post(
                "/login/password",
                &[("csrf", &p.csrf()), ("password", "Not-The-Password-9")],
            )
            .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong.has("Wrong user ID or password."));
        let p = b
            .post(
                "/login/password",
                &[("csrf", &wrong.csrf()), ("password", PW)],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.has("Block your key card?"), "{}", p.body);
        assert!(p.has(&e.key_card.card_id), "{}", p.body);
        // The password alone shows the postcode and town, not the street.
        assert!(p.has("8000 Aarhus C"), "{}", p.body);
        assert!(!p.has("Vestergade"), "{}", p.body);
        // The password alone is no login.
        assert_eq!(b.get("/my").await.url, "/login");
        // Back at the confirmation (GET /my started nothing that counts).
        let p = b.get("/lost-card").await;
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        let p = b
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        assert!(p.has("Block your key card?"), "{}", p.body);
        let csrf = p.csrf();
        let mut presses = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let http = b.http.clone();
            let url = format!("{}/login/lost-card", s.url);
            let csrf = csrf.clone();
            presses.spawn(async move {
                let r = http.post(url).form(&[("csrf", csrf)]).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.text().await.unwrap())
            });
        }
        let answers = presses.join_all().await;
        let blocked = answers
            .iter()
            .filter(|(_, body)| body.contains("Your key card is blocked"))
            .count();
        assert_eq!(
            blocked,
            1,
            "{:?} on {:?}",
            answers.iter().map(|a| a.0).collect::<Vec<_>>(),
            s.backend
        );
        assert!(answers.iter().all(|(st, _)| *st != 500));
        let (_, done) = answers
            .iter()
            .find(|(_, body)| body.contains("Your key card is blocked"))
            .unwrap();
        assert!(done.contains("8000 Aarhus C"), "{done}");
        assert!(!done.contains("Vestergade"), "{done}");
        let c = cards(&s, &e.identity_id).await;
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(
            c.iter()
                .filter(|c| c.status == CredentialStatus::Pending)
                .count(),
            1
        );
        assert_eq!(key_card_letters(&s, &e.identity_id).await.len(), 2);

        // Again before the new card arrived: the confirmation says the
        // new card is on its way and stays working, and blocks nothing.
        let p = b.get("/lost-card").await;
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        let p = b
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        let new_card = c
            .iter()
            .find(|c| c.status == CredentialStatus::Pending)
            .and_then(|c| c.label.clone())
            .unwrap();
        assert!(p.has("None of your key cards works now"), "{}", p.body);
        assert!(
            p.has(&format!(
                "Your new key card {new_card} is already on its way"
            )),
            "{}",
            p.body
        );
        // A press would do nothing: no button, only the way out.
        assert!(!p.has("action=\"/login/lost-card\""), "{}", p.body);
        assert!(p.has("Done: back to the start"), "{}", p.body);
        // A post all the same blocks and orders nothing.
        let again = b.post("/login/lost-card", &[("csrf", &p.csrf())]).await;
        assert_ne!(again.status, 500, "{}", again.body);
        assert_eq!(cards(&s, &e.identity_id).await.len(), 2);
        assert_eq!(key_card_letters(&s, &e.identity_id).await.len(), 2);
    }
}
