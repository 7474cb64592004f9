//! What a provider supports.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The operations a provider declares; undeclared ones fail with `unsupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// `get`, `get_many` and `describe`.
    pub read: bool,
    /// `create` and `update`.
    pub write: bool,
    /// `delete` (at least forced).
    pub delete: bool,
    /// `delete` keeps the secret restorable.
    pub delete_with_recovery: bool,
    /// `restore`.
    pub restore: bool,
    /// `list`.
    pub list: bool,
    /// `versions` and reading by version id.
    pub versions: bool,
    /// Reading by version label.
    pub labels: bool,
    /// Binary values.
    pub binary_values: bool,
    /// Tags on secrets.
    pub tags: bool,
    /// `describe` is cheap and reports the current version id.
    pub probe: bool,
}

impl Capabilities {
    /// Every capability.
    pub const ALL: Self = Self {
        read: true,
        write: true,
        delete: true,
        delete_with_recovery: true,
        restore: true,
        list: true,
        versions: true,
        labels: true,
        binary_values: true,
        tags: true,
        probe: true,
    };

    /// Only reading and listing, as a read-only manager exposes.
    pub fn read_only(self) -> Self {
        Self { write: false, delete: false, delete_with_recovery: false, restore: false, ..self }
    }

    /// Whether `operation` is declared.
    pub fn allows(&self, operation: Operation) -> bool {
        match operation {
            Operation::Get | Operation::Describe => self.read,
            Operation::Create | Operation::Update => self.write,
            Operation::Delete => self.delete,
            Operation::Restore => self.restore,
            Operation::List => self.list,
            Operation::Versions => self.versions,
        }
    }

    /// The names of the declared capabilities, for display.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.read, "read"),
            (self.write, "write"),
            (self.delete, "delete"),
            (self.delete_with_recovery, "delete-with-recovery"),
            (self.restore, "restore"),
            (self.list, "list"),
            (self.versions, "versions"),
            (self.labels, "labels"),
            (self.binary_values, "binary"),
            (self.tags, "tags"),
            (self.probe, "probe"),
        ];
        all.into_iter().filter(|(on, _)| *on).map(|(_, name)| name).collect()
    }
}

/// The operations of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Read a value.
    Get,
    /// Read metadata.
    Describe,
    /// Create a secret.
    Create,
    /// Change a secret.
    Update,
    /// Delete a secret.
    Delete,
    /// Recover a deleted secret.
    Restore,
    /// List secrets.
    List,
    /// List versions.
    Versions,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Get => "get",
            Self::Describe => "describe",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Restore => "restore",
            Self::List => "list",
            Self::Versions => "versions",
        };
        f.write_str(name)
    }
}
