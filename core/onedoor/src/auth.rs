//! Staff authentication: Ed25519-signed JSON Web Tokens (EdDSA only), their claims, and key files.
//!
//! A [`Signer`] issues tokens with the server's private key (for `onedoor token` and tests); a
//! [`Verifier`] checks them with the public key alone, so a production deployment can verify
//! tokens issued by the city's identity provider without holding any private key. The
//! algorithm is pinned to EdDSA on both sides: tokens announcing any other algorithm, including
//! `none` and the HMAC family, are refused before their signature is even looked at.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The only JWT algorithm this module signs with or accepts.
pub const ALGORITHM: Algorithm = Algorithm::EdDSA;

/// Tokens longer than this are refused unread (a staff token is a few hundred bytes).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The registered claims every accepted token must carry (checked by `jsonwebtoken`).
const REQUIRED_SPEC_CLAIMS: [&str; 5] = ["sub", "exp", "nbf", "iss", "aud"];

/// The claims of a onedoor staff token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The staff member's id.
    pub sub: String,
    /// The code of the service centre the staff member works for.
    pub centre: String,
    /// The staff member's roles, as granted by the issuer.
    pub roles: Vec<String>,
    /// Who issued the token.
    pub iss: String,
    /// Who the token is meant for.
    pub aud: String,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: i64,
    /// Not valid before, in seconds since the Unix epoch.
    pub nbf: i64,
    /// Issued at, in seconds since the Unix epoch.
    pub iat: i64,
}

/// Issuer, audience and timing rules shared by [`Signer`] and [`Verifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// The `iss` claim written by the signer and required by the verifier.
    pub issuer: String,
    /// The `aud` claim written by the signer and required by the verifier.
    pub audience: String,
    /// Clock skew tolerated when checking `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Lifetime of issued tokens, in seconds.
    pub token_ttl_seconds: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "onedoor".to_owned(),
            audience: "onedoor-api".to_owned(),
            leeway_seconds: 30,
            token_ttl_seconds: 8 * 60 * 60,
        }
    }
}

/// Why a token, an `Authorization` header or a key was refused.
///
/// Messages are meant for logs and API clients: they never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The `Authorization` header is not `Bearer <token>`.
    #[error("the Authorization header must have the form `Bearer <token>`")]
    MissingBearer,
    /// The token is not a well-formed JWT, or its claims have the wrong shape.
    #[error("the token is malformed: {reason}")]
    MalformedToken {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not match the token under the configured public key.
    #[error("the token's signature is not valid for the configured key")]
    InvalidSignature,
    /// The token's `exp` is in the past (beyond the leeway).
    #[error("the token has expired")]
    TokenExpired,
    /// The token's `nbf` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    TokenNotYetValid,
    /// The token's `iss` is not the configured issuer.
    #[error("the token was issued by an issuer this server does not trust")]
    WrongIssuer,
    /// The token's `aud` does not include the configured audience.
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// The token announces an algorithm other than EdDSA.
    #[error("the token uses the algorithm `{found}`, but only EdDSA is accepted")]
    WrongAlgorithm {
        /// The algorithm named in the token header (sanitised).
        found: String,
    },
    /// A claim the server needs is absent (or empty).
    #[error("the token lacks the required claim `{claim}`")]
    MissingClaim {
        /// The claim's name.
        claim: String,
    },
    /// A key file could not be read, written or understood.
    #[error("key file {}: {cause}", .path.display())]
    KeyFile {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong, in words (never the key itself).
        cause: String,
    },
    /// A key given in memory (PEM text) is not a usable Ed25519 key, or one could not be made.
    #[error("invalid key: {cause}")]
    InvalidKey {
        /// What went wrong, in words (never the key itself).
        cause: String,
    },
    /// A token could not be issued.
    #[error("could not issue a token: {cause}")]
    Signing {
        /// Why.
        cause: String,
    },
}

impl AuthError {
    /// A stable, machine-readable code for this error (e.g. for GraphQL error extensions).
    ///
    /// Both key variants share the code `KEY`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingBearer => "MISSING_BEARER",
            Self::MalformedToken { .. } => "MALFORMED_TOKEN",
            Self::InvalidSignature => "INVALID_SIGNATURE",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::TokenNotYetValid => "TOKEN_NOT_YET_VALID",
            Self::WrongIssuer => "WRONG_ISSUER",
            Self::WrongAudience => "WRONG_AUDIENCE",
            Self::WrongAlgorithm { .. } => "WRONG_ALGORITHM",
            Self::MissingClaim { .. } => "MISSING_CLAIM",
            Self::KeyFile { .. } | Self::InvalidKey { .. } => "KEY",
            Self::Signing { .. } => "SIGNING_FAILED",
        }
    }

    /// True when the client's credentials are at fault (answer 401), false when the server's
    /// own keys or setup are (answer 500 and alert an operator).
    pub fn is_credential_error(&self) -> bool {
        !matches!(self, Self::KeyFile { .. } | Self::InvalidKey { .. } | Self::Signing { .. })
    }

    fn malformed(reason: impl Into<String>) -> Self {
        Self::MalformedToken { reason: reason.into() }
    }

    fn missing(claim: &str) -> Self {
        Self::MissingClaim { claim: claim.to_owned() }
    }

    /// Attaches a file path to an in-memory key error.
    pub(crate) fn in_file(self, path: &Path) -> Self {
        match self {
            Self::InvalidKey { cause } => Self::KeyFile { path: path.to_owned(), cause },
            other => other,
        }
    }

    /// Maps a `jsonwebtoken` error onto ours, kind by kind.
    fn from_jwt(err: &jsonwebtoken::errors::Error) -> Self {
        match err.kind() {
            ErrorKind::InvalidToken => Self::malformed("it is not three base64url parts separated by dots"),
            ErrorKind::Base64(_) => Self::malformed("a part is not valid unpadded base64url"),
            ErrorKind::Utf8(_) => Self::malformed("a part is not valid UTF-8"),
            ErrorKind::Json(_) => Self::malformed("its header or claims are not JSON of the expected shape"),
            ErrorKind::InvalidClaimFormat(claim) => Self::malformed(format!("the claim `{claim}` has the wrong type")),
            ErrorKind::InvalidSubject => Self::malformed("its subject is not accepted"),
            ErrorKind::InvalidSignature => Self::InvalidSignature,
            ErrorKind::ExpiredSignature => Self::TokenExpired,
            ErrorKind::ImmatureSignature => Self::TokenNotYetValid,
            ErrorKind::InvalidIssuer => Self::WrongIssuer,
            ErrorKind::InvalidAudience => Self::WrongAudience,
            ErrorKind::MissingRequiredClaim(claim) => Self::missing(claim),
            ErrorKind::InvalidAlgorithm
            | ErrorKind::InvalidAlgorithmName
            | ErrorKind::UnsupportedAlgorithm
            | ErrorKind::MissingAlgorithm => Self::WrongAlgorithm { found: "unknown".to_owned() },
            ErrorKind::InvalidEddsaKey
            | ErrorKind::InvalidEcdsaKey
            | ErrorKind::InvalidRsaKey(_)
            | ErrorKind::InvalidKeyFormat => {
                Self::InvalidKey { cause: "the configured key is not a usable Ed25519 key".to_owned() }
            }
            ErrorKind::RsaFailedSigning | ErrorKind::Signing(_) | ErrorKind::Provider(_) => {
                Self::Signing { cause: "the cryptographic provider failed".to_owned() }
            }
            // `ErrorKind` is non-exhaustive: refuse whatever a later version adds.
            _ => Self::malformed("it was refused by the JWT library"),
        }
    }
}

/// Issues EdDSA-signed staff tokens.
#[derive(Clone)]
pub struct Signer {
    key: EncodingKey,
    settings: AuthSettings,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &ALGORITHM)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Builds a signer from an Ed25519 private key in PKCS#8 PEM form.
    pub fn from_pem(private_pem: &str, settings: AuthSettings) -> Result<Self, AuthError> {
        let signing = parse_private_pem(private_pem)?;
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| AuthError::InvalidKey { cause: format!("could not encode the private key as PKCS#8: {e}") })?;
        Ok(Self { key: EncodingKey::from_ed_der(der.as_bytes()), settings })
    }

    /// The settings whose issuer, audience and lifetime go into issued tokens.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// The claims [`Signer::issue`] would sign (valid from `now` for the configured lifetime).
    pub fn claims(&self, staff: &str, centre: &str, roles: &[String], now: i64) -> Result<Claims, AuthError> {
        if staff.is_empty() {
            return Err(AuthError::Signing { cause: "the staff id is empty".to_owned() });
        }
        if centre.is_empty() {
            return Err(AuthError::Signing { cause: "the centre code is empty".to_owned() });
        }
        let exp = i64::try_from(self.settings.token_ttl_seconds)
            .ok()
            .and_then(|ttl| now.checked_add(ttl))
            .ok_or_else(|| AuthError::Signing { cause: "the token lifetime is too large".to_owned() })?;
        Ok(Claims {
            sub: staff.to_owned(),
            centre: centre.to_owned(),
            roles: roles.to_vec(),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            exp,
            nbf: now,
            iat: now,
        })
    }

    /// Issues a token for `staff` at `centre` with `roles`, valid from `now` (Unix seconds)
    /// for the configured lifetime.
    pub fn issue(&self, staff: &str, centre: &str, roles: &[String], now: i64) -> Result<String, AuthError> {
        let claims = self.claims(staff, centre, roles, now)?;
        self.sign(&claims)
    }

    /// Signs arbitrary claims as they are (no checks): for tools and tests.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(ALGORITHM), claims, &self.key).map_err(|e| AuthError::from_jwt(&e))
    }
}

/// Verifies EdDSA-signed staff tokens with a public key alone.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    settings: AuthSettings,
    /// Tokens verified already, until they expire: a desk sends the same token with every
    /// request, and checking an Ed25519 signature costs tens of microseconds.
    verified: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Claims>>>,
}

/// The most verified tokens remembered.
const VERIFIED_CAPACITY: usize = 10_000;

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &ALGORITHM)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Builds a verifier from an Ed25519 public key in SPKI PEM form
    /// (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(public_pem: &str, settings: AuthSettings) -> Result<Self, AuthError> {
        let verifying = parse_public_pem(public_pem)?;
        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        validation.leeway = settings.leeway_seconds;
        validation.reject_tokens_expiring_in_less_than = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&REQUIRED_SPEC_CLAIMS);
        Ok(Self {
            key: DecodingKey::from_ed_der(verifying.as_bytes()),
            validation,
            settings,
            verified: std::sync::Arc::default(),
        })
    }

    /// The issuer, audience and leeway this verifier enforces.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Verifies a bare token (no `Bearer` prefix) against the system clock and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::malformed(format!("it is longer than {MAX_TOKEN_BYTES} bytes")));
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let leeway = self.settings.leeway_seconds as i64;
        if let Ok(cache) = self.verified.lock()
            && let Some(claims) = cache.get(token)
            && now <= claims.exp + leeway
        {
            return Ok(claims.clone());
        }
        check_header(token)?;
        let data = jsonwebtoken::decode::<RawClaims>(token, &self.key, &self.validation)
            .map_err(|e| AuthError::from_jwt(&e))?;
        let claims = data.claims.into_claims(&self.settings.audience)?;
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= VERIFIED_CAPACITY {
                cache.retain(|_, c| now <= c.exp + leeway);
                if cache.len() >= VERIFIED_CAPACITY {
                    cache.clear();
                }
            }
            cache.insert(token.to_owned(), claims.clone());
        }
        Ok(claims)
    }

    /// Verifies the value of an `Authorization` header.
    ///
    /// No header gives `Ok(None)` (an anonymous request); `Bearer <token>` (scheme in any case)
    /// gives the token's claims; any other value, including an empty one, is an error.
    pub fn verify_header(&self, authorization: Option<&str>) -> Result<Option<Claims>, AuthError> {
        let Some(value) = authorization else {
            return Ok(None);
        };
        self.verify(bearer_token(value)?).map(Some)
    }
}

/// Extracts the token from `Bearer <token>`, the scheme compared case-insensitively.
fn bearer_token(value: &str) -> Result<&str, AuthError> {
    let (scheme, rest) = value.trim().split_once([' ', '\t']).ok_or(AuthError::MissingBearer)?;
    let token = rest.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::MissingBearer);
    }
    Ok(token)
}

/// Reads the JOSE header ourselves, so that the algorithm is judged before anything else
/// (`jsonwebtoken` cannot even parse `alg: none`) and critical extensions are refused.
fn check_header(token: &str) -> Result<(), AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::malformed("it is not three base64url parts separated by dots"));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::malformed("its header is not valid unpadded base64url"))?;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| AuthError::malformed("its header is not JSON"))?;
    let header = header.as_object().ok_or_else(|| AuthError::malformed("its header is not a JSON object"))?;
    let alg = header
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| AuthError::malformed("its header names no algorithm"))?;
    if alg != "EdDSA" {
        return Err(AuthError::WrongAlgorithm { found: sanitise(alg) });
    }
    if header.contains_key("crit") {
        return Err(AuthError::malformed("its header lists critical extensions this server does not support"));
    }
    Ok(())
}

/// Keeps an attacker-chosen name printable and short before it goes into a message.
fn sanitise(text: &str) -> String {
    let clean: String =
        text.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+')).take(20).collect();
    if clean.is_empty() { "(unprintable)".to_owned() } else { clean }
}

/// Claims as they arrive, so that absent ones are reported as [`AuthError::MissingClaim`].
#[derive(Deserialize)]
struct RawClaims {
    sub: Option<String>,
    centre: Option<String>,
    roles: Option<Vec<String>>,
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

/// `aud` may be one string or a list of them (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl RawClaims {
    /// Completes the checks `jsonwebtoken` left to us (iss/aud/exp/nbf/sub were already checked).
    fn into_claims(self, audience: &str) -> Result<Claims, AuthError> {
        fn text(value: Option<String>, name: &str) -> Result<String, AuthError> {
            value.filter(|v| !v.is_empty()).ok_or_else(|| AuthError::missing(name))
        }
        let aud = match self.aud {
            Some(Audience::One(aud)) => aud,
            Some(Audience::Many(list)) if list.iter().any(|a| a == audience) => audience.to_owned(),
            Some(Audience::Many(_)) => return Err(AuthError::WrongAudience),
            None => return Err(AuthError::missing("aud")),
        };
        Ok(Claims {
            sub: text(self.sub, "sub")?,
            centre: text(self.centre, "centre")?,
            roles: self.roles.ok_or_else(|| AuthError::missing("roles"))?,
            iss: text(self.iss, "iss")?,
            aud,
            exp: self.exp.ok_or_else(|| AuthError::missing("exp"))?,
            nbf: self.nbf.ok_or_else(|| AuthError::missing("nbf"))?,
            iat: self.iat.ok_or_else(|| AuthError::missing("iat"))?,
        })
    }
}

/// An Ed25519 key pair in PEM form.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Keep it secret.
    pub private_pem: String,
    /// The public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub public_pem: String,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair").field("private_pem", &"<redacted>").field("public_pem", &self.public_pem).finish()
    }
}

impl KeyPair {
    /// Generates a fresh key pair from 32 bytes of operating-system randomness.
    pub fn generate() -> Result<Self, AuthError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| AuthError::InvalidKey { cause: format!("the operating system gave no randomness: {e}") })?;
        let signing = SigningKey::from_bytes(&seed);
        // Best effort: the seed is the private key. `SigningKey` wipes its own copy on drop.
        seed.fill(0);
        std::hint::black_box(&seed);
        Self::from_signing_key(&signing)
    }

    /// Reads a PKCS#8 PEM private key and derives its public half.
    pub fn from_private_pem(private_pem: &str) -> Result<Self, AuthError> {
        Self::from_signing_key(&parse_private_pem(private_pem)?)
    }

    /// Reads the private key file at `private_path` (it must exist).
    pub fn load(private_path: &Path) -> Result<Self, AuthError> {
        let pem = std::fs::read_to_string(private_path)
            .map_err(|e| AuthError::KeyFile { path: private_path.to_owned(), cause: format!("cannot be read: {e}") })?;
        warn_if_readable_by_others(private_path);
        Self::from_private_pem(&pem).map_err(|e| e.in_file(private_path))
    }

    /// Reads the private key file at `private_path`, or, when there is none, generates a
    /// development key there (mode 0600 on Unix) and logs a warning saying so.
    pub fn load_or_create(private_path: &Path) -> Result<Self, AuthError> {
        match std::fs::metadata(private_path) {
            Ok(_) => Self::load(private_path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = Self::generate()?;
                match write_new_private_file(private_path, &pair.private_pem) {
                    Ok(()) => {
                        tracing::warn!(
                            path = %private_path.display(),
                            "no signing key found: generated a development key; \
                             configure a managed key (or a public key) for production"
                        );
                        Ok(pair)
                    }
                    // Another process created it meanwhile: use theirs.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(private_path),
                    Err(e) => Err(AuthError::KeyFile {
                        path: private_path.to_owned(),
                        cause: format!("cannot be created: {e}"),
                    }),
                }
            }
            Err(e) => Err(AuthError::KeyFile { path: private_path.to_owned(), cause: format!("cannot be read: {e}") }),
        }
    }

    fn from_signing_key(signing: &SigningKey) -> Result<Self, AuthError> {
        let private_pem = signing
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| AuthError::InvalidKey { cause: format!("could not encode the private key as PEM: {e}") })?;
        let public_pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| AuthError::InvalidKey { cause: format!("could not encode the public key as PEM: {e}") })?;
        Ok(Self { private_pem: private_pem.as_str().to_owned(), public_pem })
    }

    /// True when `public_pem` is the public half of this pair (whatever its PEM formatting).
    pub fn matches_public_pem(&self, public_pem: &str) -> Result<bool, AuthError> {
        let mine = parse_public_pem(&self.public_pem)?;
        let theirs = parse_public_pem(public_pem)?;
        Ok(mine == theirs)
    }
}

fn parse_private_pem(pem: &str) -> Result<SigningKey, AuthError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| AuthError::InvalidKey {
        cause: if pem.contains("PUBLIC KEY-----") {
            "this is a public key; a PKCS#8 Ed25519 private key (BEGIN PRIVATE KEY) is needed".to_owned()
        } else {
            format!("not a PKCS#8 PEM Ed25519 private key ({e})")
        },
    })
}

fn parse_public_pem(pem: &str) -> Result<VerifyingKey, AuthError> {
    VerifyingKey::from_public_key_pem(pem).map_err(|e| AuthError::InvalidKey {
        cause: if pem.contains("PRIVATE KEY-----") {
            "this is a private key; an Ed25519 public key (BEGIN PUBLIC KEY) is needed".to_owned()
        } else {
            format!("not an SPKI PEM Ed25519 public key ({e})")
        },
    })
}

/// Creates `path` (failing if it exists), readable by its owner only, and writes `contents`.
fn write_new_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(contents.as_bytes()).and_then(|()| file.sync_all());
    if written.is_err() {
        // Leave no half-written key behind.
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    written
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the private key file is accessible to other users; restrict it with chmod 600"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn roles() -> Vec<String> {
        vec!["clerk".to_owned(), "supervisor".to_owned()]
    }

    struct Fixture {
        pair: KeyPair,
        signer: Signer,
        verifier: Verifier,
    }

    fn fixture() -> Fixture {
        let pair = KeyPair::generate().unwrap();
        let signer = Signer::from_pem(&pair.private_pem, AuthSettings::default()).unwrap();
        let verifier = Verifier::from_pem(&pair.public_pem, AuthSettings::default()).unwrap();
        Fixture { pair, signer, verifier }
    }

    fn code<T: fmt::Debug>(result: Result<T, AuthError>) -> &'static str {
        result.unwrap_err().code()
    }

    fn b64(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    fn raw_claims(f: &Fixture) -> serde_json::Value {
        serde_json::to_value(f.signer.claims("s-1", "C01", &roles(), now()).unwrap()).unwrap()
    }

    #[test]
    fn round_trip() {
        let f = fixture();
        let t = now();
        let token = f.signer.issue("staff-42", "CEN-01", &roles(), t).unwrap();
        let claims = f.verifier.verify(&token).unwrap();
        assert_eq!(
            claims,
            Claims {
                sub: "staff-42".into(),
                centre: "CEN-01".into(),
                roles: roles(),
                iss: "onedoor".into(),
                aud: "onedoor-api".into(),
                exp: t + 8 * 3600,
                nbf: t,
                iat: t,
            }
        );
        for header in [format!("Bearer {token}"), format!("bearer {token}"), format!("BEARER   {token}  ")] {
            assert_eq!(f.verifier.verify_header(Some(&header)).unwrap(), Some(claims.clone()));
        }
        assert_eq!(f.verifier.verify_header(None).unwrap(), None);
    }

    #[test]
    fn expired() {
        let f = fixture();
        let token = f.signer.issue("s", "c", &roles(), now() - 9 * 3600).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "TOKEN_EXPIRED");
    }

    #[test]
    fn expiry_within_leeway_is_accepted() {
        let f = fixture();
        let token = f.signer.issue("s", "c", &roles(), now() - 8 * 3600 - 10).unwrap();
        assert!(f.verifier.verify(&token).is_ok());
    }

    #[test]
    fn not_yet_valid() {
        let f = fixture();
        let token = f.signer.issue("s", "c", &roles(), now() + 3600).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "TOKEN_NOT_YET_VALID");
    }

    #[test]
    fn wrong_issuer() {
        let f = fixture();
        let settings = AuthSettings { issuer: "someone-else".into(), ..AuthSettings::default() };
        let signer = Signer::from_pem(&f.pair.private_pem, settings).unwrap();
        let token = signer.issue("s", "c", &roles(), now()).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "WRONG_ISSUER");
    }

    #[test]
    fn wrong_audience() {
        let f = fixture();
        let settings = AuthSettings { audience: "another-api".into(), ..AuthSettings::default() };
        let signer = Signer::from_pem(&f.pair.private_pem, settings).unwrap();
        let token = signer.issue("s", "c", &roles(), now()).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "WRONG_AUDIENCE");
    }

    #[test]
    fn audience_list_containing_ours_is_accepted() {
        let f = fixture();
        let mut claims = raw_claims(&f);
        claims["aud"] = json!(["other", "onedoor-api"]);
        let token = f.signer.sign(&claims).unwrap();
        assert_eq!(f.verifier.verify(&token).unwrap().aud, "onedoor-api");
        claims["aud"] = json!(["other", "third"]);
        let token = f.signer.sign(&claims).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "WRONG_AUDIENCE");
    }

    #[test]
    fn signed_by_another_key() {
        let f = fixture();
        let other = fixture();
        let token = other.signer.issue("s", "c", &roles(), now()).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "INVALID_SIGNATURE");
    }

    #[test]
    fn tampered_claims() {
        let f = fixture();
        let token = f.signer.issue("s", "c", &roles(), now()).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let mut claims = raw_claims(&f);
        claims["roles"] = json!(["admin"]);
        let forged = b64(&claims);
        parts[1] = &forged;
        assert_eq!(code(f.verifier.verify(&parts.join("."))), "INVALID_SIGNATURE");
    }

    #[test]
    fn hs256_token_is_refused() {
        let f = fixture();
        let claims = raw_claims(&f);
        for secret in [&b"a shared secret"[..], f.pair.public_pem.as_bytes()] {
            let token =
                jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
                    .unwrap();
            let err = f.verifier.verify(&token).unwrap_err();
            assert_eq!(err.code(), "WRONG_ALGORITHM");
            assert_eq!(err, AuthError::WrongAlgorithm { found: "HS256".into() });
        }
    }

    #[test]
    fn alg_none_is_refused() {
        let f = fixture();
        let claims = raw_claims(&f);
        for alg in ["none", "None", "NONE"] {
            let token = format!("{}.{}.", b64(&json!({"alg": alg, "typ": "JWT"})), b64(&claims));
            assert_eq!(code(f.verifier.verify(&token)), "WRONG_ALGORITHM");
        }
    }

    #[test]
    fn garbage_is_malformed() {
        let f = fixture();
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        for token in ["", "garbage", "a.b", "a.b.c", "a.b.c.d", "eyJ.eyJ.sig", "!!!.???.###", long.as_str()] {
            assert_eq!(code(f.verifier.verify(token)), "MALFORMED_TOKEN", "{token}");
        }
        // A header with no algorithm, a header that is not an object, a crit extension.
        let claims = b64(&raw_claims(&f));
        for header in [json!({"typ": "JWT"}), json!([1]), json!({"alg": "EdDSA", "crit": ["x"]})] {
            let token = format!("{}.{claims}.c2ln", b64(&header));
            assert_eq!(code(f.verifier.verify(&token)), "MALFORMED_TOKEN");
        }
        // Well signed, but the claims have the wrong types.
        let mut wrong = raw_claims(&f);
        wrong["roles"] = json!("clerk");
        let token = f.signer.sign(&wrong).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "MALFORMED_TOKEN");
    }

    #[test]
    fn missing_claims() {
        let f = fixture();
        for claim in ["sub", "centre", "roles", "iss", "aud", "exp", "nbf", "iat"] {
            let mut claims = raw_claims(&f);
            claims.as_object_mut().unwrap().remove(claim);
            let token = f.signer.sign(&claims).unwrap();
            let err = f.verifier.verify(&token).unwrap_err();
            assert_eq!(err.code(), "MISSING_CLAIM", "{claim}");
            assert_eq!(err, AuthError::MissingClaim { claim: claim.into() });
        }
        let mut claims = raw_claims(&f);
        claims["sub"] = json!("");
        let token = f.signer.sign(&claims).unwrap();
        assert_eq!(code(f.verifier.verify(&token)), "MISSING_CLAIM");
    }

    #[test]
    fn missing_bearer_scheme() {
        let f = fixture();
        let token = f.signer.issue("s", "c", &roles(), now()).unwrap();
        for header in [
            token.clone(),
            format!("Basic {token}"),
            format!("Token {token}"),
            format!("Bearer{token}"),
            String::new(),
            "   ".to_owned(),
            "Bearer".to_owned(),
            "Bearer    ".to_owned(),
        ] {
            assert_eq!(code(f.verifier.verify_header(Some(&header))), "MISSING_BEARER", "{header:?}");
        }
        assert_eq!(code(f.verifier.verify_header(Some("Bearer not-a-token"))), "MALFORMED_TOKEN");
    }

    #[test]
    fn issuing_refuses_empty_identity() {
        let f = fixture();
        assert_eq!(code(f.signer.issue("", "c", &[], now())), "SIGNING_FAILED");
        assert_eq!(code(f.signer.issue("s", "", &[], now())), "SIGNING_FAILED");
    }

    #[test]
    fn bad_pem_is_a_key_error_without_key_material() {
        let f = fixture();
        let err = Verifier::from_pem(&f.pair.private_pem, AuthSettings::default()).unwrap_err();
        assert_eq!(err.code(), "KEY");
        assert!(err.to_string().contains("private key"), "{err}");
        let err = Signer::from_pem(&f.pair.public_pem, AuthSettings::default()).unwrap_err();
        assert_eq!(err.code(), "KEY");
        let err =
            Signer::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", AuthSettings::default())
                .unwrap_err();
        assert_eq!(err.code(), "KEY");
        assert!(!err.to_string().contains("AAAA"));
        let body = f.pair.private_pem.lines().nth(1).unwrap();
        assert!(!format!("{:?}", f.pair).contains(body));
        assert!(!format!("{:?}", f.signer).contains(body));
    }

    #[test]
    fn load_or_create_writes_a_private_file_and_reuses_it() {
        let dir = std::env::temp_dir().join(format!("onedoor-auth-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key.pem");

        let created = KeyPair::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let loaded = KeyPair::load_or_create(&path).unwrap();
        assert_eq!(created, loaded);
        assert!(loaded.matches_public_pem(&created.public_pem).unwrap());
        assert!(!loaded.matches_public_pem(&KeyPair::generate().unwrap().public_pem).unwrap());

        // Tokens signed with the file's key verify with the derived public key.
        let signer = Signer::from_pem(&loaded.private_pem, AuthSettings::default()).unwrap();
        let verifier = Verifier::from_pem(&created.public_pem, AuthSettings::default()).unwrap();
        let token = signer.issue("s", "c", &roles(), now()).unwrap();
        assert!(verifier.verify(&token).is_ok());

        // A broken file is a KEY error naming the path.
        let broken = dir.join("broken.pem");
        std::fs::write(&broken, "not a key").unwrap();
        let err = KeyPair::load_or_create(&broken).unwrap_err();
        assert_eq!(err.code(), "KEY");
        assert!(err.to_string().contains("broken.pem"), "{err}");

        // A missing folder is a KEY error too.
        let err = KeyPair::load_or_create(&dir.join("no/such/dir/key.pem")).unwrap_err();
        assert_eq!(err.code(), "KEY");
        assert!(matches!(err, AuthError::KeyFile { .. }));

        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn verifier_needs_only_the_public_key() {
        let f = fixture();
        let token = f.signer.issue("s", "c", &roles(), now()).unwrap();
        let public_only = Verifier::from_pem(&f.pair.public_pem, AuthSettings::default()).unwrap();
        assert_eq!(public_only.verify(&token).unwrap().sub, "s");
    }

    #[test]
    fn codes_are_stable() {
        assert!(AuthError::TokenExpired.is_credential_error());
        assert!(!AuthError::InvalidKey { cause: "x".into() }.is_credential_error());
        assert_eq!(AuthError::MissingBearer.code(), "MISSING_BEARER");
        assert_eq!(AuthError::WrongIssuer.code(), "WRONG_ISSUER");
    }
}
