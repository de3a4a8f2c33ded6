//! One error type for the whole core. Each variant maps to a stable code string
//! that JS callers can switch on; messages are for humans and may change.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The caller passed something malformed (empty text, a bad option, a bad import file).
    InvalidInput(String),
    /// No attribute with this id.
    NotFound(String),
    /// The edit would make this attribute a duplicate of another stored one.
    Duplicate(String),
    /// The storage backend failed.
    Storage(String),
    /// The browser refused the write because the origin is out of storage quota.
    Quota(String),
    /// A schema upgrade is blocked by another open connection (usually another tab).
    Blocked(String),
    /// The store was closed by `close()` or by a newer version in another tab.
    Closed,
    /// A model file is missing, corrupt or of the wrong kind.
    Model(String),
    /// The chat model's extraction reply is not the JSON the prompt asked for.
    BadExtraction(String),
}

impl Error {
    /// One error of each kind, so the set of codes can be listed and checked.
    pub fn examples() -> Vec<Error> {
        vec![
            Error::InvalidInput(String::new()),
            Error::NotFound(String::new()),
            Error::Duplicate(String::new()),
            Error::Storage(String::new()),
            Error::Quota(String::new()),
            Error::Blocked(String::new()),
            Error::Closed,
            Error::Model(String::new()),
            Error::BadExtraction(String::new()),
        ]
    }

    /// Stable, documented code. Never rename one: apps branch on them.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput(_) => "E_INVALID_INPUT",
            Error::NotFound(_) => "E_NOT_FOUND",
            Error::Duplicate(_) => "E_DUPLICATE",
            Error::Storage(_) => "E_STORAGE",
            Error::Quota(_) => "E_QUOTA",
            Error::Blocked(_) => "E_BLOCKED",
            Error::Closed => "E_CLOSED",
            Error::Model(_) => "E_MODEL",
            Error::BadExtraction(_) => "E_BAD_EXTRACTION",
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::NotFound(id) => write!(f, "no attribute with id {id:?}"),
            Error::Duplicate(m) => write!(f, "duplicate attribute: {m}"),
            Error::Storage(m) => write!(f, "storage error: {m}"),
            Error::Quota(m) => write!(f, "storage quota exceeded: {m}"),
            Error::Blocked(m) => write!(f, "database upgrade blocked: {m}"),
            Error::Closed => write!(f, "the store is closed"),
            Error::Model(m) => write!(f, "model error: {m}"),
            Error::BadExtraction(m) => write!(f, "unusable extraction reply: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// The runtime's failures are the model's: `E_MODEL`.
impl From<crate::onnx::Error> for Error {
    fn from(e: crate::onnx::Error) -> Self {
        Error::Model(e.0)
    }
}

pub type Result<T> = std::result::Result<T, Error>;
