//! The authored concrete-fact relevance pairs (models/train/data/relevance_facts.jsonl) keep the
//! shape their README promises, and the eval reader takes them as they are.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use discreet::judgments::read_relevance;
use serde_json::Value;

const KINDS: [&str; 4] = ["fact", "near_miss", "other_fact", "trait"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rows() -> Vec<Value> {
    let text = std::fs::read_to_string(root().join("models/train/data/relevance_facts.jsonl")).unwrap();
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn the_data_has_the_documented_shape() {
    let rows = rows();
    assert!(rows.len() >= 800, "{} pairs", rows.len());
    let mut prompt_of: BTreeMap<String, String> = BTreeMap::new();
    let mut split_of: BTreeMap<String, String> = BTreeMap::new();
    let mut label_of: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut domains = BTreeSet::new();
    let mut dev_domains: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &rows {
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["group", "domain", "prompt", "attribute", "relevant", "kind", "split"]),
            "{r}"
        );
        let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}")).to_string();
        let (group, domain, kind, split) = (s("group"), s("domain"), s("kind"), s("split"));
        let relevant = r["relevant"].as_bool().unwrap();
        assert!(KINDS.contains(&kind.as_str()), "{r}");
        assert!(group.starts_with(&format!("{domain}-")), "{r}");
        assert!(split == "train" || split == "dev", "{r}");
        // Facts are positives, near and other facts negatives by definition; traits go either way.
        match kind.as_str() {
            "fact" => assert!(relevant, "{r}"),
            "near_miss" | "other_fact" => assert!(!relevant, "{r}"),
            _ => {}
        }
        assert_eq!(prompt_of.entry(group.clone()).or_insert(s("prompt")), &s("prompt"), "one prompt per group");
        assert_eq!(split_of.entry(group.clone()).or_insert(split.clone()), &split, "a whole group is in one split");
        let key = (s("prompt"), s("attribute"));
        assert_eq!(*label_of.entry(key).or_insert(relevant), relevant, "a pair is labelled once: {r}");
        domains.insert(domain.clone());
        let e = dev_domains.entry(domain).or_default();
        e.0 += (split == "dev") as usize;
        e.1 += 1;
    }
    assert!(domains.len() >= 20, "{} domains", domains.len());
    let distinct_prompts: BTreeSet<&String> = prompt_of.values().collect();
    assert_eq!(distinct_prompts.len(), prompt_of.len(), "one group per prompt");
    // Dev holds whole unseen domains as well as unseen prompts of the training domains.
    let wholly_dev = dev_domains.values().filter(|(dev, all)| dev == all).count();
    let partly_dev = dev_domains.values().filter(|(dev, all)| *dev > 0 && dev < all).count();
    assert!(wholly_dev >= 5 && partly_dev >= 15, "{dev_domains:?}");
    // The eval reader takes the file as is.
    let text = std::fs::read_to_string(root().join("models/train/data/relevance_facts.jsonl")).unwrap();
    assert_eq!(read_relevance(text.as_bytes()).unwrap().len(), rows.len());
}
