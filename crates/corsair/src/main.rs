//! `corsair`: the command-line shell over `corsair-core`.
//!
//! This file only parses flags and hands them to a subcommand in [`cmd`]; each subcommand
//! writes to the streams it is given and returns an exit status.
#![forbid(unsafe_code)]

mod advice;
mod cli;
mod cmd;
mod json;
mod layers;
mod snippet;
mod status;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Command::Check(args) = &mut cli.command {
        // clap's derive cannot say whether a defaulted flag was given; the matches can.
        args.method_given = matches
            .subcommand_matches("check")
            .is_some_and(|m| m.value_source("method") == Some(ValueSource::CommandLine));
    }
    let env = |name: &str| std::env::var(name).ok();
    if let Command::Proxy(args) = cli.command {
        // The proxy logs from many threads: holding the stderr lock here would block them all.
        return ExitCode::from(cmd::proxy::run(*args, &env, &mut io::stderr()) as u8);
    }
    let mut out = io::stdout().lock();
    let mut err = io::stderr().lock();
    let status = match cli.command {
        Command::Policy(args) => cmd::policy::run(args, &env, &mut out, &mut err),
        Command::Check(args) => cmd::check::run(args, &mut out, &mut err),
        Command::Audit(args) => cmd::audit::run(args, &mut io::stdin().lock(), &mut out, &mut err),
        Command::Explain(args) => {
            let prompt = io::stdin().is_terminal();
            cmd::explain::run(args, &mut io::stdin().lock(), prompt, &mut out, &mut err)
        }
        Command::Snippet(args) => cmd::snippet::run(args, &env, &mut out, &mut err),
        Command::Completions(args) => cmd::completions::run(&args, Cli::command(), &mut out, &mut err),
        Command::Man(args) => cmd::man::run(&args, Cli::command(), &mut out, &mut err),
        Command::Ui(args) => cmd::ui::run(&args, &mut out, &mut err),
        Command::Proxy(_) => unreachable!("handled above"),
    };
    // A closed stdout (`corsair ... | head`) is not worth a panic; the status stands.
    let _ = out.flush();
    ExitCode::from(status as u8)
}
