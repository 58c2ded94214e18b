//! The command tree. Each subcommand's flags live beside its code in [`crate::cmd`]; this
//! module only names the subcommands and the exit statuses they share.

use clap::{Parser, Subcommand};

use crate::cmd;

/// What the exit statuses mean across commands, at the end of `corsair --help`; each
/// subcommand's `--help` says exactly when it returns each.
pub const EXIT_STATUS_HELP: &str = "\
Exit status (each command's --help says exactly when):
  0    done: the policy is valid, the browser would allow the request, no finding at or above
       --fail-on, the snippet or page was written; for the proxy, stopped by SIGTERM or Ctrl-C
  1    a problem found: policy errors, a request the browser would block, an audit finding, a
       stack that cannot express the whole policy
  2    could not do the job: bad flags, unreadable input, a server that could not be reached
  130  the proxy was stopped at once by a second SIGTERM or Ctrl-C";

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
