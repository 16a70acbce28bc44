//! Domain errors: one violated rule each, with a stable code and the field it concerns.

use std::fmt;

/// Stable, client-facing codes for violated domain rules. New codes may be added; existing
/// ones never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A required value is empty.
    Required,
    /// A value is longer than allowed.
    TooLong,
    /// A code has characters or a shape that is not allowed.
    InvalidCode,
    /// A number is outside its allowed range.
    OutOfRange,
    /// The promised time limit is longer than the statutory one.
    PromisedExceedsStatutory,
    /// A list that must not be empty is empty, or has too few entries.
    TooFew,
    /// The same entry appears twice in a list.
    Duplicate,
    /// A value names something in a state that does not allow the operation.
    InvalidState,
    /// A value refers to something that is not allowed here (e.g. a parent at a lower level).
    InvalidReference,
    /// A required material has not been handed in.
    MaterialMissing,
    /// The work belongs to another unit's worklist or to another role.
    NotAssigned,
    /// Someone else acted first (the step is decided, the case changed): reload and retry.
    Conflict,
    /// A capacity is used up (an appointment slot is fully booked).
    Full,
    /// A per-person limit is reached (bookings per day, a no-show ban).
    LimitReached,
}

impl ErrorCode {
    /// The stable string form, as sent to API clients (`SCREAMING_SNAKE_CASE`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Required => "REQUIRED",
            ErrorCode::TooLong => "TOO_LONG",
            ErrorCode::InvalidCode => "INVALID_CODE",
            ErrorCode::OutOfRange => "OUT_OF_RANGE",
            ErrorCode::PromisedExceedsStatutory => "PROMISED_EXCEEDS_STATUTORY",
            ErrorCode::TooFew => "TOO_FEW",
            ErrorCode::Duplicate => "DUPLICATE",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::InvalidReference => "INVALID_REFERENCE",
            ErrorCode::MaterialMissing => "MATERIAL_MISSING",
            ErrorCode::NotAssigned => "NOT_ASSIGNED",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Full => "FULL",
            ErrorCode::LimitReached => "LIMIT_REACHED",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One violated rule: which field (a dotted path such as `materials.2.name`), which rule, and
/// a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DomainError {
    /// The input field concerned, as a dotted path in the API's (camelCase) names.
    pub field: String,
    /// The rule that was violated.
    pub code: ErrorCode,
    /// A human-readable explanation.
    pub message: String,
}

impl DomainError {
    /// A violation of `code` on `field`.
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError { field: field.into(), code, message: message.into() }
    }

    /// The same error, with its field nested under `prefix` (`materials.0` + `name`).
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = match (prefix.is_empty(), self.field.is_empty()) {
            (true, _) => self.field,
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{}", self.field),
        };
        self
    }
}

/// Collects violations so that one call reports every problem of an input at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<DomainError>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    /// Keeps the value of `r`, or records its error under `field` and returns `None`.
    pub fn take<T>(&mut self, field: &str, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e.under(field));
                None
            }
        }
    }

    /// Records a violation.
    pub fn push(&mut self, e: DomainError) {
        self.0.push(e);
    }

    /// Records all violations of `other`, nested under `prefix`.
    pub fn extend_under(&mut self, prefix: &str, other: Vec<DomainError>) {
        self.0.extend(other.into_iter().map(|e| e.under(prefix)));
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when there were no violations, else every violation.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<DomainError>> {
        if self.0.is_empty() {
            // Every `take` succeeded, so the builder has all its parts.
            value().ok_or_else(|| vec![DomainError::new("", ErrorCode::Required, "the input is incomplete")])
        } else {
            Err(self.0)
        }
    }
}
