//! The login journey in a real browser (headless Chromium, JavaScript off),
//! in Danish, English and Swedish: the language switch on the start page,
//! first login with the activation code, choose a password, accept the
//! terms, answer the key card (a wrong code first), My nyckel, block the
//! card, log out, then a provider's login up to its consent and the code.
//! Every text the journey looks for comes from the language's catalog.
//! Screenshots of every step go to `target/screenshots/` for people to look
//! at; see `common/browser.rs` for the browser and how the test skips.

#[path = "common/browser.rs"]
mod browser_support;
mod common;

use std::sync::Arc;
use std::time::Duration;

use browser_support::{
    Browser, LAPTOP, PHONE, click, field, main_text, overflows_sideways, path, screenshot,
    type_into,
};
use common::{TestServer, code_for, test_config};
use fantoccini::{Client, Locator};
use nyckel_i18n::{Lang, Tr};
use nyckel_testkit::TestDb;

const PW: &str = "Tusind-Tak-Aarhus-7";
/// The password chosen on "Change password" in My nyckel.
const PW2: &str = "Rugbroed-Med-Sild-42";

/// What the holder has in hand: the activation letter and the key card.
struct Holder {
    user_id: String,
    activation_code: String,
    /// (key number, code) as printed on the card.
    card: Vec<(String, String)>,
}

impl Holder {
    fn code(&self, key: &str) -> &str {
        self.card
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, c)| c.as_str())
            .unwrap_or_else(|| panic!("key {key} is not on the card"))
    }
}

#[tokio::test]
async fn login_journey_in_a_real_browser_without_javascript() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let mut outcome = Ok(());
    for lang in Lang::ALL {
        let server = TestServer::start(Arc::new(TestDb::sqlite()), test_config()).await;
        let e = server.enroll_demo().await;
        let holder = Holder {
            user_id: e.user_id.to_string(),
            activation_code: e.activation_code.expose().to_owned(),
            card: e
                .key_card
                .keys
                .iter()
                .map(|(k, _)| (k.to_string(), code_for(&e, &k.to_string())))
                .collect(),
        };
        let (client_id, _) = server
            .nyckel
            .add_client(
                "Borger.dk",
                vec![CB.into()],
                vec![],
                nyckel_oidc::client::ClientAuthMethod::None,
                false,
                false,
                nyckel_oidc::client::SubjectType::Pairwise,
                None,
                None,
                vec!["authorization_code".into()],
                "operator:test",
            )
            .await
            .unwrap();
        // Run the journey in its own task so that a failed assertion still
        // lets us close the browser session before the test fails.
        let client = browser.client.clone();
        let url = server.url.clone();
        let journey = tokio::spawn(async move {
            let j = Journey {
                c: &client,
                base: &url,
                h: &holder,
                t: Tr::new(lang),
                client_id: &client_id,
            };
            tokio::time::timeout(Duration::from_secs(180), j.run())
                .await
                .expect("the journey finished within 3 minutes");
        });
        outcome = journey.await;
        drop(server);
        if outcome.is_err() {
            break;
        }
    }
    browser.close().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    eprintln!(
        "screenshots in {}",
        browser_support::screenshot_dir().display()
    );
}

const CB: &str = "https://rp.example/cb";

struct Journey<'a> {
    c: &'a Client,
    base: &'a str,
    h: &'a Holder,
    t: Tr,
    client_id: &'a str,
}

impl Journey<'_> {
    /// A screenshot named by the language: `da-05-keycard`.
    async fn shot(&self, name: &str, size: (u32, u32)) {
        screenshot(self.c, &format!("{}-{name}", self.t.code()), size).await;
    }

    async fn lang(&self) -> String {
        self.c
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    async fn run(&self) {
        let (c, base, h, t) = (self.c, self.base, self.h, self.t);
        let get = |id: &str| t.get(id);
        // JavaScript really is off: an inline script would retitle this page.
        c.goto("data:text/html,<title>off</title><script>document.title='on'</script>")
            .await
            .unwrap();
        assert_eq!(
            c.title().await.unwrap(),
            "off",
            "JavaScript must be disabled"
        );

        // The holder picks another language on the page, then their own;
        // the choice holds from then on.
        c.goto(&format!("{base}/")).await.unwrap();
        let other = Lang::ALL.into_iter().find(|l| *l != t.lang()).unwrap();
        click(c, other.endonym()).await;
        assert_eq!(self.lang().await, other.code());
        click(c, t.lang().endonym()).await;
        assert_eq!(path(c).await, "/");
        assert_eq!(self.lang().await, t.code());
        self.shot("00-start", LAPTOP).await;
        self.shot("00-start-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;
        c.find(Locator::LinkText(&get("action-log-in")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(path(c).await, "/login");
        assert_eq!(self.lang().await, t.code());

        // Identify. A malformed name first: the error must sit by the field.
        self.shot("01-identify", LAPTOP).await;
        type_into(c, &get("login-name-label"), "12").await;
        click(c, &get("action-next")).await;
        assert!(main_text(c).await.contains(&get("problem-login-name")));
        let input = field(c, &get("login-name-label")).await;
        assert_eq!(
            input.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true")
        );
        self.shot("01b-identify-error", LAPTOP).await;
        input.clear().await.unwrap();
        input.send_keys(&h.user_id).await.unwrap();
        click(c, &get("action-next")).await;

        // A wrong password first: what happened, and the support line.
        assert!(main_text(c).await.contains(&h.user_id));
        type_into(c, &get("password-label"), "not-my-code").await;
        click(c, &get("action-next")).await;
        let text = main_text(c).await;
        assert!(
            text.contains(&get("problem-wrong-user-or-password")),
            "{text}"
        );
        c.find(Locator::Css("main a[href^='tel:']")).await.unwrap();
        self.shot("02a-wrong-password", LAPTOP).await;
        self.shot("02a-wrong-password-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;

        // Password: the activation code from the letter.
        self.shot("02-password", LAPTOP).await;
        type_into(c, &get("password-label"), &h.activation_code).await;
        click(c, &get("action-next")).await;

        // Choose a password; a mistyped repeat first.
        assert!(main_text(c).await.contains(&get("choose-title")));
        self.shot("03-choose-password", LAPTOP).await;
        type_into(c, &get("choose-new-label"), PW).await;
        type_into(c, &get("choose-confirm-label"), "Tusind-Tak-Aarhus-8").await;
        click(c, &get("choose-save")).await;
        assert!(
            main_text(c)
                .await
                .contains(&get("problem-passwords-differ"))
        );
        self.shot("03b-choose-password-error", LAPTOP).await;
        type_into(c, &get("choose-new-label"), PW).await;
        type_into(c, &get("choose-confirm-label"), PW).await;
        click(c, &get("choose-save")).await;

        // Terms: the register's name and address are shown to be checked.
        let text = main_text(c).await;
        assert!(text.contains(&get("terms-title")), "{text}");
        assert!(text.contains("Anne Marie Hansen"), "{text}");
        assert!(
            text.contains("Vestergade 12, 1. th, 8000 Aarhus C"),
            "{text}"
        );
        self.shot("04-terms", LAPTOP).await;
        // Without the tick the browser itself refuses to send the form (no JS needed).
        button_click_stays(c, &get("terms-accept-button")).await;
        field(c, &get("terms-accept-label"))
            .await
            .click()
            .await
            .unwrap();
        click(c, &get("terms-accept-button")).await;

        // Key card: a wrong code first, then the right one for the new key.
        self.answer_key_card(true).await;

        // My nyckel.
        assert_eq!(path(c).await, "/my");
        let text = main_text(c).await;
        assert!(text.contains("Anne Marie Hansen"), "{text}");
        assert!(text.contains(&h.user_id), "{text}");
        assert!(text.contains(&get("act-password-set")), "{text}");
        self.shot("06-my", LAPTOP).await;
        self.shot("06-my-phone", PHONE).await;
        assert!(
            !overflows_sideways(c, PHONE.0).await,
            "My nyckel scrolls sideways on a phone"
        );
        browser_support::set_viewport(c, LAPTOP).await;

        // Change the password: the current one and a key code, then the
        // new one twice; back in My nyckel, told so.
        click(c, &get("my-password-button")).await;
        assert_eq!(path(c).await, "/login");
        let text = main_text(c).await;
        assert!(text.contains(&get("change-password-banner")), "{text}");
        self.shot("06b-change-password", LAPTOP).await;
        self.shot("06b-change-password-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;
        assert!(text.contains(&get("change-password-heading")), "{text}");
        type_into(c, &get("change-password-current-label"), PW).await;
        click(c, &get("action-next")).await;
        self.answer_key_card_with(false, "action-next").await;
        assert!(main_text(c).await.contains(&get("change-password-choose")));
        type_into(c, &get("choose-new-label"), PW2).await;
        type_into(c, &get("choose-confirm-label"), PW2).await;
        click(c, &get("choose-save")).await;
        assert_eq!(path(c).await, "/my");
        let text = main_text(c).await;
        assert!(text.contains(&get("notice-password")), "{text}");
        self.shot("06c-password-changed-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;

        // A logout request from elsewhere is confirmed first.
        c.goto(&format!("{base}/logout")).await.unwrap();
        let text = main_text(c).await;
        assert!(text.contains(&get("logout-title")), "{text}");
        self.shot("08a-logout-confirm-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;
        c.find(fantoccini::Locator::LinkText(&get("logout-stay")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(path(c).await, "/my", "staying means staying");

        // Log out.
        click(c, &get("action-log-out")).await;
        assert!(main_text(c).await.contains(&get("logged-out-text")));
        self.shot("08-logged-out", LAPTOP).await;
        c.goto(&format!("{base}/my")).await.unwrap();
        assert_eq!(path(c).await, "/login", "logged out means logged out");

        // A provider's login: the same language, its consent, the code.
        let authorize = format!(
            "{base}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=st8&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            self.client_id, CB
        );
        c.goto(&authorize).await.unwrap();
        assert_eq!(path(c).await, "/login");
        assert_eq!(self.lang().await, t.code());
        type_into(c, &get("login-name-label"), &h.user_id).await;
        click(c, &get("action-next")).await;
        type_into(c, &get("password-label"), PW2).await;
        click(c, &get("action-next")).await;
        self.answer_key_card(false).await;
        let text = main_text(c).await;
        assert!(
            text.contains(&t.arg("consent-heading", "service", "Borger.dk")),
            "{text}"
        );
        assert!(text.contains(&get("shared-name")), "{text}");
        self.shot("10-consent", LAPTOP).await;
        self.shot("10-consent-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;
        let allow = browser_support::button(c, &get("consent-allow")).await;
        allow.click().await.unwrap();
        // The browser goes back to the provider (unreachable here).
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let back = loop {
            let u = c.current_url().await.unwrap();
            if u.as_str().starts_with(CB) {
                break u;
            }
            assert!(std::time::Instant::now() < deadline, "not sent back: {u}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(back.query_pairs().any(|(k, _)| k == "code"), "{back}");

        // Blocking the card in My nyckel (the session is live again).
        c.goto(&format!("{base}/my")).await.unwrap();
        click(c, &get("my-block-key-card")).await;
        // Asked first, told what follows.
        let text = main_text(c).await;
        assert!(
            text.contains(&get("confirm-block-key-card-heading")),
            "{text}"
        );
        self.shot("07-confirm-block-card", LAPTOP).await;
        self.shot("07-confirm-block-card-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;
        click(c, &get("confirm-block-key-card-button")).await;
        let text = main_text(c).await;
        assert!(text.contains(&get("card-replaced-heading")), "{text}");
        self.shot("07-key-card-blocked", LAPTOP).await;
        c.goto(&format!("{base}/my")).await.unwrap();
        let text = main_text(c).await;
        assert!(
            text.contains(&t.arg("credential-status", "status", "blocked-by-holder")),
            "{text}"
        );

        // Where the error pages send people.
        c.goto(&format!("{base}/help")).await.unwrap();
        assert_eq!(self.lang().await, t.code());
        self.shot("09-help", LAPTOP).await;
        self.shot("09-help-phone", PHONE).await;
        browser_support::set_viewport(c, LAPTOP).await;

        // "Lost your key card?" from the help page: the user ID and the
        // password, then the block's confirmation, which names the address.
        c.find(Locator::LinkText(&get("lost-card-link")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert_eq!(path(c).await, "/login");
        let text = main_text(c).await;
        assert!(text.contains(&get("lost-card-banner")), "{text}");
        self.shot("11-lost-card", LAPTOP).await;
        type_into(c, &get("login-name-label"), &h.user_id).await;
        click(c, &get("action-next")).await;
        type_into(c, &get("password-label"), PW2).await;
        click(c, &get("action-next")).await;
        let text = main_text(c).await;
        assert!(
            text.contains(&get("confirm-block-key-card-heading")),
            "{text}"
        );
        self.shot("11b-lost-card-confirm", LAPTOP).await;
        self.shot("11b-lost-card-confirm-phone", PHONE).await;
        assert!(
            !overflows_sideways(c, PHONE.0).await,
            "the lost-card page scrolls sideways on a phone"
        );
        browser_support::set_viewport(c, LAPTOP).await;
    }

    /// Answers the key-card page; with `wrong_first`, a wrong code first
    /// (shown with its hint, at both widths). Returns the key answered.
    async fn answer_key_card(&self, wrong_first: bool) -> String {
        self.answer_key_card_with(wrong_first, "action-log-in")
            .await
    }

    /// [`Self::answer_key_card`] whose button says `button` (a catalog id).
    async fn answer_key_card_with(&self, wrong_first: bool, button: &str) -> String {
        let (c, h, t) = (self.c, self.h, self.t);
        let mut key = key_number(c).await;
        assert_eq!(key.len(), 4, "{key}");
        assert!(main_text(c).await.contains(&key));
        if wrong_first {
            self.shot("05-keycard", LAPTOP).await;
            self.shot("05-keycard-phone", PHONE).await;
            assert!(
                !overflows_sideways(c, PHONE.0).await,
                "the key-card page scrolls sideways on a phone"
            );
            browser_support::set_viewport(c, LAPTOP).await;
            let wrong = if h.code(&key) == "000000" {
                "111111"
            } else {
                "000000"
            };
            type_into(c, &t.arg("keycard-code-label", "key", &key), wrong).await;
            click(c, &t.get("action-log-in")).await;
            assert!(
                main_text(c)
                    .await
                    .contains(&t.arg("problem-wrong-code", "key", &key))
            );
            let key2 = key_number(c).await;
            assert_ne!(key2, key, "a used key is never asked again");
            self.shot("05b-keycard-error-phone", PHONE).await;
            browser_support::set_viewport(c, LAPTOP).await;
            self.shot("05b-keycard-error", LAPTOP).await;
            key = key2;
        }
        type_into(c, &t.arg("keycard-code-label", "key", &key), h.code(&key)).await;
        click(c, &t.get(button)).await;
        key
    }
}

/// The key number the page asks for, from its `data-key-number`.
async fn key_number(c: &Client) -> String {
    c.find(Locator::Css("[data-key-number]"))
        .await
        .unwrap()
        .attr("data-key-number")
        .await
        .unwrap()
        .expect("a key number")
}

/// Clicks a submit button whose form the browser must refuse to send
/// (a `required` field is empty): the page stays.
async fn button_click_stays(c: &Client, text: &str) {
    let before = path(c).await;
    let b = browser_support::button(c, text).await;
    b.click().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        b.tag_name().await.is_ok(),
        "the form was sent without its required field"
    );
    assert_eq!(path(c).await, before);
}
