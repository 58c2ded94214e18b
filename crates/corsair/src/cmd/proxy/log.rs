//! Where `corsair proxy`'s log lines go: stderr, written by a thread of their own.
//!
//! A log line must never stop a request. Written from the serving threads, it did: with stderr
//! closed, tracing-subscriber reported the failed write with `eprintln!`, which panics (the
//! request lost its answer, and the signal task its life, so SIGTERM no longer stopped the
//! process), and a stderr nobody reads blocks its writer once the pipe is full. Here a serving
//! thread only hands the line to a bounded queue; a line that finds the queue full, or that
//! stderr refuses, is dropped and counted in `corsair_log_lines_dropped_total`.

use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::time::Duration;

use corsair_gateway::metrics;
use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting for stderr before new ones are dropped.
const QUEUE: usize = 1024;

enum Message {
    Line(Vec<u8>),
    /// Answered once every line queued before it was written (or dropped).
    Flush(mpsc::Sender<()>),
}

/// The log's way to stderr; cheap to clone. Also a [`MakeWriter`] for tracing-subscriber.
#[derive(Clone)]
pub struct Stderr {
    queue: SyncSender<Message>,
}

impl Stderr {
    /// Starts the thread that writes to the process's stderr.
    pub fn start() -> Stderr {
        Stderr::to(io::stderr())
    }

    /// Starts the thread that writes to `out`.
    fn to<W: Write + Send + 'static>(out: W) -> Stderr {
        let (queue, lines) = mpsc::sync_channel(QUEUE);
        // If the thread cannot start, its closure (and the receiver) is dropped: every line then
        // finds the queue closed and is counted as dropped, and serving goes on.
        let _ = std::thread::Builder::new().name("corsair-log".into()).spawn(move || write_lines(out, lines));
        Stderr { queue }
    }

    /// Queues one line (or a block of lines written together, like the banner) without waiting.
    pub fn line(&self, bytes: Vec<u8>) {
        if self.queue.try_send(Message::Line(bytes)).is_err() {
            metrics::log_line_dropped();
        }
    }

    /// Waits up to `wait` for the lines queued so far to be written: before the process exits.
    pub fn flush(&self, wait: Duration) {
        let (done, written) = mpsc::channel();
        if self.queue.try_send(Message::Flush(done)).is_ok() {
            let _ = written.recv_timeout(wait);
        }
    }
}

fn write_lines(mut out: impl Write, lines: Receiver<Message>) {
    for message in lines {
        match message {
            Message::Line(line) => {
                if out.write_all(&line).and_then(|()| out.flush()).is_err() {
                    metrics::log_line_dropped();
                }
            }
            Message::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

/// One event as tracing-subscriber writes it (it formats the whole event, then writes it once);
/// queued when dropped.
pub struct Line<'a> {
    to: &'a Stderr,
    buf: Vec<u8>,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.to.line(std::mem::take(&mut self.buf));
        }
    }
}

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line { to: self, buf: Vec::new() }
    }
}

/// Whether log lines get colours: only on a terminal, and never with `NO_COLOR` set to a
/// non-empty value (<https://no-color.org>).
pub fn ansi(terminal: bool, no_color: Option<&str>) -> bool {
    terminal && no_color.is_none_or(str::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A stderr that refuses every write, like a closed pipe or `/dev/full`.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A stderr nobody reads: every write waits for a release that comes at the end of the test.
    struct Stuck(std::sync::Mutex<mpsc::Receiver<()>>);

    impl Write for Stuck {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let _ = self.0.lock().unwrap().recv();
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_stderr_refuses_are_counted_as_dropped() {
        let before = metrics::log_lines_dropped();
        let log = Stderr::to(Closed);
        for _ in 0..3 {
            writeln!(log.make_writer(), "a line").unwrap();
        }
        log.flush(Duration::from_secs(5));
        assert!(metrics::log_lines_dropped() >= before + 3);
    }

    #[test]
    fn a_stderr_nobody_reads_never_blocks_the_logger() {
        let (release, wait) = mpsc::channel();
        let before = metrics::log_lines_dropped();
        let log = Stderr::to(Stuck(std::sync::Mutex::new(wait)));
        let start = Instant::now();
        for _ in 0..QUEUE + 100 {
            writeln!(log.make_writer(), "a line").unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(2), "logging waited for stderr");
        assert!(metrics::log_lines_dropped() >= before + 99);
        drop(release);
    }

    #[test]
    fn no_color_turns_colours_off_and_so_does_a_pipe() {
        assert!(ansi(true, None));
        assert!(ansi(true, Some("")), "an empty NO_COLOR does not count");
        assert!(!ansi(true, Some("1")));
        assert!(!ansi(false, None));
    }
}
