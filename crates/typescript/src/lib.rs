//! The records' TypeScript declarations, derived from the core's serde types so that a field's
//! name, type and optionality are written once, in Rust.

use discreet::arguments::{ImportArgs, IngestArgs, OpenArgs, SelectArgs, TurnArgs, VerifyArgs};
use discreet::compose::{ComposeOptions, Message, PayloadFormat, Rendered, SharedAttribute, SystemRole, Withheld};
use discreet::exchange::{ImportMode, ImportReport};
use discreet::extract::{Candidate, ChatMessage, Role};
use discreet::ingest::{IngestReport, Outcome, OutcomeAction, RelatedAttribute, Relative};
use discreet::prepare::{Share, VectorProgress};
use discreet::profile::{Added, Composed, Selection};
use discreet::relate::{Probabilities, Related, Relation};
use discreet::review::{ReviewAction, ReviewDecision, ReviewJudgment, ReviewLabel, Reviewed};
use discreet::sensitive::PrivacySettings;
use discreet::study::{AttributeLine, RelevanceLine, ResponseLine, Shown, StudyLine};
use discreet::turn::{Excluded, Exclusion, Turn};
use discreet::verify::{ProblemKind, Rule, Verification};
use discreet::{Attribute, Disclosure, Error, NewAttribute, Sensitivity, Source, Verdict};
use ts_rs::{Config, TS};

const HEADER: &str = "// Generated from the Rust types by crates/typescript (`make types`); do not edit.\n\
// The shapes with no Rust type of their own (payloads, model loading) are in shapes.d.ts.\n";

fn declaration<T: TS + ?Sized>(cfg: &Config, out: &mut String) {
    out.push('\n');
    if let Some(docs) = T::docs() {
        out.push_str(&doc_comment(&docs, ""));
    }
    out.push_str("export ");
    out.push_str(&layout(&T::decl(cfg)));
    out.push('\n');
}

/// ts-rs writes each declaration on one line; a reader of the package's `.d.ts` wants one field
/// per line, as the hand-written declarations had.
fn layout(decl: &str) -> String {
    let decl = decl.trim_end_matches(';');
    // The name's own `=` (generic defaults, `Turn<P = Payload>`, come before it at depth 1).
    let mut depth = 0;
    let at = (0..decl.len())
        .find(|&i| {
            match decl.as_bytes()[i] {
                b'<' => depth += 1,
                b'>' => depth -= 1,
                _ => {}
            }
            depth == 0 && decl[i..].starts_with(" = ")
        })
        .expect("a type declaration");
    let (head, rhs) = (&decl[..at], &decl[at + 3..]);
    if let Some(body) = rhs.strip_prefix("{ ").and_then(|b| b.strip_suffix(" }")).filter(|_| closes_at_end(rhs)) {
        let mut out = format!("{head} = {{\n");
        for field in split_top_level(body) {
            let (docs, field) = match field.rfind("*/") {
                Some(end) => (Some(&field[..end + 2]), field[end + 2..].trim()),
                None => (None, field),
            };
            if let Some(docs) = docs {
                out.push_str(&doc_comment(docs, "  "));
            }
            out.push_str(&format!("  {field};\n"));
        }
        out.push_str("};");
        return out;
    }
    if rhs.len() > 90 && rhs.starts_with('"') {
        let mut out = format!("{head} =");
        for member in rhs.split(" | ") {
            out.push_str(&format!("\n  | {member}"));
        }
        out.push(';');
        return out;
    }
    format!("{decl};")
}

/// Whether the brace that opens `rhs` is the one that ends it (`{ a } & A | { b }` is no object).
fn closes_at_end(rhs: &str) -> bool {
    let mut depth = 0;
    for (i, c) in rhs.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return i == rhs.len() - 1;
        }
    }
    false
}

/// The fields of an object type: split at the commas outside brackets and comments. ts-rs writes
/// no function types or string literals with brackets for these records; `records_fresh` would
/// show a mangled one.
fn split_top_level(body: &str) -> Vec<&str> {
    let (mut fields, mut depth, mut start, mut in_comment) = (Vec::new(), 0i32, 0, false);
    let bytes = body.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'/' if !in_comment && bytes.get(i + 1) == Some(&b'*') => in_comment = true,
            b'/' if in_comment && i > 0 && bytes[i - 1] == b'*' => in_comment = false,
            _ if in_comment => {}
            b'{' | b'[' | b'(' | b'<' => depth += 1,
            b'}' | b']' | b')' | b'>' => depth -= 1,
            b',' if depth == 0 => {
                fields.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.extend(Some(body[start..].trim()).filter(|f| !f.is_empty()));
    fields
}

/// A JSDoc block, on one line when its text fits on one.
fn doc_comment(docs: &str, indent: &str) -> String {
    let lines: Vec<String> = docs
        .lines()
        .map(str::trim)
        .filter(|l| *l != "/**" && *l != "*/")
        .map(|l| l.strip_prefix('*').unwrap_or(l).trim())
        .map(|l| l.replace("*/", "*\\/"))
        .collect();
    match lines.as_slice() {
        [line] => format!("{indent}/** {line} */\n"),
        _ => {
            let mut out = format!("{indent}/**\n");
            for line in lines {
                out.push_str(&format!("{indent} * {line}\n").replace(" * \n", " *\n"));
            }
            out.push_str(&format!("{indent} */\n"));
            out
        }
    }
}

/// The codes come from `Error::code`, the one list apps switch on.
fn error_codes(out: &mut String) {
    out.push_str("\n/** Stable error codes: every rejection from Discreet is a `DiscreetError` carrying one. */\n");
    out.push_str("export type ErrorCode =");
    for e in Error::examples() {
        out.push_str(&format!("\n  | \"{}\"", e.code()));
    }
    out.push_str(";\n");
}

/// Every declaration, in the order a reader meets them.
pub fn records() -> String {
    let cfg = Config::default();
    let mut out = String::from(HEADER);
    error_codes(&mut out);
    macro_rules! declare {
        ($($t:ty),* $(,)?) => { $(declaration::<$t>(&cfg, &mut out);)* };
    }
    declare!(
        Verdict,
        Sensitivity,
        OpenArgs,
        Source,
        NewAttribute,
        Attribute,
        Added,
        ImportMode,
        ImportArgs,
        ImportReport,
        Disclosure,
        ReviewAction,
        ReviewLabel,
        ReviewDecision,
        ReviewJudgment,
        Reviewed,
        SelectArgs,
        Selection,
        Share,
        VectorProgress,
        PayloadFormat,
        SystemRole,
        ComposeOptions,
        Message,
        SharedAttribute,
        Rendered,
        Withheld,
        Composed,
        TurnArgs,
        Exclusion,
        Excluded,
        Turn,
        PrivacySettings,
        Role,
        ChatMessage,
        Candidate,
        Rule,
        Verification,
        ProblemKind,
        VerifyArgs,
        IngestArgs,
        OutcomeAction,
        RelatedAttribute,
        Relative,
        Outcome,
        IngestReport,
        Relation,
        Probabilities,
        Related,
        StudyLine,
        AttributeLine,
        RelevanceLine,
        Shown,
        ResponseLine,
    );
    out
}
