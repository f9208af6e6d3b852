//! Frame reading and writing for the two stdio framings: LSP `Content-Length` headers and
//! newline-delimited JSON. The framing is detected from the first non-blank byte of input and
//! every reply is written in the same framing. Frame parsing knows nothing about JSON-RPC.

use std::io::{self, BufRead};

/// How messages are delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length: N\r\n\r\n` followed by N bytes (LSP).
    Lsp,
    /// One JSON text per line.
    Ndjson,
}

impl Framing {
    /// Wraps one serialized message for the wire.
    /// Writes one message given as consecutive parts, with this framing's header or
    /// terminator around them, and flushes. The parts are written as they are: a large result
    /// is never copied into one buffer first.
    pub fn write_parts<W: std::io::Write>(self, out: &mut W, parts: &[&[u8]]) -> io::Result<()> {
        if self == Framing::Lsp {
            let len: usize = parts.iter().map(|p| p.len()).sum();
            out.write_all(format!("Content-Length: {len}\r\n\r\n").as_bytes())?;
        }
        for p in parts {
            out.write_all(p)?;
        }
        if self == Framing::Ndjson {
            out.write_all(b"\n")?;
        }
        out.flush()
    }

    /// One message framed into one buffer.
    pub fn encode(self, body: &[u8]) -> Vec<u8> {
        match self {
            Framing::Lsp => {
                let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
                out.extend_from_slice(body);
                out
            }
            Framing::Ndjson => {
                let mut out = Vec::with_capacity(body.len() + 1);
                out.extend_from_slice(body);
                out.push(b'\n');
                out
            }
        }
    }
}

/// One unit read from the input stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// The bytes of one message (not yet parsed).
    Message(Vec<u8>),
    /// A message longer than the limit; its bytes were skipped and the stream stays usable.
    TooLarge {
        /// The frame's length in bytes (as far as it was counted).
        len: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// An LSP header block that could not be understood; the block was skipped.
    BadHeader(String),
}

/// Reads frames from a byte stream, detecting the framing on the first non-blank input.
pub struct FrameReader<R> {
    inner: R,
    framing: Option<Framing>,
    max_frame: usize,
}

impl<R: BufRead> FrameReader<R> {
    /// A reader that rejects frames longer than `max_frame` bytes.
    pub fn new(inner: R, max_frame: usize) -> Self {
        FrameReader {
            inner,
            framing: None,
            max_frame,
        }
    }

    /// The framing detected so far (None before the first non-blank byte).
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// The next frame, or `None` at end of input.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let framing = match self.framing {
            Some(f) => f,
            None => match self.detect()? {
                Some(f) => {
                    self.framing = Some(f);
                    f
                }
                None => return Ok(None),
            },
        };
        match framing {
            Framing::Ndjson => self.next_line(),
            Framing::Lsp => self.next_lsp(),
        }
    }

    /// Skips leading whitespace and decides the framing from the first significant byte.
    fn detect(&mut self) -> io::Result<Option<Framing>> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let blanks = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if blanks == buf.len() {
                let n = buf.len();
                self.inner.consume(n);
                continue;
            }
            let first = buf[blanks];
            self.inner.consume(blanks);
            // LSP headers start with `Content-`; no JSON text starts with a `c`.
            let framing = if first.eq_ignore_ascii_case(&b'c') {
                Framing::Lsp
            } else {
                Framing::Ndjson
            };
            return Ok(Some(framing));
        }
    }

    /// Reads one line (without the terminator); blank lines are skipped.
    fn next_line(&mut self) -> io::Result<Option<Frame>> {
        loop {
            let mut line = Vec::new();
            let mut overflow = 0usize;
            let mut saw_any = false;
            loop {
                let buf = self.inner.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                saw_any = true;
                let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                    Some(i) => (&buf[..i], Some(i + 1)),
                    None => (buf, None),
                };
                if overflow == 0 && line.len() + chunk.len() <= self.max_frame {
                    line.extend_from_slice(chunk);
                } else {
                    overflow += line.len() + chunk.len();
                    line = Vec::new();
                }
                let used = done.unwrap_or(buf.len());
                self.inner.consume(used);
                if done.is_some() {
                    break;
                }
            }
            if !saw_any {
                return Ok(None);
            }
            if overflow > 0 {
                return Ok(Some(Frame::TooLarge {
                    len: overflow,
                    limit: self.max_frame,
                }));
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Ok(Some(Frame::Message(line)));
        }
    }

    /// Reads one LSP header block and its body.
    fn next_lsp(&mut self) -> io::Result<Option<Frame>> {
        let mut length: Option<usize> = None;
        let mut problem: Option<String> = None;
        let mut header_lines = 0usize;
        loop {
            let mut raw = Vec::new();
            // Headers are short; cap a single header line to keep memory bounded.
            let n = (&mut self.inner).take(8192).read_until(b'\n', &mut raw)?;
            if n == 0 {
                if header_lines == 0 {
                    return Ok(None);
                }
                return Ok(Some(Frame::BadHeader(
                    "input ended inside an LSP header block".into(),
                )));
            }
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if header_lines == 0 {
                    continue; // stray blank line between messages
                }
                break;
            }
            header_lines += 1;
            match line.split_once(':') {
                Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                    match value.trim().parse::<usize>() {
                        Ok(v) => length = Some(v),
                        Err(_) => {
                            problem =
                                Some(format!("invalid Content-Length value {:?}", value.trim()))
                        }
                    }
                }
                Some(_) => {} // other headers (Content-Type) are ignored
                None => problem = Some(format!("malformed header line {:?}", truncate(line, 80))),
            }
        }
        if let Some(problem) = problem {
            // Keep the stream in step: a body whose length we know is skipped with its header.
            if let Some(length) = length {
                io::copy(&mut (&mut self.inner).take(length as u64), &mut io::sink())?;
            }
            return Ok(Some(Frame::BadHeader(problem)));
        }
        let Some(length) = length else {
            return Ok(Some(Frame::BadHeader(
                "missing Content-Length header".into(),
            )));
        };
        if length > self.max_frame {
            let skipped = io::copy(&mut (&mut self.inner).take(length as u64), &mut io::sink())?;
            return Ok(Some(Frame::TooLarge {
                limit: self.max_frame,
                len: skipped as usize,
            }));
        }
        let mut body = vec![0u8; length];
        let mut filled = 0;
        while filled < length {
            let n = self.inner.read(&mut body[filled..])?;
            if n == 0 {
                return Ok(Some(Frame::BadHeader(format!(
                    "input ended after {filled} of {length} body bytes"
                ))));
            }
            filled += n;
        }
        Ok(Some(Frame::Message(body)))
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

use std::io::Read;

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut r = FrameReader::new(io::BufReader::with_capacity(7, input), max);
        let mut out = vec![];
        while let Some(f) = r.next_frame().expect("io") {
            out.push(f);
        }
        out
    }

    #[test]
    fn ndjson_lines_and_blank_lines() {
        let got = frames(b"\n  {\"a\":1}\r\n\n[1]\n{\"b\":2}", 100);
        assert_eq!(
            got,
            vec![
                Frame::Message(b"{\"a\":1}".to_vec()),
                Frame::Message(b"[1]".to_vec()),
                Frame::Message(b"{\"b\":2}".to_vec())
            ]
        );
    }

    #[test]
    fn ndjson_too_large_line_is_skipped() {
        let got = frames(b"{\"aaaaaaaaaaaaaaaaaaaa\":1}\n{}\n", 10);
        assert_eq!(got[0], Frame::TooLarge { len: 26, limit: 10 });
        assert_eq!(got[1], Frame::Message(b"{}".to_vec()));
    }

    #[test]
    fn lsp_frames_with_other_headers() {
        let got = frames(
            b"Content-Length: 2\r\nContent-Type: x\r\n\r\n{}content-length:3\r\n\r\n[1]",
            100,
        );
        assert_eq!(
            got,
            vec![
                Frame::Message(b"{}".to_vec()),
                Frame::Message(b"[1]".to_vec())
            ]
        );
    }

    #[test]
    fn lsp_bad_line_beside_a_valid_length_skips_the_body() {
        let got = frames(
            b"Content-Length: 2\r\nbogus\r\n\r\n{}Content-Length: 3\r\n\r\n[1]",
            100,
        );
        assert!(matches!(got[0], Frame::BadHeader(_)));
        assert_eq!(got[1], Frame::Message(b"[1]".to_vec()));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn lsp_bad_headers_and_oversize() {
        let got = frames(
            b"Content-Length: x\r\n\r\nContent-Length: 20\r\n\r\n01234567890123456789Content-Length: 2\r\n\r\n{}",
            10,
        );
        assert!(matches!(got[0], Frame::BadHeader(_)));
        assert_eq!(got[1], Frame::TooLarge { len: 20, limit: 10 });
        assert_eq!(got[2], Frame::Message(b"{}".to_vec()));
    }
}
