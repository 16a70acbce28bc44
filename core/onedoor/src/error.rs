//! The platform's error: what every use case can fail with, with stable codes.

use onedoor_domain::{DomainError, Role};
use onedoor_store::StoreError;

/// Why a use case failed. Codes are stable and part of the API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input breaks one or more rules; every violation is listed.
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<DomainError>),
    /// No such thing, or not visible to the caller (never said apart).
    #[error("{what} not found")]
    NotFound {
        /// The input field naming it.
        field: String,
        /// What was looked for.
        what: String,
    },
    /// The caller is signed in but lacks the role.
    #[error("this needs the {0} role")]
    Forbidden(Role),
    /// The caller must sign in.
    #[error("sign in first")]
    Unauthenticated,
    /// A unique value is taken.
    #[error("{field} is already taken")]
    Duplicate {
        /// The input field.
        field: String,
    },
    /// The record changed since the caller read it.
    #[error("{0} was changed by someone else; reload and retry")]
    Conflict(String),
    /// Refused with a code of its own: a plugin the host will not load (`NOT_A_COMPONENT`,
    /// `FORBIDDEN_IMPORT` …), a local rule that failed (`OUT_OF_FUEL`, `TRAP` …).
    #[error("{message}")]
    Refused {
        /// The input field concerned (empty when none).
        field: String,
        /// The stable code.
        code: &'static str,
        /// A sentence for people.
        message: String,
    },
    /// Something failed inside; logged, and shown to clients without detail.
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl Error {
    /// The stable code of the first (or only) problem.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(v) => v.first().map_or("INVALID", |e| e.code.as_str()),
            Error::NotFound { .. } => "NOT_FOUND",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Duplicate { .. } => "DUPLICATE",
            Error::Conflict(_) => "CONFLICT",
            Error::Refused { code, .. } => code,
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// Every problem as (field, code, message), for an API's `userErrors`.
    pub fn problems(&self) -> Vec<(String, &'static str, String)> {
        match self {
            Error::Invalid(v) => v.iter().map(|e| (e.field.clone(), e.code.as_str(), e.message.clone())).collect(),
            Error::Refused { field, code, message } => vec![(field.clone(), *code, message.clone())],
            Error::NotFound { field, .. } | Error::Duplicate { field } => {
                vec![(field.clone(), self.code(), self.to_string())]
            }
            _ => vec![(String::new(), self.code(), self.to_string())],
        }
    }

    /// A not-found error on `field`.
    pub fn not_found(field: &str, what: &str) -> Error {
        Error::NotFound { field: field.to_owned(), what: what.to_owned() }
    }

    /// Maps a store error where a missing record and a taken value concern different fields.
    pub fn from_store_on(e: StoreError, missing: &str, taken: &str) -> Error {
        match e {
            StoreError::Duplicate { .. } => Error::from_store(e, taken),
            e => Error::from_store(e, missing),
        }
    }

    /// Maps a store error, naming the input field for not-found and duplicate errors.
    pub fn from_store(e: StoreError, field: &str) -> Error {
        match e {
            // The caller names the unique field of what it writes; a window's number is the one
            // second unique field, told apart by the store.
            StoreError::Duplicate { what } => {
                Error::Duplicate { field: if what == "number" { what } else { field.to_owned() } }
            }
            StoreError::NotFound { what } => Error::not_found(field, what),
            StoreError::Conflict { what } => Error::Conflict(what.to_owned()),
            StoreError::Rule(e) => Error::Invalid(vec![e]),
            other => {
                tracing::error!(error = %other, "store failure");
                Error::Internal(other)
            }
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::from_store(e, "id")
    }
}

impl From<Vec<DomainError>> for Error {
    fn from(v: Vec<DomainError>) -> Self {
        Error::Invalid(v)
    }
}

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Self {
        Error::Invalid(vec![e])
    }
}

/// Results of the platform.
pub type Result<T, E = Error> = std::result::Result<T, E>;
