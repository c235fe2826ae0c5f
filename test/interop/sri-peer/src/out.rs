//! One JSON object per stdout line, so the vitest suites can parse verdicts line by line.
//! Hand-rolled (std only): string escaping per RFC 8259 §7, numbers as Rust prints them.

use std::fmt::Write as _;

/// Builder for one JSON line; `emit` prints it with a single println! so lines from
/// different connection threads never interleave.
pub struct Line {
    buf: String,
    first: bool,
}

impl Line {
    pub fn new(event: &str) -> Self {
        let mut l = Line {
            buf: String::from("{"),
            first: true,
        };
        l = l.str("event", event);
        l
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
        push_json_string(&mut self.buf, k);
        self.buf.push(':');
    }

    pub fn str(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        push_json_string(&mut self.buf, v);
        self
    }

    pub fn num<T: std::fmt::Display>(mut self, k: &str, v: T) -> Self {
        self.key(k);
        let _ = write!(self.buf, "{v}");
        self
    }

    /// f64 values that JSON cannot carry (NaN, infinity) become null.
    pub fn float(mut self, k: &str, v: f64) -> Self {
        self.key(k);
        if v.is_finite() {
            let _ = write!(self.buf, "{v:?}");
        } else {
            self.buf.push_str("null");
        }
        self
    }

    pub fn bool(mut self, k: &str, v: bool) -> Self {
        self.key(k);
        self.buf.push_str(if v { "true" } else { "false" });
        self
    }

    pub fn hex(self, k: &str, bytes: &[u8]) -> Self {
        self.str(k, &hex(bytes))
    }

    /// A nested object of string -> integer (rejection counters by error code).
    pub fn counts<'a, I: IntoIterator<Item = (&'a str, u32)>>(mut self, k: &str, items: I) -> Self {
        self.key(k);
        self.buf.push('{');
        let mut first = true;
        for (name, n) in items {
            if !first {
                self.buf.push(',');
            }
            first = false;
            push_json_string(&mut self.buf, name);
            let _ = write!(self.buf, ":{n}");
        }
        self.buf.push('}');
        self
    }

    pub fn emit(mut self) {
        self.buf.push('}');
        println!("{}", self.buf);
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Lower-case hex of wire bytes, in wire order (never SRI's reversed U256 Display).
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
