//! The `Date` header of the relay's own answers, formatted once a second per thread.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static CACHED: RefCell<(u64, [u8; 29])> = const { RefCell::new((u64::MAX, [0; 29])) };
}

/// Appends `date: <IMF-fixdate>\r\n` for now.
pub fn write_line(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHED.with(|c| {
        let mut c = c.borrow_mut();
        out.extend_from_slice(b"date: ");
        if c.0 != secs {
            let text = httpdate::fmt_http_date(now);
            match <[u8; 29]>::try_from(text.as_bytes()) {
                Ok(fixed) => *c = (secs, fixed),
                // Not the usual width (a year past 9999): written as it is, not cached.
                Err(_) => {
                    out.extend_from_slice(text.as_bytes());
                    out.extend_from_slice(b"\r\n");
                    return;
                }
            }
        }
        out.extend_from_slice(&c.1);
        out.extend_from_slice(b"\r\n");
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_an_http_date_line() {
        let mut out = Vec::new();
        super::write_line(&mut out);
        let text = std::str::from_utf8(&out).unwrap();
        let date = text.strip_prefix("date: ").unwrap().strip_suffix("\r\n").unwrap();
        assert!(httpdate::parse_http_date(date).is_ok(), "{date}");
    }
}
