//! The limits of a plugin call and of the host, as declared data, and the digest plugins are
//! known by.

use crate::error::HostError;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// What one call of a plugin may use. Per centre (a centre's plugin is loaded with its limits);
/// [`Limits::default`] is the host's default.
///
/// Fuel is the deterministic bound on work; the wall time is a backstop for what fuel does not
/// see (a call descheduled, slow host code). As JSON, the wall time is whole milliseconds:
/// `{"fuel": 10000000, "memory_bytes": 16777216, "output_bytes": 65536, "wall_time_ms": 100}`
/// (`wall_time_ms` may be left out: 100; 0 is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawLimits", into = "RawLimits")]
pub struct Limits {
    /// Fuel per call (roughly one unit per WebAssembly instruction). Default 10 million; a
    /// plan of five matters takes about 10 thousand.
    pub fuel: u64,
    /// Linear memory per call, in bytes. Default 16 MiB.
    pub memory_bytes: usize,
    /// The largest answer accepted, in bytes (strings' bytes plus a fixed size per field).
    /// Default 64 KiB.
    pub output_bytes: usize,
    /// The wall-clock time one call may take, instantiation included; a call still running
    /// then stops with `TIMEOUT`. Must be above zero. Default 100 ms. The host's clock ticks
    /// every millisecond, so a call is never stopped before this time, and usually within a
    /// millisecond or so after it (later on an overloaded machine). Keep it well above what a
    /// call normally takes, since a busy machine also counts here.
    pub wall_time: Duration,
}

impl Limits {
    /// The default fuel per call.
    pub const DEFAULT_FUEL: u64 = 10_000_000;
    /// The default memory cap, in bytes.
    pub const DEFAULT_MEMORY_BYTES: usize = 16 << 20;
    /// The default output cap, in bytes.
    pub const DEFAULT_OUTPUT_BYTES: usize = 64 << 10;
    /// The default wall time of a call.
    pub const DEFAULT_WALL_TIME: Duration = Duration::from_millis(100);

    /// Checks the limits: the wall time must be above zero (`INVALID_LIMITS` otherwise).
    /// Loading a plugin and every call check them.
    pub fn validate(&self) -> Result<(), HostError> {
        if self.wall_time.is_zero() {
            return Err(HostError::InvalidLimits("the wall time of a call must be above zero".into()));
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: Self::DEFAULT_FUEL,
            memory_bytes: Self::DEFAULT_MEMORY_BYTES,
            output_bytes: Self::DEFAULT_OUTPUT_BYTES,
            wall_time: Self::DEFAULT_WALL_TIME,
        }
    }
}

/// [`Limits`] as JSON: the wall time in whole milliseconds.
#[derive(Serialize, Deserialize)]
struct RawLimits {
    fuel: u64,
    memory_bytes: usize,
    output_bytes: usize,
    #[serde(default = "default_wall_time_ms")]
    wall_time_ms: u64,
}

fn default_wall_time_ms() -> u64 {
    millis_up(Limits::DEFAULT_WALL_TIME)
}

/// Whole milliseconds, rounded up (so a positive wall time never becomes 0).
fn millis_up(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

impl TryFrom<RawLimits> for Limits {
    type Error = HostError;

    fn try_from(r: RawLimits) -> Result<Limits, HostError> {
        let limits = Limits {
            fuel: r.fuel,
            memory_bytes: r.memory_bytes,
            output_bytes: r.output_bytes,
            wall_time: Duration::from_millis(r.wall_time_ms),
        };
        limits.validate()?;
        Ok(limits)
    }
}

impl From<Limits> for RawLimits {
    fn from(l: Limits) -> RawLimits {
        RawLimits {
            fuel: l.fuel,
            memory_bytes: l.memory_bytes,
            output_bytes: l.output_bytes,
            wall_time_ms: millis_up(l.wall_time),
        }
    }
}

/// The host's configuration: the engine is built once from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostConfig {
    /// The limits of plugins loaded without their own.
    pub limits: Limits,
    /// The largest plugin file accepted, in bytes. Default 4 MiB.
    pub max_plugin_bytes: usize,
    /// The ceiling of any plugin's memory cap, in bytes (the size of a pooled memory slot);
    /// a higher cap is lowered to it. Default 64 MiB.
    pub max_memory_bytes: usize,
    /// How many plugin instances may run at once (pooled slots); a call beyond that fails
    /// with `INSTANTIATION_FAILED`. Default 128. Where slots keep their pages resident
    /// (Linux 6.7+), each used slot keeps up to 2 MiB of memory mapped.
    pub max_concurrent_calls: u32,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            limits: Limits::default(),
            max_plugin_bytes: 4 << 20,
            max_memory_bytes: 64 << 20,
            max_concurrent_calls: 128,
        }
    }
}

/// A plugin's SHA-256 digest: how the registry, the compiled-artifact cache and decision
/// records know it. Shown and serialised as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        Sha256(sha2::Sha256::digest(bytes).into())
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

/// A digest that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a SHA-256 digest (64 hex digits)")]
pub struct BadDigest(String);

impl FromStr for Sha256 {
    type Err = BadDigest;

    fn from_str(s: &str) -> Result<Sha256, BadDigest> {
        let bad = || BadDigest(s.to_owned());
        if s.len() != 64 || !s.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Sha256(out))
    }
}

impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sha256, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_as_hex() {
        let d = Sha256::of(b"abc");
        let hex = d.to_string();
        assert_eq!(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex.parse::<Sha256>(), Ok(d));
        assert!("xyz".parse::<Sha256>().is_err());
        assert!("é".repeat(32).parse::<Sha256>().is_err());
    }

    #[test]
    fn limits_are_json_with_the_wall_time_in_milliseconds() {
        let json = serde_json::to_value(Limits::default()).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"fuel": 10_000_000, "memory_bytes": 16 << 20, "output_bytes": 64 << 10, "wall_time_ms": 100})
        );
        let read = |s: &str| serde_json::from_str::<Limits>(s).map_err(|e| e.to_string());
        let l = read(r#"{"fuel": 5, "memory_bytes": 6, "output_bytes": 7, "wall_time_ms": 20}"#);
        assert_eq!(l, Ok(Limits { fuel: 5, memory_bytes: 6, output_bytes: 7, wall_time: Duration::from_millis(20) }));
        // Limits stored before the wall time existed get the default.
        let l = read(r#"{"fuel": 5, "memory_bytes": 6, "output_bytes": 7}"#);
        assert_eq!(l.map(|l| l.wall_time), Ok(Limits::DEFAULT_WALL_TIME));
        let zero = read(r#"{"fuel": 5, "memory_bytes": 6, "output_bytes": 7, "wall_time_ms": 0}"#);
        assert!(zero.is_err_and(|e| e.contains("above zero")));
        // A fraction of a millisecond rounds up, never to 0.
        let short = Limits { wall_time: Duration::from_micros(300), ..Limits::default() };
        assert_eq!(serde_json::to_value(short).unwrap_or_default()["wall_time_ms"], 1);
    }

    #[test]
    fn a_zero_wall_time_is_invalid() {
        assert!(Limits::default().validate().is_ok());
        let zero = Limits { wall_time: Duration::ZERO, ..Limits::default() };
        assert_eq!(zero.validate().map_err(|e| e.code().to_owned()), Err("INVALID_LIMITS".to_owned()));
    }
}
