//! What several native test files share.

use std::cell::Cell;

use discreet::Env;

/// Deterministic host so ids and times are predictable: every call advances one tick, and times
/// are `epoch` plus the tick in milliseconds.
#[derive(Default)]
pub struct TestEnv {
    pub tick: Cell<u64>,
    pub epoch: f64,
}

impl Env for TestEnv {
    fn now_ms(&self) -> f64 {
        self.tick.set(self.tick.get() + 1);
        self.epoch + self.tick.get() as f64
    }
    fn random_u64(&self) -> u64 {
        self.tick.set(self.tick.get() + 1);
        self.tick.get()
    }
}
