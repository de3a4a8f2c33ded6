//! The user's review decisions over the native MemoryStore: each is applied, recorded as a stage-1
//! judgment where the verifier had judged the attribute, and exported in the study's JSONL, which
//! `tests/train_verifier.sh` retrains the verifier from (`tests/fixtures/judgments_device.jsonl` is
//! this file's scripted session, checked here to be exactly what the export writes).

mod common;

use common::TestEnv;
use discreet::review::{ReviewAction, ReviewDecision, ReviewLabel};
use discreet::study::StudyLine;
use discreet::verify::ProblemKind;
use discreet::{Attribute, MemoryStore, NewAttribute, Profile, Verdict};
use futures_executor::block_on;

/// The session's times: 2025-12-02, so the fixture reads like a real export.
fn env() -> TestEnv {
    TestEnv { epoch: 1_764_633_600_000.0, ..TestEnv::default() }
}

type TestProfile = Profile<MemoryStore, TestEnv>;

async fn scored(p: &TestProfile, text: &str, verdict: Verdict, score: f64, reason: &str, quote: &str) -> Attribute {
    let new = NewAttribute {
        text: text.into(),
        reason: Some(reason.into()),
        evidence: vec![quote.into()],
        verdict,
        verifier_score: Some(score),
        ..Default::default()
    };
    p.add(new).await.unwrap().attribute
}

fn decide(action: ReviewAction, text: Option<&str>, kind: Option<ProblemKind>) -> ReviewDecision {
    ReviewDecision { action, text: text.map(String::from), kind }
}

/// A session like the manager's: verifier-scored attributes accepted, corrected and deleted.
async fn session(p: &TestProfile) {
    let rows = [
        ("The user keeps a vegetarian diet.", Verdict::Review, 0.41, "They say they are vegetarian.", "I'm vegetarian"),
        (
            "The user works night shifts as a nurse.",
            Verdict::Accepted,
            0.83,
            "They describe their job.",
            "I work night shifts as a nurse",
        ),
        (
            "The user is passionate about lighthouses.",
            Verdict::Review,
            0.33,
            "They asked for a limerick about a lighthouse keeper.",
            "write a limerick about a lighthouse keeper",
        ),
        (
            "The user's father has died.",
            Verdict::Review,
            0.29,
            "They asked for a eulogy for a colleague's father.",
            "draft a eulogy for my colleague's father",
        ),
        (
            "The user loves all kinds of Italian food.",
            Verdict::Accepted,
            0.62,
            "They asked for a risotto recipe.",
            "a risotto recipe",
        ),
        (
            "The user has two cats.",
            Verdict::Review,
            0.47,
            "They mention feeding their two cats.",
            "feeding my two cats",
        ),
    ];
    let mut ids = Vec::new();
    for (text, verdict, score, reason, quote) in rows {
        ids.push(scored(p, text, verdict, score, reason, quote).await.id);
    }
    let over = Some(ProblemKind::Overgeneralization);
    let decisions = [
        decide(ReviewAction::Accept, None, None),
        decide(ReviewAction::Accept, None, None),
        decide(ReviewAction::Delete, None, over),
        decide(ReviewAction::Delete, None, Some(ProblemKind::TaskContext)),
        decide(ReviewAction::Edit, Some("The user likes risotto."), over),
        decide(ReviewAction::Edit, Some("The user has two cats, Miso and Tofu."), None),
    ];
    for (id, d) in ids.iter().zip(&decisions) {
        p.review(id, d).await.unwrap();
    }
}

#[test]
fn each_decision_is_applied_and_recorded_in_the_study_scheme() {
    block_on(async {
        let p = Profile::new(MemoryStore::new(), env());
        session(&p).await;
        let listed = p.list().await.unwrap();
        let texts: Vec<&str> = listed.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "The user keeps a vegetarian diet.",
                "The user works night shifts as a nurse.",
                "The user likes risotto.",
                "The user has two cats, Miso and Tofu."
            ],
            "deleted ones are gone, edits applied"
        );
        assert!(listed.iter().all(|a| a.verdict == Verdict::Accepted), "what the user kept is accepted");
        assert!(listed[2].user_edited && !listed[0].user_edited);
        let j = p.judgments().await.unwrap();
        let labels: Vec<ReviewLabel> = j.iter().map(|j| j.label).collect();
        use ReviewLabel::*;
        assert_eq!(labels, [Ok, Ok, Bad, Bad, Bad, Unsure]);
        assert_eq!(j[3].kind, Some(ProblemKind::TaskContext));
        assert_eq!(j[4].attribute, "The user loves all kinds of Italian food.", "the text the verifier judged");
        assert_eq!(j[4].edited_text.as_deref(), Some("The user likes risotto."));
        assert_eq!((j[0].verdict, j[0].verifier_score), (Verdict::Review, Some(0.41)));
        // An attribute the user made their own, or added by hand, is not the verifier's to be judged on.
        let edited = &listed[2].id;
        let r = p.review(edited, &decide(ReviewAction::Delete, None, None)).await.unwrap();
        assert!(r.attribute.is_none() && r.judgment.is_none());
        let by_hand = p.add(NewAttribute::text("The user plays chess.")).await.unwrap().attribute;
        let r = p.review(&by_hand.id, &decide(ReviewAction::Accept, None, None)).await.unwrap();
        assert_eq!(r.attribute.unwrap().verdict, Verdict::Accepted);
        assert!(r.judgment.is_none());
        assert_eq!(p.judgments().await.unwrap().len(), 6);
        // One judgment per attribute: a second decision on an accepted one is the user's own.
        let kept = &listed[0].id;
        let again = p.review(kept, &decide(ReviewAction::Delete, None, None)).await.unwrap();
        assert!(again.attribute.is_none() && again.judgment.is_none());
        assert_eq!(p.judgments().await.unwrap().len(), 6);
        p.clear_judgments().await.unwrap();
        assert!(p.judgments().await.unwrap().is_empty());
        // `clear` deletes the judgments too: they quote the attributes.
        let a = scored(&p, "The user rows on weekends.", Verdict::Review, 0.4, "They said so.", "I row").await;
        p.review(&a.id, &decide(ReviewAction::Accept, None, None)).await.unwrap();
        assert_eq!(p.judgments().await.unwrap().len(), 1);
        p.clear().await.unwrap();
        assert!(p.judgments().await.unwrap().is_empty() && p.list().await.unwrap().is_empty());
    });
}

#[test]
fn refused_decisions_change_nothing_and_record_nothing() {
    block_on(async {
        let p = Profile::new(MemoryStore::new(), env());
        let a = scored(&p, "The user is a nurse.", Verdict::Review, 0.4, "They said so.", "I'm a nurse").await;
        let b = scored(&p, "The user is a teacher.", Verdict::Review, 0.4, "They said so.", "I teach").await;
        let codes = [
            p.review(&a.id, &decide(ReviewAction::Edit, None, None)).await,
            p.review(&a.id, &decide(ReviewAction::Accept, Some("x"), None)).await,
            p.review(&a.id, &decide(ReviewAction::Edit, Some("   "), None)).await,
            p.review(&a.id, &decide(ReviewAction::Edit, Some("The user is a teacher."), None)).await,
            p.review(&a.id, &decide(ReviewAction::Edit, Some("  the user is a NURSE. "), None)).await,
            p.review("attr-missing", &decide(ReviewAction::Accept, None, None)).await,
        ]
        .map(|r| r.unwrap_err().code());
        assert_eq!(
            codes,
            ["E_INVALID_INPUT", "E_INVALID_INPUT", "E_INVALID_INPUT", "E_DUPLICATE", "E_INVALID_INPUT", "E_NOT_FOUND"]
        );
        assert_eq!(p.list().await.unwrap(), vec![a, b], "unchanged");
        assert!(p.judgments().await.unwrap().is_empty());
    });
}

#[test]
fn the_export_is_study_jsonl_and_matches_the_committed_fixture() {
    block_on(async {
        let p = Profile::new(MemoryStore::new(), env());
        session(&p).await;
        let text = p.export_judgments("alice").await.unwrap();
        // Read back through the export's one definition (what the study page's output is checked by).
        let lines = discreet::study::read_export(&text).unwrap();
        assert_eq!(lines.len(), text.lines().count());
        for line in lines {
            let StudyLine::Attribute(a) = line else { panic!("{line:?}") };
            assert_eq!(
                (a.participant.as_str(), a.user.as_str(), a.at, a.study.as_deref()),
                ("device", "alice", None, None)
            );
            assert!(!a.attribute.trim().is_empty() && a.verdict.is_some(), "{a:?}");
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/judgments_device.jsonl");
        if std::env::var_os("UPDATE_FIXTURES").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "regenerate with UPDATE_FIXTURES=1");
    });
}
