//! Changing the password from My nyckel over real HTTP on both backends:
//! the current password and a key-card code first, then the new one twice;
//! the old password stops working and the new one works; a planted form
//! starts nothing; of many final posts at once one sets the password; the
//! change logs the holder out everywhere else (other browsers, tokens held
//! by services) and is made only while the session it started from lives.

mod common;
#[path = "common/rp.rs"]
mod rp;

use common::*;

const PW: &str = "Tusind-Tak-Aarhus-7";
const NEW: &str = "Rugbroed-Med-Sild-42";

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
        assert_eq!(my.body.matches("Password chosen").count(), 1, "{}", my.body);
        assert!(
            my.has("Password changed (logged out everywhere else)"),
            "{}",
            my.body
        );
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

#[tokio::test]
async fn a_change_logs_out_everywhere_else() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        // Another browser logged in, and a service holding tokens.
        let other = s.client();
        let p = other
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        let p = other.answer_key(&p, &e).await;
        assert_eq!(p.url, "/my", "{}", p.body);
        let c = rp::confidential(&s, "rp", false).await;
        let t = rp::tokens_for(&s, &rp::browser(&s), &e, &c, &[]).await;
        let at = t["access_token"].as_str().unwrap();
        let rt = t["refresh_token"].as_str().unwrap();
        assert_eq!(rp::userinfo(&s, at).await.status, 200);

        let p = to_new_password(&b, &my, &e, PW).await;
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", NEW), ("confirm", NEW)],
            )
            .await;
        assert!(p.has("You are logged out everywhere else"), "{}", p.body);
        // This browser stays in; the other is out; the service's tokens
        // are dead.
        assert!(b.get("/my").await.has("action=\"/my/password\""));
        let o = other.get("/my").await;
        assert!(!o.has("action=\"/my/password\""), "{}", o.body);
        let r = rp::post_form(
            &s,
            "/token",
            Some(&c),
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_eq!(r.error(), "invalid_grant", "{}", r.json);
        assert_eq!(rp::userinfo(&s, at).await.status, 401);
    }
}

#[tokio::test]
async fn a_change_left_open_after_logout_changes_nothing() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let p = to_new_password(&b, &my, &e, PW).await;
        let my = b.get("/my").await;
        let out = b.post("/logout", &[("csrf", &my.csrf())]).await;
        assert!(!out.has("action=\"/my/password\""), "{}", out.body);
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", NEW), ("confirm", NEW)],
            )
            .await;
        assert!(!p.has("Your password is changed"), "{}", p.body);
        // The old password is still the one.
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
    }
}

#[tokio::test]
async fn a_change_never_takes_another_name() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let victim = s.enroll_second().await;
        activate(&s.client(), &victim, PW).await;
        let p = b.post("/my/password", &[("csrf", &my.csrf())]).await;
        assert!(p.has("Change your password"), "{}", p.body);
        // "Not you?" is not offered, and a planted identify post is
        // ignored: the flow stays at the holder's own password.
        let p = b
            .post(
                "/login/identify",
                &[
                    ("csrf", &p.csrf()),
                    ("login_name", &victim.user_id.to_string()),
                ],
            )
            .await;
        assert!(!p.has(&victim.user_id.to_string()), "{}", p.body);
        let p = b
            .post("/login/password", &[("csrf", &p.csrf()), ("password", PW)])
            .await;
        // The holder's own card answers, and the holder's password changes,
        // not the victim's.
        let p = b.answer_key(&p, &e).await;
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", NEW), ("confirm", NEW)],
            )
            .await;
        assert!(p.has("Your password is changed"), "{}", p.body);
        let p = s
            .client()
            .identify_and_password(&victim.user_id.to_string(), PW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
        let p = s
            .client()
            .identify_and_password(&e.user_id.to_string(), NEW)
            .await;
        assert!(p.key_number().is_some(), "{}", p.body);
    }
}

#[tokio::test]
async fn a_code_issued_before_a_change_redeems_nothing_after_it() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let c = rp::confidential(&s, "rp", false).await;
        let (verifier, challenge) = rp::pkce("before-change");
        let landed = rp::login(
            &rp::browser(&s),
            &e,
            &rp::authorize_url(&s, &c.id, &challenge, &[]),
            rp::Consent::Allow,
        )
        .await;
        let code = rp::param(&landed.location, "code").expect("a code");

        let p = to_new_password(&b, &my, &e, PW).await;
        let p = b
            .post(
                "/login/new-password",
                &[("csrf", &p.csrf()), ("new_password", NEW), ("confirm", NEW)],
            )
            .await;
        assert!(p.has("Your password is changed"), "{}", p.body);

        let t = rp::post_form(
            &s,
            "/token",
            Some(&c),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", rp::CB),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(t.error(), "invalid_grant", "{}", t.json);
    }
}

/// Refreshes posted at the moment of a change: whatever the order, no
/// token issued by them outlives the change (a refresh and the change take
/// the identity's row one after the other).
#[tokio::test]
async fn refreshes_at_the_moment_of_a_change_leave_no_live_token() {
    for s in TestServer::each(test_config()).await {
        let e = s.enroll_demo().await;
        let b = s.client();
        let my = activate(&b, &e, PW).await;
        let c = rp::confidential(&s, "rp", false).await;
        let mut rts = Vec::new();
        for _ in 0..4 {
            let t = rp::tokens_for(&s, &rp::browser(&s), &e, &c, &[]).await;
            rts.push(t["refresh_token"].as_str().unwrap().to_owned());
        }
        let p = to_new_password(&b, &my, &e, PW).await;
        let csrf = p.csrf();
        let change_form = [
            ("csrf", csrf.as_str()),
            ("new_password", NEW),
            ("confirm", NEW),
        ];
        let change = b.post("/login/new-password", &change_form);
        let forms: Vec<[(&str, &str); 2]> = rts
            .iter()
            .map(|rt| {
                [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ]
            })
            .collect();
        let refresh = |i: usize| rp::post_form(&s, "/token", Some(&c), &forms[i]);
        let (changed, r0, r1, r2, r3) =
            tokio::join!(change, refresh(0), refresh(1), refresh(2), refresh(3));
        let refreshed = [r0, r1, r2, r3];
        assert!(changed.has("Your password is changed"), "{}", changed.body);
        for r in refreshed {
            if r.status == 200 {
                // Issued before the change: revoked with it.
                let fresh = r.json["refresh_token"].as_str().unwrap();
                let form = [("grant_type", "refresh_token"), ("refresh_token", fresh)];
                let again = rp::post_form(&s, "/token", Some(&c), &form).await;
                assert_eq!(again.error(), "invalid_grant", "{}", again.json);
                let at = r.json["access_token"].as_str().unwrap();
                assert_eq!(rp::userinfo(&s, at).await.status, 401);
            } else {
                assert_eq!(r.error(), "invalid_grant", "{}", r.json);
            }
        }
    }
}
