//! The browser's `discreet::Store`: IndexedDB, with an optional sealed (encrypted) profile.

pub mod indexeddb;
mod sealer;
