//! Blocking and unblocking (R-BLOCK), and [`may_act`]: the one check that
//! an identity may act now, behind every grant, endpoint and page.

use nyckel_core::audit::{AuditEvent, BlockedPart, NewAuditEvent};
use nyckel_core::credential::{Actor, CredentialKind, CredentialStatus, TransitionError};
use nyckel_store::{IdentityRow, StoreError, Tx};

use crate::*;

/// What an operator or holder blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockTarget {
    Password,
    KeyCard,
    Identity,
}

impl std::str::FromStr for BlockTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "password" => Ok(Self::Password),
            "key-card" => Ok(Self::KeyCard),
            "identity" => Ok(Self::Identity),
            _ => Err("choose one of password, key-card, identity".into()),
        }
    }
}

/// The `data` of a key card ordered to replace a lost one: these are
/// counted against [`EXTRA_CARDS_PER_YEAR`].
pub const REPLACEMENT_CARD: &str = "replacement";

/// Extra key cards a holder may order in a year (365 days) by themselves;
/// support can order more.
pub const EXTRA_CARDS_PER_YEAR: i64 = 3;

/// What blocking a lost key card led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardReplacement {
    /// `blocked` cards were blocked and the new card `card_id` is on its
    /// way by post to `address` (the population register's).
    Ordered {
        blocked: usize,
        card_id: String,
        address: String,
    },
    /// A replacement ordered before is still on its way: kept, and no
    /// other ordered.
    OnItsWay { blocked: usize, card_id: String },
    /// Blocked, but no new card: this year's extra cards are used up.
    LimitReached { blocked: usize },
}

/// What blocking the key card would do, shown before the holder confirms:
/// the same rules as [`Nyckel::replace_key_card`], read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardBlockPreview {
    /// The cards that stop working (their printed ids).
    pub blocks: Vec<String>,
    pub next: NextCard,
    /// The address in the population register a new card goes to.
    pub address: String,
}

/// What follows the block of a key card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextCard {
    /// A new card is ordered.
    New,
    /// A replacement ordered before is on its way and kept.
    OnItsWay(String),
    /// No new card: this year's extra cards are used up.
    LimitReached,
}

/// The replacement on its way (kept), if any: with `block_old` only a
/// card ordered as a replacement counts, else any card not yet used.
fn on_its_way(cards: &[nyckel_store::CredentialRow], block_old: bool) -> Option<String> {
    cards
        .iter()
        .find(|c| {
            c.status == CredentialStatus::Pending
                && (!block_old || c.data.as_deref() == Some(REPLACEMENT_CARD))
        })
        .and_then(|c| c.label.clone())
}

impl Nyckel {
    // ----- blocking (R-BLOCK) -----

    /// What [`Nyckel::replace_key_card`] with `block_old` would do now.
    pub async fn card_block_preview(&self, identity_id: &str) -> Result<CardBlockPreview> {
        let mut tx = self.store.read().await?;
        let identity = tx
            .find_identity(identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let cards = tx
            .find_live_credentials(identity_id, CredentialKind::KeyCard)
            .await?;
        let kept = on_its_way(&cards, true);
        let blocks = cards
            .iter()
            .filter(|c| c.status.is_usable() && c.label != kept)
            .filter_map(|c| c.label.clone())
            .collect();
        let next = match kept {
            Some(card) => NextCard::OnItsWay(card),
            None => {
                let since = self.now() - 365 * 86_400 * 1000;
                let extra = tx
                    .count_key_cards_since(identity_id, REPLACEMENT_CARD, since)
                    .await?;
                if extra >= EXTRA_CARDS_PER_YEAR {
                    NextCard::LimitReached
                } else {
                    NextCard::New
                }
            }
        };
        let person = tx
            .find_person(&identity.person_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(CardBlockPreview {
            blocks,
            next,
            address: person.record.address,
        })
    }

    /// Blocks a credential kind or the identity. Returns what changed.
    pub async fn block(
        &self,
        identity_id: &str,
        target: BlockTarget,
        actor: Actor,
        who: &str,
        reason: &str,
    ) -> Result<Result<usize, TransitionError>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        let identity = tx
            .find_identity(identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut changed = 0;
        match target {
            BlockTarget::Identity => match identity.status.block(actor) {
                Ok(s) => {
                    tx.update_identity_status(&identity.id, s, Some(reason), now)
                        .await?;
                    tx.delete_sessions_of(&identity.id).await?;
                    changed = 1;
                }
                Err(e) => return Ok(Err(e)),
            },
            BlockTarget::Password | BlockTarget::KeyCard => {
                let kind = if target == BlockTarget::Password {
                    CredentialKind::Password
                } else {
                    CredentialKind::KeyCard
                };
                let creds = tx.find_live_credentials(&identity.id, kind).await?;
                let mut last_err = TransitionError::NotBlocked;
                for c in &creds {
                    match c.status.block(actor) {
                        Ok(s) => {
                            tx.update_credential_status(&c.id, s, Some(reason), now)
                                .await?;
                            changed += 1;
                        }
                        Err(e) => last_err = e,
                    }
                }
                if changed == 0 {
                    return Ok(Err(if creds.is_empty() {
                        TransitionError::NothingToBlock
                    } else {
                        last_err
                    }));
                }
            }
        }
        tx.append_audit(
            &NewAuditEvent::new(
                who,
                AuditEvent::Blocked {
                    what: target.part(),
                    reason: reason.into(),
                },
            )
            .subject(identity.id.clone()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(changed))
    }

    /// A lost key card (R-BLOCK-1): blocks the holder's usable cards and
    /// orders a new one to the address in the population register, at
    /// most [`EXTRA_CARDS_PER_YEAR`] a year; a replacement already on its
    /// way is kept (it cannot have been lost: it has not arrived) and no
    /// second is ordered. One write transaction, the card rows held
    /// first, so that presses at once order one card.
    ///
    /// With `block_old` false it is an order of a new card only (worn, or
    /// running low): the card in use goes on working until the new one is
    /// first used, and any card already on its way is enough.
    pub async fn replace_key_card(
        &self,
        identity_id: &str,
        actor: Actor,
        who: &str,
        reason: &str,
        block_old: bool,
    ) -> Result<CardReplacement> {
        let mut tx = self.store.write().await?;
        let identity = tx
            .find_identity(identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let r = self
            .replace_key_card_in(&mut tx, &identity, actor, who, reason, block_old)
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// [`Nyckel::replace_key_card`] in the caller's write transaction.
    pub(crate) async fn replace_key_card_in(
        &self,
        tx: &mut Tx,
        identity: &IdentityRow,
        actor: Actor,
        who: &str,
        reason: &str,
        block_old: bool,
    ) -> Result<CardReplacement> {
        let now = self.now();
        tx.lock_key_cards(&identity.id).await?;
        let cards = tx
            .find_live_credentials(&identity.id, CredentialKind::KeyCard)
            .await?;
        let on_its_way = on_its_way(&cards, block_old);
        let mut blocked = 0;
        let mut keys_left = 0;
        for c in &cards {
            if c.status == CredentialStatus::Active {
                keys_left = tx.count_unused_keys(&c.id).await?;
            }
            if !block_old || c.label == on_its_way || !c.status.is_usable() {
                continue;
            }
            if let Ok(s) = c.status.block(actor) {
                tx.update_credential_status(&c.id, s, Some(reason), now)
                    .await?;
                blocked += 1;
            }
        }
        if blocked > 0 {
            tx.append_audit(
                &NewAuditEvent::new(
                    who,
                    AuditEvent::Blocked {
                        what: BlockedPart::KeyCard,
                        reason: reason.into(),
                    },
                )
                .subject(identity.id.clone()),
                now,
            )
            .await?;
        }
        if let Some(card_id) = on_its_way {
            return Ok(CardReplacement::OnItsWay { blocked, card_id });
        }
        let since = now - 365 * 86_400 * 1000;
        let extra = tx
            .count_key_cards_since(&identity.id, REPLACEMENT_CARD, since)
            .await?;
        if extra >= EXTRA_CARDS_PER_YEAR {
            return Ok(CardReplacement::LimitReached { blocked });
        }
        let person = tx
            .find_person(&identity.person_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (card, letter) = self
            .issue_key_card(
                tx,
                identity,
                &person,
                CredentialStatus::Pending,
                Some(REPLACEMENT_CARD),
                now,
            )
            .await?;
        tx.append_audit(
            &NewAuditEvent::new(
                who,
                AuditEvent::KeyCardOrdered {
                    card_id: card.card_id.clone(),
                    letter,
                    keys_left_on_old_card: keys_left,
                },
            )
            .subject(identity.id.clone()),
            now,
        )
        .await?;
        Ok(CardReplacement::Ordered {
            blocked,
            card_id: card.card_id,
            address: person.record.address,
        })
    }

    /// Lifts a block. Unblocking the password issues a new activation code
    /// by letter (R-BLOCK-2): the old password no longer works.
    pub async fn unblock(
        &self,
        identity_id: &str,
        target: BlockTarget,
        actor: Actor,
        who: &str,
        reason: &str,
    ) -> Result<Result<Option<String>, TransitionError>> {
        let now = self.now();
        let mut tx = self.store.write().await?;
        if target == BlockTarget::Password {
            // Unblocking the password sends a new activation code: a
            // one-time thing. The identity's row is held first, so that of
            // unblocks at once one reads the block and lifts it and the
            // others read it lifted. (Only here: a key-card login holds its
            // card's row before the identity's, so a block of the card
            // must not take them the other way round.)
            tx.lock_identity(identity_id).await?;
        }
        let identity = tx
            .find_identity(identity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut letter = None;
        match target {
            BlockTarget::Identity => match identity
                .status
                .unblock(actor, identity.activated_at.is_some())
            {
                Ok(s) => {
                    tx.update_identity_status(&identity.id, s, Some(reason), now)
                        .await?
                }
                Err(e) => return Ok(Err(e)),
            },
            BlockTarget::KeyCard => {
                let mut any = false;
                for c in tx
                    .find_live_credentials(&identity.id, CredentialKind::KeyCard)
                    .await?
                {
                    if let Ok(s) = c.status.unblock(actor) {
                        let s = if c.activated_at.is_none() {
                            CredentialStatus::Pending
                        } else {
                            s
                        };
                        tx.update_credential_status(&c.id, s, Some(reason), now)
                            .await?;
                        tx.update_credential_counters(&c.id, &Default::default())
                            .await?;
                        any = true;
                    }
                }
                if !any {
                    return Ok(Err(TransitionError::NotBlocked));
                }
            }
            BlockTarget::Password => {
                let passwords = tx
                    .find_live_credentials(&identity.id, CredentialKind::Password)
                    .await?;
                let codes = tx
                    .find_live_credentials(&identity.id, CredentialKind::ActivationCode)
                    .await?;
                let blocked: Vec<_> = passwords
                    .iter()
                    .chain(&codes)
                    .filter(|c| c.status.is_blocked())
                    .collect();
                if blocked.is_empty() {
                    return Ok(Err(TransitionError::NotBlocked));
                }
                if !matches!(actor, Actor::Support | Actor::Operator) {
                    return Ok(Err(TransitionError::NeedsSupport));
                }
                tx.retire_credentials(&identity.id, CredentialKind::Password, now)
                    .await?;
                let person = tx
                    .find_person(&identity.person_id)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let (_, l) = self
                    .issue_activation_code(&mut tx, &identity, &person, now)
                    .await?;
                letter = Some(l);
            }
        }
        tx.append_audit(
            &NewAuditEvent::new(
                who,
                AuditEvent::Unblocked {
                    what: target.part(),
                    reason: reason.into(),
                    letter: letter.clone(),
                },
            )
            .subject(identity.id.clone()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(letter))
    }
}

impl BlockTarget {
    /// What the audit entry names.
    pub fn part(self) -> BlockedPart {
        match self {
            BlockTarget::Password => BlockedPart::Password,
            BlockTarget::KeyCard => BlockedPart::KeyCard,
            BlockTarget::Identity => BlockedPart::Identity,
        }
    }
}

/// May this identity act now: the one check of a person's status behind
/// every grant, UserInfo, CPR match, introspection and My nyckel's
/// session. `None` if the identity is unknown or may not log in (blocked,
/// revoked): a code, refresh token, access token or session made before a
/// block is worth nothing after it.
pub async fn may_act(tx: &mut Tx, identity_id: &str) -> Result<Option<IdentityRow>> {
    Ok(tx
        .find_identity(identity_id)
        .await?
        .filter(|i| i.status.may_log_in()))
}
