//! The process exit status, a leaf every subcommand returns and `main` hands to the OS.

/// The process exit status: one meaning per number across subcommands.
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
