//! A named profile, checked before any credential is looked for: `aws-config` goes on down its default chain
//! when a profile does not exist, to the instance metadata service and its warnings, which hides the mistake.
//! Here a profile missing from the shared files is a configuration error naming the profile, the files looked
//! at and the profiles they define; nothing is sent anywhere.

use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};
use keyway_types::ProviderError;
use std::path::{Path, PathBuf};

/// The shared config and credentials files, where `aws-config` looks for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SharedFiles {
    /// `AWS_CONFIG_FILE`, or `~/.aws/config`.
    pub config: PathBuf,
    /// `AWS_SHARED_CREDENTIALS_FILE`, or `~/.aws/credentials`.
    pub credentials: PathBuf,
}

/// A profile that is defined in the shared files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    /// The Region it names, if any.
    pub region: Option<String>,
}

impl SharedFiles {
    /// The files of this process's environment.
    pub fn of_environment() -> Self {
        let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
        let path = |variable: &str, default: &str| {
            std::env::var_os(variable)
                .map(PathBuf::from)
                .map(|path| expand_home(&path, home.as_deref()))
                .unwrap_or_else(|| {
                    home.as_deref().map_or_else(|| PathBuf::from("~").join(default), |home| home.join(default))
                })
        };
        Self {
            config: path("AWS_CONFIG_FILE", ".aws/config"),
            credentials: path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
        }
    }

    /// The profile `name` as the files define it, or a configuration error that names the profile, the files
    /// and the profiles they do define. A missing file defines nothing.
    pub async fn profile(&self, name: &str) -> Result<Profile, ProviderError> {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        let files = EnvConfigFiles::builder()
            .with_contents(EnvConfigFileKind::Config, read(&self.config))
            .with_contents(EnvConfigFileKind::Credentials, read(&self.credentials))
            .build();
        let set = aws_config::profile::load(&Fs::from_slice(&[]), &Env::from_slice(&[]), &files, None).await.map_err(
            |err| {
                ProviderError::Configuration(format!(
                    "the AWS shared files {} and {} cannot be read as profiles: {err}",
                    self.config.display(),
                    self.credentials.display()
                ))
            },
        )?;
        if let Some(profile) = set.get_profile(name) {
            return Ok(Profile { region: profile.get("region").map(str::to_owned) });
        }
        let mut defined: Vec<&str> = set.profiles().collect();
        defined.sort_unstable();
        let defined = if defined.is_empty() {
            "they define no profile".to_owned()
        } else {
            format!("they define {}", defined.iter().map(|p| format!("'{p}'")).collect::<Vec<_>>().join(", "))
        };
        Err(ProviderError::Configuration(format!(
            "AWS profile '{name}' (the manager's auth.profile) is not defined in {} or {}: {defined}. Correct the \
             profile's name, or point AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at the files that define it",
            self.config.display(),
            self.credentials.display()
        )))
    }
}

/// `~/rest` with the home folder; other paths as they are.
fn expand_home(path: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(config: &str, credentials: &str) -> (tempfile::TempDir, SharedFiles) {
        let dir = tempfile::tempdir().expect("scratch folder");
        let files = SharedFiles { config: dir.path().join("config"), credentials: dir.path().join("credentials") };
        std::fs::write(&files.config, config).expect("config");
        std::fs::write(&files.credentials, credentials).expect("credentials");
        (dir, files)
    }

    #[tokio::test]
    async fn profiles_of_either_file_are_found_with_their_region() {
        let (_dir, files) = files(
            "[profile ops]\nregion = eu-west-1\n[default]\nregion = us-east-2\n",
            "[deploy]\naws_access_key_id = AKIA\naws_secret_access_key = never-printed\n",
        );
        assert_eq!(files.profile("ops").await, Ok(Profile { region: Some("eu-west-1".into()) }));
        assert_eq!(files.profile("deploy").await, Ok(Profile { region: None }));
        assert_eq!(files.profile("default").await, Ok(Profile { region: Some("us-east-2".into()) }));
    }

    #[tokio::test]
    async fn a_misspelt_profile_names_itself_the_files_and_the_profiles_there() {
        let (_dir, files) = files("[profile ops]\nregion = eu-west-1\n", "[deploy]\naws_secret_access_key = s3cr3t\n");
        let err = files.profile("opps").await.expect_err("not defined");
        let text = err.to_string();
        assert!(matches!(err, ProviderError::Configuration(_)), "{text}");
        assert!(text.contains("AWS profile 'opps'"), "{text}");
        assert!(text.contains(&files.config.display().to_string()), "{text}");
        assert!(text.contains(&files.credentials.display().to_string()), "{text}");
        assert!(text.contains("they define 'deploy', 'ops'"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
        let missing = SharedFiles { config: files.config.join("none"), credentials: files.credentials.join("none") };
        let err = missing.profile("ops").await.expect_err("no files");
        assert!(err.to_string().contains("they define no profile"), "{err}");
    }

    #[test]
    fn a_leading_tilde_is_the_home_folder() {
        let home = Path::new("/home/flow");
        assert_eq!(expand_home(Path::new("~/aws/config"), Some(home)), PathBuf::from("/home/flow/aws/config"));
        assert_eq!(expand_home(Path::new("/etc/aws/config"), Some(home)), PathBuf::from("/etc/aws/config"));
    }
}
