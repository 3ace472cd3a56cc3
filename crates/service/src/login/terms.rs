use super::flow::{Flow, save_in};
use super::*;

impl Nyckel {
    pub async fn accept_terms(&self, identity: &IdentityRow) -> Result<()> {
        let mut tx = self.store.write().await?;
        self.accept_terms_in(&mut tx, identity).await?;
        tx.commit().await.map_err(Into::into)
    }

    /// [`Nyckel::accept_terms`] in the caller's write transaction.
    pub async fn accept_terms_in(&self, tx: &mut Tx, identity: &IdentityRow) -> Result<()> {
        let now = self.now();
        let current = tx
            .find_identity(&identity.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if nyckel_core::terms::must_accept(current.terms_version) {
            tx.insert_terms_acceptance(&identity.id, nyckel_core::terms::VERSION, now)
                .await?;
            tx.append_audit(
                &NewAuditEvent::new(
                    holder(&identity.user_id),
                    AuditEvent::TermsAccepted {
                        version: nyckel_core::terms::VERSION,
                    },
                )
                .subject(identity.id.clone()),
                now,
            )
            .await?;
        }
        Ok(())
    }
}

impl Nyckel {
    /// `POST /login/terms`: the acceptance is stored with the flow's move.
    pub async fn terms_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        accepted: bool,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.write().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(state) = flow.state.clone().expect_terms() else {
            return Ok(Outcome::Elsewhere);
        };
        if !accepted {
            drop(tx);
            return self.again(&mut flow, Problem::TermsNotAccepted).await;
        }
        let identity = tx
            .find_identity(&state.identity_id)
            .await?
            .ok_or(LoginError::Expired)?;
        flow.state = Stored::KeyCard(state.accepted());
        save_in(&mut tx, &mut flow).await?;
        self.accept_terms_in(&mut tx, &identity).await?;
        tx.commit().await?;
        Ok(Outcome::Next)
    }

    /// `POST /login/report` on the terms page: the holder says the
    /// register's details shown are wrong (R-SELF-1). Recorded with the
    /// flow's move; the terms are still to be accepted.
    pub async fn report_step(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        note: &str,
    ) -> Result<Outcome, LoginError> {
        let mut tx = self.store.write().await?;
        let mut flow = self.load_for_post_in(&mut tx, cookie, csrf).await?;
        let Ok(state) = flow.state.clone().expect_terms() else {
            return Ok(Outcome::Elsewhere);
        };
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 1000 {
            drop(tx);
            return self.again(&mut flow, Problem::ReportInvalid).await;
        }
        let identity_id = state.identity_id.clone();
        flow.state = Stored::Terms(state.reported());
        save_in(&mut tx, &mut flow).await?;
        if !self.report_register_in(&mut tx, &identity_id, note).await? {
            return Err(LoginError::Expired);
        }
        tx.commit().await?;
        Ok(Outcome::Next)
    }

    /// The page of the step the flow is at, saying what was wrong.
    async fn again(&self, flow: &mut Flow, problem: Problem) -> Result<Outcome, LoginError> {
        Ok(match self.show(flow).await? {
            Outcome::Show(shown) => Outcome::Again(shown, problem),
            other => other,
        })
    }
}
