//! Agreement with human judgments: the figures every model and baseline is
//! reported with, computed by one piece of code.

use serde::Serialize;

mod lists;
pub use lists::{list_figures, ListFigures};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BinaryMetrics {
    pub n: usize,
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
    /// Cohen's kappa between the predictions and the human labels.
    pub kappa: f64,
    pub accuracy: f64,
    pub selection_rate: f64,
    pub human_rate: f64,
}

/// `labels[i]`: the human majority; `predicted[i]`: selected or not.
pub fn binary_metrics(labels: &[bool], predicted: &[bool]) -> BinaryMetrics {
    assert_eq!(labels.len(), predicted.len(), "one prediction per label");
    let n = labels.len();
    let count = |f: &dyn Fn(bool, bool) -> bool| labels.iter().zip(predicted).filter(|(&y, &p)| f(y, p)).count();
    let tp = count(&|y, p| y && p) as f64;
    let fp = count(&|y, p| !y && p) as f64;
    let fn_ = count(&|y, p| y && !p) as f64;
    let tn = count(&|y, p| !y && !p) as f64;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = ratio(2.0 * precision * recall, precision + recall);
    let total = n as f64;
    let accuracy = ratio(tp + tn, total);
    let human_rate = ratio(tp + fn_, total);
    let selection_rate = ratio(tp + fp, total);
    let chance = human_rate * selection_rate + (1.0 - human_rate) * (1.0 - selection_rate);
    let kappa = if chance < 1.0 { (accuracy - chance) / (1.0 - chance) } else { 0.0 };
    BinaryMetrics { n, f1, precision, recall, kappa, accuracy, selection_rate, human_rate }
}

/// 95% percentile-bootstrap interval of a statistic over resampled pairs.
/// Deterministic (fixed-seed xorshift) so reports are reproducible.
pub fn bootstrap_interval(
    labels: &[bool],
    predicted: &[bool],
    rounds: usize,
    stat: impl Fn(&BinaryMetrics) -> f64,
) -> (f64, f64) {
    let n = labels.len();
    if n == 0 || rounds == 0 {
        return (0.0, 0.0);
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut values: Vec<f64> = (0..rounds)
        .map(|_| {
            let idx: Vec<usize> = (0..n).map(|_| next()).collect();
            let y: Vec<bool> = idx.iter().map(|&i| labels[i]).collect();
            let p: Vec<bool> = idx.iter().map(|&i| predicted[i]).collect();
            stat(&binary_metrics(&y, &p))
        })
        .collect();
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((q * (rounds - 1) as f64).round() as usize).min(rounds - 1)];
    (at(0.025), at(0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn hand_computed_case() {
        // tp=2, fp=1, fn=1, tn=6
        let y = [true, true, true, false, false, false, false, false, false, false];
        let p = [true, true, false, true, false, false, false, false, false, false];
        let m = binary_metrics(&y, &p);
        assert!(close(m.precision, 2.0 / 3.0));
        assert!(close(m.recall, 2.0 / 3.0));
        assert!(close(m.f1, 2.0 / 3.0));
        assert!(close(m.accuracy, 0.8));
        assert!(close(m.selection_rate, 0.3));
        assert!(close(m.human_rate, 0.3));
        // chance agreement 0.3*0.3 + 0.7*0.7 = 0.58; kappa = (0.8-0.58)/0.42
        assert!(close(m.kappa, 0.22 / 0.42));
    }

    #[test]
    fn perfect_and_inverted_predictions() {
        let y = [true, false, true, false];
        let perfect = binary_metrics(&y, &y);
        assert!(close(perfect.f1, 1.0) && close(perfect.kappa, 1.0));
        let inverted: Vec<bool> = y.iter().map(|b| !b).collect();
        let m = binary_metrics(&y, &inverted);
        assert!(close(m.f1, 0.0) && close(m.kappa, -1.0));
    }

    #[test]
    fn selecting_nothing_has_zero_f1_and_kappa() {
        let y = [true, false, false, false];
        let m = binary_metrics(&y, &[false; 4]);
        assert!(close(m.f1, 0.0) && close(m.kappa, 0.0) && close(m.selection_rate, 0.0));
    }

    #[test]
    fn bootstrap_brackets_the_point_estimate() {
        let y: Vec<bool> = (0..200).map(|i| i % 5 == 0).collect();
        let p: Vec<bool> = (0..200).map(|i| i % 5 == 0 || i % 7 == 0).collect();
        let f1 = binary_metrics(&y, &p).f1;
        let (lo, hi) = bootstrap_interval(&y, &p, 500, |m| m.f1);
        assert!(lo < f1 && f1 < hi && hi - lo < 0.3, "{lo} {f1} {hi}");
    }
}
