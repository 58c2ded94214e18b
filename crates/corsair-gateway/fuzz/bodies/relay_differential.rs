// Fuzz body: the relay against hyper's path on the same client bytes. Two gateways with one
// policy, one with the fast path (the default) and one with `fast_path = false`, each in front of
// its own strict upstream; the same bytes go to both, and what each upstream parsed (requests,
// their boundaries, method, target, header lines, body) and what each client got back (statuses
// and bodies) must be equal. A desync in either path shows up as a request one upstream saw and
// the other did not. Included by `fuzz_targets/relay_differential.rs`, by `tests/fuzz_smoke.rs`
// and by `tests/smuggling.rs`, whose cases are this target's seeds.

#[allow(unused_imports)]
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The policy both gateways enforce; `{top}` (policy keys), `{upstream}` and `{extra}` (more
/// `[proxy]` keys) are filled in.
pub const POLICY: &str = r#"{top}
allow_origins = ["https://app.example.com"]
allow_methods = ["GET", "POST", "PUT"]
allow_headers = ["content-type", "x-request-id"]
max_age = 600
[proxy]
upstream = "http://{upstream}"
max_body_bytes = 1000
{extra}
"#;

/// The origin the policy allows.
pub const APP: &str = "https://app.example.com";

/// One request as a strict upstream parsed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The request line.
    pub line: String,
    /// Header lines, names lower-cased, sorted; framing and `Host` (each gateway's own) left out.
    pub lines: Vec<String>,
    /// The body, however it was framed.
    pub body: Vec<u8>,
}

/// What the upstream could not parse: a gateway sent ambiguous framing.
pub const UNPARSEABLE: &str = "!unparseable";

/// Requests an upstream received, in order.
pub type Log = Arc<Mutex<Vec<Received>>>;

/// An upstream on loopback that parses strictly (one `Content-Length` of digits, or exactly
/// `Transfer-Encoding: chunked`, never both) and answers `200` with `METHOD TARGET BODYLEN`.
/// A target ending in `/extra` gets a second, unasked-for answer 20 ms later (an upstream bug
/// a pool must not pass on); one ending in `/hang` gets no answer for 10 s, one ending in `/drop`
/// none at all: the connection closes.
pub async fn upstream(log: Log) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind an upstream on loopback");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(serve_upstream(s, log.clone()));
        }
    });
    addr
}

async fn serve_upstream(mut s: TcpStream, log: Log) {
    let mut buf = Vec::new();
    loop {
        let received = match read_request(&mut s, &mut buf).await {
            Some(Ok(r)) => r,
            Some(Err(head)) => {
                let line = format!("{UNPARSEABLE} {}", head.lines().next().unwrap_or_default());
                log.lock().unwrap_or_else(|e| e.into_inner()).push(Received { line, lines: vec![head], body: vec![] });
                return;
            }
            None => return,
        };
        let mut parts = received.line.split(' ');
        let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let text = format!("{method} {target} {}", received.body.len());
        let head_request = method == "HEAD";
        let (extra, hang, drop) = (target.ends_with("/extra"), target.ends_with("/hang"), target.ends_with("/drop"));
        log.lock().unwrap_or_else(|e| e.into_inner()).push(received);
        if hang {
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        if hang || drop {
            return;
        }
        let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", text.len());
        let body = if head_request { "" } else { text.as_str() };
        if s.write_all(format!("{answer}{body}").as_bytes()).await.is_err() {
            return;
        }
        if extra {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nstale").await;
        }
    }
}

/// Reads one request; `None` at the end of the stream or mid-message, `Err(head)` for framing a
/// strict server refuses.
async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Result<Received, String>> {
    let end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p + 4;
        }
        read_more(s, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    buf.drain(..end);
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_owned();
    let mut kept = Vec::new();
    let (mut length, mut chunked, mut framing_lines) = (None, false, 0);
    for l in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = l.split_once(':') else { return Some(Err(head)) };
        let (name, value) = (name.to_ascii_lowercase(), value.trim());
        if name != name.trim() || value.contains('\r') {
            return Some(Err(head));
        }
        match name.as_str() {
            "content-length" => {
                framing_lines += 1;
                if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) || value.len() > 1 && value.starts_with('0') {
                    return Some(Err(head));
                }
                length = value.parse::<usize>().ok();
            }
            "transfer-encoding" => {
                framing_lines += 1;
                if !value.eq_ignore_ascii_case("chunked") {
                    return Some(Err(head));
                }
                chunked = true;
            }
            "host" => {}
            _ => kept.push(unmarked(&format!("{name}: {value}"))),
        }
    }
    if framing_lines > 1 || !line.ends_with(" HTTP/1.1") {
        return Some(Err(head));
    }
    kept.sort();
    let body = if chunked {
        read_chunks(s, buf).await?
    } else {
        let n = length.unwrap_or(0);
        while buf.len() < n {
            read_more(s, buf).await?;
        }
        buf.drain(..n).collect()
    };
    Some(Ok(Received { line, lines: kept, body }))
}

/// `line` with each gateway's loop mark (`corsair-` and 16 hex digits in `Via`, random per
/// server) replaced by one placeholder, so two gateways' requests compare equal.
pub fn unmarked(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find("corsair-") {
        let (before, after) = rest.split_at(at + "corsair-".len());
        out.push_str(before);
        let hex = after.bytes().take(16).take_while(u8::is_ascii_hexdigit).count();
        if hex == 16 {
            out.push_str("(mark)");
            rest = &after[16..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Reads a chunked body (extensions and trailers dropped); `None` when it is cut off or
/// malformed.
pub async fn read_chunks(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(p) = find(buf, b"\r\n") {
                break p;
            }
            read_more(s, buf).await?;
        };
        let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        buf.drain(..line_end + 2);
        if size == 0 {
            loop {
                match find(buf, b"\r\n") {
                    Some(0) => {
                        buf.drain(..2);
                        return Some(body);
                    }
                    Some(p) => drop(buf.drain(..p + 2)),
                    None => read_more(s, buf).await?,
                }
            }
        }
        while buf.len() < size + 2 {
            read_more(s, buf).await?;
        }
        body.extend_from_slice(&buf[..size]);
        buf.drain(..size + 2);
    }
}

/// Reads more of `s` into `buf`; `None` at the end of the stream.
pub async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 8192];
    match s.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

/// Where `needle` first stands in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One gateway and the log of its upstream.
pub struct Side {
    /// The gateway's address.
    pub addr: SocketAddr,
    /// What its upstream received.
    pub log: Log,
}

/// Starts a gateway with `top` lines in its policy and `extra` lines in its `[proxy]` table, in
/// front of a new upstream.
pub async fn side(top: &str, extra: &str) -> Side {
    let log = Log::default();
    let up = upstream(log.clone()).await;
    let text = POLICY.replace("{top}", top).replace("{upstream}", &up.to_string()).replace("{extra}", extra);
    let source = corsair_gateway::Source { name: "differential.toml".into(), text, dir: PathBuf::new() };
    let flags = corsair_gateway::Flags { listen: Some("127.0.0.1:0".into()), ..Default::default() };
    let config = corsair_gateway::config::load(&source, &flags, |_| None).unwrap_or_else(|e| panic!("{e}"));
    let server = corsair_gateway::Server::bind(config).await.expect("bind a gateway on loopback");
    let addr = server.local_addr();
    tokio::spawn(server.serve());
    Side { addr, log }
}

/// The relay (the default) and hyper's path (`fast_path = false`), with `top` and `extra` for
/// both.
pub async fn pair(top: &str, extra: &str) -> [Side; 2] {
    [side(top, extra).await, side(top, &format!("fast_path = false\n{extra}")).await]
}

/// What one side did with some client bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Observed {
    /// Requests its upstream parsed.
    pub upstream: Vec<Received>,
    /// Responses its client read, as status and body (`0` and the bytes: what did not parse).
    pub client: Vec<(u16, Vec<u8>)>,
    /// The gateway closed the connection (rather than falling quiet).
    pub closed: bool,
}

/// Sends `pieces` (a pause between them) on one connection, reads until the gateway closes it
/// or falls quiet for `quiet`, and gives what the upstream and the client saw.
pub async fn exchange(side: &Side, pieces: &[&[u8]], quiet: Duration) -> Observed {
    exchange_expecting(side, pieces, quiet, quiet, 0).await
}

/// [`exchange`], waiting up to `first` for each read until `answers` whole responses have come (a
/// test that expects them gives a loaded machine seconds for each), then `quiet` for any more.
pub async fn exchange_expecting(
    side: &Side,
    pieces: &[&[u8]],
    quiet: Duration,
    first: Duration,
    answers: usize,
) -> Observed {
    side.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let mut s = TcpStream::connect(side.addr).await.expect("connect to the gateway");
    let mut got = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        if s.write_all(piece).await.is_err() {
            break;
        }
    }
    let mut chunk = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let closed = loop {
        let waiting = got.is_empty() || responses(&got).iter().filter(|(status, _)| *status != 0).count() < answers;
        let gap = if waiting { first } else { quiet };
        let wait = gap.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        match tokio::time::timeout(wait, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&chunk[..n]),
            Ok(_) => break true,
            Err(_) => break false,
        }
    };
    drop(s);
    // A request still on its way up is given the same quiet time to arrive.
    tokio::time::sleep(quiet / 2).await;
    let upstream = side.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Observed { upstream, client: responses(&got), closed }
}

/// Splits what a client received into responses (status, body), by their framing.
pub fn responses(mut bytes: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let mut lines = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut lines);
        let Ok(httparse::Status::Complete(len)) = response.parse(bytes) else {
            out.push((0, bytes.to_vec()));
            break;
        };
        let status = response.code.unwrap_or(0);
        let value = |name: &str| {
            response.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.to_vec())
        };
        let rest = &bytes[len..];
        let (body, used) = if (100..200).contains(&status) || status == 204 || status == 304 {
            (Vec::new(), 0)
        } else if value("transfer-encoding").is_some() {
            match dechunk(rest) {
                Some(pair) => pair,
                None => (rest.to_vec(), rest.len()),
            }
        } else if let Some(n) = value("content-length").and_then(|v| String::from_utf8(v).ok()?.parse::<usize>().ok()) {
            let n = n.min(rest.len());
            (rest[..n].to_vec(), n)
        } else {
            (rest.to_vec(), rest.len())
        };
        // The gateway's own failure answers say why in each path's words (hyper's errors are
        // not the relay's); the status is what must agree. The harness's upstream sends 200 only.
        let body = if status == 502 || status == 504 { Vec::new() } else { body };
        out.push((status, body));
        bytes = &rest[used..];
    }
    out
}

fn dechunk(mut bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let start = bytes.len();
    let mut body = Vec::new();
    loop {
        let line = find(bytes, b"\r\n")?;
        let size = usize::from_str_radix(std::str::from_utf8(&bytes[..line]).ok()?.split(';').next()?.trim(), 16).ok()?;
        bytes = &bytes[line + 2..];
        if size == 0 {
            let end = find(bytes, b"\r\n\r\n").map(|p| p + 4).or_else(|| bytes.starts_with(b"\r\n").then_some(2))?;
            return Some((body, start - bytes.len() + end));
        }
        body.extend_from_slice(bytes.get(..size)?);
        bytes = bytes.get(size + 2..)?;
    }
}

/// Feeds `data` to both paths and panics when they disagree. Bytes that contain no complete
/// request head are skipped (nothing to compare, and waiting for one costs the quiet time).
pub fn run(data: &[u8]) {
    if find(data, b"\r\n\r\n").is_none() && find(data, b"\n\n").is_none() {
        return;
    }
    static PAIR: OnceLock<(tokio::runtime::Runtime, [Side; 2])> = OnceLock::new();
    let (runtime, sides) = PAIR.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let sides = runtime.block_on(pair("", ""));
        (runtime, sides)
    });
    runtime.block_on(async {
        let quiet = Duration::from_millis(60);
        let pieces = [data];
        let (relay, hyper) = tokio::join!(exchange(&sides[0], &pieces, quiet), exchange(&sides[1], &pieces, quiet));
        // Whether the connection closed or fell quiet depends on timing; what was parsed does not.
        let (mut relay_client, mut hyper_client) = (relay.client, hyper.client);
        // hyper answers 400 to a head that cannot become valid before its blank line arrives
        // only when it is not the connection's first request; the relay hands hyper the rest of
        // a connection as a new one, so there hyper waits for the blank line (the seed
        // `a-head-that-cannot-become-valid--after-a-good-one`). Nothing goes upstream either way.
        if hyper_client.len() == relay_client.len() + 1 && hyper_client.last().is_some_and(|r| r.0 == 400) {
            hyper_client.pop();
        }
        if relay_client.len() == hyper_client.len() + 1 && relay_client.last().is_some_and(|r| r.0 == 400) {
            relay_client.pop();
        }
        assert_eq!(
            (relay.upstream, relay_client),
            (hyper.upstream, hyper_client),
            "the relay (left) and hyper's path (right) disagree on {:?}",
            String::from_utf8_lossy(data)
        );
    });
}
