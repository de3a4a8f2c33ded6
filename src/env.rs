//! Time and randomness come from the host (std natively, the JS engine in the
//! browser), so the core stays target-independent and tests can fix them.

pub trait Env {
    fn now_ms(&self) -> f64;
    fn random_u64(&self) -> u64;

    fn fresh_id(&self, prefix: &str) -> String {
        format!("{prefix}_{:016x}", self.random_u64())
    }
}

/// Native host: wall clock plus std's randomly seeded SipHash as a source of
/// unpredictable ids (ids need uniqueness, not cryptographic strength).
#[derive(Debug, Default)]
pub struct SystemEnv {
    counter: std::sync::atomic::AtomicU64,
}

impl Env for SystemEnv {
    fn now_ms(&self) -> f64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as f64).unwrap_or(0.0)
    }

    fn random_u64(&self) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let n = self.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u128(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0),
        );
        h.finish()
    }
}
