//! An outside review of the change of password, the pause for names and
//! the shortened address, as black-box tests over real HTTP on both
//! backends: each failed before its fix.
mod common;

use common::*;
use nyckel_core::cpr::{PersonRecord, Residence};
use nyckel_service::Enrolled;
use nyckel_service::clock::Clock;

const PW: &str = "Tusind-Tak-Aarhus-7";
const NEW: &str = "Rugbroed-Med-Sild-42";

async fn change(b: &Browser, my: &Page, e: &Enrolled, current: &str, new: &str) {
    let p = to_new_password(b, my, e, current).await;
    let p = b
        .post(
            "/login/new-password",
            &[("csrf", &p.csrf()), ("new_password", new), ("confirm", new)],
        )
        .await;
    assert!(p.has("Your password is changed"), "{}", p.body);
}

async fn lost_card_confirm(b: &Browser, e: &Enrolled, pw: &str) -> Page {
    let p = b.get("/lost-card").await;
    let p = b
        .post(
            "/login/identify",
            &[("csrf", &p.csrf()), ("login_name", &e.user_id.to_string())],
        )
        .await;
    b.post("/login/password", &[("csrf", &p.csrf()), ("password", pw)])
        .await
}

/// A flow that proved the OLD password before the change still works after it:
/// the lost-card confirmation blocks the holder's card, and a login flow that
/// was waiting at the key card still yields a session.
#[tokio::test]
async fn a_lost_card_confirmation_opened_with_the_old_password_dies_with_it() {
    let mut bad = Vec::new();
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let holder = s.client();
        let my = activate(&holder, &e, PW).await;

        // Attacker knows the old password: stages a lost-card confirmation
        let att = s.client();
        let confirm = lost_card_confirm(&att, &e, PW).await;
        assert!(confirm.has("Block your key card?"), "{}", confirm.body);
        // ... and a login waiting for the key card
        let att2 = s.client();
        let key = att2.identify_and_password(&e.user_id.to_string(), PW).await;
        assert!(key.key_number().is_some(), "{}", key.body);

        // Holder changes the password: "logged out everywhere else".
        change(&holder, &my, &e, PW, NEW).await;

        // Old password is dead for new flows
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.has("Wrong user ID or password"), "{}", p.body);

        let logged = att2.answer_key(&key, &e).await;
        eprintln!(
            "[{:?}] key-card after change: {} {}",
            s.backend, logged.status, logged.url
        );
        let done = att
            .post("/login/lost-card", &[("csrf", &confirm.csrf())])
            .await;
        eprintln!(
            "[{:?}] lost-card after change: {} {} blocked={}",
            s.backend,
            done.status,
            done.url,
            done.has("Your key card is blocked")
        );
        bad.push(done.has("Your key card is blocked") || logged.url == "/my");
    }
    assert!(!bad.iter().any(|b| *b), "defect shown on backends: {bad:?}");
}

/// The terms page, reached with the password alone (before the key card),
/// shows the full register address (street included).
#[tokio::test]
async fn new_terms_after_the_password_alone_show_no_street() {
    let mut bad = Vec::new();
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let p = b
            .identify_and_password(&e.user_id.to_string(), e.activation_code.expose())
            .await;
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", PW), ("confirm", PW)],
            )
            .await;
        assert!(p.has("Terms of use"), "{}", p.body);
        // holder walks away before accepting. Attacker has the password only:
        let att = s.client();
        let p = att.identify_and_password(&e.user_id.to_string(), PW).await;
        eprintln!(
            "[{:?}] terms with password alone: street shown={}",
            s.backend,
            p.has("Vestergade 12")
        );
        assert!(p.key_number().is_none());
        bad.push(p.has("Vestergade"));
    }
    assert!(!bad.iter().any(|b| *b), "defect shown on backends: {bad:?}");
}

/// An address without commas is shown in full on "Lost your key card?".
#[tokio::test]
async fn an_address_without_commas_is_still_shortened() {
    let mut bad = Vec::new();
    for s in TestServer::each(test_config()).await {
        seed_population(&s.store).await;
        let rec = PersonRecord {
            cpr: cpr("1502851234"),
            given_names: "Jens".into(),
            surname: "Nielsen".into(),
            address: "Nørregade 3 1165 København K".into(),
            residence: Residence::Resident,
        };
        let mut tx = s.store.write().await.unwrap();
        tx.upsert_persons(&[rec], 2, "test").await.unwrap();
        tx.commit().await.unwrap();
        let e = s.enroll_cpr("1502851234").await;
        activate(&s.client(), &e, PW).await;
        let att = s.client();
        let p = lost_card_confirm(&att, &e, PW).await;
        assert!(p.has("Block your key card?"), "{}", p.body);
        eprintln!("[{:?}] street shown={}", s.backend, p.has("Nørregade 3"));
        bad.push(p.has("Nørregade"));
    }
    assert!(!bad.iter().any(|b| *b), "defect shown on backends: {bad:?}");
}

/// An activation code live at the time of the change survives it (the
/// change no longer retires codes).
#[tokio::test]
async fn a_change_retires_a_letters_activation_code() {
    let mut bad = Vec::new();
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let holder = s.client();
        let my = activate(&holder, &e, PW).await;
        // Support unblocks/reissues: password retired, new letter with a code
        // (what unblock(Password) does), while the holder's session lives.
        let mut tx = s.store.write().await.unwrap();
        let identity = tx
            .find_identity_by_user_id(&e.user_id)
            .await
            .unwrap()
            .unwrap();
        let person = tx.find_person(&identity.person_id).await.unwrap().unwrap();
        let now = s.clock.now_ms();
        tx.retire_credentials(
            &identity.id,
            nyckel_core::credential::CredentialKind::Password,
            now,
        )
        .await
        .unwrap();
        let (code, _) = s
            .nyckel
            .issue_activation_code(&mut tx, &identity, &person, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Holder changes password with the code as "current password"
        change(&holder, &my, &e, code.expose(), NEW).await;
        // The code should now be dead.
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), code.expose())
            .await;
        eprintln!(
            "[{:?}] code after change -> new-password page={}",
            s.backend,
            p.has("autocomplete=\"new-password\"")
        );
        bad.push(p.has("autocomplete=\"new-password\""));
    }
    assert!(!bad.iter().any(|b| *b), "defect shown on backends: {bad:?}");
}

/// Two sessions of one holder finish a change at once: both succeed, and
/// the holder may end with two active passwords (no guard like the
/// activation code's conditional retire).
#[tokio::test]
async fn two_changes_at_once_leave_one_password() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let h1 = s.client();
        activate(&h1, &e, PW).await;
        let mut current = PW.to_string();
        let mut worst = 0usize;
        let mut both_ok = 0;
        for round in 0..6 {
            let b1 = s.client();
            let b2 = s.client();
            let mut pages = Vec::new();
            for b in [&b1, &b2] {
                let p = b
                    .identify_and_password(&e.user_id.to_string(), &current)
                    .await;
                let my = b.answer_key(&p, &e).await;
                assert_eq!(my.url, "/my", "{}", my.body);
                pages.push(to_new_password(b, &my, &e, &current).await);
            }
            let n1 = format!("{NEW}-a{round}");
            let n2 = format!("{NEW}-b{round}");
            let post = |b: &Browser, p: &Page, n: String| {
                let http = b.http.clone();
                let url = format!("{}/login/new-password", s.url);
                let csrf = p.csrf();
                async move {
                    let r = http
                        .post(url)
                        .form(&[
                            ("csrf", csrf.as_str()),
                            ("new_password", &n),
                            ("confirm", &n),
                        ])
                        .send()
                        .await
                        .unwrap();
                    let st = r.status().as_u16();
                    let body = r.text().await.unwrap();
                    (st, body.contains("Your password is changed"))
                }
            };
            let (r1, r2) = tokio::join!(
                post(&b1, &pages[0], n1.clone()),
                post(&b2, &pages[1], n2.clone())
            );
            if r1.1 && r2.1 {
                both_ok += 1;
            }
            let mut tx = s.store.read().await.unwrap();
            let creds = tx
                .find_live_credentials(
                    &e.identity_id,
                    nyckel_core::credential::CredentialKind::Password,
                )
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let active = creds
                .iter()
                .filter(|c| c.status == nyckel_core::credential::CredentialStatus::Active)
                .count();
            eprintln!(
                "[{:?}] round {round}: {:?} {:?} active passwords={active}",
                s.backend, r1, r2
            );
            worst = worst.max(active);
            // find which one works now
            let mut found = None;
            for n in [&n1, &n2] {
                let p = s
                    .client()
                    .identify_and_password(&e.user_id.to_string(), n)
                    .await;
                if p.key_number().is_some() {
                    found = Some(n.clone());
                    break;
                }
            }
            current = found.expect("one of the new passwords works");
        }
        eprintln!(
            "[{:?}] both succeeded in {both_ok}/6 rounds; max active passwords {worst}",
            s.backend
        );
        assert!(worst <= 1, "two active passwords at once");
    }
}

/// Known (active password), known (blocked password) and unknown names
/// get the same answers to wrong passwords, and the same pause.
#[tokio::test]
async fn active_blocked_and_unknown_names_answer_alike() {
    for s in TestServer::each(test_config()).await {
        let e1 = s.enroll_demo().await;
        activate(&s.client(), &e1, PW).await;
        let e2 = s.enroll_second().await;
        activate(&s.client(), &e2, PW).await;
        // block e2's password (as the holder/support would)
        let mut tx = s.store.write().await.unwrap();
        let creds = tx
            .find_live_credentials(
                &e2.identity_id,
                nyckel_core::credential::CredentialKind::Password,
            )
            .await
            .unwrap();
        for c in &creds {
            tx.update_credential_status(
                &c.id,
                nyckel_core::credential::CredentialStatus::BlockedByHolder,
                Some("test"),
                s.clock.now_ms(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let unknown = "123456789".to_string();
        let mut lines = Vec::new();
        for (label, name) in [
            ("active", e1.user_id.to_string()),
            ("blocked", e2.user_id.to_string()),
            ("unknown", unknown),
        ] {
            let b = s.client();
            let mut line = Vec::new();
            for _ in 0..7 {
                let p = b.get("/login?restart=1").await;
                let p = b
                    .post(
                        "/login/identify",
                        &[("csrf", &p.csrf()), ("login_name", &name)],
                    )
                    .await;
                let p = b
                    .post(
                        "/login/password",
                        &[("csrf", &p.csrf()), ("password", "Wrong-Pass-word-1")],
                    )
                    .await;
                let body = p.body.replace(&p.csrf(), "CSRF").replace(&name, "NAME");
                line.push((p.status, body));
            }
            lines.push((label, line));
        }
        // The same statuses and the same pages, byte for byte but for the
        // CSRF token and the name typed: 4 × 401, then the pause.
        let statuses: Vec<u16> = lines[0].1.iter().map(|(st, _)| *st).collect();
        assert_eq!(
            statuses,
            [401, 401, 401, 401, 429, 429, 429],
            "{:?}",
            s.backend
        );
        for (label, line) in &lines[1..] {
            assert!(
                line == &lines[0].1,
                "{label} differs from {} on {:?}",
                lines[0].0,
                s.backend
            );
        }
    }
}
