//! Every command's `--help` ends with the exit statuses it can return, and the statuses it
//! documents are ones the binary really uses; a usage error is 2 everywhere, as documented.

use std::process::Command;

const CORSAIR: &str = env!("CARGO_BIN_EXE_corsair");

fn help(args: &[&str]) -> String {
    let out = Command::new(CORSAIR).args(args).arg("--help").output().expect("run corsair");
    assert!(out.status.success(), "corsair {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands `corsair --help` lists (read from the help itself, so a new one is covered).
fn subcommands() -> Vec<String> {
    let top = help(&[]);
    let list = top.split("Commands:").nth(1).expect("a Commands: section");
    list.lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The statuses an `Exit status` block lists, in order.
fn documented(text: &str) -> Vec<u8> {
    let block = text.split("Exit status").nth(1).unwrap_or_else(|| panic!("no Exit status block in:\n{text}"));
    block.lines().skip(1).filter_map(|l| l.strip_prefix("  ")?.split_whitespace().next()?.parse().ok()).collect()
}

#[test]
fn every_command_documents_its_exit_statuses() {
    let top = documented(&help(&[]));
    assert_eq!(top, [0, 1, 2, 130], "corsair --help");
    let commands = subcommands();
    assert!(commands.len() >= 8, "{commands:?}");
    for name in &commands {
        let mut args = vec![name.as_str()];
        if name == "policy" {
            args.push("check");
        }
        let codes = documented(&help(&args));
        assert!(codes.first() == Some(&0), "corsair {name} --help starts at 0: {codes:?}");
        assert!(codes.iter().all(|c| top.contains(c)), "corsair {name} --help: {codes:?} not in {top:?}");
    }
}

#[test]
fn a_usage_error_is_status_2_for_every_command() {
    for name in subcommands() {
        let out = Command::new(CORSAIR).args([name.as_str(), "--no-such-flag"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "corsair {name} --no-such-flag");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--no-such-flag"), "corsair {name}: {err}");
    }
}
