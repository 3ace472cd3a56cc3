//! Login over real HTTP against a real server, on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;

use common::*;
use nyckel_core::credential::{Actor, CredentialKind, CredentialStatus, IdentityStatus};
use nyckel_service::BlockTarget;

const PW: &str = "Tusind-Tak-Aarhus-7";

async fn audit_actions(s: &TestServer, identity_id: &str) -> Vec<String> {
    let mut tx = s.store.read().await.unwrap();
    let events = tx.find_audit_by_subject(identity_id, 1000).await.unwrap();
    events.into_iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn first_login_then_normal_login_with_cpr() {
    for s in TestServer::each(test_config()).await {
        eprintln!("backend {:?}", s.backend);
        let e = s.enroll_demo().await;
        let b = s.client();

        // Identify: the automation contract.
        let p = b.get("/login").await;
        assert!(p.has("autocomplete=\"username\""));
        let p = b
            .identify_and_password(&e.user_id.to_string(), e.activation_code.expose())
            .await;
        assert!(p.has("Choose your password"), "{}", p.body);

        // Policy: mismatch, then a password containing the word "password", then a good one.
        let csrf = p.csrf();
        let p = b
            .post(
                "/login/new-password",
                &[
                    ("csrf", &csrf),
                    ("new_password", "Abcdefgh-1234"),
                    ("confirm", "Abcdefgh-1235"),
                ],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(p.has("not the same"));
        let p = b
            .post(
                "/login/new-password",
                &[
                    ("csrf", &csrf),
                    ("new_password", "MyPassword-2026"),
                    ("confirm", "MyPassword-2026"),
                ],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(p.body.to_lowercase().contains("password"), "{}", p.body);
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &csrf), ("new_password", PW), ("confirm", PW)],
            )
            .await;

        // Terms show the register's name and address; the holder reports them wrong.
        assert!(p.has("Anne Marie Hansen"), "{}", p.body);
        assert!(p.has("Vestergade 12, 1. th, 8000 Aarhus C"));
        let p = b
            .post(
                "/login/report",
                &[("csrf", &p.csrf()), ("note", "I moved in October")],
            )
            .await;
        assert!(p.has("your report has been recorded"), "{}", p.body);
        let p = b.post("/login/terms", &[("csrf", &p.csrf())]).await;
        assert_eq!(p.status, 400, "terms must be ticked");
        let p = b
            .post("/login/terms", &[("csrf", &p.csrf()), ("accept", "yes")])
            .await;

        // Key card.
        assert!(p.has("autocomplete=\"one-time-code\""));
        let key = p.key_number().unwrap();
        assert_eq!(key.len(), 4);
        let p = b.answer_key(&p, &e).await;
        assert_eq!(p.url, "/my");
        // The first login says the nyckel is ready, and how it is used.
        assert!(p.has("Your nyckel is ready."), "{}", p.body);
        assert!(p.has("Anne Marie Hansen"));
        assert!(p.has("Key card"));
        assert!(p.has("Logged in to My nyckel"));

        let acts = audit_actions(&s, &e.identity_id).await;
        for a in [
            "enrollment.accepted",
            "password.set",
            "terms.accepted",
            "register.reported",
            "identity.activated",
            "login.succeeded",
        ] {
            assert!(acts.iter().any(|x| x == a), "{a} in {acts:?}");
        }
        let mut tx = s.store.read().await.unwrap();
        let i = tx.find_identity(&e.identity_id).await.unwrap().unwrap();
        assert_eq!(i.status, IdentityStatus::Active);
        assert_eq!(i.terms_version, Some(nyckel_core::terms::VERSION));
        assert_eq!(tx.count_register_reports(&e.identity_id).await.unwrap(), 1);
        // The activation code is used up.
        let codes = tx
            .find_live_credentials(&e.identity_id, CredentialKind::ActivationCode)
            .await
            .unwrap();
        assert!(codes.is_empty());
        tx.commit().await.unwrap();

        // Log out; log in again with the CPR number: no terms this time.
        let p = b.post("/logout", &[("csrf", &p.csrf())]).await;
        assert!(p.has("logged out"));
        assert_eq!(b.get("/my").await.url, "/login");
        let p = b.identify_and_password("070761-4285", PW).await;
        assert!(p.key_number().is_some(), "{}", p.body);
        let p2 = b.answer_key(&p, &e).await;
        assert_eq!(p2.url, "/my");
        assert!(!p2.has("Your nyckel is ready."), "only the first login");

        // The activation code no longer works.
        let other = s.client();
        let p = other
            .identify_and_password(&e.user_id.to_string(), e.activation_code.expose())
            .await;
        assert_eq!(p.status, 401);
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        activate(&s.client(), &e, PW).await;
        let b = s.client();
        let wrong = b
            .identify_and_password(&e.user_id.to_string(), "Not-The-Password-1")
            .await;
        let unknown = b
            .identify_and_password("999999999", "Not-The-Password-1")
            .await;
        let unknown_cpr = b
            .identify_and_password("010101-1234", "Not-The-Password-1")
            .await;
        assert_eq!(wrong.status, 401);
        for p in [&unknown, &unknown_cpr] {
            assert_eq!(p.status, wrong.status);
            assert!(p.has("Wrong user ID or password."));
        }
        // Same page but for the name typed and the CSRF token.
        let strip = |p: &Page| {
            p.body
                .replace(&p.csrf(), "")
                .replace("999999999", "X")
                .replace(&e.user_id.to_string(), "X")
        };
        assert_eq!(strip(&wrong), strip(&unknown));
        // What to do next is on the page.
        assert!(wrong.has("call support on"));
        // Bad login name format gives a clear error.
        let p = b.get("/login?restart=1").await;
        let p = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", "12")],
            )
            .await;
        assert_eq!(p.status, 400);
        assert!(p.has("Enter your user ID, CPR number or username"));
    }
}

#[tokio::test]
async fn five_wrong_passwords_block_the_password_and_unblock_sends_a_new_code() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client(); // this browser becomes a trusted device
        activate(&b, &e, PW).await;
        for i in 0..5 {
            let p = b
                .identify_and_password(&e.user_id.to_string(), &format!("Wrong-Guess-{i}x"))
                .await;
            assert_eq!(p.status, 401);
        }
        // Now even the right password is refused.
        let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        assert_eq!(p.status, 401);
        let mut tx = s.store.read().await.unwrap();
        let pw = tx
            .find_live_credentials(&e.identity_id, CredentialKind::Password)
            .await
            .unwrap();
        assert_eq!(pw[0].status, CredentialStatus::LockedByFailures);
        let letters_before = tx.find_letters_of(&e.identity_id).await.unwrap().len();
        tx.commit().await.unwrap();
        assert!(
            audit_actions(&s, &e.identity_id)
                .await
                .contains(&"credential.blocked".to_owned())
        );

        // Support unblocks: a new activation code goes to the outbox.
        let letter = s
            .nyckel
            .unblock(
                &e.identity_id,
                BlockTarget::Password,
                Actor::Support,
                "operator:test",
                "holder called",
            )
            .await
            .unwrap()
            .unwrap()
            .expect("a new activation letter");
        let mut tx = s.store.read().await.unwrap();
        let letters = tx.find_letters_of(&e.identity_id).await.unwrap();
        assert_eq!(letters.len(), letters_before + 1);
        let body = tx
            .find_letter(&letter)
            .await
            .unwrap()
            .unwrap()
            .body
            .unwrap();
        tx.commit().await.unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let text = v["text"].as_str().unwrap();
        let code: String = text
            .split("activation code:")
            .nth(1)
            .unwrap()
            .trim()
            .chars()
            .take(6)
            .collect();
        assert_eq!(code.len(), 6);

        // The old password is gone; the new code leads to choosing a password.
        let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        assert_eq!(p.status, 401);
        let p = b.identify_and_password(&e.user_id.to_string(), &code).await;
        assert!(p.has("Choose your password"), "{}", p.body);
        let acts = audit_actions(&s, &e.identity_id).await;
        assert!(acts.contains(&"unblock".to_owned()));
    }
}

#[tokio::test]
async fn strangers_cannot_lock_out_the_holder() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let holder = s.client();
        activate(&holder, &e, PW).await;
        // Someone who knows the user ID tries passwords from another browser.
        // A name that matches nobody, tried alike from a third browser,
        // must be answered alike, pause and all.
        let attacker = s.client();
        let prober = s.client();
        let uid = e.user_id.to_string();
        let strip = |p: &Page, name: &str| p.body.replace(&p.csrf(), "").replace(name, "X");
        for i in 0..7 {
            let guess = format!("Guess-Number-{i}");
            let p = attacker.identify_and_password(&uid, &guess).await;
            let q = prober.identify_and_password("999999999", &guess).await;
            // Policy: 5 untrusted failures, then a 15-minute pause; the
            // fifth failure already says so.
            if i < 4 {
                assert_eq!(p.status, 401, "attempt {i}");
                assert!(p.has("Wrong user ID or password."));
            } else {
                assert_eq!(p.status, 429, "attempt {i}: {}", p.body);
                assert!(p.has("is paused until"), "{}", p.body);
                assert!(p.has("Your password was not checked"));
            }
            assert_eq!(strip(&p, &uid), strip(&q, "999999999"), "attempt {i}");
        }
        // The attacker cannot go on guessing, even with the right password…
        let p = attacker.identify_and_password(&uid, PW).await;
        assert_eq!(p.status, 429);
        assert!(p.has("is paused until"));
        // …and the pause ends at the time it names (Copenhagen time).
        let until = s.nyckel.now() + 15 * 60 * 1000;
        let named = nyckel_i18n::Tr::new(nyckel_core::lang::Lang::En).date_time(until);
        assert!(p.has(&named), "{named}: {}", p.body);
        // …but the holder, on a device used before, logs in as usual.
        let p = holder
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
        assert_eq!(holder.answer_key(&p, &e).await.url, "/my");
        let mut tx = s.store.read().await.unwrap();
        let pw = tx
            .find_live_credentials(&e.identity_id, CredentialKind::Password)
            .await
            .unwrap();
        assert_eq!(pw[0].status, CredentialStatus::Active);
        tx.commit().await.unwrap();
        // After the pause the stranger's browser may try again.
        s.clock.advance_secs(16 * 60);
        let p = attacker
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
    }
}

#[tokio::test]
async fn a_flood_from_one_address_is_throttled_but_known_devices_go_on() {
    // The holder's own first login used one attempt of this address's quota.
    let config = nyckel_service::config::Config {
        ip_attempts_per_minute: 4,
        ..test_config()
    };
    for s in TestServer::each(config.clone()).await {
        let e = s.enroll_demo().await;
        let holder = s.client();
        activate(&holder, &e, PW).await;
        let flood = s.client();
        let mut statuses = Vec::new();
        for i in 0..5 {
            statuses.push(
                flood
                    .identify_and_password("123123123", &format!("Flood-{i}-xyz"))
                    .await
                    .status,
            );
        }
        assert_eq!(&statuses[..3], &[401, 401, 401]);
        assert_eq!(statuses[3], 429);
        // Same address, but a device that logged in before: not throttled.
        let p = holder
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
        // No account was locked by the flood.
        let mut tx = s.store.read().await.unwrap();
        let pw = tx
            .find_live_credentials(&e.identity_id, CredentialKind::Password)
            .await
            .unwrap();
        assert_eq!(pw[0].counters.untrusted_failures, 0);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn wrong_key_codes_burn_keys_and_block_the_card() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        activate(&b, &e, PW).await;
        let mut p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        let mut seen = Vec::new();
        for i in 0..4 {
            let key = p.key_number().unwrap();
            assert!(!seen.contains(&key), "a shown key is never asked again");
            seen.push(key.clone());
            // Reloading shows the same key, not a new one.
            let again = b.get("/login").await;
            assert_eq!(again.key_number().unwrap(), key);
            let wrong = if code_for(&e, &key) == "000000" {
                "111111"
            } else {
                "000000"
            };
            p = b
                .post("/login/keycard", &[("csrf", &p.csrf()), ("code", wrong)])
                .await;
            assert_eq!(p.status, 401, "attempt {i}");
            assert!(p.has(&format!("Wrong code for key {key}")));
            // Five wrong codes block the card: warned after the fourth.
            let warned = p.has("one more wrong code blocks your key card");
            assert_eq!(warned, i == 3, "attempt {i}: {}", p.body);
        }
        // The right code for a key that was shown before is refused too.
        let old = &seen[0];
        let p2 = b
            .post(
                "/login/keycard",
                &[("csrf", &p.csrf()), ("code", &code_for(&e, old))],
            )
            .await;
        assert_eq!(p2.status, 403, "fifth wrong code blocks: {}", p2.body);
        assert!(p2.has("Your key card is blocked"));
        // What to do next: order a new card with the password alone.
        assert!(p2.has("href=\"/lost-card\""), "{}", p2.body);
        // A login now says the card is blocked (not "used up") and how
        // to get a new one; the password was right, nothing else is shown.
        let p3 = s
            .client()
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert_eq!(p3.status, 403, "{}", p3.body);
        assert!(
            p3.has("Your key card is blocked, so nyckel cannot ask"),
            "{}",
            p3.body
        );
        assert!(!p3.has("used"), "{}", p3.body);
        assert!(p3.has("href=\"/lost-card\""), "{}", p3.body);
        assert!(p3.has("href=\"tel:"), "{}", p3.body);
        let mut tx = s.store.read().await.unwrap();
        let cards = tx
            .find_live_credentials(&e.identity_id, CredentialKind::KeyCard)
            .await
            .unwrap();
        assert_eq!(cards[0].status, CredentialStatus::LockedByFailures);
        tx.commit().await.unwrap();
        // Support unblocks the card; login works again.
        s.nyckel
            .unblock(
                &e.identity_id,
                BlockTarget::KeyCard,
                Actor::Support,
                "operator:test",
                "verified",
            )
            .await
            .unwrap()
            .unwrap();
        let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        assert_eq!(b.answer_key(&p, &e).await.url, "/my");
    }
}

#[tokio::test]
async fn holder_blocks_from_my_nyckel_and_support_unblocks() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        assert!(my.has("Block my whole nyckel"));
        // Block the key card: asked first, then blocked (and a new card
        // ordered, see tests/cards.rs).
        let p = b
            .post("/my/block", &[("csrf", &my.csrf()), ("what", "key-card")])
            .await;
        assert!(p.has("Block your key card?"), "{}", p.body);
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
        assert!(b.get("/my").await.has("blocked by you"));
        // Logging in now asks from the new card, not the blocked one.
        let other = s.client();
        let p = other
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
        assert!(
            !p.has(&format!("card <strong>{}</strong>", e.key_card.card_id)),
            "{}",
            p.body
        );
        s.nyckel
            .unblock(
                &e.identity_id,
                BlockTarget::KeyCard,
                Actor::Support,
                "operator:test",
                "found it",
            )
            .await
            .unwrap()
            .unwrap();

        // Block the whole identity: logged out at once.
        let my = b.get("/my").await;
        let p = b
            .post("/my/block", &[("csrf", &my.csrf()), ("what", "identity")])
            .await;
        assert!(p.has("Block your whole nyckel?"), "{}", p.body);
        assert_eq!(
            b.get("/my").await.url,
            "/my",
            "not blocked before confirming"
        );
        let p = b
            .post(
                "/my/block",
                &[
                    ("csrf", &my.csrf()),
                    ("what", "identity"),
                    ("confirmed", "yes"),
                ],
            )
            .await;
        assert!(p.has("Your nyckel is blocked"), "{}", p.body);
        assert_eq!(b.get("/my").await.url, "/login");
        let p = other
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert_eq!(p.status, 403);
        assert!(p.has("Your nyckel is blocked"));
        // A wrong password does not reveal the block.
        let p = other
            .identify_and_password(&e.user_id.to_string(), "Wrong-Wrong-1")
            .await;
        assert_eq!(p.status, 401);
        assert!(!p.has("blocked</"));

        // The holder cannot unblock; support can.
        let r = s
            .nyckel
            .unblock(
                &e.identity_id,
                BlockTarget::Identity,
                Actor::Holder,
                "holder",
                "x",
            )
            .await
            .unwrap();
        assert!(r.is_err());
        s.nyckel
            .unblock(
                &e.identity_id,
                BlockTarget::Identity,
                Actor::Support,
                "operator:test",
                "verified by phone",
            )
            .await
            .unwrap()
            .unwrap();
        let p = other
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert_eq!(other.answer_key(&p, &e).await.url, "/my");
        let acts = audit_actions(&s, &e.identity_id).await;
        assert_eq!(acts.iter().filter(|a| *a == "block").count(), 2);
        assert_eq!(acts.iter().filter(|a| *a == "unblock").count(), 2);
    }
}

#[tokio::test]
async fn forms_need_the_flow_and_its_csrf_token() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let p = b.get("/login").await;
        let p2 = b
            .post(
                "/login/identify",
                &[("csrf", "forged"), ("login_name", &e.user_id.to_string())],
            )
            .await;
        assert_eq!(p2.status, 403);
        // The flow did not move.
        assert!(b.get("/login").await.has("autocomplete=\"username\""));
        // No flow cookie at all.
        let fresh = s.client();
        let p3 = fresh
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", "123456789")],
            )
            .await;
        assert_eq!(p3.status, 400);
        assert!(p3.has("Your login has expired"));
        // A form for another step shows the current step instead.
        let p4 = b
            .post("/login/keycard", &[("csrf", &p.csrf()), ("code", "123456")])
            .await;
        assert!(p4.has("autocomplete=\"username\""));
        // Malformed bodies are refused without a change.
        let r = b
            .http
            .post(format!("{}/login/identify", s.url))
            .body("%%%")
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error());
        // Expired flow.
        s.clock.advance_secs(16 * 60);
        let p5 = b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", "123456789")],
            )
            .await;
        assert_eq!(p5.status, 400);
        // Garbage cookies are just no flow.
        let r = s
            .client()
            .http
            .get(format!("{}/login", s.url))
            .header("cookie", "nyckel_flow=%00garbage; nyckel_session=x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // My nyckel forms need the session's token.
        activate(&b, &e, PW).await;
        let p6 = b
            .post("/my/block", &[("csrf", "forged"), ("what", "identity")])
            .await;
        assert_eq!(p6.status, 403);
        let mut tx = s.store.read().await.unwrap();
        assert_eq!(
            tx.find_identity(&e.identity_id)
                .await
                .unwrap()
                .unwrap()
                .status,
            IdentityStatus::Active
        );
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn a_new_card_is_sent_when_twenty_keys_are_left_and_activates_on_first_use() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        activate(&b, &e, PW).await;
        // Use up the card down to 21 keys directly in the store.
        let mut tx = s.store.write().await.unwrap();
        let card = tx
            .find_live_credentials(&e.identity_id, CredentialKind::KeyCard)
            .await
            .unwrap()
            .remove(0);
        let unused = tx.find_unused_keys(&card.id).await.unwrap();
        for k in &unused[..unused.len() - 22] {
            tx.consume_key(&card.id, *k, 5).await.unwrap();
        }
        let letters_before = tx.find_letters_of(&e.identity_id).await.unwrap().len();
        tx.commit().await.unwrap();
        // One more login: 21 left after showing, 20 after... the order is placed at ≤ 20.
        for _ in 0..2 {
            let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
            assert_eq!(b.answer_key(&p, &e).await.url, "/my");
        }
        let mut tx = s.store.read().await.unwrap();
        let cards = tx
            .find_live_credentials(&e.identity_id, CredentialKind::KeyCard)
            .await
            .unwrap();
        assert_eq!(cards.len(), 2, "a new card is on its way");
        assert_eq!(
            cards
                .iter()
                .filter(|c| c.status == CredentialStatus::Pending)
                .count(),
            1
        );
        let letters = tx.find_letters_of(&e.identity_id).await.unwrap();
        assert_eq!(letters.len(), letters_before + 1);
        let pending = cards
            .iter()
            .find(|c| c.status == CredentialStatus::Pending)
            .unwrap();
        let pending_label = pending.label.clone().unwrap();
        // Letters made in the same millisecond have no order: find the new card's by its id.
        let letter = letters
            .iter()
            .find(|l| l.kind == "key-card" && l.body.as_ref().unwrap().contains(&pending_label))
            .unwrap();
        let new_card_body: serde_json::Value =
            serde_json::from_str(letter.body.as_ref().unwrap()).unwrap();
        tx.commit().await.unwrap();
        // Only one card is ordered however many logins follow.
        let p = b.identify_and_password(&e.user_id.to_string(), PW).await;
        assert!(p.has("Use my new card"), "{}", p.body);
        // The holder switches to the new card: keys are read from the printed letter.
        let p = b.post("/login/new-card", &[("csrf", &p.csrf())]).await;
        let key = p.key_number().unwrap();
        let text = new_card_body["text"].as_str().unwrap();
        let code = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[0] == key)
            .map(|w| w[1].to_owned())
            .unwrap_or_else(|| {
                panic!(
                    "key {key} on the printed card: {}\n{}",
                    p.body,
                    &text[..400]
                )
            });
        let p = b
            .post("/login/keycard", &[("csrf", &p.csrf()), ("code", &code)])
            .await;
        assert_eq!(p.url, "/my", "{}", p.body);
        let mut tx = s.store.read().await.unwrap();
        let cards = tx
            .find_live_credentials(&e.identity_id, CredentialKind::KeyCard)
            .await
            .unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].status, CredentialStatus::Active);
        assert_ne!(cards[0].id, card.id);
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn two_servers_share_one_flow() {
    for db in nyckel_testkit::TestDb::each().await {
        let db = Arc::new(db);
        let a = TestServer::start(db.clone(), test_config()).await;
        let b_srv =
            TestServer::start_on(db.clone(), a.store.clone(), test_config(), a.clock.clone()).await;
        let e = a.enroll_demo().await;
        activate(&a.client(), &e, PW).await;
        // One browser, alternating between the two servers (cookies are not per port).
        let on_a = a.client();
        let on_b = Browser {
            base: b_srv.url.clone(),
            http: on_a.http.clone(),
        };
        let p = on_a.get("/login?restart=1").await;
        let p = on_b
            .post(
                "/login/identify",
                &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
            )
            .await;
        let p = on_a
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        let p = on_b.answer_key(&p, &e).await;
        assert_eq!(p.url, "/my");
        assert!(on_a.get("/my").await.has("Anne Marie Hansen"));
    }
}

#[tokio::test]
async fn help_page_says_whether_support_is_open() {
    for s in TestServer::each(test_config()).await {
        let b = s.client();
        let p = b.get("/help").await;
        assert!(p.has("+45 80 30 70 50"));
        assert!(
            p.has("data-support-open=\"true\""),
            "Wednesday noon is open"
        );
        // Sunday 29 November 2026 at 17:00 in Copenhagen: closed, opens Monday 08:30.
        s.clock.advance_secs(4 * 86_400 + 5 * 3600);
        let p = b.get("/help").await;
        assert!(p.has("data-support-open=\"false\""), "{}", p.body);
        assert!(p.has("Monday 30 November at 08:30"), "{}", p.body);
        // Health endpoints.
        assert_eq!(b.get("/healthz").await.status, 200);
        assert_eq!(b.get("/readyz").await.status, 200);
        assert_eq!(b.get("/nope").await.status, 404);
    }
}

#[tokio::test]
async fn alias_login_and_rules() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let p = b
            .post("/my/alias", &[("csrf", &my.csrf()), ("alias", "123456789")])
            .await;
        assert_eq!(p.status, 400, "a number can never be a username");
        let p = b
            .post("/my/alias", &[("csrf", &my.csrf()), ("alias", "Anne Ærø")])
            .await;
        assert!(p.has("Your username has been saved"), "{}", p.body);
        let p = s.client().identify_and_password("anne ærø", PW).await;
        assert!(p.key_number().is_some(), "{}", p.body);
    }
}

/// Every response carries the security headers: pages, the provider's JSON
/// endpoints, unknown paths, and the layers' own refusals (body too large).
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let s = TestServer::start(Arc::new(nyckel_testkit::TestDb::sqlite()), test_config()).await;
    let http = reqwest::Client::builder()
        .default_headers(common::english())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cases = [
        ("page", http.get(format!("{}/login", s.url)), 200),
        ("help", http.get(format!("{}/help", s.url)), 200),
        (
            "not found",
            http.get(format!("{}/no-such-page", s.url)),
            404,
        ),
        (
            "token without a client",
            http.post(format!("{}/token", s.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials"),
            401,
        ),
        (
            "body too large",
            http.post(format!("{}/login/identify", s.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("x".repeat(100 * 1024)),
            413,
        ),
    ];
    for (name, request, status) in cases {
        let r = request.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{name}");
        let h = r.headers();
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(
            get("content-security-policy").starts_with("default-src 'none'"),
            "{name}: CSP"
        );
        assert!(
            get("content-security-policy").contains("frame-ancestors 'none'"),
            "{name}: CSP frames"
        );
        assert_eq!(get("x-frame-options"), "DENY", "{name}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{name}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{name}");
    }
}

/// DOMAIN.md: a key-card challenge left unanswered counts as a failed
/// attempt — when the login is restarted, and when the flow expires and is
/// swept. A right code afterwards resets the count.
#[tokio::test]
async fn an_unanswered_key_card_challenge_counts_as_a_failure() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let p = activate(&b, &e, PW).await;
        assert_eq!(p.url, "/my");
        let card_failures = || async {
            let mut tx = s.store.read().await.unwrap();
            let cards = tx
                .find_live_credentials(&e.identity_id, CredentialKind::KeyCard)
                .await
                .unwrap();
            cards[0].counters.failures
        };
        let user = e.user_id.to_string();
        assert_eq!(card_failures().await, 0);

        // Shown, then the login is started again.
        let p = b.identify_and_password(&user, PW).await;
        assert!(p.key_number().is_some(), "{}", p.body);
        b.get("/login?restart=1").await;
        assert_eq!(card_failures().await, 1, "restarted");
        // Restarting without a challenge shown counts nothing.
        b.get("/login?restart=1").await;
        assert_eq!(card_failures().await, 1);

        // Shown, then left until the flow expires and is swept.
        let p = b.identify_and_password(&user, PW).await;
        assert!(p.key_number().is_some(), "{}", p.body);
        s.clock.advance_secs(s.nyckel.config.flow_ttl_secs + 1);
        assert!(nyckel_server::web::sweep(&s.nyckel).await.unwrap() >= 1);
        assert_eq!(card_failures().await, 2, "expired");
        let reasons: Vec<String> = {
            let mut tx = s.store.read().await.unwrap();
            tx.find_audit_by_subject(&e.identity_id, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|a| a.action == "login.failed")
                .map(|a| a.detail)
                .collect()
        };
        assert_eq!(
            reasons
                .iter()
                .filter(|d| d.contains("unanswered-key-card"))
                .count(),
            2,
            "{reasons:?}"
        );

        // A right code resets the count.
        let p = b.identify_and_password(&user, PW).await;
        let p = b.answer_key(&p, &e).await;
        assert_eq!(p.url, "/my");
        assert_eq!(card_failures().await, 0);
    }
}
