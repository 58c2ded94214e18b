//! Loading a policy file in one call, the way `corsair proxy` and `corsair policy check` read
//! it: a service that embeds the layer should not need to know the core's parsing steps.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use corsair_core::policy_file::MAX_POLICY_FILE_LEN;
use corsair_core::{ConfigErrors, Policy, PolicyFile};

/// Why [`load_policy`] returned no policy.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read (missing, a directory, not UTF-8, larger than a policy file
    /// can be).
    Read {
        /// The file asked for.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The file was read and has errors, each with its line and column.
    Invalid(ConfigErrors),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, error } => write!(f, "error: {}: {error}", path.display()),
            LoadError::Invalid(errors) => write!(f, "{errors}"),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Read { error, .. } => Some(error),
            LoadError::Invalid(errors) => Some(errors),
        }
    }
}

/// Reads the policy file at `path` and builds the policy of `profile` (else the one
/// `CORSAIR_PROFILE` names, else the top level), with the process's `CORSAIR_*` overrides
/// applied, exactly as `corsair policy check FILE --profile NAME` judges it. Every error of the
/// file at once, each with `FILE:LINE:COL`.
///
/// ```no_run
/// let policy = corsair_tower::load_policy("cors.toml", Some("prod"))?;
/// let layer = corsair_tower::CorsLayer::new(policy);
/// # Ok::<(), corsair_tower::LoadError>(())
/// ```
pub fn load_policy(path: impl AsRef<Path>, profile: Option<&str>) -> Result<Policy, LoadError> {
    let path = path.as_ref();
    let text = read_bounded(path).map_err(|error| LoadError::Read { path: path.to_owned(), error })?;
    let file = PolicyFile::parse(&path.display().to_string(), &text).map_err(LoadError::Invalid)?;
    file.policy(profile, |name| std::env::var(name).ok()).map_err(LoadError::Invalid)
}

/// The file as text, refusing more than a policy file may hold before reading it all.
fn read_bounded(path: &Path) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_POLICY_FILE_LEN as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_POLICY_FILE_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_POLICY_FILE_LEN} bytes, more than any policy file needs"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 (byte {}); save it as UTF-8", e.utf8_error().valid_up_to()),
        )
    })
}
