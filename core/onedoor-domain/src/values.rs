//! Value objects with rules, built only by `parse`: codes, names, working days, money.

use crate::error::{DomainError, ErrorCode};
use std::fmt;

fn trimmed(input: &str) -> &str {
    input.trim()
}

macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, DomainError> {
                $name::parse(&s)
            }
        }
    };
}

string_value! {
    /// A short identifier chosen by people: a centre's, unit's, zone's or window's code.
    /// 1–32 characters of ASCII letters, digits, `-`, `_` and `.`.
    Code
}

impl Code {
    /// The longest code accepted.
    pub const MAX: usize = 32;

    /// Parses a code, trimming surrounding blanks.
    pub fn parse(input: &str) -> Result<Code, DomainError> {
        let s = trimmed(input);
        if s.is_empty() {
            return Err(DomainError::new("", ErrorCode::Required, "a code is required"));
        }
        if s.len() > Self::MAX {
            return Err(DomainError::new(
                "",
                ErrorCode::TooLong,
                format!("a code has at most {} characters", Self::MAX),
            ));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(DomainError::new(
                "",
                ErrorCode::InvalidCode,
                format!("`{s}` is not a valid code: use letters, digits, `-`, `_` or `.`"),
            ));
        }
        Ok(Code(s.to_owned()))
    }
}

string_value! {
    /// A matter's catalogue code, such as `62052400MZ-XK-0001`: 4–64 characters of upper-case
    /// ASCII letters, digits and `-`, starting with a letter or digit.
    MatterCode
}

impl MatterCode {
    /// Parses a matter code; lower-case letters are upper-cased.
    pub fn parse(input: &str) -> Result<MatterCode, DomainError> {
        let s = trimmed(input).to_ascii_uppercase();
        if s.is_empty() {
            return Err(DomainError::new("", ErrorCode::Required, "a matter code is required"));
        }
        if s.len() > 64 {
            return Err(DomainError::new("", ErrorCode::TooLong, "a matter code has at most 64 characters"));
        }
        let valid = s.len() >= 4
            && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !valid {
            return Err(DomainError::new(
                "",
                ErrorCode::InvalidCode,
                format!("`{s}` is not a matter code: use 4 to 64 letters, digits and `-`, e.g. 62052400MZ-XK-0001"),
            ));
        }
        Ok(MatterCode(s))
    }
}

string_value! {
    /// A name shown to people: 1–200 characters, surrounding blanks trimmed.
    Name
}

impl Name {
    /// The longest name accepted, in characters.
    pub const MAX: usize = 200;

    /// Parses a name.
    pub fn parse(input: &str) -> Result<Name, DomainError> {
        let s = trimmed(input);
        if s.is_empty() {
            return Err(DomainError::new("", ErrorCode::Required, "a name is required"));
        }
        if s.chars().count() > Self::MAX {
            return Err(DomainError::new(
                "",
                ErrorCode::TooLong,
                format!("a name has at most {} characters", Self::MAX),
            ));
        }
        Ok(Name(s.to_owned()))
    }
}

/// Parses free text (a legal basis, a description): at most `max` characters, trimmed; empty
/// text is allowed unless `required`.
pub fn parse_text(input: &str, max: usize, required: bool) -> Result<String, DomainError> {
    let s = trimmed(input);
    if required && s.is_empty() {
        return Err(DomainError::new("", ErrorCode::Required, "this text is required"));
    }
    if s.chars().count() > max {
        return Err(DomainError::new("", ErrorCode::TooLong, format!("at most {max} characters")));
    }
    Ok(s.to_owned())
}

/// A number of working days (weekends, public holidays and make-up days per the centre's
/// calendar). 0 means "on the spot"; at most 3,650.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct WorkingDays(u16);

impl WorkingDays {
    /// The largest limit accepted (ten years of working days is far beyond any statute).
    pub const MAX: u16 = 3650;

    /// Parses a number of working days.
    pub fn parse(days: i64) -> Result<WorkingDays, DomainError> {
        if !(0..=i64::from(Self::MAX)).contains(&days) {
            return Err(DomainError::new(
                "",
                ErrorCode::OutOfRange,
                format!("{days} is not a number of working days between 0 and {}", Self::MAX),
            ));
        }
        Ok(WorkingDays(days as u16))
    }

    /// The number of days.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl From<WorkingDays> for i64 {
    fn from(d: WorkingDays) -> i64 {
        i64::from(d.0)
    }
}

impl TryFrom<i64> for WorkingDays {
    type Error = DomainError;
    fn try_from(v: i64) -> Result<Self, DomainError> {
        WorkingDays::parse(v)
    }
}

/// A matter's time limits: the statutory limit and the (shorter or equal) promised one.
/// Deserializing checks the rule too, so stored or fixture data cannot smuggle in a promise
/// above the statute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawTimeLimits")]
pub struct TimeLimits {
    statutory: WorkingDays,
    promised: WorkingDays,
}

/// The unchecked shape of [`TimeLimits`] on the wire.
#[derive(serde::Deserialize)]
struct RawTimeLimits {
    statutory: WorkingDays,
    promised: WorkingDays,
}

impl TryFrom<RawTimeLimits> for TimeLimits {
    type Error = DomainError;
    fn try_from(r: RawTimeLimits) -> Result<Self, DomainError> {
        TimeLimits::new(r.statutory, r.promised)
    }
}

impl TimeLimits {
    /// Builds the limits, enforcing promised ≤ statutory.
    pub fn new(statutory: WorkingDays, promised: WorkingDays) -> Result<TimeLimits, DomainError> {
        if promised > statutory {
            return Err(DomainError::new(
                "promisedDays",
                ErrorCode::PromisedExceedsStatutory,
                format!(
                    "the promised limit ({} working days) must not exceed the statutory limit ({} working days)",
                    promised.get(),
                    statutory.get()
                ),
            ));
        }
        Ok(TimeLimits { statutory, promised })
    }

    /// The limit set by law.
    pub fn statutory(self) -> WorkingDays {
        self.statutory
    }

    /// The limit the centre promises.
    pub fn promised(self) -> WorkingDays {
        self.promised
    }
}

/// An amount of money in fen (1/100 yuan), never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Fen(i64);

impl Fen {
    /// Parses an amount in fen.
    pub fn parse(fen: i64) -> Result<Fen, DomainError> {
        if !(0..=1_000_000_000_000).contains(&fen) {
            return Err(DomainError::new(
                "",
                ErrorCode::OutOfRange,
                format!("{fen} is not an amount between 0 and 10 billion yuan in fen"),
            ));
        }
        Ok(Fen(fen))
    }

    /// The amount in fen.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<Fen> for i64 {
    fn from(f: Fen) -> i64 {
        f.0
    }
}

impl TryFrom<i64> for Fen {
    type Error = DomainError;
    fn try_from(v: i64) -> Result<Self, DomainError> {
        Fen::parse(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Code::parse(" PL-city ").map(|c| c.to_string()), Ok("PL-city".to_owned()));
        assert_eq!(Code::parse("").map_err(|e| e.code), Err(ErrorCode::Required));
        assert_eq!(Code::parse("a b").map_err(|e| e.code), Err(ErrorCode::InvalidCode));
        assert_eq!(Code::parse(&"x".repeat(33)).map_err(|e| e.code), Err(ErrorCode::TooLong));
        assert_eq!(MatterCode::parse("62052400mz-xk-0001").map(|c| c.to_string()), Ok("62052400MZ-XK-0001".to_owned()));
        assert_eq!(MatterCode::parse("-ABC").map_err(|e| e.code), Err(ErrorCode::InvalidCode));
        assert_eq!(MatterCode::parse("AB").map_err(|e| e.code), Err(ErrorCode::InvalidCode));
    }

    #[test]
    fn limits() {
        let d = |n| WorkingDays::parse(n).expect("valid");
        assert!(TimeLimits::new(d(20), d(5)).is_ok());
        assert!(TimeLimits::new(d(5), d(5)).is_ok());
        assert_eq!(TimeLimits::new(d(5), d(6)).map_err(|e| e.code), Err(ErrorCode::PromisedExceedsStatutory));
        assert_eq!(WorkingDays::parse(-1).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        assert_eq!(Fen::parse(-1).map_err(|e| e.code), Err(ErrorCode::OutOfRange));
        let bad: Result<TimeLimits, _> = serde_json::from_str(r#"{"statutory": 5, "promised": 6}"#);
        assert!(bad.is_err(), "deserializing must enforce promised <= statutory");
        let good: Result<TimeLimits, _> = serde_json::from_str(r#"{"statutory": 6, "promised": 5}"#);
        assert_eq!(good.map(|l| l.promised().get()).ok(), Some(5));
    }

    #[test]
    fn names() {
        assert_eq!(Name::parse("  ").map_err(|e| e.code), Err(ErrorCode::Required));
        assert_eq!(Name::parse(&"名".repeat(200)).map(|n| n.as_str().chars().count()), Ok(200));
        assert_eq!(Name::parse(&"名".repeat(201)).map_err(|e| e.code), Err(ErrorCode::TooLong));
    }
}
