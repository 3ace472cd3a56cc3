//! My nyckel (R-SELF-1): the holder's details from the register, their
//! credentials with a block button each, recent activity, username, logout.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use nyckel_core::alias::{Alias, AliasRejection};
use nyckel_core::credential::{Actor, CredentialKind, CredentialStatus, TransitionError};
use nyckel_core::secret::ct_eq;
use serde::Deserialize;

use super::login::{CsrfForm, ReportForm};
use super::{
    AppState, PageLang, SESSION_COOKIE, WebError, logged_out, message, pages, removal, render,
    support_hint,
};
use nyckel_i18n::{Arg, Tr};
use nyckel_service::my::AliasSet;
use nyckel_service::{BlockTarget, CardReplacement, LiveSession};

/// The holder of the browser's live session.
async fn holder(s: &AppState, jar: &CookieJar) -> Result<LiveSession, WebError> {
    super::live_session(s, jar)
        .await?
        .ok_or(WebError::NoSession)
}

/// The holder, for a form whose CSRF token must be the session's.
pub(crate) async fn holder_for_post(
    s: &AppState,
    jar: &CookieJar,
    csrf: &str,
) -> Result<LiveSession, WebError> {
    let h = holder(s, jar).await?;
    if !ct_eq(h.row.csrf.as_bytes(), csrf.as_bytes()) {
        return Err(WebError::Csrf);
    }
    Ok(h)
}

/// What a consent gives the service, from the claims it releases
/// ([`nyckel_oidc::tokens::scope_claims`], as the consent screen says it).
fn consent_text(t: Tr, claims: &std::collections::BTreeSet<&'static str>) -> String {
    let yes = |b: bool| if b { "yes" } else { "no" };
    t.with(
        "consent-gives",
        &[
            ("name", Arg::Text(yes(claims.contains("name")))),
            (
                "cpr",
                Arg::Text(yes(claims.contains(nyckel_oidc::tokens::CLAIM_CPR))),
            ),
        ],
    )
}

#[derive(Deserialize)]
pub(crate) struct WithdrawForm {
    csrf: String,
    client_id: String,
}

/// Withdraws the holder's consent for a service.
pub(crate) async fn withdraw(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<WithdrawForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let who = format!("holder:{}", h.identity.user_id);
        s.nyckel
            .withdraw_consent(&h.identity.id, &f.client_id, &who)
            .await?;
        Ok::<_, WebError>(Redirect::to("/my?done=withdrawn").into_response())
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct Notice {
    done: Option<String>,
}

/// The notice after a redirect (`?done=`): one of a fixed set, so a link
/// cannot put words on the page.
fn notice_text(t: Tr, done: &str) -> Option<String> {
    Some(t.get(match done {
        "blocked-password" => "notice-blocked-password",
        "ready" => "notice-ready",
        "password" => "notice-password",
        "alias" => "notice-alias",
        "withdrawn" => "notice-withdrawn",
        "language" => "notice-language",
        "reported" => "report-thanks",
        _ => return None,
    }))
}

pub(crate) async fn show(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Query(q): Query<Notice>,
) -> Response {
    let t = lang.tr();
    let notice = q.done.as_deref().and_then(|d| notice_text(t, d));
    page(&s, t, &jar, notice, None, StatusCode::OK)
        .await
        .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

async fn page(
    s: &AppState,
    t: Tr,
    jar: &CookieJar,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let h = holder(s, jar).await?;
    let Some(data) = s.nyckel.my_page(&h.identity).await? else {
        return Err(WebError::NoSession);
    };
    let credentials = data
        .credentials
        .iter()
        .filter(|c| {
            !matches!(
                c.status,
                CredentialStatus::Retired | CredentialStatus::Revoked
            )
        })
        .filter(|c| c.kind != CredentialKind::ActivationCode)
        .map(|c| pages::CredentialView {
            name: match (&c.label, c.kind) {
                (Some(l), CredentialKind::KeyCard) => t.arg("credential-key-card", "card", l),
                _ => t.arg("credential-name", "kind", c.kind),
            },
            status: t.arg("credential-status", "status", c.status),
            active: c.status == CredentialStatus::Active,
            created: t.date_time(c.created_at),
            last_used: c
                .last_used_at
                .map_or_else(|| t.get("my-never-used"), |at| t.date_time(at)),
            keys_left: data.keys_left.get(&c.id).map(|left| {
                let total = i64::try_from(nyckel_core::keycard::KEYS_PER_CARD).unwrap_or(148);
                t.with(
                    "keys-left",
                    &[("left", Arg::Number(*left)), ("total", Arg::Number(total))],
                )
            }),
            block_what: match c.kind {
                _ if c.status.is_blocked() => None,
                CredentialKind::Password => Some("password"),
                CredentialKind::KeyCard => Some("key-card"),
                _ => None,
            },
        })
        .collect();
    let activity = data
        .activity
        .iter()
        .map(|e| {
            let event = e.event();
            pages::ActivityView {
                when: t.date_time(e.at),
                what: super::activity::text(t, &event),
                place: super::activity::place(&event),
            }
        })
        .collect();
    let next = error.as_ref().map(|_| support_hint(s, t));
    Ok(render(
        status,
        &pages::My {
            support_phone: s.phone(),
            t,
            here: "/my",
            csrf: &h.row.csrf,
            name: data.person.record.full_name(),
            address: data.person.record.address.clone(),
            user_id: h.identity.user_id.to_string(),
            alias: h.identity.alias.clone(),
            status: t.arg("identity-status", "status", h.identity.status),
            language: h.identity.language,
            credentials,
            activity,
            consents: data
                .consents
                .into_iter()
                .map(|c| pages::ConsentView {
                    what: consent_text(t, &c.claims),
                    client_id: c.client_id,
                    name: c.client_name,
                    since: t.date_time(c.since),
                })
                .collect(),
            notice,
            error,
            next,
        },
    ))
}

#[derive(Deserialize)]
pub(crate) struct BlockForm {
    csrf: String,
    what: String,
    /// `yes` from the confirmation page; without it the page is shown.
    confirmed: Option<String>,
}

/// The address a new card goes to, as a page may show it: in full to a
/// holder logged in with both factors, else (the password alone, on "Lost
/// your key card?") only its postcode and town
/// ([`nyckel_core::cpr::postal_area`]), or no part of it when it has no
/// postcode, so that a guessed password does not reveal where somebody
/// lives.
pub(crate) fn shown_address(t: Tr, address: &str, logged_in: bool) -> String {
    if logged_in {
        return address.to_owned();
    }
    match nyckel_core::cpr::postal_area(address) {
        Some(area) => area.to_owned(),
        None => t.get("address-unshown"),
    }
}

/// What blocking the key card leads to, in words, and the button's text:
/// on My nyckel's confirmation and on "Lost your key card?" (`logged_in`
/// false: the address shortened, [`shown_address`]).
pub(crate) fn card_block_follows(
    t: Tr,
    p: &nyckel_service::CardBlockPreview,
    logged_in: bool,
) -> (Vec<String>, Option<String>) {
    use nyckel_service::NextCard;
    let address = shown_address(t, &p.address, logged_in);
    let mut follows = vec![if p.blocks.is_empty() {
        t.get("confirm-block-key-card-none")
    } else {
        t.arg("confirm-block-key-card-text", "card", p.blocks.join(", "))
    }];
    let max = nyckel_service::EXTRA_CARDS_PER_YEAR;
    follows.push(match &p.next {
        NextCard::New => t.with(
            "confirm-block-key-card-new",
            &[("address", Arg::Text(&address)), ("max", Arg::Number(max))],
        ),
        NextCard::OnItsWay(card) => t.with(
            "confirm-block-key-card-on-its-way",
            &[("card", Arg::Text(card)), ("address", Arg::Text(&address))],
        ),
        NextCard::LimitReached => t.count("confirm-block-key-card-limit", "max", max),
    });
    // With nothing to block and no card to order, a press would do
    // nothing: no button, only the way back.
    let button = match (&p.next, p.blocks.is_empty()) {
        (NextCard::New, false) => Some("confirm-block-key-card-button"),
        (NextCard::New, true) => Some("confirm-order-card-button"),
        (_, false) => Some("confirm-block-key-card-only"),
        (_, true) => None,
    };
    (follows, button.map(|b| t.get(b)))
}

/// "Block …?": what the block leads to, before it is done.
async fn confirm_block(
    s: &AppState,
    t: Tr,
    h: &LiveSession,
    target: BlockTarget,
    what: &str,
) -> Result<Response, WebError> {
    let (heading, follows, button) = match target {
        BlockTarget::KeyCard => {
            let preview = s.nyckel.card_block_preview(&h.identity.id).await?;
            let (follows, button) = card_block_follows(t, &preview, true);
            (t.get("confirm-block-key-card-heading"), follows, button)
        }
        BlockTarget::Password => (
            t.get("confirm-block-password-heading"),
            vec![t.get("confirm-block-password-text")],
            Some(t.get("confirm-block-password-button")),
        ),
        BlockTarget::Identity => (
            t.get("confirm-block-identity-heading"),
            vec![t.get("confirm-block-identity-text")],
            Some(t.get("my-block-all-button")),
        ),
    };
    Ok(render(
        StatusCode::OK,
        &pages::ConfirmBlock {
            support_phone: s.phone(),
            t,
            here: "/my",
            csrf: &h.row.csrf,
            what,
            heading,
            follows,
            button,
        },
    ))
}

/// What blocking a lost card (or ordering a new one) led to. `logged_in`:
/// in My nyckel (else on the public "Lost your key card?" page).
pub(crate) fn card_outcome(
    s: &AppState,
    t: Tr,
    r: CardReplacement,
    blocking: bool,
    logged_in: bool,
) -> Response {
    let heading = |blocked: usize| {
        t.get(if blocked > 0 || blocking {
            "card-replaced-heading"
        } else {
            "card-ordered-heading"
        })
    };
    let say = |status, heading: String, text: String, next| {
        if logged_in {
            message(s, t, status, &heading, text, next, true)
        } else {
            logged_out(s, t, &heading, text, next)
        }
    };
    match r {
        CardReplacement::Ordered {
            blocked,
            card_id,
            address,
        } => {
            let text = t.with(
                if blocking {
                    "card-replaced-text"
                } else {
                    "card-ordered-text"
                },
                &[
                    ("card", Arg::Text(&card_id)),
                    ("address", Arg::Text(&shown_address(t, &address, logged_in))),
                ],
            );
            say(StatusCode::OK, heading(blocked), text, None)
        }
        CardReplacement::OnItsWay { blocked, card_id } => say(
            StatusCode::OK,
            heading(blocked),
            t.arg("card-on-its-way-text", "card", card_id),
            None,
        ),
        CardReplacement::LimitReached { blocked } => say(
            StatusCode::CONFLICT,
            heading(blocked),
            t.arg(
                "card-limit-text",
                "max",
                nyckel_service::EXTRA_CARDS_PER_YEAR,
            ),
            Some(support_hint(s, t)),
        ),
    }
}

/// Orders a new key card without blocking the one in use.
pub(crate) async fn order_card(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let who = format!("holder:{}", h.identity.user_id);
        let r = s
            .nyckel
            .replace_key_card(
                &h.identity.id,
                Actor::Holder,
                &who,
                "ordered by the holder in My nyckel",
                false,
            )
            .await?;
        Ok::<_, WebError>(card_outcome(&s, lang.tr(), r, false, true))
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}

pub(crate) async fn block(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<BlockForm>,
) -> Response {
    async {
        let t = lang.tr();
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let Ok(target) = f.what.parse::<BlockTarget>() else {
            return page(
                &s,
                t,
                &jar,
                None,
                Some(t.get("my-choose-what")),
                StatusCode::BAD_REQUEST,
            )
            .await;
        };
        if f.confirmed.as_deref() != Some("yes") {
            return confirm_block(&s, t, &h, target, &f.what).await;
        }
        let who = format!("holder:{}", h.identity.user_id);
        if target == BlockTarget::KeyCard {
            // A blocked card is replaced: a new one to the register's address.
            let r = s
                .nyckel
                .replace_key_card(
                    &h.identity.id,
                    Actor::Holder,
                    &who,
                    "blocked by the holder in My nyckel",
                    true,
                )
                .await?;
            return Ok(card_outcome(&s, t, r, true, true));
        }
        match s
            .nyckel
            .block(
                &h.identity.id,
                target,
                Actor::Holder,
                &who,
                "blocked by the holder in My nyckel",
            )
            .await?
        {
            Err(e) => {
                let reason = match e {
                    TransitionError::AlreadyBlocked => "already-blocked",
                    TransitionError::Final => "final",
                    TransitionError::NeedsSupport => "needs-support",
                    _ => "nothing",
                };
                let text = t.arg("my-block-failed", "reason", reason);
                page(&s, t, &jar, None, Some(text), StatusCode::CONFLICT).await
            }
            Ok(_) if target == BlockTarget::Identity => Ok((
                jar.clone().remove(removal(&s, SESSION_COOKIE)),
                logged_out(
                    &s,
                    t,
                    &t.get("blocked-all-heading"),
                    t.get("blocked-all-text"),
                    Some(t.html2(
                        "blocked-all-next-html",
                        "tel",
                        super::tel(s.phone()),
                        "phone",
                        s.phone(),
                    )),
                ),
            )
                .into_response()),
            Ok(_) => Ok(Redirect::to(&format!("/my?done=blocked-{}", f.what)).into_response()),
        }
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct LanguageForm {
    csrf: String,
    language: String,
}

/// The language of the holder's letters, key cards and code app.
pub(crate) async fn language(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<LanguageForm>,
) -> Response {
    async {
        let t = lang.tr();
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let Ok(language) = f.language.parse::<nyckel_i18n::Lang>() else {
            return page(
                &s,
                t,
                &jar,
                None,
                Some(t.get("my-language-unknown")),
                StatusCode::BAD_REQUEST,
            )
            .await;
        };
        s.nyckel.set_language(&h.identity, language).await?;
        Ok(Redirect::to("/my?done=language").into_response())
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct AliasForm {
    csrf: String,
    alias: String,
}

pub(crate) async fn alias(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<AliasForm>,
) -> Response {
    async {
        let t = lang.tr();
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let alias = match Alias::parse(&f.alias) {
            Ok(a) => a,
            Err(e) => {
                let reason = match e {
                    AliasRejection::TooShort => "too-short",
                    AliasRejection::TooLong => "too-long",
                    AliasRejection::InvalidCharacter => "character",
                    AliasRejection::NoLetter => "no-letter",
                };
                return page(
                    &s,
                    t,
                    &jar,
                    None,
                    Some(t.arg("alias-refused", "reason", reason)),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        };
        if s.nyckel.set_alias(&h.identity, &alias).await? == AliasSet::Taken {
            return page(
                &s,
                t,
                &jar,
                None,
                Some(t.get("alias-taken")),
                StatusCode::CONFLICT,
            )
            .await;
        }
        Ok(Redirect::to("/my?done=alias").into_response())
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s, lang.tr()))
}

pub(crate) async fn report(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<ReportForm>,
) -> Response {
    async {
        let t = lang.tr();
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        let note = f.note.trim();
        if note.is_empty() || note.chars().count() > 1000 {
            return page(
                &s,
                t,
                &jar,
                None,
                Some(t.get("report-invalid")),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        if !s.nyckel.report_register(&h.identity.id, note).await? {
            return Err(WebError::NoSession);
        }
        Ok(Redirect::to("/my?done=reported").into_response())
    }
    .await
    .unwrap_or_else(|e: WebError| e.into_page(&s, lang.tr()))
}

#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    csrf: String,
    /// Set when a provider asked for the logout and the holder confirmed it.
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The logout button: in My nyckel, or on the page that confirms a
/// provider's logout request.
pub(crate) async fn logout(
    State(s): State<AppState>,
    lang: PageLang,
    jar: CookieJar,
    Form(f): Form<LogoutForm>,
) -> Response {
    async {
        let h = holder_for_post(&s, &jar, &f.csrf).await?;
        s.nyckel.end_session(&h).await?;
        super::oidc::after_logout(
            &s,
            lang.tr(),
            jar.clone().remove(removal(&s, SESSION_COOKIE)),
            f.client_id.as_deref(),
            f.post_logout_redirect_uri.as_deref(),
            f.state.as_deref(),
        )
        .await
    }
    .await
    .unwrap_or_else(|e| e.into_page(&s, lang.tr()))
}
