//! API errors: `userErrors` for mutations, coded GraphQL errors for queries.

use async_graphql::{ErrorExtensions, SimpleObject};
use onedoor::Error;

/// A problem with a mutation's input: which field (as a path from the mutation's argument),
/// a stable code, and a sentence.
#[derive(Debug, Clone, SimpleObject)]
pub struct UserError {
    /// Path to the input field concerned, e.g. `["input", "guide", "materials", "0", "name"]`;
    /// just `["input"]` when the problem is not about one field.
    pub field: Vec<String>,
    /// Stable code, e.g. `PROMISED_EXCEEDS_STATUTORY`, `NOT_FOUND`, `FORBIDDEN`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl UserError {
    /// One error on a dotted field path below `input`.
    pub(crate) fn new(field: &str, code: &str, message: impl Into<String>) -> UserError {
        let mut path = vec!["input".to_owned()];
        path.extend(field.split('.').filter(|s| !s.is_empty()).map(str::to_owned));
        UserError { field: path, code: code.to_owned(), message: message.into() }
    }

    /// An id that does not decode to the expected kind of node.
    pub(crate) fn bad_id(field: &str) -> UserError {
        UserError::new(field, "INVALID_ID", "this is not an id of the expected kind")
    }
}

/// Turns a platform error into `userErrors`, or a top-level error for internal failures
/// (details are logged, never sent).
pub(crate) fn user_errors(e: Error) -> async_graphql::Result<Vec<UserError>> {
    match e {
        Error::Internal(_) => Err(internal()),
        e => Ok(e.problems().into_iter().map(|(f, c, m)| UserError::new(&f, c, m)).collect()),
    }
}

/// The opaque internal error.
pub(crate) fn internal() -> async_graphql::Error {
    async_graphql::Error::new("internal error").extend_with(|_, e| e.set("code", "INTERNAL"))
}

/// A query-side error with a code.
pub(crate) fn coded(code: &str, message: impl Into<String>) -> async_graphql::Error {
    let code = code.to_owned();
    async_graphql::Error::new(message).extend_with(move |_, e| e.set("code", code.clone()))
}

/// Maps a platform error on a query path.
pub(crate) fn query_error(e: Error) -> async_graphql::Error {
    match e {
        Error::Internal(_) => internal(),
        e => coded(e.code(), e.to_string()),
    }
}
