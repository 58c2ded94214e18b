//! The finding taxonomy: what a probe proved, how bad it is, and what to change.

use std::fmt;

/// What a probe proved. The `as_str` names are part of the JSON contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An unrelated origin (`https://<random>.example`) is allowed.
    OriginReflection,
    /// `Origin: null` (sandboxed frames, `data:` pages) is allowed.
    NullOriginTrusted,
    /// `https://evil<site>`, a name anyone can register, is allowed.
    SuffixMatchBypass,
    /// `https://<trusted host>.evil.example` is allowed.
    PrefixMatchBypass,
    /// A trusted host with a dot replaced by a letter (`wwwx<site>`) is allowed.
    UnescapedDotBypass,
    /// The `http://` twin of a trusted `https://` origin is allowed.
    InsecureSchemeTrusted,
    /// `http://localhost` or `http://127.0.0.1` is allowed.
    LocalhostTrusted,
    /// `https://<trusted host>_.evil.example` and the like are allowed.
    SpecialCharacterBypass,
    /// `Access-Control-Allow-Origin: *` with `Access-Control-Allow-Credentials: true`.
    WildcardWithCredentials,
    /// The allowed origin depends on `Origin`, but the response lacks `Vary: Origin`.
    MissingVaryOrigin,
    /// An origin that is itself a finding passes a preflight for any method and any header
    /// with credentials: the attacker's page can send `PUT`/`DELETE` and custom headers with the
    /// user's cookies, not only read.
    PermissivePreflightWithCredentials,
    /// `Access-Control-Allow-Origin` holds more than one value (two header lines or a list).
    MultipleAllowOriginValues,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 12] = [
        Kind::OriginReflection,
        Kind::NullOriginTrusted,
        Kind::SuffixMatchBypass,
        Kind::PrefixMatchBypass,
        Kind::UnescapedDotBypass,
        Kind::InsecureSchemeTrusted,
        Kind::LocalhostTrusted,
        Kind::SpecialCharacterBypass,
        Kind::WildcardWithCredentials,
        Kind::MissingVaryOrigin,
        Kind::PermissivePreflightWithCredentials,
        Kind::MultipleAllowOriginValues,
    ];

    /// The `kind` value of the JSON report and the SARIF rule id.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OriginReflection => "origin-reflection",
            Kind::NullOriginTrusted => "null-origin-trusted",
            Kind::SuffixMatchBypass => "suffix-match-bypass",
            Kind::PrefixMatchBypass => "prefix-match-bypass",
            Kind::UnescapedDotBypass => "unescaped-dot-bypass",
            Kind::InsecureSchemeTrusted => "insecure-scheme-trusted",
            Kind::LocalhostTrusted => "localhost-trusted",
            Kind::SpecialCharacterBypass => "special-character-bypass",
            Kind::WildcardWithCredentials => "wildcard-with-credentials",
            Kind::MissingVaryOrigin => "missing-vary-origin",
            Kind::PermissivePreflightWithCredentials => "permissive-preflight-with-credentials",
            Kind::MultipleAllowOriginValues => "multiple-allow-origin-values",
        }
    }

    /// One sentence on what the kind means, for SARIF rules and text reports.
    pub fn summary(self) -> &'static str {
        match self {
            Kind::OriginReflection => "Any origin is allowed: the server echoes the Origin it receives.",
            Kind::NullOriginTrusted => "`Origin: null` is allowed; any page can send it from a sandboxed iframe.",
            Kind::SuffixMatchBypass => "An attacker-registrable name ending in the site's domain is allowed.",
            Kind::PrefixMatchBypass => "A trusted host followed by an attacker's domain is allowed.",
            Kind::UnescapedDotBypass => "A trusted host with a dot replaced by a letter is allowed (an unescaped `.` in a regex).",
            Kind::InsecureSchemeTrusted => "The http:// twin of a trusted https:// origin is allowed; a network attacker can inject it.",
            Kind::LocalhostTrusted => "A localhost origin is allowed; any local program or dev server can read responses.",
            Kind::SpecialCharacterBypass => "A trusted host followed by a special character and an attacker's domain is allowed.",
            Kind::WildcardWithCredentials => {
                "`Access-Control-Allow-Origin: *` is sent with `Access-Control-Allow-Credentials: true`."
            }
            Kind::MissingVaryOrigin => {
                "Access-Control-Allow-Origin depends on Origin but the response lacks `Vary: Origin`: caches can serve one origin's answer to another."
            }
            Kind::PermissivePreflightWithCredentials => {
                "An untrusted origin passes a preflight for an arbitrary method and header with credentials: it can send state-changing requests with the user's cookies."
            }
            Kind::MultipleAllowOriginValues => {
                "Access-Control-Allow-Origin holds several values; browsers refuse such a response, and one of the layers adding it often echoes Origin."
            }
        }
    }

    /// What to change on the server.
    pub fn fix(self) -> &'static str {
        match self {
            Kind::OriginReflection => {
                "Compare Origin against an exact list of trusted origins; never copy it into Access-Control-Allow-Origin unchecked."
            }
            Kind::NullOriginTrusted => "Remove `null` from the trusted origins; it is never a trustworthy page.",
            Kind::SuffixMatchBypass | Kind::PrefixMatchBypass | Kind::SpecialCharacterBypass => {
                "Parse the Origin and compare its scheme, host and port exactly (or `*.` subdomains of the site with a leading dot); do not use endsWith/startsWith/contains or unanchored regular expressions."
            }
            Kind::UnescapedDotBypass => "Escape dots in origin regular expressions (`\\.`) and anchor them (`^...$`), or use an exact list.",
            Kind::InsecureSchemeTrusted => "Trust only https:// origins for an https:// site.",
            Kind::LocalhostTrusted => {
                "Allow localhost origins only in development configuration, never in production."
            }
            Kind::WildcardWithCredentials => {
                "Send either `*` without credentials (public data) or an exact trusted origin with `Access-Control-Allow-Credentials: true`."
            }
            Kind::MissingVaryOrigin => "Add `Vary: Origin` to every response whose Access-Control-Allow-Origin depends on Origin.",
            Kind::PermissivePreflightWithCredentials => {
                "List the methods and request headers the API uses in Access-Control-Allow-Methods/-Headers instead of echoing Access-Control-Request-Method/-Headers, and fix the origin check."
            }
            Kind::MultipleAllowOriginValues => {
                "Set Access-Control-Allow-Origin in exactly one layer (application or proxy), to exactly one origin or `*`."
            }
        }
    }

    /// How bad the kind is without and with credentials allowed.
    fn severities(self) -> (Severity, Severity) {
        use Severity::{High, Low, Medium};
        match self {
            // Without credentials an echo reads only what `*` would: anonymous responses.
            Kind::OriginReflection | Kind::NullOriginTrusted => (Low, High),
            // The server meant to restrict: the data is probably not public.
            Kind::SuffixMatchBypass
            | Kind::PrefixMatchBypass
            | Kind::UnescapedDotBypass
            | Kind::SpecialCharacterBypass => (Medium, High),
            // Exploiting these needs a network position or code on the victim's machine.
            Kind::InsecureSchemeTrusted | Kind::LocalhostTrusted | Kind::MissingVaryOrigin => (Low, Medium),
            // Widens an untrusted origin's reach from reading to writing; the origin's own finding
            // already carries the read risk.
            Kind::PermissivePreflightWithCredentials => (Low, Medium),
            // Browsers refuse these responses: no exposure, but broken CORS that tells of
            // two layers, or of a policy that would echo if it could.
            Kind::WildcardWithCredentials | Kind::MultipleAllowOriginValues => (Low, Low),
        }
    }

    /// The severity of this kind, raised when credentials are allowed.
    pub fn severity(self, credentials: bool) -> Severity {
        let (without, with) = self.severities();
        if credentials {
            with
        } else {
            without
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is. Ordered: `Low < Medium < High`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth fixing; hard to exploit alone.
    Low,
    /// Exploitable under some conditions.
    Medium,
    /// Another site's pages can read this user's data.
    High,
}

impl Severity {
    /// `low`, `medium`, `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// SARIF's `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Low => "note",
            Severity::Medium => "warning",
            Severity::High => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            _ => Err(format!("`{s}` is not a severity: write low, medium or high")),
        }
    }
}

/// The exchange that proves a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The request's method.
    pub method: String,
    /// The request's CORS-relevant headers (`Origin` among them), as sent.
    pub request_headers: Vec<(String, String)>,
    /// The response status.
    pub status: u16,
    /// The response's header lines, as received (values decoded lossily).
    pub response_headers: Vec<(String, String)>,
}

/// One proven problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What was proven.
    pub kind: Kind,
    /// How bad it is.
    pub severity: Severity,
    /// The probe origin the server allowed (for `missing-vary-origin`, the origin whose answer
    /// lacked `Vary`).
    pub origin: String,
    /// True if the response also allowed credentials (`Access-Control-Allow-Credentials: true`).
    pub credentials: bool,
    /// The request and response.
    pub evidence: Evidence,
    /// What to change.
    pub fix: &'static str,
    /// The `corsair check` command that replays the evidence.
    pub replay: String,
    /// What the probes observed beyond the one exchange, when it strengthens the proof (a cache
    /// serving one origin's answer to another, the preflight that passed).
    pub detail: Option<String>,
}

/// The audit of one URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetReport {
    /// The URL as given.
    pub url: String,
    /// The registrable domain the probes were built from.
    pub site: Option<String>,
    /// Proven problems, most severe first.
    pub findings: Vec<Finding>,
    /// Softer remarks that are not findings (any subdomain trusted, public wildcard, ...).
    pub notes: Vec<String>,
    /// Why the URL could not be audited, if it could not.
    pub error: Option<String>,
}

impl TargetReport {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
