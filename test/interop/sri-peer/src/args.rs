//! Minimal `--flag value` / `--switch` parser (std only); unknown flags are an error so a typo in
//! a test's command line fails loudly instead of being ignored.

use std::collections::HashMap;

pub struct Args {
    values: HashMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    /// `switch_names` are flags that take no value.
    pub fn parse(
        raw: &[String],
        value_names: &[&str],
        switch_names: &[&str],
    ) -> Result<Args, String> {
        let mut values = HashMap::new();
        let mut switches = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            let a = &raw[i];
            let name = a
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {a}"))?;
            if switch_names.contains(&name) {
                switches.push(name.to_string());
                i += 1;
            } else if value_names.contains(&name) {
                let v = raw
                    .get(i + 1)
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                values.insert(name.to_string(), v.clone());
                i += 2;
            } else {
                return Err(format!("unknown option --{name}"));
            }
        }
        Ok(Args { values, switches })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("--{name} is required"))
    }

    pub fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    pub fn parsed<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => parse_num(v).ok_or_else(|| format!("--{name}: cannot parse {v}")),
        }
    }
}

/// Accepts decimal or 0x-prefixed hex for integer options.
fn parse_num<T: std::str::FromStr>(v: &str) -> Option<T> {
    if let Some(h) = v.strip_prefix("0x") {
        let n = u64::from_str_radix(h, 16).ok()?;
        return n.to_string().parse().ok();
    }
    v.parse().ok()
}
