//! Time and randomness come from the host (std natively, the JS engine in the
//! browser), so the core stays target-independent and tests can fix them.

pub trait Env {
    fn now_ms(&self) -> f64;
    fn random_u64(&self) -> u64;

    /// A sequence number first, then randomness: lists sort by creation time, then by id, and
    /// engines that coarsen the clock (Firefox, Safari) give several adds the same millisecond;
    /// the sequence keeps those in the order they were made.
    fn fresh_id(&self, prefix: &str) -> String {
        let sequence = SEQUENCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{prefix}_{sequence:08x}{:016x}", self.random_u64())
    }
}

/// Shared by every profile in the process (or wasm instance), so two profiles open on one store
/// also order their ids; it wraps after 2^32 ids, far past any one session.
static SEQUENCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

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
