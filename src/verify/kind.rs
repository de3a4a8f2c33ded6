//! Why an attribute is problematic, in the study's own scheme (Zhang, Liu and August 2026, stage 1).
//! The verifier's head names one of these for what it flags; `verifier.json` lists the order of its
//! kind output, and a manifest naming a kind not here is refused.

use serde::{Deserialize, Serialize};

use super::Rule;

/// The study's kinds of problematic attribute. Stable names: apps, reports and study exports
/// use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The evidence is real, the claim broader than it (one request -> a lifelong passion).
    Overgeneralization,
    /// A task's content taken for a fact about the user (a eulogy written for a colleague).
    TaskContext,
    /// Nothing in the reason or the quotes backs the claim.
    MissingEvidence,
    /// Cannot be understood without the conversation ("the project", "the above").
    NotStandalone,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 4] = [
        ProblemKind::Overgeneralization,
        ProblemKind::TaskContext,
        ProblemKind::MissingEvidence,
        ProblemKind::NotStandalone,
    ];

    /// Words for the user's review list.
    pub fn describe(self) -> &'static str {
        match self {
            ProblemKind::Overgeneralization => "looks like an overgeneralization: the claim goes beyond what was said",
            ProblemKind::TaskContext => {
                "looks like a task's content (writing, role-play, translation), not a fact about the user"
            }
            ProblemKind::MissingEvidence => "the reason and quotes do not back it",
            ProblemKind::NotStandalone => "cannot be understood without the conversation",
        }
    }

    /// The kind an exact rule's rejection belongs to, where it has one.
    pub fn of_rule(rule: Rule) -> Option<ProblemKind> {
        match rule {
            Rule::NotStandalone | Rule::NotAboutUser => Some(ProblemKind::NotStandalone),
            Rule::NoEvidence | Rule::EvidenceNotFound => Some(ProblemKind::MissingEvidence),
            Rule::Empty | Rule::NotThirdPerson | Rule::Duplicate | Rule::Instruction => None,
        }
    }
}
