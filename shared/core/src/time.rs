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

/// Parses a time zone name such as `America/Sao_Paulo`. Only the zones compiled in are known:
/// Brazil's and UTC (`CHRONO_TZ_TIMEZONE_FILTER` in `.cargo/config.toml` says why).
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        // The fixed-offset aliases (`Etc/GMT+3`, `Zulu`, …) chrono-tz always keeps go unnamed.
        let known: Vec<&str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|z| z.name())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/"))
            .collect();
        format!(
            "unknown time zone {name:?}: this build knows {}, UTC and the fixed offsets \
             Etc/GMT+N (more are added in .cargo/config.toml)",
            known.join(", ")
        )
    })
}

/// The calendar dates the API accepts at all: real dates of years 1900 to 2100.
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => unreachable!(),
};
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => unreachable!(),
};

/// The JSON Schema pattern of a calendar date as the API writes and reads it.
pub const DATE_PATTERN: &str =
    r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/// The JSON Schema of a date query parameter.
pub const DATE_SCHEMA: &str = r#"{"type": "string", "format": "date", "pattern": "^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"}"#;

/// The first instant of `day` and of the day after, in `tz` (midnight, or the first moment
/// after a daylight-saving gap).
pub fn day_bounds(day: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| -> DateTime<Utc> {
        use chrono::TimeZone;
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        match tz.from_local_datetime(&midnight) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                t.with_timezone(&Utc)
            }
            // Midnight skipped by a clock change: the day starts an hour later.
            chrono::LocalResult::None => tz
                .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| midnight.and_utc()),
        }
    };
    let next = day.succ_opt().unwrap_or(day);
    (start(day), start(next))
}

/// Parses `YYYY-MM-DD` strictly: four-digit year (1900–2100), two-digit month and day, a real
/// date. No signs, expanded years or unpadded fields.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("must be a date as YYYY-MM-DD".into());
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "is not a real date")?;
    if !(FIRST_DATE..=LAST_DATE).contains(&date) {
        return Err("must be between 1900-01-01 and 2100-12-31".into());
    }
    Ok(date)
}

/// Parses an RFC 3339 timestamp (with `Z` or an offset) of years 1900 to 2100, as UTC.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| "must be an RFC 3339 timestamp, e.g. 2026-03-02T10:00:00-03:00")?;
    let t = t.with_timezone(&Utc);
    let day = t.date_naive();
    if !(FIRST_DATE..=LAST_DATE).contains(&day)
        || s.len() < 20
        || !s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
    {
        return Err("must be a timestamp between 1900 and 2100".into());
    }
    Ok(t)
}

/// `#[serde(with = "crate::time::date")]` for a `NaiveDate` field: strict `YYYY-MM-DD`.
pub mod date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format("%Y-%m-%d").to_string())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_date(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(default, with = "crate::time::date_opt")]` for an `Option<NaiveDate>` field.
pub mod date_opt {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::date::serialize(d, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
            Some(s) => super::parse_date(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// `#[serde(with = "crate::time::instant")]` for a `DateTime<Utc>` field: RFC 3339 in, UTC
/// with milliseconds out.
pub mod instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::resource::record::rfc3339(*t))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_instant(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(default, with = "crate::time::instant_opt")]` for an `Option<DateTime<Utc>>`.
pub mod instant_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::instant::serialize(t, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
            Some(s) => super::parse_instant(&s)
                .map(Some)
                .map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The zones compiled in: every Brazilian zone (and its old `Brazil/` alias) and UTC; any
    /// other is refused with the list, at start-up.
    #[test]
    fn brazilian_zones_and_utc_are_known_others_refused() {
        use chrono::{Offset, TimeZone};
        for name in [
            "America/Sao_Paulo",
            "America/Manaus",
            "America/Noronha",
            "America/Rio_Branco",
            "America/Fortaleza",
            "Brazil/East",
            "UTC",
            "Etc/UTC",
        ] {
            assert_eq!(parse_tz(name).map(|z| z.name()), Ok(name));
        }
        // chrono-tz keeps the fixed-offset `Etc/` zones besides: 65 of the database's ~600.
        assert!(
            chrono_tz::TZ_VARIANTS.len() < 100,
            "the whole database is compiled in"
        );
        let refused = parse_tz("Europe/Lisbon").unwrap_err();
        assert!(refused.contains("America/Sao_Paulo"), "{refused}");
        assert!(refused.contains(".cargo/config.toml"), "{refused}");
        // The rules themselves are intact: São Paulo is UTC-3 since 2019, Manaus UTC-4.
        let t = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        let offset = |name| t.with_timezone(&parse_tz(name).unwrap()).offset().fix();
        assert_eq!(offset("America/Sao_Paulo").local_minus_utc(), -3 * 3600);
        assert_eq!(offset("America/Manaus").local_minus_utc(), -4 * 3600);
        let summer_2018 = Utc.with_ymd_and_hms(2018, 1, 15, 12, 0, 0).unwrap();
        let sp = parse_tz("America/Sao_Paulo").unwrap();
        assert_eq!(
            summer_2018
                .with_timezone(&sp)
                .offset()
                .fix()
                .local_minus_utc(),
            -2 * 3600
        );
    }

    #[test]
    fn strict_dates() {
        assert_eq!(parse_date("1984-03-09").unwrap().to_string(), "1984-03-09");
        for bad in [
            "-0001-01-01",
            "+01984-03-09",
            "1984-3-9",
            "1984-02-30",
            "1899-12-31",
            "2101-01-01",
            "84-03-09",
            "1984/03/09",
            "１９８４-03-09",
            "",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert!(parse_instant("2026-03-02T10:00:00-03:00").is_ok());
        assert!(parse_instant("2026-03-02T13:00:00Z").is_ok());
        for bad in [
            "2026-03-02",
            "2026-03-02T10:00:00",
            "0001-01-01T00:00:00Z",
            "2026-03-02 10:00",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
    }
}
