//! Counting wrong passwords and codes per credential (R-BLOCK-2), designed so
//! that knowing someone's user ID is not enough to lock them out.
//!
//! Each credential keeps two counters. Failures from a browser that holds a
//! device cookie this identity logged in with before ([`Trust::TrustedDevice`])
//! count towards a block (*spærring*, locked-by-failures): after
//! [`LockoutPolicy::max_failures`] the credential is blocked and only an
//! unblock helps (for a password, a new activation code). Failures from
//! anywhere else ([`Trust::Untrusted`]) count separately: after
//! [`LockoutPolicy::untrusted_max_failures`] only untrusted attempts are
//! refused, for a time that doubles with each such lock (15 minutes up to a
//! day by default). The holder on their own device is not affected, and no
//! number of untrusted failures ever blocks the credential.
//!
//! Time is unix seconds passed in by the caller.

use serde::{Deserialize, Serialize};

/// Limits for [`register_failure`]. Every field has a default, so a
/// configuration may set only some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockoutPolicy {
    /// Failures on a trusted device before the credential is blocked. The
    /// exact NemID count was not published; 5 is the documented default.
    pub max_failures: u32,
    /// Failures from untrusted browsers before untrusted attempts are
    /// refused for a while.
    pub untrusted_max_failures: u32,
    /// Length of the first untrusted lock, in seconds; each further lock
    /// doubles it.
    pub untrusted_lock_base_secs: i64,
    /// The longest an untrusted lock lasts, in seconds.
    pub untrusted_lock_max_secs: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            untrusted_max_failures: 5,
            untrusted_lock_base_secs: 15 * 60,
            untrusted_lock_max_secs: 24 * 60 * 60,
        }
    }
}

impl LockoutPolicy {
    /// Limits below 1 would refuse before any attempt; treat them as 1.
    fn max_trusted(&self) -> u32 {
        self.max_failures.max(1)
    }

    fn max_untrusted(&self) -> u32 {
        self.untrusted_max_failures.max(1)
    }

    /// Length of the `n`th untrusted lock (n ≥ 1): base · 2ⁿ⁻¹, capped.
    pub fn untrusted_lock_secs(&self, n: u32) -> i64 {
        let base = self.untrusted_lock_base_secs.max(1);
        let max = self.untrusted_lock_max_secs.max(base);
        let exponent = n.saturating_sub(1).min(62);
        base.saturating_mul(1i64 << exponent).min(max)
    }
}

/// The per-credential failure state that the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FailureCounters {
    /// Consecutive failures on trusted devices.
    pub failures: u32,
    /// Consecutive failures from untrusted browsers since the last untrusted lock.
    pub untrusted_failures: u32,
    /// Untrusted locks so far; sets the length of the next one.
    pub untrusted_locks: u32,
    /// Untrusted attempts are refused before this time (unix seconds).
    pub untrusted_locked_until: Option<i64>,
}

/// Where an attempt came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trust {
    /// A browser holding a device cookie this identity logged in with before.
    TrustedDevice,
    /// Anything else.
    Untrusted,
}

/// What a failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Counted; `remaining` more failures of this trust are allowed before
    /// the credential is blocked (trusted) or untrusted attempts are locked.
    Counted { remaining: u32 },
    /// The credential is blocked (locked-by-failures): the caller records the
    /// block (R-BLOCK-3) and only an unblock helps.
    Blocked,
    /// Untrusted attempts are refused until `until` (unix seconds).
    UntrustedLocked { until: i64 },
}

/// What [`may_attempt`] returns for a blocked credential: no time ends it.
pub const BLOCKED_UNTIL: i64 = i64::MAX;

/// Whether the failures alone have blocked the credential. The credential's
/// own status is the authority; this is for counters read without it.
pub fn is_blocked(policy: &LockoutPolicy, counters: &FailureCounters) -> bool {
    counters.failures >= policy.max_trusted()
}

/// Whether an attempt may be made now. `Err` carries the time until which
/// attempts of this trust are refused: [`BLOCKED_UNTIL`] if the credential is
/// blocked by failures.
pub fn may_attempt(
    policy: &LockoutPolicy,
    counters: &FailureCounters,
    trust: Trust,
    now: i64,
) -> Result<(), i64> {
    if is_blocked(policy, counters) {
        return Err(BLOCKED_UNTIL);
    }
    match (trust, counters.untrusted_locked_until) {
        (Trust::Untrusted, Some(until)) if now < until => Err(until),
        _ => Ok(()),
    }
}

/// Counts a failed attempt and says what it led to.
///
/// An untrusted failure registered while untrusted attempts are locked (the
/// caller should have asked [`may_attempt`] first) neither counts nor extends
/// the lock, so the attacker cannot lengthen it. Untrusted failures never
/// block the credential.
pub fn register_failure(
    policy: &LockoutPolicy,
    counters: &FailureCounters,
    trust: Trust,
    now: i64,
) -> (FailureCounters, Outcome) {
    let mut next = *counters;
    if is_blocked(policy, counters) {
        return (next, Outcome::Blocked);
    }
    match trust {
        Trust::TrustedDevice => {
            next.failures = next.failures.saturating_add(1);
            let max = policy.max_trusted();
            if next.failures >= max {
                (next, Outcome::Blocked)
            } else {
                let remaining = max - next.failures;
                (next, Outcome::Counted { remaining })
            }
        }
        Trust::Untrusted => {
            if let Some(until) = counters.untrusted_locked_until {
                if now < until {
                    return (next, Outcome::UntrustedLocked { until });
                }
                next.untrusted_locked_until = None;
            }
            next.untrusted_failures = next.untrusted_failures.saturating_add(1);
            let max = policy.max_untrusted();
            if next.untrusted_failures >= max {
                next.untrusted_locks = next.untrusted_locks.saturating_add(1);
                let until = now.saturating_add(policy.untrusted_lock_secs(next.untrusted_locks));
                next.untrusted_failures = 0;
                next.untrusted_locked_until = Some(until);
                (next, Outcome::UntrustedLocked { until })
            } else {
                let remaining = max - next.untrusted_failures;
                (next, Outcome::Counted { remaining })
            }
        }
    }
}

/// Records a successful attempt: it resets the counter of its trust. A
/// success on a trusted device also forgets the untrusted locks so far (the
/// next one is short again) but leaves a running untrusted lock alone: the
/// holder is not the one failing from elsewhere.
pub fn register_success(counters: &FailureCounters, trust: Trust) -> FailureCounters {
    let mut next = *counters;
    match trust {
        Trust::TrustedDevice => {
            next.failures = 0;
            next.untrusted_locks = 0;
        }
        Trust::Untrusted => {
            next.untrusted_failures = 0;
        }
    }
    next
}

/// An attempt reserved before it is checked: its trust and its number
/// among the attempts of that trust counted so far (1 for the first).
///
/// Reserving first, and judging the limit on the counter after the
/// reservation, is what holds the limit under concurrency: of a burst that
/// arrives at once, each attempt gets its own number, and only those within
/// the limit are checked at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub trust: Trust,
    pub number: u32,
    /// Untrusted locks so far, as read with the reservation.
    pub untrusted_locks: u32,
}

/// Whether a reserved attempt may be checked. `after` are the counters
/// with the reservation counted. `Err` carries the time until which
/// attempts of this trust are refused ([`BLOCKED_UNTIL`] when blocked, `now`
/// when only attempts reserved before this one fill the limit).
pub fn judge_reservation(
    policy: &LockoutPolicy,
    after: &FailureCounters,
    trust: Trust,
    now: i64,
) -> Result<Reservation, i64> {
    let reservation = |number| Reservation {
        trust,
        number,
        untrusted_locks: after.untrusted_locks,
    };
    match trust {
        Trust::TrustedDevice => {
            // `failures` includes this reservation: the limit-th may still try.
            if after.failures > policy.max_trusted() {
                return Err(BLOCKED_UNTIL);
            }
            Ok(reservation(after.failures))
        }
        Trust::Untrusted => {
            if is_blocked(policy, after) {
                return Err(BLOCKED_UNTIL);
            }
            if let Some(until) = after.untrusted_locked_until
                && now < until
            {
                return Err(until);
            }
            if after.untrusted_failures > policy.max_untrusted() {
                return Err(now);
            }
            Ok(reservation(after.untrusted_failures))
        }
    }
}

/// What a reserved attempt that failed leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Counted (the reservation stays); `remaining` attempts of this trust
    /// are left before the block or the pause.
    Counted { remaining: u32 },
    /// The credential is blocked (locked-by-failures).
    Block,
    /// Untrusted attempts are refused until `until`; this is lock number
    /// `locks`. The caller takes the reservations that led to it off.
    LockUntrusted { locks: u32, until: i64 },
}

/// What a reservation refused for being over the limit leads to, when
/// nothing recorded the limit yet (the attempts that filled it are still
/// being checked, or one of them died before it settled): the block
/// (trusted) or the pause (untrusted) starts now, so that a count stuck at
/// the limit is never a silent lock that no time and no unblock ends.
pub fn settle_over_limit(
    policy: &LockoutPolicy,
    trust: Trust,
    untrusted_locks: u32,
    now: i64,
) -> Settlement {
    let number = match trust {
        Trust::TrustedDevice => policy.max_trusted(),
        Trust::Untrusted => policy.max_untrusted(),
    };
    settle_failure(
        policy,
        &Reservation {
            trust,
            number,
            untrusted_locks,
        },
        now,
    )
}

/// Settles a reserved attempt that failed: the attempt whose number reaches
/// the limit blocks (trusted) or pauses untrusted attempts.
pub fn settle_failure(policy: &LockoutPolicy, r: &Reservation, now: i64) -> Settlement {
    match r.trust {
        Trust::TrustedDevice => {
            let max = policy.max_trusted();
            if r.number >= max {
                Settlement::Block
            } else {
                Settlement::Counted {
                    remaining: max - r.number,
                }
            }
        }
        Trust::Untrusted => {
            let max = policy.max_untrusted();
            if r.number >= max {
                let locks = r.untrusted_locks.saturating_add(1);
                Settlement::LockUntrusted {
                    locks,
                    until: now.saturating_add(policy.untrusted_lock_secs(locks)),
                }
            } else {
                Settlement::Counted {
                    remaining: max - r.number,
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_780_000_000;
    const MIN: i64 = 60;

    fn policy() -> LockoutPolicy {
        LockoutPolicy::default()
    }

    /// Applies `n` failures of `trust` at `now`, returning the last outcome.
    fn fail_n(c: &mut FailureCounters, trust: Trust, n: u32, now: i64) -> Outcome {
        let mut last = Outcome::Counted { remaining: 0 };
        for _ in 0..n {
            let (next, outcome) = register_failure(&policy(), c, trust, now);
            *c = next;
            last = outcome;
        }
        last
    }

    #[test]
    fn ok_defaults() {
        let p = LockoutPolicy::default();
        assert_eq!(p.max_failures, 5);
        assert_eq!(p.untrusted_max_failures, 5);
        assert_eq!(p.untrusted_lock_base_secs, 15 * MIN);
        assert_eq!(p.untrusted_lock_max_secs, 24 * 60 * MIN);
        let partial: LockoutPolicy = serde_json::from_str(r#"{"max_failures": 3}"#).unwrap();
        assert_eq!(
            partial,
            LockoutPolicy {
                max_failures: 3,
                ..p
            }
        );
        let empty: FailureCounters = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, FailureCounters::default());
    }

    #[test]
    fn ok_counted_remaining() {
        let cases = [
            (
                "ok/trusted-first",
                Trust::TrustedDevice,
                1,
                Outcome::Counted { remaining: 4 },
            ),
            (
                "ok/trusted-fourth",
                Trust::TrustedDevice,
                4,
                Outcome::Counted { remaining: 1 },
            ),
            (
                "fail/trusted-fifth-blocks",
                Trust::TrustedDevice,
                5,
                Outcome::Blocked,
            ),
            (
                "ok/untrusted-first",
                Trust::Untrusted,
                1,
                Outcome::Counted { remaining: 4 },
            ),
            (
                "ok/untrusted-fourth",
                Trust::Untrusted,
                4,
                Outcome::Counted { remaining: 1 },
            ),
            (
                "fail/untrusted-fifth-locks-15-min",
                Trust::Untrusted,
                5,
                Outcome::UntrustedLocked {
                    until: T0 + 15 * MIN,
                },
            ),
        ];
        for (name, trust, n, want) in cases {
            let mut c = FailureCounters::default();
            assert_eq!(fail_n(&mut c, trust, n, T0), want, "{name}");
        }
    }

    #[test]
    fn fail_blocked_refuses_both_trusts_until_unblocked() {
        let mut c = FailureCounters::default();
        assert_eq!(
            fail_n(&mut c, Trust::TrustedDevice, 5, T0),
            Outcome::Blocked
        );
        for trust in [Trust::TrustedDevice, Trust::Untrusted] {
            assert_eq!(
                may_attempt(&policy(), &c, trust, T0 + 365 * 24 * 60 * MIN),
                Err(BLOCKED_UNTIL)
            );
            assert_eq!(
                register_failure(&policy(), &c, trust, T0).1,
                Outcome::Blocked
            );
        }
        assert!(is_blocked(&policy(), &c));
    }

    #[test]
    fn ok_untrusted_lock_leaves_trusted_device_alone() {
        let mut c = FailureCounters::default();
        let until = T0 + 15 * MIN;
        assert_eq!(
            fail_n(&mut c, Trust::Untrusted, 5, T0),
            Outcome::UntrustedLocked { until }
        );
        let cases = [
            (
                "fail/untrusted-during-lock",
                Trust::Untrusted,
                T0 + 1,
                Err(until),
            ),
            (
                "fail/untrusted-last-second",
                Trust::Untrusted,
                until - 1,
                Err(until),
            ),
            ("ok/untrusted-at-expiry", Trust::Untrusted, until, Ok(())),
            (
                "ok/trusted-during-lock",
                Trust::TrustedDevice,
                T0 + 1,
                Ok(()),
            ),
        ];
        for (name, trust, now, want) in cases {
            assert_eq!(may_attempt(&policy(), &c, trust, now), want, "{name}");
        }
        assert_eq!(c.failures, 0);
    }

    #[test]
    fn fail_untrusted_failure_during_lock_neither_counts_nor_extends() {
        let mut c = FailureCounters::default();
        fail_n(&mut c, Trust::Untrusted, 5, T0);
        let before = c;
        let (after, outcome) = register_failure(&policy(), &c, Trust::Untrusted, T0 + 60);
        assert_eq!(after, before);
        assert_eq!(
            outcome,
            Outcome::UntrustedLocked {
                until: T0 + 15 * MIN
            }
        );
    }

    #[test]
    fn ok_untrusted_lock_doubles_up_to_a_day() {
        let mut c = FailureCounters::default();
        let mut now = T0;
        let mut lengths = Vec::new();
        for _ in 0..10 {
            let outcome = fail_n(&mut c, Trust::Untrusted, 5, now);
            let Outcome::UntrustedLocked { until } = outcome else {
                unreachable!("{outcome:?}")
            };
            lengths.push((until - now) / MIN);
            now = until;
        }
        assert_eq!(lengths, [15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]);
        assert_eq!(c.failures, 0);
    }

    #[test]
    fn ok_successes_reset_their_own_counter() {
        let mut c = FailureCounters::default();
        fail_n(&mut c, Trust::TrustedDevice, 3, T0);
        fail_n(&mut c, Trust::Untrusted, 5, T0); // lock 1
        fail_n(&mut c, Trust::Untrusted, 2, T0 + 15 * MIN);
        assert_eq!(
            c,
            FailureCounters {
                failures: 3,
                untrusted_failures: 2,
                untrusted_locks: 1,
                untrusted_locked_until: None,
            }
        );

        let untrusted_ok = register_success(&c, Trust::Untrusted);
        assert_eq!(
            untrusted_ok,
            FailureCounters {
                untrusted_failures: 0,
                ..c
            },
            "an untrusted success resets only the untrusted counter"
        );

        let trusted_ok = register_success(&c, Trust::TrustedDevice);
        assert_eq!(
            trusted_ok,
            FailureCounters {
                failures: 0,
                untrusted_locks: 0,
                ..c
            },
            "a trusted success resets the trusted counter and the lock count"
        );
        // After a trusted success the next untrusted lock is short again.
        let mut c = trusted_ok;
        assert_eq!(
            fail_n(&mut c, Trust::Untrusted, 3, T0 + 20 * MIN),
            Outcome::UntrustedLocked {
                until: T0 + 35 * MIN
            }
        );
    }

    #[test]
    fn ok_trusted_success_keeps_running_untrusted_lock() {
        let mut c = FailureCounters::default();
        fail_n(&mut c, Trust::Untrusted, 5, T0);
        let c = register_success(&c, Trust::TrustedDevice);
        assert_eq!(
            may_attempt(&policy(), &c, Trust::Untrusted, T0 + 1),
            Err(T0 + 15 * MIN)
        );
    }

    #[test]
    fn ok_zero_limits_treated_as_one() {
        let p = LockoutPolicy {
            max_failures: 0,
            untrusted_max_failures: 0,
            untrusted_lock_base_secs: 0,
            untrusted_lock_max_secs: -5,
        };
        let c = FailureCounters::default();
        assert_eq!(may_attempt(&p, &c, Trust::TrustedDevice, T0), Ok(()));
        assert_eq!(
            register_failure(&p, &c, Trust::TrustedDevice, T0).1,
            Outcome::Blocked
        );
        assert_eq!(
            register_failure(&p, &c, Trust::Untrusted, T0).1,
            Outcome::UntrustedLocked { until: T0 + 1 }
        );
        assert_eq!(p.untrusted_lock_secs(u32::MAX), 1);
        assert_eq!(
            LockoutPolicy::default().untrusted_lock_secs(u32::MAX),
            24 * 60 * MIN
        );
    }

    #[derive(Debug, Clone)]
    enum Step {
        Fail { dt: i64 },
        Succeed { dt: i64 },
        Ask { dt: i64 },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0i64..2_000).prop_map(|dt| Step::Fail { dt }),
            1 => (0i64..100_000).prop_map(|dt| Step::Succeed { dt }),
            2 => (0i64..5_000).prop_map(|dt| Step::Ask { dt }),
        ]
    }

    proptest! {
        /// Someone who only knows a user ID, trying from browsers the holder
        /// never used, can never block the credential, however they pace it.
        #[test]
        fn ok_untrusted_failures_never_block(
            start_failures in 0u32..5,
            steps in proptest::collection::vec(step(), 0..300),
        ) {
            let p = policy();
            let mut c = FailureCounters { failures: start_failures, ..FailureCounters::default() };
            let mut now = T0;
            for s in steps {
                match s {
                    Step::Fail { dt } => {
                        now += dt;
                        let (next, outcome) = register_failure(&p, &c, Trust::Untrusted, now);
                        prop_assert_ne!(outcome, Outcome::Blocked);
                        prop_assert_eq!(next.failures, start_failures);
                        if let Outcome::UntrustedLocked { until } = outcome {
                            prop_assert!(until > now);
                            prop_assert!(until - now <= p.untrusted_lock_max_secs);
                        }
                        c = next;
                    }
                    Step::Succeed { dt } => {
                        now += dt;
                        c = register_success(&c, Trust::Untrusted);
                    }
                    Step::Ask { dt } => {
                        now += dt;
                        prop_assert_ne!(may_attempt(&p, &c, Trust::Untrusted, now), Err(BLOCKED_UNTIL));
                    }
                }
                prop_assert!(!is_blocked(&p, &c));
                prop_assert_eq!(may_attempt(&p, &c, Trust::TrustedDevice, now), Ok(()));
            }
        }
    }
}

#[cfg(test)]
mod reservation_tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn after(failures: u32, untrusted: u32, until: Option<i64>) -> FailureCounters {
        FailureCounters {
            failures,
            untrusted_failures: untrusted,
            untrusted_locks: 1,
            untrusted_locked_until: until,
        }
    }

    #[test]
    fn judge_reservation_cases() {
        let p = LockoutPolicy::default();
        let cases: [(&str, FailureCounters, Trust, Result<u32, i64>); 8] = [
            (
                "ok/first trusted",
                after(1, 0, None),
                Trust::TrustedDevice,
                Ok(1),
            ),
            (
                "ok/fifth trusted may still try",
                after(5, 0, None),
                Trust::TrustedDevice,
                Ok(5),
            ),
            (
                "fail/sixth trusted",
                after(6, 0, None),
                Trust::TrustedDevice,
                Err(BLOCKED_UNTIL),
            ),
            (
                "ok/first untrusted",
                after(0, 1, None),
                Trust::Untrusted,
                Ok(1),
            ),
            (
                "ok/fifth untrusted",
                after(0, 5, None),
                Trust::Untrusted,
                Ok(5),
            ),
            (
                "fail/sixth untrusted while five are pending",
                after(0, 6, None),
                Trust::Untrusted,
                Err(NOW),
            ),
            (
                "fail/untrusted while paused",
                after(0, 1, Some(NOW + 60)),
                Trust::Untrusted,
                Err(NOW + 60),
            ),
            (
                "fail/untrusted when blocked",
                after(5, 1, None),
                Trust::Untrusted,
                Err(BLOCKED_UNTIL),
            ),
        ];
        for (name, counters, trust, want) in cases {
            let got = judge_reservation(&p, &counters, trust, NOW).map(|r| r.number);
            assert_eq!(got, want, "{name}");
        }
        // A pause that has ended lets untrusted attempts in again.
        assert!(judge_reservation(&p, &after(0, 1, Some(NOW - 1)), Trust::Untrusted, NOW).is_ok());
    }

    #[test]
    fn settle_failure_cases() {
        let p = LockoutPolicy::default();
        let r = |trust, number| Reservation {
            trust,
            number,
            untrusted_locks: 1,
        };
        assert_eq!(
            settle_failure(&p, &r(Trust::TrustedDevice, 4), NOW),
            Settlement::Counted { remaining: 1 }
        );
        assert_eq!(
            settle_failure(&p, &r(Trust::TrustedDevice, 5), NOW),
            Settlement::Block
        );
        assert_eq!(
            settle_failure(&p, &r(Trust::Untrusted, 5), NOW),
            Settlement::LockUntrusted {
                locks: 2,
                until: NOW + 2 * 15 * 60
            }
        );
        assert_eq!(
            settle_failure(&p, &r(Trust::Untrusted, 2), NOW),
            Settlement::Counted { remaining: 3 }
        );
    }
}
