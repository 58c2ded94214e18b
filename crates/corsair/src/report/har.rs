//! `corsair explain --har FILE --format json`: the file, the tally, and each listed request
//! with `check`'s document for those judged. Keys in alphabetical order, as always written.

use serde::Serialize;

use super::check::CheckReport;

/// The whole document.
#[derive(Debug, Serialize)]
pub struct HarReport {
    /// Who wrote the file.
    pub har: HarSource,
    /// Whose words the messages are in: always `chromium`.
    pub messages_from: &'static str,
    /// Why the words may differ from the browser that recorded the file.
    pub note: Option<String>,
    /// The listed requests: failures, and with `--all` the passes.
    pub requests: Vec<HarRequest>,
    /// Every cross-origin request, counted by verdict.
    pub summary: HarSummary,
}

/// The tool that wrote the file.
#[derive(Debug, Serialize)]
pub struct HarSource {
    /// Its name, as recorded.
    pub creator: String,
    /// The engine it is taken to be.
    pub engine: &'static str,
    /// Its version, as recorded.
    pub version: String,
}

/// The tally.
#[derive(Debug, Serialize)]
pub struct HarSummary {
    /// Passed.
    pub allowed: usize,
    /// Blocked on the recorded answers.
    pub blocked: usize,
    /// Blocked before an answer was recorded.
    pub blocked_not_in_har: usize,
    /// Cross-origin requests replayed.
    pub cross_origin: usize,
    /// Not judged: the file lacks what judging needs.
    pub incomplete: usize,
    /// Requests CORS has nothing to say about.
    pub not_cors: usize,
    /// Same-origin requests.
    pub same_origin: usize,
}

/// One listed request.
#[derive(Debug, Serialize)]
pub struct HarRequest {
    /// `check`'s document on the recorded answers, when judged.
    pub check: Option<CheckReport>,
    /// fetch()'s credentials mode, as inferred.
    pub credentials: &'static str,
    /// What the credentials mode was inferred from.
    pub credentials_from: &'static str,
    /// The entries of its exchanges.
    pub entries: Vec<usize>,
    /// Its first entry.
    pub entry: usize,
    /// The `corsair check` command that asks the server what the file lacks.
    pub fill_in: Option<String>,
    /// The page's method.
    pub method: String,
    /// What the file lacks, when not judged.
    pub missing: Option<Missing>,
    /// Where the page's origin was read from.
    pub origin_from: &'static str,
    /// The page's origin.
    pub page_origin: String,
    /// The failure the browser recorded, if any.
    pub recorded_failure: Option<String>,
    /// Headers the browser left out of the file.
    pub sanitised: Vec<String>,
    /// The URL.
    pub url: String,
    /// `blocked`, `allowed`, `incomplete` or `blocked_not_in_har`.
    pub verdict: &'static str,
}

/// What the file lacks.
#[derive(Debug, Serialize)]
pub struct Missing {
    /// In words.
    pub description: String,
    /// Its name.
    pub kind: &'static str,
}
