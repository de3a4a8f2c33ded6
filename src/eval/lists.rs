//! Per-list figures: a user sees one ranked list of their attributes per prompt, so a model
//! is judged by what it puts first and by how many it lets through per prompt, not by pooled
//! F1 alone. The same figures are computed for the human labels so the two can be compared.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::judgments::RelevanceJudgment;

/// An attribute judged in at least this many lists counts as recurring.
const RECURRING_LISTS: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListFigures {
    pub lists: usize,
    /// Lists with at least one relevant pair whose top-scored pair is relevant (None without scores).
    pub hit_at_1: Option<f64>,
    pub hit_at_3: Option<f64>,
    pub selected_per_list: f64,
    pub relevant_per_list: f64,
    pub max_selected_in_a_list: usize,
    /// Of the attributes judged in 3+ lists, the share selected in at least half of them:
    /// high values mean a model learned which attributes are often relevant, not when.
    pub recurring_attributes: usize,
    pub recurring_selected_half_the_time: f64,
    pub recurring_relevant_half_the_time: f64,
    /// Selection rate by authored `kind` (concrete-fact data), when the pairs carry one.
    pub selected_by_kind: BTreeMap<String, f64>,
}

pub fn list_figures(pairs: &[RelevanceJudgment], scores: Option<&[f32]>, predicted: &[bool]) -> ListFigures {
    assert_eq!(pairs.len(), predicted.len(), "one prediction per pair");
    let mut lists: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in pairs.iter().enumerate() {
        lists.entry(p.list_key()).or_default().push(i);
    }
    let with_positive: Vec<&Vec<usize>> = lists.values().filter(|l| l.iter().any(|&i| pairs[i].relevant)).collect();
    let hit_at = |k: usize| {
        let s = scores?;
        if with_positive.is_empty() {
            return None;
        }
        let hits = with_positive
            .iter()
            .filter(|list| {
                let mut order: Vec<usize> = list.to_vec();
                order.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
                order.iter().take(k).any(|&i| pairs[i].relevant)
            })
            .count();
        Some(hits as f64 / with_positive.len() as f64)
    };
    let count = |list: &[usize], f: &dyn Fn(usize) -> bool| list.iter().filter(|&&i| f(i)).count();
    let n = lists.len().max(1) as f64;
    let selected: Vec<usize> = lists.values().map(|l| count(l, &|i| predicted[i])).collect();
    let relevant: usize = lists.values().map(|l| count(l, &|i| pairs[i].relevant)).sum();

    let mut by_attribute: BTreeMap<(String, &str), Vec<usize>> = BTreeMap::new();
    for (i, p) in pairs.iter().enumerate() {
        by_attribute.entry((p.user.clone().unwrap_or_default(), p.attribute.as_str())).or_default().push(i);
    }
    let recurring: Vec<&Vec<usize>> = by_attribute.values().filter(|l| l.len() >= RECURRING_LISTS).collect();
    let half_the_time = |f: &dyn Fn(usize) -> bool| {
        if recurring.is_empty() {
            return 0.0;
        }
        recurring.iter().filter(|l| 2 * count(l, f) >= l.len()).count() as f64 / recurring.len() as f64
    };

    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, p) in pairs.iter().enumerate() {
        if let Some(kind) = &p.kind {
            let e = kinds.entry(kind.clone()).or_default();
            e.0 += predicted[i] as usize;
            e.1 += 1;
        }
    }
    ListFigures {
        lists: lists.len(),
        hit_at_1: hit_at(1),
        hit_at_3: hit_at(3),
        selected_per_list: selected.iter().sum::<usize>() as f64 / n,
        relevant_per_list: relevant as f64 / n,
        max_selected_in_a_list: selected.iter().copied().max().unwrap_or(0),
        recurring_attributes: recurring.len(),
        recurring_selected_half_the_time: half_the_time(&|i| predicted[i]),
        recurring_relevant_half_the_time: half_the_time(&|i| pairs[i].relevant),
        selected_by_kind: kinds.into_iter().map(|(k, (sel, all))| (k, sel as f64 / all as f64)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(user: &str, prompt: &str, attribute: &str, relevant: bool) -> RelevanceJudgment {
        RelevanceJudgment {
            user: Some(user.into()),
            prompt_id: None,
            group: None,
            kind: None,
            prompt: prompt.into(),
            attribute: attribute.into(),
            reason: None,
            relevant,
            llm_votes: Default::default(),
        }
    }

    #[test]
    fn hits_count_lists_whose_top_pairs_are_relevant() {
        let pairs = [
            pair("u", "p1", "a", true),
            pair("u", "p1", "b", false),
            pair("u", "p1", "c", false),
            pair("u", "p2", "a", false),
            pair("u", "p2", "b", true),
            pair("u", "p2", "c", false),
            pair("v", "p1", "x", false), // a list without a positive: not in hit@k
        ];
        // p1: a first (hit@1); p2: b third (hit@3 only).
        let scores = [0.9, 0.1, 0.2, 0.8, 0.1, 0.5, 0.3];
        let predicted = [true, false, false, true, false, true, false];
        let f = list_figures(&pairs, Some(&scores), &predicted);
        assert_eq!(f.lists, 3);
        assert_eq!(f.hit_at_1, Some(0.5));
        assert_eq!(f.hit_at_3, Some(1.0));
        assert_eq!(f.max_selected_in_a_list, 2);
        assert!((f.selected_per_list - 1.0).abs() < 1e-12);
        assert!((f.relevant_per_list - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(list_figures(&pairs, None, &predicted).hit_at_1, None);
    }

    #[test]
    fn recurring_attributes_compare_model_and_humans() {
        // "a" appears in 4 lists: selected in 3 (>= half), relevant in 1 (< half).
        let pairs: Vec<_> = (0..4).map(|i| pair("u", &format!("p{i}"), "a", i == 0)).collect();
        let f = list_figures(&pairs, None, &[true, true, true, false]);
        assert_eq!(f.recurring_attributes, 1);
        assert_eq!(f.recurring_selected_half_the_time, 1.0);
        assert_eq!(f.recurring_relevant_half_the_time, 0.0);
    }

    #[test]
    fn selection_by_kind() {
        let mut pairs = vec![pair("", "p", "f", true), pair("", "p", "t", false), pair("", "p", "t2", false)];
        pairs[0].kind = Some("fact".into());
        pairs[1].kind = Some("trait".into());
        pairs[2].kind = Some("trait".into());
        let f = list_figures(&pairs, None, &[true, true, false]);
        assert_eq!(f.selected_by_kind["fact"], 1.0);
        assert_eq!(f.selected_by_kind["trait"], 0.5);
    }
}
