//! The commands' input files: one JSON object a line.

use std::io::BufRead;

/// Every non-blank line of `path` as JSON, with its 1-based line number; the first unreadable or
/// malformed line fails the read, naming the file and the line.
pub fn values(path: &str) -> Result<Vec<(usize, serde_json::Value)>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| format!("{path}: line {n}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push((n, serde_json::from_str(&line).map_err(|e| format!("{path}: line {n}: {e}"))?));
    }
    Ok(out)
}
