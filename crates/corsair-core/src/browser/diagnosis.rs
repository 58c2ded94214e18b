//! A blocked fetch, diagnosed: why it was blocked (from the answers when they say more than the
//! error does), the fix (in the page, or on the server), and what else the answers show that is
//! worth fixing. `corsair check`, `corsair explain --har` and the web page render this one
//! reading, each in its own format.

use super::cause::{causes, Cause};
use super::{Request, Response, Verdict};
use crate::cors_error::Fix;

/// What the answers to a blocked fetch say about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// Why, in one or more sentences: the causes the answers show, else the error's explanation.
    pub why: Vec<String>,
    /// True when `why` comes from the answers (their causes), not from the error alone.
    pub why_from_answers: bool,
    /// The fix, when it is in the page (the server is not at fault).
    pub fix_in_page: Option<String>,
    /// The server-side fix, unless the fix is in the page; its summary is the most specific
    /// cause's, when one says more than the error.
    pub fix: Option<Fix>,
    /// Causes the answers show that did not block this fetch, but will block the next one.
    pub also: Vec<Cause>,
}

impl Diagnosis {
    /// Reads the exchanges of a fetch (requests sent, answers received, in order) and its
    /// verdict; `None` when the fetch was allowed.
    pub fn of(exchanges: &[(&Request, &Response)], verdict: &Verdict) -> Option<Diagnosis> {
        let Verdict::Blocked(blocked) = verdict else { return None };
        if blocked.cors_error().is_none() {
            return Some(Diagnosis {
                why: vec![blocked.failure.summary().to_owned()],
                why_from_answers: false,
                fix_in_page: None,
                fix: None,
                also: Vec::new(),
            });
        }
        let (explaining, also): (Vec<Cause>, Vec<Cause>) =
            causes(exchanges, verdict).into_iter().partition(Cause::explains_block);
        let why_from_answers = !explaining.is_empty();
        let why = if why_from_answers {
            explaining.iter().map(Cause::explanation).collect()
        } else {
            blocked.cors_error().map(|e| e.explanation().to_owned()).into_iter().collect()
        };
        let fix_in_page = explaining.iter().find(|c| c.fix_is_in_the_page()).and_then(Cause::fix);
        let fix = match fix_in_page {
            Some(_) => None,
            None => blocked.fix().map(|mut fix| {
                if let Some(summary) = explaining.iter().find_map(Cause::fix) {
                    fix.summary = summary;
                }
                fix
            }),
        };
        Some(Diagnosis { why, why_from_answers, fix_in_page, fix, also })
    }
}
