//! Identities (the holder's key), enrollments, terms acceptance and reports.

use crate::db::{Row, query};
use nyckel_core::alias::Alias;
use nyckel_core::credential::IdentityStatus;
use nyckel_core::ids::UserId;
use nyckel_core::lang::Lang;

use crate::{Result, StoreError, Tx, corrupt, new_id, parse};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRow {
    pub id: String,
    pub person_id: String,
    pub user_id: UserId,
    /// The username for people to read: as the holder typed it
    /// ([`Alias::display`]), or its key for one chosen before the display
    /// form was kept (migration 0009).
    pub alias: Option<String>,
    /// The username's match key ([`Alias::as_str`]), unique: what a login
    /// name is looked up by. Never shown.
    pub alias_key: Option<String>,
    pub status: IdentityStatus,
    pub status_reason: Option<String>,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub terms_version: Option<u32>,
    pub key_card_threshold: i64,
    /// The holder's language for letters, key cards and the code app.
    pub language: Lang,
}

const IDENTITY_COLUMNS: &str = "id, person_id, user_id, alias, alias_display, status, status_reason, created_at, activated_at, terms_version, key_card_threshold, language";

fn identity_from_row(row: &Row) -> Result<IdentityRow> {
    let user_id: String = row.try_get("user_id")?;
    let status: String = row.try_get("status")?;
    let terms: Option<i64> = row.try_get("terms_version")?;
    let language: String = row.try_get("language")?;
    let alias_key: Option<String> = row.try_get("alias")?;
    let alias_display: Option<String> = row.try_get("alias_display")?;
    Ok(IdentityRow {
        id: row.try_get("id")?,
        person_id: row.try_get("person_id")?,
        user_id: UserId::parse(&user_id).map_err(|_| corrupt("bad stored user ID"))?,
        alias: alias_display.or_else(|| alias_key.clone()),
        alias_key,
        status: parse(&status, "identity status")?,
        status_reason: row.try_get("status_reason")?,
        created_at: row.try_get("created_at")?,
        activated_at: row.try_get("activated_at")?,
        terms_version: terms.map(|v| u32::try_from(v).unwrap_or(0)),
        key_card_threshold: row.try_get("key_card_threshold")?,
        language: parse(&language, "identity language")?,
    })
}

/// An enrollment decision, accepted or refused, as recorded.
#[derive(Debug, Clone)]
pub struct NewEnrollment<'a> {
    pub person_id: Option<&'a str>,
    pub identity_id: Option<&'a str>,
    pub channel: &'a str,
    pub documents: &'a [String],
    pub witness_person_id: Option<&'a str>,
    pub refusal_rule: Option<&'a str>,
    pub officer: &'a str,
}

impl Tx {
    async fn find_identity_where(
        &mut self,
        clause: &str,
        value: &str,
    ) -> Result<Option<IdentityRow>> {
        let sql = format!("SELECT {IDENTITY_COLUMNS} FROM identities WHERE {clause}");
        let row = query(sql)
            .bind(value.to_owned())
            .fetch_optional(self)
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    pub async fn find_identity(&mut self, id: &str) -> Result<Option<IdentityRow>> {
        self.find_identity_where("id = $1", id).await
    }

    /// Holds the identity's row until this write transaction ends, so that
    /// a check and the change it guards (a count of recent tries and the
    /// try recorded) cannot interleave with another transaction's for the
    /// same identity. PostgreSQL: a row lock (`FOR UPDATE`). SQLite: a
    /// write transaction already excludes every other writer.
    pub async fn lock_identity(&mut self, id: &str) -> Result<()> {
        if self.dialect() == crate::Dialect::Postgres {
            query("SELECT id FROM identities WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(self)
                .await?;
        }
        Ok(())
    }

    pub async fn find_identity_by_user_id(
        &mut self,
        user_id: &UserId,
    ) -> Result<Option<IdentityRow>> {
        self.find_identity_where("user_id = $1", &user_id.to_string())
            .await
    }

    /// The identity whose username has `alias`'s key, however it was typed.
    pub async fn find_identity_by_alias(&mut self, alias: &Alias) -> Result<Option<IdentityRow>> {
        self.find_identity_where("alias = $1", alias.as_str()).await
    }

    /// The person's live (not revoked) identity, if any (R-ENR-5: at most one).
    pub async fn find_live_identity_of_person(
        &mut self,
        person_id: &str,
    ) -> Result<Option<IdentityRow>> {
        self.find_identity_where("person_id = $1 AND status <> 'revoked'", person_id)
            .await
    }

    /// Creates an identity pending activation. A user ID collision (1 in 900
    /// million per existing holder) is reported as a conflict to retry.
    pub async fn insert_identity(
        &mut self,
        person_id: &str,
        user_id: &UserId,
        language: Lang,
        now: i64,
    ) -> Result<IdentityRow> {
        let id = new_id();
        let r = query(
            "INSERT INTO identities (id, person_id, user_id, status, created_at, status_changed_at, language) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.clone())
        .bind(person_id)
        .bind(user_id.to_string())
        .bind(IdentityStatus::PendingActivation.as_str())
        .bind(now)
        .bind(now)
        .bind(language.code())
        .execute(self)
        .await;
        match r {
            // No query may follow a failed statement in a PostgreSQL
            // transaction: tell the two constraints apart by name.
            Err(e) if e.is_unique_violation() && e.to_string().contains("person") => {
                Err(StoreError::Conflict("the person already has an identity"))
            }
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict("user ID taken")),
            Err(e) => Err(e),
            Ok(_) => self.find_identity(&id).await?.ok_or(StoreError::NotFound),
        }
    }

    pub async fn update_identity_status(
        &mut self,
        id: &str,
        status: IdentityStatus,
        reason: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let r = query("UPDATE identities SET status = $1, status_reason = $2, status_changed_at = $3 WHERE id = $4")
            .bind(status.as_str())
            .bind(reason.map(str::to_owned))
            .bind(now)
            .bind(id)
            .execute(self)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn update_identity_activated(&mut self, id: &str, now: i64) -> Result<()> {
        query(
            "UPDATE identities SET status = 'active', activated_at = $1, status_changed_at = $2 WHERE id = $3 AND status = 'pending-activation'",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    /// How many unused keys trigger a new key card (NemID: 20; the holder may change it).
    pub async fn update_identity_key_card_threshold(
        &mut self,
        id: &str,
        threshold: i64,
    ) -> Result<()> {
        query("UPDATE identities SET key_card_threshold = $1 WHERE id = $2")
            .bind(threshold)
            .bind(id)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Sets the holder's language for letters, key cards and the code app.
    pub async fn update_identity_language(&mut self, id: &str, language: Lang) -> Result<()> {
        query("UPDATE identities SET language = $1 WHERE id = $2")
            .bind(language.code())
            .bind(id)
            .execute(self)
            .await?;
        Ok(())
    }

    /// Sets or clears the username: its key (unique) and its display form.
    /// A key another identity has is a conflict, decided by the unique
    /// index, so two holders setting variants of one username at once
    /// cannot both have it. The identity's own key again (a change of
    /// case only) is no conflict.
    pub async fn update_identity_alias(&mut self, id: &str, alias: Option<&Alias>) -> Result<()> {
        let r = query("UPDATE identities SET alias = $1, alias_display = $2 WHERE id = $3")
            .bind(alias.map(|a| a.as_str().to_owned()))
            .bind(alias.map(|a| a.display().to_owned()))
            .bind(id)
            .execute(self)
            .await;
        match r {
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict("alias taken")),
            Err(e) => Err(e),
            Ok(_) => Ok(()),
        }
    }

    pub async fn insert_terms_acceptance(
        &mut self,
        identity_id: &str,
        version: u32,
        now: i64,
    ) -> Result<()> {
        query(
            "INSERT INTO terms_acceptances (identity_id, version, accepted_at) VALUES ($1, $2, $3)",
        )
        .bind(identity_id)
        .bind(i64::from(version))
        .bind(now)
        .execute(self)
        .await?;
        query("UPDATE identities SET terms_version = $1, terms_accepted_at = $2 WHERE id = $3")
            .bind(i64::from(version))
            .bind(now)
            .bind(identity_id)
            .execute(self)
            .await?;
        Ok(())
    }

    pub async fn insert_enrollment(&mut self, e: &NewEnrollment<'_>, now: i64) -> Result<String> {
        let id = new_id();
        let documents = serde_json::to_string(e.documents).map_err(corrupt)?;
        query(
            "INSERT INTO enrollments (id, person_id, identity_id, channel, documents, witness_person_id, outcome, refusal_rule, officer, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.clone())
        .bind(e.person_id.map(str::to_owned))
        .bind(e.identity_id.map(str::to_owned))
        .bind(e.channel)
        .bind(documents)
        .bind(e.witness_person_id.map(str::to_owned))
        .bind(if e.refusal_rule.is_some() { "refused" } else { "accepted" })
        .bind(e.refusal_rule.map(str::to_owned))
        .bind(e.officer)
        .bind(now)
        .execute(self)
        .await?;
        Ok(id)
    }

    pub async fn insert_register_report(
        &mut self,
        identity_id: &str,
        person_id: &str,
        note: &str,
        now: i64,
    ) -> Result<String> {
        let id = new_id();
        query(
            "INSERT INTO register_reports (id, identity_id, person_id, note, status, reported_at) VALUES ($1, $2, $3, $4, 'open', $5)",
        )
        .bind(id.clone())
        .bind(identity_id)
        .bind(person_id)
        .bind(note)
        .bind(now)
        .execute(self)
        .await?;
        Ok(id)
    }

    pub async fn count_register_reports(&mut self, identity_id: &str) -> Result<i64> {
        let row = query("SELECT COUNT(*) AS n FROM register_reports WHERE identity_id = $1")
            .bind(identity_id)
            .fetch_one(self)
            .await?;
        row.try_get("n")
    }
}
