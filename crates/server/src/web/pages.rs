//! Page templates (askama: compiled, type-checked, auto-escaping).

use askama::Template;
use nyckel_i18n::{Markup, Tr};

#[derive(Template)]
#[template(path = "index.html")]
pub struct Index<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub demo: Option<&'a super::DemoInfo>,
}

#[derive(Template)]
#[template(path = "identify.html")]
pub struct Identify<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// The service that asked for the login (its registered name).
    pub service: Option<&'a str>,
    /// The flow blocks a lost key card (the password only, no login).
    pub lost_card: bool,
    /// The flow changes the password of a holder logged in.
    pub change_password: bool,
    pub login_name: &'a str,
    pub error: Option<String>,
    pub next: Option<Markup>,
}

#[derive(Template)]
#[template(path = "password.html")]
pub struct Password<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// The service that asked for the login (its registered name).
    pub service: Option<&'a str>,
    /// The flow blocks a lost key card (the password only, no login).
    pub lost_card: bool,
    /// The flow changes the password of a holder logged in.
    pub change_password: bool,
    pub login_name: &'a str,
    pub error: Option<String>,
    pub next: Option<Markup>,
}

#[derive(Template)]
#[template(path = "choose_password.html")]
pub struct ChoosePassword<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// The service that asked for the login (its registered name).
    pub service: Option<&'a str>,
    /// The flow blocks a lost key card (the password only, no login).
    pub lost_card: bool,
    /// The flow changes the password of a holder logged in.
    pub change_password: bool,
    pub login_name: &'a str,
    /// "8 to 64 characters", from the policy.
    pub rule_length: String,
    pub error: Option<String>,
    pub next: Option<Markup>,
}

#[derive(Template)]
#[template(path = "terms.html")]
pub struct Terms<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// The service that asked for the login (its registered name).
    pub service: Option<&'a str>,
    /// The flow blocks a lost key card (the password only, no login).
    pub lost_card: bool,
    /// The flow changes the password of a holder logged in.
    pub change_password: bool,
    pub version: u32,
    pub paragraphs: Vec<String>,
    pub name: String,
    pub address: String,
    pub reported: bool,
    pub error: Option<String>,
    pub next: Option<Markup>,
}

#[derive(Template)]
#[template(path = "keycard.html")]
pub struct KeyCard<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// The service that asked for the login (its registered name).
    pub service: Option<&'a str>,
    /// The flow blocks a lost key card (the password only, no login).
    pub lost_card: bool,
    /// The flow changes the password of a holder logged in.
    pub change_password: bool,
    pub key_number: String,
    pub card_id: String,
    pub pending_card: Option<String>,
    pub error: Option<String>,
    pub next: Option<Markup>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub heading: String,
    pub message: String,
    pub next: Option<Markup>,
    pub is_error: bool,
    pub link: &'a str,
    pub link_text: String,
}

pub struct CredentialView {
    pub name: String,
    pub status: String,
    /// Whether it is in use (the green tag).
    pub active: bool,
    pub created: String,
    pub last_used: String,
    /// "112 of 148 keys left", for a usable key card.
    pub keys_left: Option<String>,
    pub block_what: Option<&'static str>,
}

/// A service the holder lets have their details.
pub struct ConsentView {
    pub client_id: String,
    pub name: String,
    pub what: String,
    pub since: String,
}

pub struct ActivityView {
    pub when: String,
    pub what: String,
    pub place: String,
}

#[derive(Template)]
#[template(path = "my.html")]
pub struct My<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    pub name: String,
    pub address: String,
    pub user_id: String,
    pub alias: Option<String>,
    pub status: String,
    /// The language of the holder's letters and key cards.
    pub language: nyckel_i18n::Lang,
    pub credentials: Vec<CredentialView>,
    pub activity: Vec<ActivityView>,
    pub consents: Vec<ConsentView>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub next: Option<Markup>,
}

#[derive(Template)]
#[template(path = "help.html")]
pub struct Help<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub open_now: bool,
    pub today_hours: Option<String>,
    pub next_open: Option<String>,
    pub weekday_hours: String,
    pub weekend_hours: String,
    pub special_days: Vec<String>,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct Consent<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    pub client_name: String,
    /// Exactly what will be shared, one line each.
    pub shared: Vec<String>,
    pub error: Option<String>,
}

/// RP-initiated logout that nyckel must confirm with the holder (no ID
/// token hint naming them).
#[derive(Template)]
#[template(path = "logout.html")]
pub struct ConfirmLogout<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    pub client_name: Option<String>,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

/// "Are you sure?" before a block, saying what follows.
#[derive(Template)]
#[template(path = "confirm_block.html")]
pub struct ConfirmBlock<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// `password`, `key-card` or `identity`.
    pub what: &'a str,
    pub heading: String,
    /// What follows from the block, one paragraph each.
    pub follows: Vec<String>,
    /// The confirming button's text; none when a press would do nothing.
    pub button: Option<String>,
}

/// "Block your lost key card?", after the password.
#[derive(Template)]
#[template(path = "lost_card.html")]
pub struct LostCard<'a> {
    pub support_phone: &'a str,
    pub t: Tr,
    /// This page's path, for the language switch to return to.
    pub here: &'static str,
    pub csrf: &'a str,
    /// What follows from the block, one paragraph each.
    pub follows: Vec<String>,
    /// The confirming button's text; none when a press would do nothing.
    pub button: Option<String>,
}
