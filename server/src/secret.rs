//! A secret from the config file (a source's token or client secret, an identity provider's
//! client secret): read from the environment when written `env:NAME`, never printed.

use serde::Deserialize;
use std::fmt;

/// A secret from the config file. `env:NAME` is read from environment variable `NAME` when it
/// is revealed, so secrets need not be written into the file. Prints as `***SECRET***`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

/// The environment variable an `env:` secret names cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}, named by an `env:` secret, {problem}")]
pub struct SecretError {
    pub name: String,
    pub problem: &'static str,
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, read from the environment for `env:NAME`.
    pub(crate) fn reveal(&self) -> Result<String, SecretError> {
        let Some(name) = self.0.strip_prefix("env:") else {
            return Ok(self.0.clone());
        };
        let problem = match std::env::var(name) {
            Ok(value) if !value.is_empty() => return Ok(value),
            Ok(_) => "is empty",
            Err(std::env::VarError::NotPresent) => "is not set",
            Err(std::env::VarError::NotUnicode(_)) => "is not valid UTF-8",
        };
        Err(SecretError {
            name: name.to_owned(),
            problem,
        })
    }

    /// What is wrong with the secret under config key `key`, short of reading the environment.
    pub(crate) fn problem(&self, key: &str) -> Option<String> {
        match self.0.strip_prefix("env:") {
            Some("") => Some(format!("{key} names no variable after `env:`")),
            None if self.0.is_empty() => Some(format!("{key} must not be empty")),
            _ => None,
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***SECRET***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***SECRET***")
    }
}
