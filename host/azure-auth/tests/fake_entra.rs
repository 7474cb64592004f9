//! `AzureCredentials` against the fake Entra ID token endpoint of `tests/fakes/azure_keyvault`,
//! over HTTPS with a test CA generated for the run: what `azure_identity` sends is what the fake
//! (proven with the official Python SDK) accepts, and the token it returns opens the fake vault.

use keyway_azure_auth::{AzureAuthSettings, AzureCredentials};
use keyway_types::{ErrorKind, ProviderError};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TENANT: &str = "00000000-0000-4000-8000-000000000001";
const CLIENT: &str = "00000000-0000-4000-8000-000000000002";
const SECRET: &str = "fake-client-secret";
const SCOPE: &str = "https://vault.azure.net/.default";

/// The fake, killed on drop.
struct Fake {
    child: Child,
    url: String,
    ca: PathBuf,
    dir: PathBuf,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn start_fake(extra: &[&str]) -> Fake {
    let venv = repo().join(".venv/bin/python");
    let python = if venv.exists() { venv } else { PathBuf::from("python3") };
    let dir = std::env::temp_dir().join(format!(
        "keyway-azure-auth-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    ));
    let mut child = Command::new(python)
        .arg(repo().join("tests/fakes/azure_keyvault/server.py"))
        .args(["--port", "0", "--cert-dir"])
        .arg(&dir)
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the fake Key Vault (needs the venv of tests/requirements.txt)");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read the READY line");
    let ready: serde_json::Value =
        serde_json::from_str(line.trim().strip_prefix("READY ").expect("READY line")).expect("READY json");
    Fake {
        child,
        url: ready["url"].as_str().expect("url").to_owned(),
        ca: PathBuf::from(ready["ca"].as_str().expect("ca")),
        dir,
    }
}

fn http(fake: &Fake) -> reqwest::Client {
    let pem = std::fs::read(&fake.ca).expect("CA file");
    let cert = reqwest::Certificate::from_pem(&pem).expect("CA pem");
    reqwest::Client::builder().add_root_certificate(cert).build().expect("client")
}

async fn control(fake: &Fake, action: &str, body: serde_json::Value) -> serde_json::Value {
    let response = http(fake)
        .post(format!("{}/_fake/{action}", fake.url))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("control request");
    serde_json::from_str(&response.text().await.expect("control answer")).expect("control json")
}

fn settings(fake: &Fake, secret: &str) -> AzureAuthSettings {
    AzureAuthSettings {
        authority_host: Some(fake.url.clone()),
        ca_certificate: Some(fake.ca.clone()),
        ..AzureAuthSettings::client_secret(TENANT, CLIENT, secret)
    }
}

fn scopes() -> Vec<String> {
    vec![SCOPE.to_owned()]
}

#[tokio::test]
async fn client_secret_token_opens_the_vault_and_is_cached() {
    let fake = start_fake(&[]);
    let credentials = AzureCredentials::new(&settings(&fake, SECRET)).expect("credentials");
    let token = credentials.token(&scopes()).await.expect("token from the fake endpoint");
    assert!(token.expires_at.is_some());
    let again = credentials.token(&scopes()).await.expect("cached token");
    assert_eq!(again.token.as_str(), token.token.as_str());
    assert_eq!(credentials.fetch_count(), 1);
    assert_eq!(control(&fake, "stats", serde_json::json!({})).await["token_requests"], 1);

    let answer = http(&fake)
        .get(format!("{}/secrets/absent?api-version=7.5", fake.url))
        .bearer_auth(token.token.as_str())
        .send()
        .await
        .expect("vault request");
    assert_eq!(answer.status(), 404, "the token is accepted: the secret is simply absent");
}

#[tokio::test]
async fn a_short_lived_token_is_renewed_before_it_expires() {
    let fake = start_fake(&["--token-lifetime", "2"]);
    let credentials = AzureCredentials::new(&settings(&fake, SECRET)).expect("credentials");
    let first = credentials.token(&scopes()).await.expect("first token");
    credentials.token(&scopes()).await.expect("still cached");
    assert_eq!(credentials.fetch_count(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let renewed = credentials.token(&scopes()).await.expect("renewed token");
    assert_ne!(renewed.token.as_str(), first.token.as_str());
    assert_eq!(credentials.fetch_count(), 2);
}

#[tokio::test]
async fn a_wrong_secret_is_access_denied_with_entra_s_reason() {
    let fake = start_fake(&[]);
    let credentials = AzureCredentials::new(&settings(&fake, "wrong-secret-value")).expect("credentials");
    let error: ProviderError = credentials.token(&scopes()).await.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::AccessDenied, "{error}");
    assert!(error.message().contains("AADSTS7000215"), "{error}");
    assert!(!error.to_string().contains("wrong-secret-value"), "the secret never appears: {error}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_unavailable_not_accepted() {
    let fake = start_fake(&[]);
    let credentials = AzureCredentials::new(&AzureAuthSettings { ca_certificate: None, ..settings(&fake, SECRET) })
        .expect("credentials");
    let error = credentials.token(&scopes()).await.expect_err("TLS must fail without the test CA");
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
}

#[tokio::test]
async fn implicit_uses_the_environment_client_secret_first() {
    let fake = start_fake(&[]);
    let settings = AzureAuthSettings {
        authority_host: Some(fake.url.clone()),
        ca_certificate: Some(fake.ca.clone()),
        ..AzureAuthSettings::default()
    };
    let env = [("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", CLIENT), ("AZURE_CLIENT_SECRET", SECRET)]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let credentials = AzureCredentials::with_environment(&settings, env).expect("credentials");
    credentials.token(&scopes()).await.expect("token through the environment's client secret");
    assert_eq!(control(&fake, "stats", serde_json::json!({})).await["token_requests"], 1);
}

#[tokio::test]
async fn implicit_environment_failure_is_final_and_clear() {
    let fake = start_fake(&[]);
    let settings = AzureAuthSettings {
        authority_host: Some(fake.url.clone()),
        ca_certificate: Some(fake.ca.clone()),
        ..AzureAuthSettings::default()
    };
    let env = [("AZURE_TENANT_ID", TENANT), ("AZURE_CLIENT_ID", CLIENT), ("AZURE_CLIENT_SECRET", "nope-secret")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let credentials = AzureCredentials::with_environment(&settings, env).expect("credentials");
    let error = credentials.token(&scopes()).await.expect_err("wrong environment secret");
    assert_eq!(error.kind(), ErrorKind::AccessDenied, "{error}");
    assert!(error.message().starts_with("environment:"), "{error}");
}

#[tokio::test]
async fn implicit_workload_identity_sends_the_federated_token() {
    let fake = start_fake(&["--federated-token", "federated-assertion-jwt"]);
    let token_file = fake.dir.join("federated-token");
    std::fs::write(&token_file, "federated-assertion-jwt").expect("token file");
    let settings = AzureAuthSettings {
        authority_host: Some(fake.url.clone()),
        ca_certificate: Some(fake.ca.clone()),
        ..AzureAuthSettings::default()
    };
    let env = [
        ("AZURE_TENANT_ID", TENANT.to_owned()),
        ("AZURE_CLIENT_ID", CLIENT.to_owned()),
        ("AZURE_FEDERATED_TOKEN_FILE", token_file.display().to_string()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let credentials = AzureCredentials::with_environment(&settings, env).expect("credentials");
    credentials.token(&scopes()).await.expect("token through workload identity");
}
