//! Time is passed in: the server reads it from a [`Clock`], so that tests
//! control expiries, lockouts and age rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, Utc};
use nyckel_core::cpr::Date;

pub trait Clock: Send + Sync + 'static {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }
    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The date in Copenhagen at `ms`: the date that counts for age rules.
#[allow(clippy::expect_used)]
pub fn local_date(ms: i64) -> Date {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    let d = nyckel_core::support::copenhagen_local(utc).date();
    // chrono only produces calendar dates, which Date accepts.
    Date::new(d.year(), d.month() as u8, d.day() as u8).expect("chrono dates are calendar dates")
}
