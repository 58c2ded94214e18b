//! The command tree. Each subcommand's flags live beside its code in [`crate::cmd`]; this
//! module only names the subcommands and the exit statuses they share.

use clap::{Parser, Subcommand};

use crate::cmd;

/// What every subcommand's exit status means, as a literal for `concat!` in longer help texts.
macro_rules! exit_status_help {
    () => {
        "\
Exit status:
  0  ok
  1  the policy has errors (each printed as `error: FILE:LINE:COL: message`)
  2  usage error, or the file could not be read"
    };
}
pub(crate) use exit_status_help;

/// What every subcommand's exit status means, shown at the end of `--help`.
pub const EXIT_STATUS_HELP: &str = exit_status_help!();

/// The process exit status, the same for every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    /// Everything checked out.
    Ok = 0,
    /// The input was read and has problems (policy errors; later: refused requests).
    Findings = 1,
    /// Bad flags or unreadable input. clap also exits with 2 on usage errors.
    Usage = 2,
    /// `corsair proxy` was stopped at once by a second SIGTERM or Ctrl-C; requests in flight
    /// were cut off. 130 is what shells report for a Ctrl-C.
    Interrupted = 130,
}

/// corsair: from "blocked by CORS policy" to a correct, safe fix.
#[derive(Debug, Parser)]
#[command(name = "corsair", version, propagate_version = true, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask a live URL what a browser would ask; print what the browser would say and the fix.
    Check(cmd::check::CheckCommand),
    /// Find insecure CORS on live URLs: reflected origins, bypassable allow-lists, null, no Vary.
    Audit(cmd::audit::AuditArgs),
    /// Explain a pasted "blocked by CORS policy" console message (and re-check it with --live).
    Explain(cmd::explain::ExplainArgs),
    /// Work with policy files.
    Policy(cmd::policy::PolicyArgs),
    /// Run a CORS gateway in front of an API (or a safe open proxy).
    Proxy(Box<cmd::proxy::ProxyArgs>),
    /// Write a policy as config or code for a server stack (nginx, Express, Flask, axum).
    Snippet(cmd::snippet::SnippetArgs),
    /// Serve the web page (explain, HAR, policy editor) on loopback; it runs in the browser.
    Ui(cmd::ui::UiArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(cmd::completions::CompletionsArgs),
    /// Print the manual page, or write one page per command into a directory.
    Man(cmd::man::ManArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
