//! `Quota`: how many requests a key may make per period, written `60/minute`.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// The period a [`Quota`] is counted over. One unit only (no `5m`): a rate per second, minute,
/// hour or day says everything a longer period would, and reads the same in every config.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    /// `second` (also `s`, `sec`, `secs`, `seconds`).
    Second,
    /// `minute` (also `m`, `min`, `mins`, `minutes`).
    Minute,
    /// `hour` (also `h`, `hr`, `hrs`, `hours`).
    Hour,
    /// `day` (also `d`, `days`).
    Day,
}

impl Period {
    /// Every period, shortest first.
    pub const ALL: [Period; 4] = [Period::Second, Period::Minute, Period::Hour, Period::Day];

    /// The canonical spelling, as [`Quota`]'s `Display` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Second => "second",
            Period::Minute => "minute",
            Period::Hour => "hour",
            Period::Day => "day",
        }
    }

    /// The period's length.
    pub fn duration(self) -> Duration {
        Duration::from_secs(self.seconds())
    }

    fn seconds(self) -> u64 {
        match self {
            Period::Second => 1,
            Period::Minute => 60,
            Period::Hour => 3_600,
            Period::Day => 86_400,
        }
    }

    fn nanos(self) -> u64 {
        self.seconds() * 1_000_000_000
    }

    /// The most requests a quota can count in this period: one per nanosecond, the clock's
    /// resolution (and `u32::MAX` for the longer periods).
    pub fn max_count(self) -> u32 {
        u32::try_from(self.nanos()).unwrap_or(u32::MAX)
    }

    fn parse(text: &str) -> Option<Period> {
        const SPELLINGS: [(&str, Period); 18] = [
            ("s", Period::Second),
            ("sec", Period::Second),
            ("secs", Period::Second),
            ("second", Period::Second),
            ("seconds", Period::Second),
            ("m", Period::Minute),
            ("min", Period::Minute),
            ("mins", Period::Minute),
            ("minute", Period::Minute),
            ("minutes", Period::Minute),
            ("h", Period::Hour),
            ("hr", Period::Hour),
            ("hrs", Period::Hour),
            ("hour", Period::Hour),
            ("hours", Period::Hour),
            ("d", Period::Day),
            ("day", Period::Day),
            ("days", Period::Day),
        ];
        SPELLINGS.iter().find(|(s, _)| s.eq_ignore_ascii_case(text)).map(|&(_, p)| p)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rate limit: up to `burst` requests at once, replenished evenly over one period.
///
/// `60/minute` admits a burst of 60 requests, then one more every second (the emission
/// interval, `period / burst`); a key that stays idle for a minute has its full burst back.
/// That is the generic cell rate algorithm's reading of a quota (see the [module docs](super)),
/// so one number pair configures both the sustained rate and how bursty a browser page may be.
///
/// ```
/// use corsair_gateway::ratelimit::{Period, Quota};
/// use std::time::Duration;
///
/// let q: Quota = "60/minute".parse().unwrap();
/// assert_eq!((q.burst(), q.period()), (60, Period::Minute));
/// assert_eq!(q.emission_interval(), Duration::from_secs(1));
/// assert_eq!("10/s".parse::<Quota>().unwrap().to_string(), "10/second");
/// let e = "0/minute".parse::<Quota>().unwrap_err().to_string();
/// assert!(e.contains("write at least 1/minute"), "{e}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Quota {
    burst: NonZeroU32,
    period: Period,
}

impl Quota {
    /// `burst` requests per `period`; refused if the emission interval would be shorter than a
    /// nanosecond (more than [`Period::max_count`]).
    pub fn new(burst: NonZeroU32, period: Period) -> Result<Quota, QuotaError> {
        if burst.get() > period.max_count() {
            return Err(QuotaError::TooMany { count: burst.to_string(), period });
        }
        Ok(Quota { burst, period })
    }

    /// `burst` requests per second (at most 10^9).
    pub fn per_second(burst: NonZeroU32) -> Result<Quota, QuotaError> {
        Quota::new(burst, Period::Second)
    }

    /// `burst` requests per minute. Cannot fail: a minute has more nanoseconds than a `u32` holds.
    pub fn per_minute(burst: NonZeroU32) -> Quota {
        Quota { burst, period: Period::Minute }
    }

    /// `burst` requests per hour. Cannot fail, like [`Quota::per_minute`].
    pub fn per_hour(burst: NonZeroU32) -> Quota {
        Quota { burst, period: Period::Hour }
    }

    /// How many requests a key may make at once, after being idle for a period.
    pub fn burst(&self) -> u32 {
        self.burst.get()
    }

    /// The period the burst replenishes over.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The time between two requests at the sustained rate (`period / burst`, rounded down to
    /// a whole nanosecond, so the limiter is never stricter than written).
    pub fn emission_interval(&self) -> Duration {
        Duration::from_nanos(self.emission_nanos())
    }

    /// The emission interval in nanoseconds; at least 1 by construction.
    pub(crate) fn emission_nanos(&self) -> u64 {
        self.period.nanos() / u64::from(self.burst.get())
    }

    /// How far ahead of now a key's theoretical arrival time may run and still admit a
    /// request: `(burst - 1) * emission interval` (the "delay variation tolerance").
    pub(crate) fn tolerance_nanos(&self) -> u64 {
        self.emission_nanos() * u64::from(self.burst.get() - 1)
    }
}

impl fmt::Display for Quota {
    /// `COUNT/UNIT` with the unit's full name: `60/minute`. Parses back to the same quota.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.burst, self.period)
    }
}

/// Why text is not a [`Quota`]. The `Display` text says what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuotaError {
    /// Nothing was written.
    Empty,
    /// Not `COUNT/UNIT`.
    Shape(String),
    /// The count is not a whole number.
    Count(String),
    /// A count of zero.
    Zero(Period),
    /// More requests than the limiter can count in the period.
    TooMany {
        /// The count as written.
        count: String,
        /// The period written.
        period: Period,
    },
    /// A unit that is not second, minute, hour or day.
    Period(String),
}

/// At most this many characters of the input are echoed in errors, control characters escaped:
/// error text goes to terminals and logs.
fn shown(text: &str) -> String {
    let mut s: String = text.chars().take(40).flat_map(char::escape_debug).collect();
    if text.chars().nth(40).is_some() {
        s.push_str("...");
    }
    s
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: &str = "second (s), minute (m), hour (h) or day (d)";
        match self {
            QuotaError::Empty => f.write_str("empty quota: write a count per unit, e.g. 60/minute"),
            QuotaError::Shape(t) => write!(f, "`{t}` is not a quota: write COUNT/UNIT, e.g. 60/minute or 10/s"),
            QuotaError::Count(c) => {
                write!(f, "`{c}` is not a count: write a whole number of requests, e.g. 60/minute")
            }
            QuotaError::Zero(p) => write!(
                f,
                "a quota of 0/{p} admits nothing: write at least 1/{p}, or leave the limit out to turn it off"
            ),
            QuotaError::TooMany { count, period } => {
                let max = period.max_count();
                match Period::ALL.iter().find(|p| p.seconds() > period.seconds()) {
                    Some(longer) if *period == Period::Second => write!(
                        f,
                        "{count}/{period} is more than the limiter counts (at most {max}/{period}); \
                         write a smaller count or a longer unit such as {longer}"
                    ),
                    _ => write!(f, "{count}/{period} is more than the limiter counts: at most {max}/{period}"),
                }
            }
            QuotaError::Period(u) if u.starts_with(|c: char| c.is_ascii_digit()) => {
                write!(f, "`{u}`: periods are one {UNITS}; write the rate per unit instead (100/5m is 20/minute)")
            }
            QuotaError::Period(u)
                if ["ms", "millisecond", "milliseconds"].iter().any(|m| m.eq_ignore_ascii_case(u)) =>
            {
                write!(f, "`{u}`: the shortest unit is the second; write the rate per second (5/ms is 5000/s)")
            }
            QuotaError::Period(u) => write!(f, "`{u}` is not a unit: write {UNITS}, e.g. 60/minute"),
        }
    }
}

impl std::error::Error for QuotaError {}

impl FromStr for Quota {
    type Err = QuotaError;

    /// Reads `COUNT/UNIT`: a decimal count from 1, a slash, and a unit (case-insensitive;
    /// spaces around either part are ignored). Never panics, whatever the input.
    fn from_str(text: &str) -> Result<Quota, QuotaError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(QuotaError::Empty);
        }
        let Some((count, unit)) = text.split_once('/') else {
            return Err(QuotaError::Shape(shown(text)));
        };
        let (count, unit) = (count.trim(), unit.trim());
        if count.is_empty() || unit.is_empty() {
            return Err(QuotaError::Shape(shown(text)));
        }
        if !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QuotaError::Count(shown(count)));
        }
        let period = Period::parse(unit).ok_or_else(|| QuotaError::Period(shown(unit)))?;
        let digits = count.trim_start_matches('0');
        if digits.is_empty() {
            return Err(QuotaError::Zero(period));
        }
        // Any count too long for a u32 is too many; keep the digits as written in the error.
        let too_many = || QuotaError::TooMany { count: shown(digits), period };
        let burst = digits.parse::<u32>().ok().and_then(NonZeroU32::new).ok_or_else(too_many)?;
        Quota::new(burst, period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quota {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> String {
        match text.parse::<Quota>() {
            Ok(q) => panic!("{text} parsed as {q}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn counts_per_unit_parse_in_every_spelling() {
        assert_eq!(q("60/minute"), Quota::per_minute(NonZeroU32::new(60).unwrap()));
        assert_eq!(q("10/s").to_string(), "10/second");
        assert_eq!(q("1000/hour").to_string(), "1000/hour");
        assert_eq!(q(" 5 / Min ").to_string(), "5/minute");
        assert_eq!(q("007/HRS").to_string(), "7/hour");
        assert_eq!(q("1/d").to_string(), "1/day");
        assert_eq!(q("1000000000/second").emission_interval(), Duration::from_nanos(1));
        assert_eq!(q("4294967295/minute").burst(), u32::MAX);
    }

    #[test]
    fn emission_interval_and_tolerance_follow_the_quota() {
        let a = q("60/minute");
        assert_eq!(a.emission_interval(), Duration::from_secs(1));
        assert_eq!(a.tolerance_nanos(), 59_000_000_000);
        let one = q("1/hour");
        assert_eq!((one.emission_interval(), one.tolerance_nanos()), (Duration::from_secs(3600), 0));
        // Rounded down, never stricter than written: 7 requests fit in one second.
        assert!(q("7/s").emission_nanos() * 7 <= 1_000_000_000);
    }

    #[test]
    fn mistakes_say_what_to_write_instead() {
        assert_eq!(err(""), "empty quota: write a count per unit, e.g. 60/minute");
        assert_eq!(err("   "), "empty quota: write a count per unit, e.g. 60/minute");
        assert!(err("60 per minute").contains("write COUNT/UNIT"));
        assert!(err("/minute").contains("write COUNT/UNIT"));
        assert!(err("60/").contains("write COUNT/UNIT"));
        assert!(err("-5/minute").contains("`-5` is not a count"));
        assert!(err("+5/minute").contains("`+5` is not a count"));
        assert!(err("1.5/s").contains("whole number"));
        assert!(err("0/minute").contains("write at least 1/minute"));
        assert!(err("000/h").contains("write at least 1/hour"));
        assert!(err("60/fortnight").contains("`fortnight` is not a unit: write second (s), minute (m)"));
        assert!(err("100/5m").contains("100/5m is 20/minute"));
        assert!(err("5/ms").contains("the shortest unit is the second"));
        assert!(err("2000000000/s").contains("at most 1000000000/second"));
        assert!(err("2000000000/s").contains("longer unit such as minute"));
        assert!(err("4294967296/minute").contains("at most 4294967295/minute"));
        assert!(err("99999999999999999999999999/day").contains("99999999999999999999999999/day is more"));
        assert!(err("0/fortnight").contains("not a unit"), "the unit is checked first");
    }

    #[test]
    fn errors_escape_and_shorten_what_they_echo() {
        assert!(err("6\u{1b}[31m/minute").contains(r"6\u{1b}[31m"));
        let long = format!("{}/minute", "x".repeat(500));
        assert!(err(&long).len() < 120, "{}", err(&long));
    }

    #[test]
    fn constructors_check_the_range() {
        let max = NonZeroU32::new(1_000_000_000).unwrap();
        assert!(Quota::per_second(max).is_ok());
        let over = NonZeroU32::new(1_000_000_001).unwrap();
        assert!(matches!(Quota::per_second(over), Err(QuotaError::TooMany { .. })));
        assert!(Quota::new(NonZeroU32::MAX, Period::Day).is_ok());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() }
        }

        /// Text shaped like quotas often enough to reach every branch of the parser.
        fn quota_like() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[ 0-9+-]{0,12}/?[ a-zA-Z0-9/]{0,10}",
                (any::<u64>(), "(s|sec|m|min|minute|h|hours|d|day|ms|5m|x)").prop_map(|(n, u)| format!("{n}/{u}")),
            ]
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn parsing_never_panics_and_what_parses_round_trips(text in quota_like()) {
                match text.parse::<Quota>() {
                    Ok(q) => prop_assert_eq!(q.to_string().parse::<Quota>(), Ok(q)),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }

            #[test]
            fn every_quota_displays_as_text_that_parses_back(
                count in 1u32..=u32::MAX,
                period in proptest::sample::select(Period::ALL.to_vec()),
            ) {
                let burst = NonZeroU32::new(count).unwrap();
                match Quota::new(burst, period) {
                    Ok(q) => {
                        prop_assert_eq!(q.to_string().parse::<Quota>(), Ok(q));
                        prop_assert!(q.emission_nanos() >= 1);
                    }
                    Err(_) => prop_assert!(count > period.max_count()),
                }
            }
        }
    }
}
