//! The clock port and the hospital's calendar ("today" is in the hospital's time zone).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests can set and move.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The clock of hospital-local's scenarios (`HOSPITAL_DEV_CLOCK=1`): real time until set,
/// then the instant set, fixed, until set again or cleared.
#[derive(Debug, Default)]
pub struct ScenarioClock(Mutex<Option<DateTime<Utc>>>);

impl ScenarioClock {
    pub fn set(&self, now: Option<DateTime<Utc>>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }
    /// The instant set, if any.
    pub fn fixed(&self) -> Option<DateTime<Utc>> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ScenarioClock {
    fn now(&self) -> DateTime<Utc> {
        self.fixed().unwrap_or_else(Utc::now)
    }
}

/// Clock plus the hospital's time zone (`HOSPITAL_TIMEZONE`, default America/Sao_Paulo).
#[derive(Clone)]
pub struct Calendar {
    clock: Arc<dyn Clock>,
    tz: Tz,
}

impl Calendar {
    pub const DEFAULT_TZ: Tz = chrono_tz::America::Sao_Paulo;

    pub fn new(clock: Arc<dyn Clock>, tz: Tz) -> Self {
        Self { clock, tz }
    }
    pub fn system() -> Self {
        Self::new(Arc::new(SystemClock), Self::DEFAULT_TZ)
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    /// Today's date in the hospital's time zone.
    pub fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&self.tz).date_naive()
    }
    pub fn tz(&self) -> Tz {
        self.tz
    }
    /// Real time in epoch seconds, whatever the clock says: for expiry times (TTL), which the
    /// stores judge by real time.
    pub fn wall_secs(&self) -> i64 {
        Utc::now().timestamp()
    }
}

/// Parses a time zone name such as `America/Sao_Paulo`.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {name:?}"))
}
