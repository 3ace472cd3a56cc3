use super::flow::save_in;
use super::*;

impl Nyckel {
    /// The identity a login name points to, if any. Unknown names are not an
    /// error: the flow goes on to the password step all the same.
    pub async fn resolve_login_name(&self, name: &LoginName) -> Result<Option<IdentityRow>> {
        let mut tx = self.store.read().await?;
        let identity = self.resolve_login_name_in(&mut tx, name).await?;
        tx.commit().await?;
        Ok(identity)
    }

    /// [`Nyckel::resolve_login_name`] inside the caller's transaction.
    pub async fn resolve_login_name_in(
        &self,
        tx: &mut Tx,
        name: &LoginName,
    ) -> Result<Option<IdentityRow>> {
        let identity = match name {
            LoginName::UserId(u) => tx.find_identity_by_user_id(u).await?,
            LoginName::Alias(a) => tx.find_identity_by_alias(a).await?,
            LoginName::Cpr(c) => match tx.find_person_by_cpr(c).await? {
                Some(p) => tx.find_live_identity_of_person(&p.id).await?,
                None => None,
            },
        };
        Ok(identity.filter(|i| i.status != IdentityStatus::Revoked))
    }
}

impl Nyckel {
    /// The keyed hash under which wrong passwords for a name that matches
    /// nobody are counted: of the name in its normal form (a user ID's
    /// digits, a CPR number's ten digits, a username as matched), so that
    /// `070761-4285` and `0707614285` count together.
    pub(crate) fn name_key(&self, name: &LoginName) -> String {
        let normal = match name {
            LoginName::UserId(u) => format!("user-id:{u}"),
            LoginName::Cpr(c) => format!("cpr:{}", c.compact()),
            LoginName::Alias(a) => format!("username:{}", a.as_str()),
        };
        self.secret.keyed_hash("nyckel/login-name/v1", &[&normal])
    }

    /// The key an identity's failures are counted under when no typed
    /// name came with them (a change of password: the name was not asked),
    /// in the same space as [`Nyckel::name_key`].
    pub(crate) fn identity_name_key(&self, identity_id: &str) -> String {
        let normal = format!("identity:{identity_id}");
        self.secret.keyed_hash("nyckel/login-name/v1", &[&normal])
    }

    /// `POST /login/identify`: the name is parsed and looked up, and the
    /// flow goes on to the password whether or not it names anybody. One
    /// statement moves the flow, so no transaction of its own. The
    /// password page is shown at once: it needs no database.
    pub async fn identify_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        login_name: &str,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.conn().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        // A change of password is for the holder of the session that
        // started it: its flow never takes another name.
        if !matches!(flow.state, Stored::Identify(_) | Stored::Password(_))
            || flow.continuation == Continuation::ChangePassword
        {
            return Ok(Outcome::Elsewhere);
        }
        let name = match LoginName::parse(login_name, self.today()) {
            Ok(n) => n,
            Err(e) => {
                return Ok(Outcome::Again(
                    flow.shown(LoginView::Identify),
                    Problem::InvalidName(e.to_string()),
                ));
            }
        };
        let identity = self.resolve_login_name_in(&mut tx, &name).await?;
        // Kept for known names too: a holder whose password is blocked (or
        // who has none) is counted under it as an unknown name is.
        let name_key = Some(self.name_key(&name));
        let shown = match &name {
            LoginName::UserId(u) => u.to_string(),
            LoginName::Cpr(c) => c.masked(),
            LoginName::Alias(a) => a.as_str().to_owned(),
        };
        let mut next = flow
            .state
            .clone()
            .identify(identity.map(|i| i.id), shown)
            .map_err(|_| LoginError::Moved)?;
        next.name_key = name_key;
        let view = LoginView::Password {
            login_name: next.login_name.clone(),
        };
        flow.state = Stored::Password(next);
        save_in(&mut tx, &mut flow).await?;
        Ok(Outcome::Show(flow.shown(view)))
    }
}
