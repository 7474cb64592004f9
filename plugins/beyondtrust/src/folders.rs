//! Secrets Safe folders: the tree read from `GET Secrets-Safe/Folders` (folders know only their
//! parent, so paths are built here), paths resolved to folder GUIDs, and missing sub-folders created
//! with `POST Secrets-Safe/Folders`.

use crate::errors;
use crate::login::PasswordSafeSession;
use crate::model::{FolderRecord, ListAnswer};
use keyway_plugin_sdk::session::Call;
use keyway_plugin_sdk::ProviderError;
use std::collections::HashMap;

/// Folders per listing request (the service's maximum).
const PAGE: usize = 1000;

/// Every folder the user sees, by GUID, with their paths.
pub struct FolderTree {
    folders: HashMap<String, FolderRecord>,
}

impl FolderTree {
    /// Reads the whole tree.
    pub fn load(session: &PasswordSafeSession) -> Result<Self, ProviderError> {
        let mut folders = HashMap::new();
        for page in 0.. {
            let call = Call::get("Secrets-Safe/Folders")
                .query("limit", PAGE.to_string())
                .query("offset", (page * PAGE).to_string());
            let response = session.send(&call)?;
            if !response.is_success() {
                return Err(errors::api_failure(&response, "listing the Secrets Safe folders"));
            }
            let items = response.json::<ListAnswer<FolderRecord>>()?.into_items();
            let count = items.len();
            folders.extend(items.into_iter().map(|f| (f.id.to_ascii_lowercase(), f)));
            if count < PAGE {
                break;
            }
        }
        Ok(Self { folders })
    }

    /// The path of the folder with this GUID.
    pub fn path_of(&self, id: &str) -> Option<String> {
        let mut names = Vec::new();
        let mut current = self.folders.get(&id.to_ascii_lowercase())?;
        for _ in 0..64 {
            names.push(current.name.as_str());
            match current.parent_id.as_deref() {
                Some(parent) => current = self.folders.get(&parent.to_ascii_lowercase())?,
                None => {
                    names.reverse();
                    return Some(names.join("/"));
                }
            }
        }
        None
    }

    /// The GUID of the folder at `path` (compared without case).
    pub fn id_of(&self, path: &str) -> Option<String> {
        self.folders
            .values()
            .find(|folder| self.path_of(&folder.id).is_some_and(|p| p.eq_ignore_ascii_case(path)))
            .map(|folder| folder.id.clone())
    }
}

/// The GUID of the folder at `path`, creating the missing sub-folders below `root` when `create`
/// is set. A folder missing at or above the root is never created: a top-level folder is a safe,
/// which an administrator sets up with its permissions.
pub fn ensure_folder(
    session: &PasswordSafeSession,
    path: &str,
    root: Option<&str>,
    create: bool,
) -> Result<String, ProviderError> {
    let tree = FolderTree::load(session)?;
    if let Some(id) = tree.id_of(path) {
        return Ok(id);
    }
    let segments: Vec<&str> = path.split('/').collect();
    let root_depth = root.map(|r| r.split('/').count()).unwrap_or(1);
    let mut existing = None;
    let mut depth = segments.len();
    while depth > 0 {
        if let Some(id) = tree.id_of(&segments[..depth].join("/")) {
            existing = Some(id);
            break;
        }
        depth -= 1;
    }
    let (Some(mut parent), true) = (existing, create && depth >= root_depth) else {
        let missing = segments[..(depth + 1).min(segments.len())].join("/");
        return Err(ProviderError::NotFound(format!(
            "the Secrets Safe folder '{missing}' does not exist{}",
            if create && depth < root_depth {
                "; the plugin creates sub-folders of the root folder only: create it in Password Safe"
            } else {
                " (create_folders is off)"
            }
        )));
    };
    for name in &segments[depth..] {
        parent = create_folder(session, name, &parent)?;
    }
    Ok(parent)
}

fn create_folder(session: &PasswordSafeSession, name: &str, parent: &str) -> Result<String, ProviderError> {
    let body = serde_json::json!({ "Name": name, "Description": "", "ParentId": parent });
    let response = session.send(&Call::post("Secrets-Safe/Folders").json(&body)?)?;
    if !response.is_success() {
        return Err(errors::api_failure(&response, &format!("creating the folder '{name}'")));
    }
    Ok(response.json::<FolderRecord>()?.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str, name: &str, parent: Option<&str>) -> (String, FolderRecord) {
        (id.into(), FolderRecord { id: id.into(), name: name.into(), parent_id: parent.map(Into::into) })
    }

    #[test]
    fn paths_from_parents() {
        let tree = FolderTree {
            folders: [folder("a", "Kestra", None), folder("b", "prod", Some("a")), folder("c", "loop", Some("c"))]
                .into_iter()
                .collect(),
        };
        assert_eq!(tree.path_of("b").as_deref(), Some("Kestra/prod"));
        assert_eq!(tree.id_of("kestra/PROD").as_deref(), Some("b"));
        assert_eq!(tree.path_of("c"), None);
        assert_eq!(tree.id_of("Kestra/dev"), None);
    }
}
