//! Native command line over the same core the browser runs.

mod eval_relevance;
mod jsonl;
mod relate;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  discreet eval relevance --data FILE.jsonl [--models DIR] [--labels-from llm:NAME] [--threshold T]
                          [--scores OUT.jsonl]
      score every (prompt, attribute) pair and print agreement with the human labels and
      per-list figures (hit@1, hit@3, selected per prompt, recurring attributes); the last
      line is one JSON object; --scores writes one JSON line per pair (ids, score, selected)
  discreet verify --data FILE.jsonl [--models DIR]
      verify candidate attributes (lines with `attribute`, `reason`, optional `evidence`
      and a human `label` ok|unsure|bad); one JSON line each, then a summary line
  discreet relate --data FILE.jsonl [--models DIR]
      how each `new` attribute relates to its `old` one: one JSON line per pair with `relation`
      (same | updates | unrelated), `score` and `review` (may replace: the user decides), then a
      summary, with agreement and the replacement rates when lines carry `expected` (or `relation`)
  discreet parse-extraction FILE
      parse a chat model's reply to the extraction prompt; print the candidates as JSON
  discreet check-export FILE   validate a Discreet export file; print a summary as JSON
  discreet --version

  --models defaults to $DISCREET_MODELS, else ./models, else the models/ folder of this source tree.";

fn default_models() -> PathBuf {
    if let Some(dir) = std::env::var_os("DISCREET_MODELS") {
        return dir.into();
    }
    let here = PathBuf::from("models");
    if here.join("relevance.json").exists() {
        return here;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn check_export(path: &str) -> Result<String, String> {
    let json = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let attributes = discreet::exchange::parse(&json).map_err(|e| format!("{path}: {e} [{}]", e.code()))?;
    let edited = attributes.iter().filter(|a| a.user_edited).count();
    Ok(serde_json::json!({ "file": path, "attributes": attributes.len(), "userEdited": edited }).to_string())
}

/// `--name value` pairs after a subcommand; the last of a repeated flag wins.
struct Flags<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Flags<'a> {
    /// Unknown or dangling flags are errors.
    fn parse(rest: &'a [String], known: &[&str]) -> Result<Self, String> {
        let mut out = Vec::new();
        let mut it = rest.iter();
        while let Some(flag) = it.next() {
            if !known.contains(&flag.as_str()) {
                return Err(format!("unknown argument {flag:?}\n{USAGE}"));
            }
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            out.push((flag.as_str(), value.as_str()));
        }
        Ok(Flags(out))
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().rev().find(|(f, _)| *f == name).map(|(_, v)| *v)
    }

    fn required(&self, name: &str) -> Result<&'a str, String> {
        self.get(name).ok_or_else(|| format!("{name} is required\n{USAGE}"))
    }

    fn models(&self) -> PathBuf {
        self.get("--models").map(PathBuf::from).unwrap_or_else(default_models)
    }
}

fn eval(rest: &[String]) -> Result<String, String> {
    let flags = Flags::parse(rest, &["--data", "--models", "--labels-from", "--threshold", "--scores"])?;
    let data = flags.required("--data")?;
    let threshold = flags
        .get("--threshold")
        .map(|t| {
            t.parse::<f32>()
                .ok()
                .filter(|t| (0.0..=1.0).contains(t))
                .ok_or(format!("--threshold {t:?} is not within 0..1"))
        })
        .transpose()?;
    let models = flags.models();
    eval_relevance::run(eval_relevance::Args {
        data,
        models: &models,
        labels_from: flags.get("--labels-from"),
        threshold,
        scores_out: flags.get("--scores"),
    })
}

fn verify(rest: &[String]) -> Result<String, String> {
    let flags = Flags::parse(rest, &["--data", "--models"])?;
    verify::run(flags.required("--data")?, &flags.models())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["eval", "relevance", ..] => eval(&args[2..]),
        ["check-export", path] => check_export(path),
        ["verify", ..] => verify(&args[1..]),
        ["relate", ..] => Flags::parse(&args[1..], &["--data", "--models"])
            .and_then(|flags| relate::run(flags.required("--data")?, &flags.models())),
        ["parse-extraction", path] => verify::parse_file(path),
        ["--version"] => Ok(format!("discreet {}", env!("CARGO_PKG_VERSION"))),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
