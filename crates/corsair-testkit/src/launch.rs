//! What every browser driver does around the browser itself: find the binary (or skip the test
//! loudly), make a fresh profile directory, start the process in its own process group, wait
//! for the line that says where it listens, and kill it with its helpers and remove the profile
//! when done. Chromium and Firefox differ only in their flags and in that line.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A browser binary: `$env` if set (and executable), else the first of `candidates` that exists,
/// else `which NAME` when `which` names one.
pub(crate) fn find_browser(env: &str, candidates: &[&str], which: Option<&str>) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(env) {
        let path = PathBuf::from(path);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(format!("{env}={} is not an executable file", path.display()))
        };
    }
    if let Some(path) = candidates.iter().map(PathBuf::from).find(|p| is_executable(p)) {
        return Ok(path);
    }
    if let Some(name) = which {
        let found = std::process::Command::new("which").arg(name).stderr(Stdio::null()).output();
        if let Ok(out) = found {
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if out.status.success() && is_executable(&path) {
                return Ok(path);
            }
        }
    }
    let looked = which.map_or(String::new(), |n| format!(", and `which {n}` found nothing"));
    Err(format!("{env} is not set, none of {} exists{looked}", candidates.join(", ")))
}

/// A browser found for a test, or: on CI (`CI=true`) a panic, since a real-browser test that never
/// ran is a failure there; elsewhere a loud `SKIPPED` line on stderr and `None`.
pub(crate) fn for_tests<B>(found: Result<B, String>, name: &str, package: &str, set: &str) -> Option<B> {
    match found {
        Ok(b) => Some(b),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{name} not found: install it with apt-get install -y {package} ({why})")
        }
        Err(why) => {
            eprintln!(
                "\n==> SKIPPED: real-browser test: {name} not found ({why}); install it with apt-get install -y {package}, or set {set}\n"
            );
            None
        }
    }
}

/// `BINARY --version`'s first line of output.
pub(crate) fn version(path: &Path) -> Result<String, String> {
    let out = std::process::Command::new(path)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("{} --version: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if text.is_empty() {
        return Err(format!("{} --version printed nothing", path.display()));
    }
    Ok(text)
}

pub(crate) fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// A new, empty directory for one browser's profile (or one WebKit run's files), unique within
/// this machine: several tests start browsers at once.
pub(crate) fn fresh_profile_dir(browser: &str) -> Result<PathBuf, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "corsair-{browser}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Kills the browser and every helper process it started (they share its process group, which
/// the launch created).
pub(crate) fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        let _ =
            std::process::Command::new("kill").args(["-KILL", "--", &format!("-{pid}")]).stderr(Stdio::null()).status();
    }
    let _ = child.start_kill();
}

/// A started browser process and its profile: killed with its helpers, and the profile removed,
/// when dropped, so a test that fails half-way leaves nothing running.
pub(crate) struct Launched {
    /// The browser's main process (its own process group's leader).
    pub(crate) child: Child,
    profile: PathBuf,
}

/// How one browser says it is ready: its name for errors, how long it may take, and the
/// stderr line that gives the URL to connect to.
pub(crate) struct Readiness {
    /// `Chromium`, `Firefox`.
    pub(crate) name: &'static str,
    /// How long to wait for the line.
    pub(crate) timeout: Duration,
    /// The URL in a stderr line, if this is the line.
    pub(crate) url_in: fn(&str) -> Option<String>,
}

impl Launched {
    /// Starts `command` (headless flags and `profile` already on it) in its own process group,
    /// reads its stderr until `ready.url_in` finds the URL it listens on, and keeps draining
    /// stderr afterwards (a full pipe would stall the browser). On any failure the process is
    /// killed and `profile` removed; the error quotes what the browser printed.
    pub(crate) async fn start(
        mut command: Command,
        profile: PathBuf,
        ready: Readiness,
    ) -> Result<(Launched, String), String> {
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
        #[cfg(unix)]
        command.process_group(0);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                return Err(format!("cannot start {}: {e}", ready.name));
            }
        };
        let mut launched = Launched { child, profile };
        let stderr = launched.child.stderr.take().ok_or("no stderr pipe")?;
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + ready.timeout;
        let url = loop {
            match tokio::time::timeout_at(deadline, lines.next_line()).await {
                Ok(Ok(Some(line))) => {
                    if let Some(url) = (ready.url_in)(&line) {
                        break url;
                    }
                    seen.push(line);
                }
                Ok(Ok(None)) | Ok(Err(_)) => {
                    return Err(format!("{} exited before listening; its stderr:\n{}", ready.name, seen.join("\n")));
                }
                Err(_) => {
                    return Err(format!(
                        "{} did not say where it listens in {}s; its stderr:\n{}",
                        ready.name,
                        ready.timeout.as_secs(),
                        seen.join("\n")
                    ));
                }
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok((launched, url))
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        kill_group(&mut self.child);
        // Give the processes a moment to let go of the profile before removing it.
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
