//! The limits of a plugin call and of the host, as declared data, and the digest plugins are
//! known by.

use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::fmt;
use std::str::FromStr;

/// What one call of a plugin may use. Per centre (a centre's plugin is loaded with its limits);
/// [`Limits::default`] is the host's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Fuel per call (roughly one unit per WebAssembly instruction). Default 10 million; a
    /// plan of five matters takes about 10 thousand.
    pub fuel: u64,
    /// Linear memory per call, in bytes. Default 16 MiB.
    pub memory_bytes: usize,
    /// The largest answer accepted, in bytes (strings' bytes plus a fixed size per field).
    /// Default 64 KiB.
    pub output_bytes: usize,
}

impl Limits {
    /// The default fuel per call.
    pub const DEFAULT_FUEL: u64 = 10_000_000;
    /// The default memory cap, in bytes.
    pub const DEFAULT_MEMORY_BYTES: usize = 16 << 20;
    /// The default output cap, in bytes.
    pub const DEFAULT_OUTPUT_BYTES: usize = 64 << 10;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: Self::DEFAULT_FUEL,
            memory_bytes: Self::DEFAULT_MEMORY_BYTES,
            output_bytes: Self::DEFAULT_OUTPUT_BYTES,
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
}
