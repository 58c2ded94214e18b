//! One module per subcommand: its flags, and a `run` that takes the streams and the
//! environment it may use and returns an exit [`Status`](crate::status::Status).

pub mod audit;
pub mod check;
pub mod completions;
pub mod explain;
pub mod explain_har;
pub mod man;
pub mod policy;
pub mod proxy;
pub mod snippet;
pub mod style;
pub mod term;
