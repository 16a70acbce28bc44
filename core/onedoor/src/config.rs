//! Server configuration: defaults, then an optional TOML file, then environment variables.
//!
//! See `onedoor.example.toml` at the repository root (also [`example_toml`]) for every
//! setting with its default and meaning.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::auth::{AuthError, AuthSettings, KeyPair, Signer, Verifier};

/// Environment variable overriding [`Config::database_url`].
pub const ENV_DATABASE_URL: &str = "ONEDOOR_DATABASE_URL";
/// Fallback for [`ENV_DATABASE_URL`] when that one is unset.
pub const ENV_DATABASE_URL_FALLBACK: &str = "DATABASE_URL";
/// Environment variable overriding [`Config::listen`].
pub const ENV_LISTEN: &str = "ONEDOOR_LISTEN";
/// Environment variable overriding [`AuthConfig::private_key_path`].
pub const ENV_PRIVATE_KEY: &str = "ONEDOOR_PRIVATE_KEY";
/// Environment variable overriding [`AuthConfig::public_key_path`].
pub const ENV_PUBLIC_KEY: &str = "ONEDOOR_PUBLIC_KEY";
/// Environment variable overriding [`AuthConfig::issuer`].
pub const ENV_ISSUER: &str = "ONEDOOR_ISSUER";
/// Environment variable overriding [`AuthConfig::audience`].
pub const ENV_AUDIENCE: &str = "ONEDOOR_AUDIENCE";

/// Every environment variable [`Config::load`] reads.
pub const ENV_VARS: [&str; 7] = [
    ENV_DATABASE_URL,
    ENV_DATABASE_URL_FALLBACK,
    ENV_LISTEN,
    ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY,
    ENV_ISSUER,
    ENV_AUDIENCE,
];

/// The text of `onedoor.example.toml`: every setting, commented, at its default value.
pub fn example_toml() -> &'static str {
    include_str!("../../../onedoor.example.toml")
}

/// The configuration of the `onedoor` server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Database connection URL (`sqlite:` or `postgres://`). May hold a password: log
    /// [`Config::database_url_redacted`] instead.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Token signing and verification.
    pub auth: AuthConfig,
    /// Limits protecting the server from expensive requests.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://onedoor.db?mode=rwc".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            auth: AuthConfig::default(),
            limits: Limits::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url_redacted())
            .field("listen", &self.listen)
            .field("auth", &self.auth)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Token settings: where the keys are and what tokens must say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Ed25519 private key, PKCS#8 PEM; generated (as a development key) when missing.
    pub private_key_path: PathBuf,
    /// Ed25519 public key, SPKI PEM. When set, tokens are verified with it and the private
    /// key is only needed to issue tokens (`onedoor token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key_path: Option<PathBuf>,
    /// The `iss` tokens must carry.
    pub issuer: String,
    /// The `aud` tokens must carry.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Lifetime of issued tokens, in seconds.
    pub token_ttl_seconds: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        let settings = AuthSettings::default();
        Self {
            private_key_path: PathBuf::from("onedoor.key.pem"),
            public_key_path: None,
            issuer: settings.issuer,
            audience: settings.audience,
            leeway_seconds: settings.leeway_seconds,
            token_ttl_seconds: settings.token_ttl_seconds,
        }
    }
}

impl AuthConfig {
    /// The issuer, audience and timing rules for [`Signer`] and [`Verifier`].
    pub fn settings(&self) -> AuthSettings {
        AuthSettings {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            leeway_seconds: self.leeway_seconds,
            token_ttl_seconds: self.token_ttl_seconds,
        }
    }

    /// The verifier the server uses: from `public_key_path` when set (no private key is
    /// touched), otherwise from the private key file, which is created when missing.
    pub fn verifier(&self) -> Result<Verifier, AuthError> {
        match &self.public_key_path {
            Some(path) => Verifier::from_pem(&read_public_pem(path)?, self.settings()).map_err(|e| e.in_file(path)),
            None => {
                let pair = KeyPair::load_or_create(&self.private_key_path)?;
                Verifier::from_pem(&pair.public_pem, self.settings())
            }
        }
    }

    /// The signer for `onedoor token`. Without `public_key_path` the private key file is
    /// created when missing; with it, the private key must exist and be its matching half
    /// (a token the server would refuse is of no use).
    pub fn signer(&self) -> Result<Signer, AuthError> {
        let pair = match &self.public_key_path {
            None => KeyPair::load_or_create(&self.private_key_path)?,
            Some(public_path) => {
                let pair = KeyPair::load(&self.private_key_path)?;
                let public_pem = read_public_pem(public_path)?;
                let matches = pair.matches_public_pem(&public_pem).map_err(|e| e.in_file(public_path))?;
                if !matches {
                    return Err(AuthError::KeyFile {
                        path: self.private_key_path.clone(),
                        cause: format!(
                            "is not the private half of the public key {}, so the server \
                             would refuse the tokens it signs",
                            public_path.display()
                        ),
                    });
                }
                pair
            }
        };
        Signer::from_pem(&pair.private_pem, self.settings())
    }
}

fn read_public_pem(path: &Path) -> Result<String, AuthError> {
    std::fs::read_to_string(path)
        .map_err(|e| AuthError::KeyFile { path: path.to_owned(), cause: format!("cannot be read: {e}") })
}

/// Limits protecting the server from expensive requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Deepest nesting of selections a GraphQL query may have.
    pub max_depth: usize,
    /// Highest complexity score a GraphQL query may reach.
    pub max_complexity: usize,
    /// Most items one page of a list may hold.
    pub max_page_size: usize,
    /// Most aliased fields a GraphQL query may have.
    pub max_aliases: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest an HTTP request may take, in seconds, before it is answered with 408
    /// (subscriptions over WebSocket are not bounded by it).
    pub request_timeout_seconds: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 2000,
            max_page_size: 100,
            max_aliases: 30,
            max_body_bytes: 1024 * 1024,
            request_timeout_seconds: 30,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration file {}: {cause}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        cause: String,
    },
    /// The configuration file is not valid TOML, or has unknown keys or wrong types.
    #[error("{}:{line}:{column}: {message}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// What is wrong, as the TOML parser says it.
        message: String,
    },
    /// An environment variable has a value that cannot be used.
    #[error("environment variable {var}: {reason}")]
    Env {
        /// The variable's name.
        var: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// A setting has a value the server cannot work with.
    #[error("setting `{setting}`: {reason}")]
    Invalid {
        /// The setting's dotted name, e.g. `limits.max_depth`.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Read { .. } => "CONFIG_READ",
            Self::Parse { .. } => "CONFIG_PARSE",
            Self::Env { .. } => "CONFIG_ENV",
            Self::Invalid { .. } => "CONFIG_INVALID",
        }
    }
}

impl Config {
    /// Loads the configuration: defaults, then the TOML file at `path` when given, then the
    /// process environment (see [`ENV_VARS`]), then checks the result.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        for var in ENV_VARS {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(var) {
                return Err(ConfigError::Env { var, reason: "is not valid UTF-8".to_owned() });
            }
        }
        Self::load_with_env(path, |name| std::env::var(name).ok())
    }

    /// [`Config::load`] with the environment given as a lookup function (for tests).
    pub fn load_with_env(path: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a configuration file (no environment, no checks).
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.to_owned(), cause: e.to_string() })?;
        Self::from_toml(&text, path)
    }

    /// Parses configuration text; `path` only names it in errors (no environment, no checks).
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Parse { path: path.to_owned(), line, column, message: e.message().trim_end().to_owned() }
        })
    }

    /// Applies the environment overrides.
    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |var: &'static str| -> Result<Option<String>, ConfigError> {
            match env(var) {
                Some(value) if value.trim().is_empty() => {
                    Err(ConfigError::Env { var, reason: "is set but empty".to_owned() })
                }
                other => Ok(other),
            }
        };
        if let Some(url) = get(ENV_DATABASE_URL)? {
            check_database_url(&url).map_err(|reason| ConfigError::Env { var: ENV_DATABASE_URL, reason })?;
            self.database_url = url;
        } else if let Some(url) = get(ENV_DATABASE_URL_FALLBACK)? {
            check_database_url(&url).map_err(|reason| ConfigError::Env { var: ENV_DATABASE_URL_FALLBACK, reason })?;
            self.database_url = url;
        }
        if let Some(listen) = get(ENV_LISTEN)? {
            self.listen = listen.trim().parse().map_err(|_| ConfigError::Env {
                var: ENV_LISTEN,
                reason: format!(
                    "`{}` is not an address and port such as 127.0.0.1:8080 or [::1]:8080",
                    listen.escape_debug()
                ),
            })?;
        }
        if let Some(path) = get(ENV_PRIVATE_KEY)? {
            self.auth.private_key_path = PathBuf::from(path);
        }
        if let Some(path) = get(ENV_PUBLIC_KEY)? {
            self.auth.public_key_path = Some(PathBuf::from(path));
        }
        if let Some(issuer) = get(ENV_ISSUER)? {
            self.auth.issuer = issuer;
        }
        if let Some(audience) = get(ENV_AUDIENCE)? {
            self.auth.audience = audience;
        }
        Ok(())
    }

    /// Checks values the types alone allow but the server cannot work with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |setting: &'static str, reason: &str| ConfigError::Invalid { setting, reason: reason.to_owned() };
        check_database_url(&self.database_url).map_err(|r| invalid("database_url", &r))?;
        if self.auth.private_key_path.as_os_str().is_empty() {
            return Err(invalid("auth.private_key_path", "must not be empty"));
        }
        if self.auth.public_key_path.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            return Err(invalid("auth.public_key_path", "must not be empty when set"));
        }
        if self.auth.issuer.trim().is_empty() {
            return Err(invalid("auth.issuer", "must not be empty"));
        }
        if self.auth.audience.trim().is_empty() {
            return Err(invalid("auth.audience", "must not be empty"));
        }
        if self.auth.token_ttl_seconds == 0 {
            return Err(invalid("auth.token_ttl_seconds", "must be at least 1"));
        }
        if i64::try_from(self.auth.token_ttl_seconds).is_err() {
            return Err(invalid("auth.token_ttl_seconds", "is too large"));
        }
        let limits = [
            ("limits.max_depth", self.limits.max_depth),
            ("limits.max_complexity", self.limits.max_complexity),
            ("limits.max_page_size", self.limits.max_page_size),
            ("limits.max_aliases", self.limits.max_aliases),
            ("limits.max_body_bytes", self.limits.max_body_bytes),
            ("limits.request_timeout_seconds", self.limits.request_timeout_seconds),
        ];
        for (setting, value) in limits {
            if value == 0 {
                return Err(invalid(setting, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// The database URL with any password replaced by `***`, fit for logs.
    pub fn database_url_redacted(&self) -> String {
        redact_url(&self.database_url)
    }
}

/// Accepts the schemes the store supports; the reason never repeats the URL (it may hold a
/// password).
fn check_database_url(url: &str) -> Result<(), String> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme);
    match scheme {
        Some("sqlite" | "postgres" | "postgresql") => Ok(()),
        _ => Err("must be a `sqlite:` or `postgres://` URL".to_owned()),
    }
}

/// Replaces the password of `scheme://user:password@host/...` and of a `password=` query
/// parameter with `***`.
fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(start) = url.find("://").map(|i| i + 3) {
        let rest = &url[start..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            out = format!("{}***{}", &url[..start + colon + 1], &url[start + at..]);
        }
    }
    if let Some(query_start) = out.find('?') {
        let (head, query) = out.split_at(query_start + 1);
        let query = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{query}");
    }
    out
}

/// 1-based line and character column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_from(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn temp_file(name: &str, contents: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("onedoor-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn defaults() {
        let config = Config::load_with_env(None, no_env).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.database_url, "sqlite://onedoor.db?mode=rwc");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.auth.private_key_path, PathBuf::from("onedoor.key.pem"));
        assert_eq!(config.auth.public_key_path, None);
        assert_eq!(config.auth.settings(), AuthSettings::default());
        assert_eq!(config.limits.max_depth, 12);
        assert_eq!(config.limits.max_complexity, 2000);
        assert_eq!(config.limits.max_page_size, 100);
        assert_eq!(config.limits.max_aliases, 30);
        assert_eq!(config.limits.max_body_bytes, 1_048_576);
    }

    #[test]
    fn example_parses_to_the_defaults() {
        let parsed = Config::from_toml(example_toml(), Path::new("onedoor.example.toml")).unwrap();
        assert_eq!(parsed, Config::default());
        parsed.validate().unwrap();
        // The one setting left commented out (it has no default) parses as documented.
        let uncommented = example_toml().replace("# public_key_path", "public_key_path");
        let parsed = Config::from_toml(&uncommented, Path::new("x.toml")).unwrap();
        assert_eq!(parsed.auth.public_key_path, Some(PathBuf::from("identity-provider.pub.pem")));
        assert_eq!(
            Config { auth: AuthConfig { public_key_path: None, ..parsed.auth.clone() }, ..parsed },
            Config::default()
        );
    }

    #[test]
    fn example_mentions_every_setting() {
        fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
            if let toml::Value::Table(table) = value {
                for (key, value) in table {
                    let name = format!("{prefix}{key}");
                    keys(value, &format!("{name}."), out);
                    out.push(name);
                }
            }
        }
        let mut defaults = Vec::new();
        keys(&toml::Value::try_from(Config::default()).unwrap(), "", &mut defaults);
        let mut example = Vec::new();
        let uncommented = example_toml().replace("# public_key_path", "public_key_path");
        keys(&toml::from_str(&uncommented).unwrap(), "", &mut example);
        defaults.push("auth.public_key_path".to_owned());
        defaults.sort();
        example.sort();
        assert_eq!(defaults, example);
    }

    #[test]
    fn file_then_env() {
        let path = temp_file(
            "onedoor.toml",
            "database_url = \"postgres://u:p@db/onedoor\"\n\
             listen = \"0.0.0.0:9000\"\n\
             [auth]\nissuer = \"city-idp\"\npublic_key_path = \"idp.pem\"\n\
             [limits]\nmax_depth = 5\n",
        );
        let config = Config::load_with_env(Some(&path), no_env).unwrap();
        assert_eq!(config.database_url, "postgres://u:p@db/onedoor");
        assert_eq!(config.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.auth.issuer, "city-idp");
        assert_eq!(config.auth.audience, "onedoor-api");
        assert_eq!(config.auth.public_key_path, Some(PathBuf::from("idp.pem")));
        assert_eq!(config.limits.max_depth, 5);
        assert_eq!(config.limits.max_complexity, 2000);

        let env = env_from(&[
            ("ONEDOOR_DATABASE_URL", "sqlite::memory:"),
            ("DATABASE_URL", "postgres://ignored"),
            ("ONEDOOR_LISTEN", "[::1]:7000"),
            ("ONEDOOR_PRIVATE_KEY", "/etc/onedoor/key.pem"),
            ("ONEDOOR_PUBLIC_KEY", "/etc/onedoor/pub.pem"),
            ("ONEDOOR_ISSUER", "iss-env"),
            ("ONEDOOR_AUDIENCE", "aud-env"),
        ]);
        let config = Config::load_with_env(Some(&path), env).unwrap();
        assert_eq!(config.database_url, "sqlite::memory:");
        assert_eq!(config.listen.to_string(), "[::1]:7000");
        assert_eq!(config.auth.private_key_path, PathBuf::from("/etc/onedoor/key.pem"));
        assert_eq!(config.auth.public_key_path, Some(PathBuf::from("/etc/onedoor/pub.pem")));
        assert_eq!(config.auth.issuer, "iss-env");
        assert_eq!(config.auth.audience, "aud-env");
        assert_eq!(config.limits.max_depth, 5);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn database_url_fallback() {
        let env = env_from(&[("DATABASE_URL", "postgres://db/x")]);
        let config = Config::load_with_env(None, env).unwrap();
        assert_eq!(config.database_url, "postgres://db/x");
    }

    #[test]
    fn bad_env_values_name_the_variable() {
        for (var, value) in [
            ("ONEDOOR_LISTEN", "localhost"),
            ("ONEDOOR_LISTEN", "127.0.0.1"),
            ("ONEDOOR_DATABASE_URL", "mysql://root:hunter2@db/x"),
            ("DATABASE_URL", "nonsense"),
            ("ONEDOOR_ISSUER", ""),
            ("ONEDOOR_PUBLIC_KEY", "  "),
        ] {
            let err = Config::load_with_env(None, env_from(&[(var, value)])).unwrap_err();
            assert_eq!(err.code(), "CONFIG_ENV", "{var}={value}");
            let message = err.to_string();
            assert!(message.contains(var), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn parse_errors_name_file_line_and_column() {
        let path = temp_file("bad.toml", "listen = \"127.0.0.1:8080\"\n\n[limits]\nmax_dept = 3\n");
        let err = Config::load_with_env(Some(&path), no_env).unwrap_err();
        assert_eq!(err.code(), "CONFIG_PARSE");
        let ConfigError::Parse { line, column, message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!((*line, *column), (4, 1));
        assert!(message.contains("max_dept"), "{message}");
        assert!(err.to_string().starts_with(&format!("{}:4:1: ", path.display())), "{err}");

        let err = Config::from_toml("listen = \"nowhere\"", Path::new("a.toml")).unwrap_err();
        assert_eq!(err.code(), "CONFIG_PARSE");
        assert!(err.to_string().starts_with("a.toml:1:10: "), "{err}");

        let err = Config::from_toml("[auth]\nleeway_seconds = -1\n", Path::new("b.toml")).unwrap_err();
        assert!(err.to_string().starts_with("b.toml:2:18: "), "{err}");

        let err = Config::from_toml("x = = 1", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:1:"), "{err}");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = Config::load_with_env(Some(Path::new("/nonexistent/onedoor.toml")), no_env).unwrap_err();
        assert_eq!(err.code(), "CONFIG_READ");
        assert!(err.to_string().contains("/nonexistent/onedoor.toml"));
    }

    #[test]
    fn invalid_values_are_refused() {
        let err = Config::from_toml("[limits]\nmax_depth = 0\n", Path::new("x")).unwrap().validate().unwrap_err();
        assert_eq!(err.code(), "CONFIG_INVALID");
        assert!(err.to_string().contains("limits.max_depth"));
        let err = Config::from_toml("[auth]\naudience = \"\"\n", Path::new("x")).unwrap().validate().unwrap_err();
        assert!(err.to_string().contains("auth.audience"));
        let err = Config::from_toml("database_url = \"oracle://x\"\n", Path::new("x")).unwrap().validate().unwrap_err();
        assert!(err.to_string().contains("database_url"));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://onedoor:s3cret@db:5432/onedoor?sslmode=require"),
            "postgres://onedoor:***@db:5432/onedoor?sslmode=require"
        );
        assert_eq!(redact_url("postgres://db/x?user=a&password=s3cret"), "postgres://db/x?user=a&password=***");
        assert_eq!(redact_url("sqlite://onedoor.db?mode=rwc"), "sqlite://onedoor.db?mode=rwc");
        assert_eq!(redact_url("postgres://user@db/x"), "postgres://user@db/x");
        let config = Config { database_url: "postgres://u:s3cret@db/x".into(), ..Config::default() };
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn keys_from_config() {
        let dir = std::env::temp_dir().join(format!("onedoor-keys-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let auth = AuthConfig { private_key_path: dir.join("key.pem"), ..AuthConfig::default() };
        // Development mode: the private key is created and both halves agree.
        let signer = auth.signer().unwrap();
        let verifier = auth.verifier().unwrap();
        let token = signer.issue("s", "c", &[], chrono::Utc::now().timestamp()).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().sub, "s");

        // Public key only: no private key is needed or created to verify.
        let pair = KeyPair::load(&auth.private_key_path).unwrap();
        std::fs::write(dir.join("pub.pem"), &pair.public_pem).unwrap();
        let public_only = AuthConfig {
            private_key_path: dir.join("absent.pem"),
            public_key_path: Some(dir.join("pub.pem")),
            ..AuthConfig::default()
        };
        assert_eq!(public_only.verifier().unwrap().verify(&token).unwrap().sub, "s");
        assert!(!dir.join("absent.pem").exists());
        // ...and signing then needs the matching private key.
        assert_eq!(public_only.signer().unwrap_err().code(), "KEY");
        let other = KeyPair::generate().unwrap();
        std::fs::write(dir.join("other.pem"), &other.private_pem).unwrap();
        let mismatched = AuthConfig { private_key_path: dir.join("other.pem"), ..public_only.clone() };
        assert_eq!(mismatched.signer().unwrap_err().code(), "KEY");
        let matched = AuthConfig { private_key_path: auth.private_key_path.clone(), ..public_only };
        assert!(matched.signer().is_ok());

        // A broken public key file is a KEY error naming it.
        std::fs::write(dir.join("bad.pem"), "nope").unwrap();
        let broken = AuthConfig { public_key_path: Some(dir.join("bad.pem")), ..AuthConfig::default() };
        let err = broken.verifier().unwrap_err();
        assert_eq!(err.code(), "KEY");
        assert!(err.to_string().contains("bad.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
