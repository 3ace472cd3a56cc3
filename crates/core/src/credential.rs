//! Credentials (*authenticators*) and identities, and the state machine that
//! blocks (*spærrer*) and unblocks them (R-BLOCK).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or(UnknownValue {
                    kind: stringify!($name),
                })
            }
        }
    };
}

/// A stored string did not name a known value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
}

string_enum! {
    /// What kind of authenticator a credential is.
    CredentialKind {
        /// The 6-digit one-time code of the activation letter (*midlertidig adgangskode*).
        ActivationCode => "activation-code",
        Password => "password",
        /// The printed card of one-time codes (*nøglekort*).
        KeyCard => "key-card",
        /// A phone app bound by its own key pair (*nøgleapp*, R-CRED-3).
        AppDevice => "app-device",
        /// A time-based code device (*nøgleviser*, R-CRED-4).
        CodeToken => "code-token",
        /// A FIDO2/WebAuthn security key (MitID's chip, R-CRED-5).
        Passkey => "passkey",
    }
}

string_enum! {
    /// Where a credential is in its life.
    CredentialStatus {
        /// Issued but not yet usable (a key card in the post, an unactivated device).
        Pending => "pending",
        Active => "active",
        BlockedByHolder => "blocked-by-holder",
        BlockedBySupport => "blocked-by-support",
        /// Too many wrong attempts (R-BLOCK-2).
        LockedByFailures => "locked-by-failures",
        /// Used up or superseded (an old key card, a used activation code).
        Retired => "retired",
        Revoked => "revoked",
    }
}

string_enum! {
    /// The identity's status (the whole key).
    IdentityStatus {
        /// Enrolled; the activation letter is on its way.
        PendingActivation => "pending-activation",
        Active => "active",
        BlockedByHolder => "blocked-by-holder",
        BlockedBySupport => "blocked-by-support",
        /// Blocked by the operator because the terms of use were broken.
        BlockedByOperator => "blocked-by-operator",
        /// Suspended by the holder because it is not in use.
        Suspended => "suspended",
        /// Ended for good (death, emigration, replaced). Frees the person for a new identity.
        Revoked => "revoked",
    }
}

/// Who blocks or unblocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Holder,
    Support,
    Operator,
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("it is already blocked")]
    AlreadyBlocked,
    #[error("it is not blocked")]
    NotBlocked,
    #[error("it has been retired or revoked and cannot change")]
    Final,
    #[error("only support can lift this block")]
    NeedsSupport,
    #[error("there is nothing of that kind to block")]
    NothingToBlock,
}

impl CredentialStatus {
    pub fn is_usable(self) -> bool {
        matches!(self, CredentialStatus::Active | CredentialStatus::Pending)
    }

    pub fn is_blocked(self) -> bool {
        matches!(
            self,
            CredentialStatus::BlockedByHolder
                | CredentialStatus::BlockedBySupport
                | CredentialStatus::LockedByFailures
        )
    }

    /// Blocking by `actor`. A holder may always block at once (R-BLOCK-1).
    pub fn block(self, actor: Actor) -> Result<CredentialStatus, TransitionError> {
        match self {
            CredentialStatus::Retired | CredentialStatus::Revoked => Err(TransitionError::Final),
            s if s.is_blocked() => Err(TransitionError::AlreadyBlocked),
            _ => Ok(match actor {
                Actor::Holder => CredentialStatus::BlockedByHolder,
                Actor::System => CredentialStatus::LockedByFailures,
                Actor::Support | Actor::Operator => CredentialStatus::BlockedBySupport,
            }),
        }
    }

    /// Unblocking: only support or the operator lift blocks; a holder who
    /// blocked by mistake calls support, who checks identity first.
    pub fn unblock(self, actor: Actor) -> Result<CredentialStatus, TransitionError> {
        match self {
            CredentialStatus::Retired | CredentialStatus::Revoked => Err(TransitionError::Final),
            s if !s.is_blocked() => Err(TransitionError::NotBlocked),
            _ if !matches!(actor, Actor::Support | Actor::Operator) => {
                Err(TransitionError::NeedsSupport)
            }
            _ => Ok(CredentialStatus::Active),
        }
    }
}

impl IdentityStatus {
    pub fn is_blocked(self) -> bool {
        matches!(
            self,
            IdentityStatus::BlockedByHolder
                | IdentityStatus::BlockedBySupport
                | IdentityStatus::BlockedByOperator
                | IdentityStatus::Suspended
        )
    }

    /// Whether this identity can log in at all.
    pub fn may_log_in(self) -> bool {
        matches!(
            self,
            IdentityStatus::Active | IdentityStatus::PendingActivation
        )
    }

    pub fn block(self, actor: Actor) -> Result<IdentityStatus, TransitionError> {
        match self {
            IdentityStatus::Revoked => Err(TransitionError::Final),
            s if s.is_blocked() => Err(TransitionError::AlreadyBlocked),
            _ => Ok(match actor {
                Actor::Holder => IdentityStatus::BlockedByHolder,
                Actor::Support | Actor::System => IdentityStatus::BlockedBySupport,
                Actor::Operator => IdentityStatus::BlockedByOperator,
            }),
        }
    }

    /// Unblocking returns the identity to active, or to pending activation if
    /// it had never been activated.
    pub fn unblock(self, actor: Actor, activated: bool) -> Result<IdentityStatus, TransitionError> {
        match self {
            IdentityStatus::Revoked => Err(TransitionError::Final),
            s if !s.is_blocked() => Err(TransitionError::NotBlocked),
            _ if !matches!(actor, Actor::Support | Actor::Operator) => {
                Err(TransitionError::NeedsSupport)
            }
            _ if activated => Ok(IdentityStatus::Active),
            _ => Ok(IdentityStatus::PendingActivation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_round_trip_names() {
        for k in CredentialKind::ALL {
            assert_eq!(k.as_str().parse::<CredentialKind>(), Ok(*k));
        }
        for s in CredentialStatus::ALL {
            assert_eq!(s.as_str().parse::<CredentialStatus>(), Ok(*s));
        }
        for s in IdentityStatus::ALL {
            assert_eq!(s.as_str().parse::<IdentityStatus>(), Ok(*s));
        }
        assert!("nonsense".parse::<CredentialKind>().is_err());
    }

    #[test]
    fn ok_holder_blocks_support_unblocks() {
        let s = CredentialStatus::Active.block(Actor::Holder).unwrap();
        assert_eq!(s, CredentialStatus::BlockedByHolder);
        assert_eq!(s.unblock(Actor::Holder), Err(TransitionError::NeedsSupport));
        assert_eq!(s.unblock(Actor::Support), Ok(CredentialStatus::Active));
    }

    #[test]
    fn fail_double_block_and_final() {
        assert_eq!(
            CredentialStatus::LockedByFailures.block(Actor::Holder),
            Err(TransitionError::AlreadyBlocked)
        );
        assert_eq!(
            CredentialStatus::Retired.block(Actor::Holder),
            Err(TransitionError::Final)
        );
        assert_eq!(
            CredentialStatus::Active.unblock(Actor::Support),
            Err(TransitionError::NotBlocked)
        );
    }

    #[test]
    fn ok_identity_unblock_to_pending_if_never_activated() {
        let s = IdentityStatus::PendingActivation
            .block(Actor::Support)
            .unwrap();
        assert_eq!(
            s.unblock(Actor::Support, false),
            Ok(IdentityStatus::PendingActivation)
        );
        let s = IdentityStatus::Active.block(Actor::Operator).unwrap();
        assert_eq!(s, IdentityStatus::BlockedByOperator);
        assert_eq!(s.unblock(Actor::Operator, true), Ok(IdentityStatus::Active));
        assert!(!s.may_log_in());
    }
}
