//! The generic cell rate algorithm, one step, without storage or clock.
//!
//! A key's whole state is its theoretical arrival time (TAT): the time at which the key would
//! be back to an empty bucket if it made no more requests. A request at `now` is admitted if
//! the TAT, pushed to at least `now`, is no further ahead than the quota's tolerance
//! (`(burst - 1) * interval`); admitting it moves the TAT one emission interval later. A TAT in
//! the past means the same as no entry at all, which is why stores may forget it then (the
//! memory store prunes it, Redis expires it).
//!
//! Every store runs exactly this step, atomically per key: the memory store under its shard's
//! lock, a Redis store in a Lua script (see the `ratelimit` module docs), so both hold the same
//! single number and agree on every answer.

use super::Quota;

/// Decides one request for a key whose stored TAT is `tat` (`None` if the store has no entry),
/// at `now` (nanoseconds on the store's clock).
///
/// `Ok(new_tat)`: admitted; store `new_tat`, which may be forgotten once the clock passes it.
/// `Err(wait)`: refused; keep the stored TAT unchanged, and the same request is admitted
/// `wait` nanoseconds from now. Saturating arithmetic: never panics, whatever the inputs.
pub(crate) fn step(tat: Option<u64>, now: u64, quota: &Quota) -> Result<u64, u64> {
    let tat = tat.map_or(now, |t| t.max(now));
    let allowed_from = tat.saturating_sub(quota.tolerance_nanos());
    if allowed_from > now {
        return Err(allowed_from - now);
    }
    Ok(tat.saturating_add(quota.emission_nanos()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;

    fn quota(text: &str) -> Quota {
        text.parse().unwrap()
    }

    /// Runs requests at the given times against one key; returns each answer.
    fn run(q: &Quota, times: &[u64]) -> Vec<Result<(), u64>> {
        let mut tat = None;
        times
            .iter()
            .map(|&now| match step(tat, now, q) {
                Ok(t) => {
                    tat = Some(t);
                    Ok(())
                }
                Err(wait) => Err(wait),
            })
            .collect()
    }

    #[test]
    fn a_fresh_key_gets_its_whole_burst_then_waits_one_interval() {
        let q = quota("3/second");
        let third = SECOND / 3;
        assert_eq!(run(&q, &[0, 0, 0, 0]), [Ok(()), Ok(()), Ok(()), Err(third)]);
        // Waiting exactly the advertised time is enough, one nanosecond less is not.
        assert_eq!(run(&q, &[0, 0, 0, third - 1, third]), [Ok(()), Ok(()), Ok(()), Err(1), Ok(())]);
    }

    #[test]
    fn the_sustained_rate_is_one_per_interval() {
        let q = quota("60/minute");
        let steady: Vec<u64> = (0..1000).map(|i| i * SECOND).collect();
        assert!(run(&q, &steady).iter().all(Result::is_ok));
        // Twice the rate: the burst absorbs the excess for a while, then half are refused.
        let fast: Vec<u64> = (0..1000).map(|i| i * SECOND / 2).collect();
        let admitted = run(&q, &fast).iter().filter(|r| r.is_ok()).count();
        // 500 s elapsed: 500 intervals plus the burst of 60, give or take the boundary.
        assert!((559..=561).contains(&admitted), "{admitted}");
    }

    #[test]
    fn an_idle_key_recovers_its_burst_and_no_more() {
        let q = quota("5/second");
        let mut times = vec![0; 5];
        times.extend([10 * SECOND; 6]);
        let answers = run(&q, &times);
        assert!(answers[..10].iter().all(Result::is_ok));
        assert_eq!(answers[10], Err(SECOND / 5));
    }

    #[test]
    fn a_refusal_leaves_the_state_alone() {
        let q = quota("1/minute");
        let tat = step(None, 0, &q).unwrap();
        assert_eq!(step(Some(tat), 1, &q), Err(60 * SECOND - 1));
        assert_eq!(step(Some(tat), 60 * SECOND, &q), Ok(120 * SECOND));
    }

    #[test]
    fn a_past_tat_is_the_same_as_no_entry() {
        let q = quota("10/second");
        assert_eq!(step(Some(5), 1_000, &q), step(None, 1_000, &q));
    }

    #[test]
    fn extreme_times_saturate_instead_of_panicking() {
        let q = quota("1/day");
        assert_eq!(step(None, u64::MAX, &q), Ok(u64::MAX));
        assert_eq!(step(Some(u64::MAX), u64::MAX, &q), Ok(u64::MAX));
        assert!(step(Some(u64::MAX), 0, &q).is_err());
    }
}
