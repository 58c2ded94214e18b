//! Finding the end of a chunked body (RFC 9112 7.1) as it streams past, without changing it:
//! the relay forwards an upstream's chunks byte for byte and only needs to know where the
//! message stops, so the connection can carry the next one.

/// Longest chunk-size line (size and extensions) or trailer line; longer ones are refused.
const MAX_LINE: usize = 4096;

/// Where in the chunked framing the next byte falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Hex digits of a chunk size.
    Size,
    /// After the digits: extensions up to CR.
    Extension,
    /// The LF of a size line.
    SizeLf,
    /// Chunk data, `left` bytes to go.
    Data,
    /// The CR after chunk data.
    DataCr,
    /// The LF after chunk data.
    DataLf,
    /// Start of a trailer line, or of the final empty line.
    TrailerStart,
    /// Inside a trailer line.
    Trailer,
    /// The LF of a trailer line.
    TrailerLf,
    /// The LF of the final empty line.
    EndLf,
    /// The body is complete.
    Done,
}

/// The framing is broken: the connection cannot be trusted for another message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkError(pub &'static str);

impl std::error::Error for ChunkError {}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid chunked body: {}", self.0)
    }
}

/// A scanner over one chunked body.
#[derive(Clone, Debug)]
pub struct Chunked {
    state: State,
    left: u64,
    digits: u8,
    line: usize,
}

impl Default for Chunked {
    fn default() -> Self {
        Chunked { state: State::Size, left: 0, digits: 0, line: 0 }
    }
}

impl Chunked {
    /// True once the last chunk and the trailer section have gone past.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Reads `input`, the next bytes of the body, and says how many belong to it: all of them,
    /// or fewer when the body ends inside `input`.
    pub fn feed(&mut self, input: &[u8]) -> Result<usize, ChunkError> {
        let mut i = 0;
        while i < input.len() {
            if self.state == State::Data {
                // The one state that skips ahead: data is not looked at.
                let take = self.left.min((input.len() - i) as u64) as usize;
                i += take;
                self.left -= take as u64;
                if self.left == 0 {
                    self.state = State::DataCr;
                }
                continue;
            }
            let b = input[i];
            i += 1;
            self.line += 1;
            if self.line > MAX_LINE {
                return Err(ChunkError("a line is too long"));
            }
            self.state = match (self.state, b) {
                (State::Size, b) if b.is_ascii_hexdigit() => {
                    self.digits += 1;
                    if self.digits > 16 {
                        return Err(ChunkError("the chunk size is too large"));
                    }
                    self.left = self.left << 4 | u64::from((b as char).to_digit(16).expect("a hex digit"));
                    State::Size
                }
                (State::Size, _) if self.digits == 0 => return Err(ChunkError("a chunk size has no digits")),
                (State::Size, b'\r') => State::SizeLf,
                (State::Size, b';' | b' ' | b'\t') => State::Extension,
                (State::Size, _) => return Err(ChunkError("a chunk size is not hexadecimal")),
                (State::Extension, b'\r') => State::SizeLf,
                (State::Extension, b'\n') => return Err(ChunkError("a bare LF ends a chunk-size line")),
                (State::Extension, _) => State::Extension,
                (State::SizeLf, b'\n') => {
                    self.line = 0;
                    self.digits = 0;
                    if self.left == 0 {
                        State::TrailerStart
                    } else {
                        State::Data
                    }
                }
                (State::DataCr, b'\r') => State::DataLf,
                (State::DataLf, b'\n') => {
                    self.line = 0;
                    State::Size
                }
                (State::TrailerStart, b'\r') => State::EndLf,
                (State::TrailerStart | State::Trailer, b'\n') => return Err(ChunkError("a bare LF in the trailers")),
                (State::Trailer, b'\r') => State::TrailerLf,
                (State::TrailerStart | State::Trailer, _) => State::Trailer,
                (State::TrailerLf, b'\n') => {
                    self.line = 0;
                    State::TrailerStart
                }
                (State::EndLf, b'\n') => {
                    self.state = State::Done;
                    return Ok(i);
                }
                (State::SizeLf | State::DataCr | State::DataLf | State::TrailerLf | State::EndLf, _) => {
                    return Err(ChunkError("a line does not end in CRLF"))
                }
                (State::Data | State::Done, _) => unreachable!("handled before the match"),
            };
            if self.state == State::Done {
                return Ok(i);
            }
        }
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `body` in pieces of every size and returns the length found each time.
    fn ends(body: &[u8]) -> Result<usize, ChunkError> {
        let mut found = None;
        for step in 1..=body.len().max(1) {
            let mut c = Chunked::default();
            let mut used = 0;
            for piece in body.chunks(step) {
                let n = c.feed(piece)?;
                used += n;
                if c.is_done() {
                    break;
                }
            }
            let result = if c.is_done() { used } else { usize::MAX };
            assert!(found.is_none_or(|f| f == result), "step {step} disagrees");
            found = Some(result);
        }
        Ok(found.unwrap())
    }

    #[test]
    fn finds_the_end_whatever_the_pieces() {
        let body = b"5\r\nhello\r\n1a;name=\"v\"\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nNEXT";
        assert_eq!(ends(body), Ok(body.len() - 4));
        let trailers = b"3\r\nabc\r\n0\r\nx-sum: 1\r\nx-more: 2\r\n\r\n";
        assert_eq!(ends(trailers), Ok(trailers.len()));
        assert_eq!(ends(b"0\r\n\r\n"), Ok(5));
        assert_eq!(ends(b"A\r\n0123456789\r\n0\r\n\r\n"), Ok(20));
        assert_eq!(ends(b"5\r\nhel"), Ok(usize::MAX), "not done yet");
    }

    #[test]
    fn refuses_broken_framing() {
        for bad in [
            &b"\r\n"[..],
            b"g\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhelloX\r\n",
            b"5\r\nhello\rX",
            b"0\r\n\n",
            b"0\r\nx: 1\n\r\n",
            b"11111111111111111\r\n",
            b"5;ext\n",
        ] {
            assert!(ends(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        let long = [b"1;".as_slice(), &[b'x'; MAX_LINE], b"\r\n"].concat();
        assert!(ends(&long).is_err());
    }
}
