//! Enrollment (R-ENR): the rules decide (`nyckel_core::enrollment`); this
//! records the identity, its credentials and letters, audited, in one
//! transaction.

use nyckel_core::audit::{AuditEvent, NewAuditEvent};
use nyckel_core::cpr::Cpr;
use nyckel_core::credential::{CredentialKind, CredentialStatus};
use nyckel_core::enrollment::{self, Channel, DocumentKind, EnrollmentRequest, Witness};
use nyckel_core::ids::UserId;
use nyckel_core::keycard::{self, PrintedKeyCard};
use nyckel_core::secret::SecretString;
use nyckel_store::{
    IdentityRow, NewCredential, NewEnrollment, NewLetter, PersonRow, StoreError, Tx,
};
use rand::RngExt;
use serde_json::json;

use nyckel_core::lang::Lang;
use nyckel_i18n::{Arg, Tr};

use crate::*;

/// An enrollment the rules accepted.
#[derive(Debug)]
pub struct Enrolled {
    pub identity_id: String,
    pub user_id: UserId,
    pub activation_code: SecretString,
    pub key_card: PrintedKeyCard,
    pub letters: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("refused ({rule}): {reason}")]
    Refused { rule: &'static str, reason: String },
    #[error(transparent)]
    Internal(#[from] ServiceError),
}

impl From<StoreError> for EnrollError {
    fn from(e: StoreError) -> Self {
        EnrollError::Internal(e.into())
    }
}

impl Nyckel {
    // ----- enrollment (R-ENR) -----

    pub async fn enroll(
        &self,
        cpr: &Cpr,
        channel: Channel,
        documents: &[DocumentKind],
        witness_cpr: Option<&Cpr>,
        language: Lang,
        officer: &str,
    ) -> Result<Enrolled, EnrollError> {
        let now = self.now();
        let today = self.today();
        let mut tx = self.store.write().await?;
        let docs: Vec<String> = documents.iter().map(|d| d.as_str().to_owned()).collect();
        let actor = format!("operator:{officer}");

        let Some(person) = tx.find_person_by_cpr(cpr).await? else {
            return self
                .refuse(
                    tx,
                    None,
                    channel,
                    &docs,
                    None,
                    officer,
                    "R-CPR-2 population register",
                    "no person with this CPR number is in the population register",
                    now,
                )
                .await;
        };
        let witness = match witness_cpr {
            None => None,
            Some(w) => {
                let row = tx.find_person_by_cpr(w).await?;
                Some((
                    row.as_ref().map(|r| r.id.clone()),
                    Witness {
                        cpr: *w,
                        known_in_register: row.is_some(),
                        residence: row.as_ref().map(|r| r.record.residence),
                        age: w.birth_date().age_on(today),
                        sworn_statement: true,
                    },
                ))
            }
        };
        let has_active_identity = tx.find_live_identity_of_person(&person.id).await?.is_some();
        let req = EnrollmentRequest {
            birth_date: cpr.birth_date(),
            residence: person.record.residence,
            has_active_identity,
            channel,
            documents: documents.to_vec(),
            witness: witness.as_ref().map(|(_, w)| w.clone()),
            applicant_cpr: *cpr,
            today,
        };
        let witness_person = witness.as_ref().and_then(|(id, _)| id.clone());
        if let Err(refusal) = enrollment::check_eligibility(&req) {
            return self
                .refuse(
                    tx,
                    Some(&person.id),
                    channel,
                    &docs,
                    witness_person.as_deref(),
                    officer,
                    refusal.rule(),
                    &refusal.to_string(),
                    now,
                )
                .await;
        }

        // A fresh user ID: check before inserting, as a failed INSERT would
        // abort a PostgreSQL transaction.
        let mut user_id = UserId::random(&mut rand::rng());
        while tx.find_identity_by_user_id(&user_id).await?.is_some() {
            user_id = UserId::random(&mut rand::rng());
        }
        let mut identity = tx
            .insert_identity(&person.id, &user_id, language, now)
            .await?;
        let threshold = i64::try_from(self.config.key_card_reorder_threshold).unwrap_or(20);
        if threshold != identity.key_card_threshold {
            tx.update_identity_key_card_threshold(&identity.id, threshold)
                .await?;
            identity.key_card_threshold = threshold;
        }
        let (activation_code, letter1) = self
            .issue_activation_code(&mut tx, &identity, &person, now)
            .await?;
        let (key_card, letter2) = self
            .issue_key_card(
                &mut tx,
                &identity,
                &person,
                CredentialStatus::Active,
                None,
                now,
            )
            .await?;
        tx.insert_enrollment(
            &NewEnrollment {
                person_id: Some(&person.id),
                identity_id: Some(&identity.id),
                channel: channel.as_str(),
                documents: &docs,
                witness_person_id: witness_person.as_deref(),
                refusal_rule: None,
                officer,
            },
            now,
        )
        .await?;
        tx.append_audit(
            &NewAuditEvent::new(
                actor,
                AuditEvent::EnrollmentAccepted {
                    user_id: user_id.to_string(),
                    channel: channel.as_str().into(),
                    documents: docs.clone(),
                    witness: witness_person.is_some(),
                    letters: vec![letter1.clone(), letter2.clone()],
                },
            )
            .subject(identity.id.clone()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Enrolled {
            identity_id: identity.id,
            user_id,
            activation_code,
            key_card,
            letters: vec![letter1, letter2],
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn refuse(
        &self,
        mut tx: Tx,
        person_id: Option<&str>,
        channel: Channel,
        docs: &[String],
        witness_person_id: Option<&str>,
        officer: &str,
        rule: &'static str,
        reason: &str,
        now: i64,
    ) -> Result<Enrolled, EnrollError> {
        tx.insert_enrollment(
            &NewEnrollment {
                person_id,
                identity_id: None,
                channel: channel.as_str(),
                documents: docs,
                witness_person_id,
                refusal_rule: Some(rule),
                officer,
            },
            now,
        )
        .await?;
        let mut event = NewAuditEvent::new(
            format!("operator:{officer}"),
            AuditEvent::EnrollmentRefused {
                rule: rule.into(),
                channel: channel.as_str().into(),
                documents: docs.to_vec(),
            },
        );
        if let Some(p) = person_id {
            event = event.subject(format!("person:{p}"));
        }
        tx.append_audit(&event, now).await?;
        tx.commit().await?;
        Err(EnrollError::Refused {
            rule,
            reason: reason.to_owned(),
        })
    }

    /// Retires any outstanding activation code, issues a new one and puts the
    /// letter in the outbox. Returns the code and the letter id.
    pub async fn issue_activation_code(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        person: &PersonRow,
        now: i64,
    ) -> Result<(SecretString, String)> {
        tx.retire_credentials(&identity.id, CredentialKind::ActivationCode, now)
            .await?;
        let code = SecretString::new(format!("{:06}", rand::rng().random_range(0..1_000_000u32)));
        let hash = self.activation_hash(&identity.id, code.expose());
        let expires = now + self.config.activation_code_days * 86_400_000;
        tx.insert_credential(
            &NewCredential {
                identity_id: &identity.id,
                kind: CredentialKind::ActivationCode,
                status: CredentialStatus::Active,
                label: None,
                secret_hash: Some(&hash),
                data: None,
                expires_at: Some(expires),
            },
            now,
        )
        .await?;
        // In the holder's language, as everything without a browser.
        let t = Tr::new(identity.language);
        let until = t.date(expires);
        let name = person.record.full_name();
        let body = [
            t.get("letter-activation-title"),
            format!("{name}\n{}", person.record.address),
            [
                t.arg("letter-user-id", "user_id", identity.user_id),
                t.with(
                    "letter-activation-code",
                    &[
                        ("code", Arg::Text(code.expose())),
                        ("until", Arg::Text(&until)),
                    ],
                ),
            ]
            .join("\n"),
            t.arg("letter-activation-how", "url", &self.config.public_url),
            t.get("letter-keep-apart"),
        ]
        .join("\n\n")
            + "\n";
        let letter = tx
            .insert_letter(
                &NewLetter {
                    identity_id: &identity.id,
                    kind: "activation-letter",
                    recipient: &name,
                    address: &person.record.address,
                    body: &json!({ "text": body }).to_string(),
                },
                now,
            )
            .await?;
        Ok((code, letter))
    }

    pub(crate) fn activation_hash(&self, identity_id: &str, code: &str) -> String {
        self.secret
            .keyed_hash("nyckel/activation-code/v1", &[identity_id, code])
    }

    /// Generates a key card, stores its codes as keyed hashes and puts the
    /// printable card in the outbox. `marker` says what the card was
    /// ordered for, when that is counted (a replacement for a lost card:
    /// [`crate::blocking::REPLACEMENT_CARD`]).
    pub async fn issue_key_card(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        person: &PersonRow,
        status: CredentialStatus,
        marker: Option<&str>,
        now: i64,
    ) -> Result<(PrintedKeyCard, String)> {
        let card = keycard::generate(&mut rand::rng());
        let id = tx
            .insert_credential(
                &NewCredential {
                    identity_id: &identity.id,
                    kind: CredentialKind::KeyCard,
                    status,
                    label: Some(&card.card_id),
                    secret_hash: None,
                    data: marker,
                    expires_at: None,
                },
                now,
            )
            .await?;
        let hashes: Vec<(u16, [u8; 32])> = card
            .hashed_codes(self.secret.bytes())
            .into_iter()
            .map(|(k, h)| (k.get(), h))
            .collect();
        tx.insert_key_card_keys(&id, &hashes).await?;
        let name = person.record.full_name();
        let t = Tr::new(identity.language);
        let count = i64::try_from(card.keys.len()).unwrap_or(i64::MAX);
        let words = [
            "keycard-print-title",
            "keycard-print-card",
            "keycard-print-holder",
            "label-user-id",
            "keycard-print-warning",
            "keycard-print-how-to",
            "label-key",
            "label-code",
        ]
        .map(|id| t.get(id));
        let caption = t.with(
            "keycard-print-caption",
            &[
                ("card", Arg::Text(&card.card_id)),
                ("count", Arg::Number(count)),
            ],
        );
        let texts = keycard::CardTexts {
            lang: t.code(),
            title: &words[0],
            card: &words[1],
            holder: &words[2],
            user_id: &words[3],
            warning: &words[4],
            how_to: &words[5],
            caption: &caption,
            key: &words[6],
            code: &words[7],
        };
        let body = json!({
            "text": keycard::render_text(&card, &name, &identity.user_id, &texts),
            "html": keycard::render_html(&card, &name, &identity.user_id, &texts),
        });
        let letter = tx
            .insert_letter(
                &NewLetter {
                    identity_id: &identity.id,
                    kind: "key-card",
                    recipient: &name,
                    address: &person.record.address,
                    body: &body.to_string(),
                },
                now,
            )
            .await?;
        Ok((card, letter))
    }
}
