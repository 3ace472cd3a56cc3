//! Changing the password from My nyckel over real HTTP on both backends:
//! the current password and a key-card code first, then the new one twice;
//! the old password stops working and the new one works; a planted form
//! starts nothing; of many final posts at once one sets the password.

mod common;

use common::*;
use nyckel_service::Enrolled;

const PW: &str = "Tusind-Tak-Aarhus-7";
const NEW: &str = "Rugbroed-Med-Sild-42";

/// From My nyckel to the new-password page: "Change password", the
/// current password, a key code.
async fn to_new_password(b: &Browser, my: &Page, e: &Enrolled, current: &str) -> Page {
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

#[tokio::test]
async fn the_password_changes_after_the_current_one_and_a_key_code() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        assert!(my.has("action=\"/my/password\""), "{}", my.body);

        // A planted form (not the session's token) starts nothing.
        let p = b.post("/my/password", &[("csrf", "planted")]).await;
        assert!(!p.has("Change your password"), "{}", p.body);
        assert_ne!(p.status, 200);

        let p = to_new_password(&b, &my, &e, PW).await;
        // The current password again is refused, and so is a weak one.
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", PW), ("confirm", PW)],
            )
            .await;
        assert!(
            p.has("The new password is the one you have now"),
            "{}",
            p.body
        );
        let p = b
            .post(
                "/login/new-password",
                &[
                    ("csrf", &p.csrf()),
                    ("new_password", "sommer2024"),
                    ("confirm", "sommer2024"),
                ],
            )
            .await;
        assert!(p.has("autocomplete=\"new-password\""), "{}", p.body);
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", NEW), ("confirm", NEW)],
            )
            .await;
        assert_eq!(p.url, "/my", "{}", p.body);
        assert!(p.has("Your password is changed"), "{}", p.body);
        // Still logged in: the session was not replaced.
        assert!(b.get("/my").await.has("action=\"/my/password\""));

        // The old password no longer works, the new one does.
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.has("Wrong user ID or password"), "{}", p.body);
        let fresh = s.client();
        let p = fresh
            .identify_and_password(&e.user_id.to_string(), NEW)
            .await;
        let p = fresh.answer_key(&p, &e).await;
        assert_eq!(p.url, "/my", "{}", p.body);

        // The change is in the holder's activity.
        let my = b.get("/my").await;
        assert_eq!(my.body.matches("Password chosen").count(), 2, "{}", my.body);
    }
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let p = b.post("/my/password", &[("csrf", &my.csrf())]).await;
        let p = b
            .post(
                "/login/password",
                &[("csrf", &p.csrf()), ("password", "Not-The-Password-1")],
            )
            .await;
        assert!(p.has("Wrong user ID or password"), "{}", p.body);
        assert!(p.key_number().is_none());
        // Cancel goes back to My nyckel, still logged in.
        let p = b.post("/login/cancel", &[("csrf", &p.csrf())]).await;
        assert_eq!(p.url, "/my", "{}", p.body);
        // The password is what it was.
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
    }
}

#[tokio::test]
async fn many_final_posts_at_once_set_one_password() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let p = to_new_password(&b, &my, &e, PW).await;
        let csrf = p.csrf();
        let candidates: Vec<String> = (0..6).map(|i| format!("{NEW}-{i}")).collect();
        let mut posts = tokio::task::JoinSet::new();
        for (i, pw) in candidates.iter().cloned().enumerate() {
            let http = b.http.clone();
            let url = format!("{}/login/new-password", s.url);
            let csrf = csrf.clone();
            posts.spawn(async move {
                let r = http
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("new_password", &pw),
                        ("confirm", &pw),
                    ])
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let url = r.url().path().to_owned();
                let body = r.text().await.unwrap();
                (i, Page { status, url, body })
            });
        }
        let mut pages = posts.join_all().await;
        pages.sort_by_key(|(i, _)| *i);
        let pages: Vec<Page> = pages.into_iter().map(|(_, p)| p).collect();
        assert!(
            pages.iter().all(|p| p.status != 500),
            "{:?}",
            pages.iter().map(|p| p.status).collect::<Vec<_>>()
        );
        let changed: Vec<usize> = pages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.url == "/my" && p.has("Your password is changed"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(
            changed.len(),
            1,
            "{:?}",
            pages.iter().map(|p| (p.status, &p.url)).collect::<Vec<_>>()
        );
        // The winner's password works, the others' do not (two tried: more
        // wrong ones from new browsers would pause the name).
        let winner = changed[0];
        for i in [winner, (winner + 1) % 6, (winner + 2) % 6] {
            let p = s
                .client()
                .identify_and_password(&e.user_id.to_string(), &candidates[i])
                .await;
            assert_eq!(p.key_number().is_some(), i == winner, "{i}: {}", p.body);
        }
    }
}
