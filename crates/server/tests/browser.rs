//! The login journey in a real browser (headless Chromium, JavaScript off):
//! first login with the activation code, choose a password, accept the
//! terms, answer the key card, then block the card in My nyckel and log out.
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
use nyckel_testkit::TestDb;

const PW: &str = "Tusind-Tak-Aarhus-7";

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

    // Run the journey in its own task so that a failed assertion still lets
    // us close the browser session before the test fails.
    let client = browser.client.clone();
    let url = server.url.clone();
    let journey = tokio::spawn(async move {
        tokio::time::timeout(Duration::from_secs(180), journey(&client, &url, &holder))
            .await
            .expect("the journey finished within 3 minutes");
    });
    let outcome = journey.await;
    browser.close().await;
    drop(server);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    eprintln!(
        "screenshots in {}",
        browser_support::screenshot_dir().display()
    );
}

async fn journey(c: &Client, base: &str, h: &Holder) {
    // JavaScript really is off: an inline script would retitle this page.
    c.goto("data:text/html,<title>off</title><script>document.title='on'</script>")
        .await
        .unwrap();
    assert_eq!(
        c.title().await.unwrap(),
        "off",
        "JavaScript must be disabled"
    );

    c.goto(&format!("{base}/")).await.unwrap();
    screenshot(c, "00-start", LAPTOP).await;
    c.find(Locator::LinkText("Log in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(path(c).await, "/login");

    // Identify. A malformed name first: the error must sit by the field.
    screenshot(c, "01-identify", LAPTOP).await;
    type_into(c, "User ID, CPR number or username", "12").await;
    click(c, "Next").await;
    assert!(
        main_text(c)
            .await
            .contains("Enter your user ID, CPR number or username")
    );
    let input = field(c, "User ID, CPR number or username").await;
    assert_eq!(
        input.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    screenshot(c, "01b-identify-error", LAPTOP).await;
    input.clear().await.unwrap();
    input.send_keys(&h.user_id).await.unwrap();
    click(c, "Next").await;

    // Password: the activation code from the letter.
    assert!(main_text(c).await.contains(&h.user_id));
    screenshot(c, "02-password", LAPTOP).await;
    type_into(
        c,
        "Password (or the activation code from your letter)",
        &h.activation_code,
    )
    .await;
    click(c, "Next").await;

    // Choose a password; a mistyped repeat first.
    assert!(main_text(c).await.contains("Choose your password"));
    screenshot(c, "03-choose-password", LAPTOP).await;
    type_into(c, "New password", PW).await;
    type_into(c, "Repeat the new password", "Tusind-Tak-Aarhus-8").await;
    click(c, "Save password").await;
    assert!(main_text(c).await.contains("not the same"));
    screenshot(c, "03b-choose-password-error", LAPTOP).await;
    type_into(c, "New password", PW).await;
    type_into(c, "Repeat the new password", PW).await;
    click(c, "Save password").await;

    // Terms: the register's name and address are shown to be checked.
    let text = main_text(c).await;
    assert!(text.contains("Terms of use"), "{text}");
    assert!(text.contains("Anne Marie Hansen"), "{text}");
    assert!(
        text.contains("Vestergade 12, 1. th, 8000 Aarhus C"),
        "{text}"
    );
    screenshot(c, "04-terms", LAPTOP).await;
    // Without the tick the browser itself refuses to send the form (no JS needed).
    button_click_stays(c, "Accept and continue").await;
    field(c, "I have read and accept the terms of use")
        .await
        .click()
        .await
        .unwrap();
    click(c, "Accept and continue").await;

    // Key card: a wrong code first, then the right one for the new key.
    let key = key_number(c).await;
    assert_eq!(key.len(), 4, "{key}");
    assert!(main_text(c).await.contains(&key));
    screenshot(c, "05-keycard", LAPTOP).await;
    screenshot(c, "05-keycard-phone", PHONE).await;
    assert!(
        !overflows_sideways(c, PHONE.0).await,
        "the key-card page scrolls sideways on a phone"
    );
    let wrong = if h.code(&key) == "000000" {
        "111111"
    } else {
        "000000"
    };
    type_into(c, &format!("Code for key {key}"), wrong).await;
    click(c, "Log in").await;
    assert!(
        main_text(c)
            .await
            .contains(&format!("Wrong code for key {key}"))
    );
    let key2 = key_number(c).await;
    assert_ne!(key2, key, "a used key is never asked again");
    screenshot(c, "05b-keycard-error-phone", PHONE).await;
    screenshot(c, "05b-keycard-error", LAPTOP).await;
    type_into(c, &format!("Code for key {key2}"), h.code(&key2)).await;
    click(c, "Log in").await;

    // My nyckel.
    assert_eq!(path(c).await, "/my");
    let text = main_text(c).await;
    assert!(text.contains("Anne Marie Hansen"), "{text}");
    assert!(text.contains(&h.user_id), "{text}");
    screenshot(c, "06-my", LAPTOP).await;
    screenshot(c, "06-my-phone", PHONE).await;
    assert!(
        !overflows_sideways(c, PHONE.0).await,
        "My nyckel scrolls sideways on a phone"
    );
    browser_support::set_viewport(c, LAPTOP).await;

    // Block the key card.
    click(c, "Block key card").await;
    assert_eq!(path(c).await, "/my");
    let text = main_text(c).await;
    assert!(text.contains("Your key card is blocked"), "{text}");
    assert!(text.contains("blocked by you"), "{text}");
    screenshot(c, "07-key-card-blocked", LAPTOP).await;

    // A logout request from elsewhere is confirmed first.
    c.goto(&format!("{base}/logout")).await.unwrap();
    let text = main_text(c).await;
    assert!(text.contains("Log out of nyckel?"), "{text}");
    screenshot(c, "08a-logout-confirm-phone", PHONE).await;
    c.find(fantoccini::Locator::LinkText("Stay logged in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(path(c).await, "/my", "staying means staying");

    // Log out.
    click(c, "Log out").await;
    assert!(main_text(c).await.contains("You have been logged out"));
    screenshot(c, "08-logged-out", LAPTOP).await;
    c.goto(&format!("{base}/my")).await.unwrap();
    assert_eq!(path(c).await, "/login", "logged out means logged out");

    // Where the error pages send people.
    c.goto(&format!("{base}/help")).await.unwrap();
    screenshot(c, "09-help", LAPTOP).await;
    screenshot(c, "09-help-phone", PHONE).await;
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
