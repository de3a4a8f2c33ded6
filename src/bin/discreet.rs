//! Native command line over the same core the browser runs.

use std::process::ExitCode;

const USAGE: &str = "usage:
  discreet check-export FILE   validate a Discreet export file; print a summary as JSON
  discreet --version";

fn check_export(path: &str) -> Result<String, String> {
    let json = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let attributes = discreet::exchange::parse(&json).map_err(|e| format!("{path}: {e} [{}]", e.code()))?;
    let edited = attributes.iter().filter(|a| a.user_edited).count();
    Ok(serde_json::json!({ "file": path, "attributes": attributes.len(), "userEdited": edited }).to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["check-export", path] => check_export(path),
        ["--version"] => Ok(format!("discreet {}", env!("CARGO_PKG_VERSION"))),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}
