use nyckel_oidc::error::OAuthError;

use super::flow::finish_in;
use super::*;

impl Nyckel {
    /// Ends a login: activates a new identity, trusts the device, opens a
    /// session. Returns the session's CSRF token.
    pub async fn complete_login(
        &self,
        auth: Authentication,
        session_cookie: &str,
        device_cookie: &str,
        ip: &str,
    ) -> Result<String> {
        let mut tx = self.store.write().await?;
        let identity = tx
            .find_identity(auth.identity_id())
            .await?
            .ok_or(StoreError::NotFound)?;
        let done = self
            .complete_login_in(
                &mut tx,
                &identity,
                auth,
                session_cookie,
                Some(device_cookie),
                ip,
                LoginEntry::MyNyckel,
            )
            .await?;
        tx.commit().await?;
        Ok(done.csrf)
    }

    /// [`Nyckel::complete_login`] inside the caller's write transaction, for
    /// the identity the caller read in it.
    ///
    /// The device cookie the browser brought is kept only if this identity
    /// logged in with it before; any other value (planted, or another
    /// holder's) is replaced by one the server mints now, so that nobody
    /// can make a device trusted by handing its cookie to the holder.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_login_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        auth: Authentication,
        session_cookie: &str,
        presented_device: Option<&str>,
        ip: &str,
        entry: LoginEntry,
    ) -> Result<CompletedLogin> {
        if auth.identity_id() != identity.id {
            return Err(StoreError::NotFound.into());
        }
        let now = self.now();
        let activated = identity.status == IdentityStatus::PendingActivation;
        if activated {
            tx.update_identity_activated(&identity.id, now).await?;
            tx.append_audit(
                &NewAuditEvent::new(holder(&identity.user_id), AuditEvent::IdentityActivated)
                    .subject(identity.id.clone()),
                now,
            )
            .await?;
        }
        if auth.methods().contains(&AuthMethod::Password) {
            tx.update_credentials_used(&identity.id, CredentialKind::Password, now)
                .await?;
        }
        let device = match presented_device {
            Some(d) if tx.is_trusted_device(&cookie_hash(d), &identity.id).await? => d.to_owned(),
            _ => random_token(),
        };
        tx.insert_trusted_device(&cookie_hash(&device), &identity.id, now)
            .await?;
        let csrf = random_token();
        let loa = nyckel_core::assurance::level(auth.methods())
            .map(|l| l.as_str())
            .unwrap_or("none");
        let amr: Vec<&str> = nyckel_core::assurance::amr_values(auth.methods());
        tx.insert_session(
            &cookie_hash(session_cookie),
            &identity.id,
            &csrf,
            // The methods themselves, so that single sign-on can tell a provider how.
            &serde_json::to_string(&auth.methods()).unwrap_or_else(|_| "[]".into()),
            loa,
            now,
            now + self.config.session_ttl_secs * 1000,
        )
        .await?;
        if entry == LoginEntry::MyNyckel {
            tx.append_audit(
                &NewAuditEvent::new(
                    holder(&identity.user_id),
                    AuditEvent::LoginSucceeded {
                        service: "My nyckel".into(),
                        client_id: None,
                        scope: None,
                        amr: Some(amr.iter().map(|a| (*a).to_owned()).collect()),
                        loa: Some(loa.to_string()),
                        ip: crate::ip_of(ip),
                    },
                )
                .subject(identity.id.clone()),
                now,
            )
            .await?;
        }
        Ok(CompletedLogin {
            csrf,
            device,
            activated,
        })
    }
}

/// Where an OpenID authorization goes after a login (or with a session).
#[derive(Debug)]
pub enum Authorized {
    /// The login does not meet the request's `acr_values`: redirect this
    /// error to the client; the flow has ended.
    Refused(OAuthError),
    /// Consent is needed but the request said `prompt=none`.
    ConsentRequired(OAuthError),
    /// The holder is asked for consent, in a flow of its own (new id and
    /// CSRF token): set its cookie and show `GET /login`.
    Consent { flow_cookie: String },
    /// A code was issued: redirect to this URL; the flow has ended.
    Code(String),
}

/// What `POST /login/consent` leads to.
#[derive(Debug)]
pub enum ConsentOutcome {
    /// The flow is not at consent: show the step it is at.
    Elsewhere,
    /// The holder declined: redirect `access_denied` for this request.
    Declined(Box<AuthorizationRequest>),
    /// Allowed: redirect to this URL, with the code.
    Code(String),
}

impl Nyckel {
    /// After a login (or with a session) for `req`: asks for consent if
    /// needed, else issues the code. The flow of `old_flow_cookie`, if
    /// any, ends when a consent flow starts.
    pub async fn continue_authorization(
        &self,
        old_flow_cookie: Option<&str>,
        req: &AuthorizationRequest,
        login: ExpectConsent,
        ip: &str,
    ) -> Result<Authorized, LoginError> {
        let level = nyckel_core::assurance::level(&login.methods);
        if let Err(e) = req.check_acr(level) {
            return Ok(Authorized::Refused(e));
        }
        if self.consent_needed(&login.identity_id, req).await? {
            if let Some(e) = req.prompt_none_error(false, true) {
                return Ok(Authorized::ConsentRequired(e));
            }
            let (flow_cookie, _) = self
                .start_flow(
                    old_flow_cookie,
                    Stored::Consent(login),
                    Continuation::Oidc(Box::new(req.clone())),
                    None,
                )
                .await?;
            return Ok(Authorized::Consent { flow_cookie });
        }
        let url = self
            .issue_code(
                req,
                &login.identity_id,
                login.auth_time,
                &login.methods,
                login.sid,
                ip,
            )
            .await?;
        Ok(Authorized::Code(url))
    }

    /// `POST /login/consent`: the flow ends first (once: of two "Allow"s
    /// one goes on), then the consent is recorded and the code issued.
    pub async fn consent_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        allow: bool,
        ip: &str,
    ) -> Result<ConsentOutcome, LoginError> {
        let mut tx = self.store.conn().await?;
        let flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(login) = flow.state.clone().expect_consent() else {
            return Ok(ConsentOutcome::Elsewhere);
        };
        let Continuation::Oidc(req) = flow.continuation.clone() else {
            return Err(LoginError::Expired);
        };
        finish_in(&mut tx, &flow).await?;
        if !allow {
            return Ok(ConsentOutcome::Declined(req));
        }
        let who = tx
            .find_identity(&login.identity_id)
            .await?
            .map(|i| holder(&i.user_id))
            .unwrap_or_default();
        drop(tx);
        self.record_consent(&login.identity_id, &req, &who).await?;
        let url = self
            .issue_code(
                &req,
                &login.identity_id,
                login.auth_time,
                &login.methods,
                login.sid,
                ip,
            )
            .await?;
        Ok(ConsentOutcome::Code(url))
    }
}
