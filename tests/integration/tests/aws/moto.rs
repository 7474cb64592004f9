//! moto, the AWS emulator, as a real server: `moto_server` from the test
//! virtual environment on a free loopback port, ready when `GET /moto-api/`
//! answers, wiped with `POST /moto-api/reset`, killed when dropped.
//!
//! With [`Moto::start_with_auth`] moto verifies SigV4 signatures and IAM
//! policies after the first few actions, which [`Moto::start_with_auth`]
//! spends on creating an IAM user with an access key and a role to assume.

use keyway_integration_tests::harness::{free_port, venv_bin, wait_for_http, ChildGuard};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// The IAM actions the setup script performs before moto starts checking signatures.
const SETUP_ACTIONS: u32 = 5;

/// Credentials and a role that moto knows, created while its checks were still off.
#[derive(Debug, Clone)]
pub struct IamIdentity {
    /// The user's access key id.
    pub access_key_id: String,
    /// The user's secret access key.
    pub secret_access_key: String,
    /// A role the user may assume, with full Secrets Manager access.
    pub role_arn: String,
}

/// A running `moto_server`.
pub struct Moto {
    child: ChildGuard,
    port: u16,
    http: reqwest::Client,
    identity: Option<IamIdentity>,
}

impl Moto {
    /// Starts moto without signature checks: any credentials are accepted.
    pub async fn start() -> Self {
        Self::launch(None).await
    }

    /// Starts moto with SigV4 and IAM checks, after creating an identity it accepts.
    pub async fn start_with_auth() -> Self {
        let mut moto = Self::launch(Some(SETUP_ACTIONS)).await;
        moto.identity = Some(moto.create_identity());
        moto
    }

    async fn launch(no_auth_actions: Option<u32>) -> Self {
        let port = free_port();
        let mut command = Command::new(venv_bin("moto_server"));
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        scrub_aws_environment(&mut command);
        if let Some(count) = no_auth_actions {
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", count.to_string());
        }
        let child = ChildGuard::spawn("moto_server", command);
        let moto = Self { child, port, http: reqwest::Client::new(), identity: None };
        wait_for_http("moto_server", &format!("{}/moto-api/", moto.endpoint()), Duration::from_secs(60)).await;
        moto
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The identity created by [`Moto::start_with_auth`].
    pub fn identity(&self) -> &IamIdentity {
        self.identity.as_ref().expect("moto was started with auth")
    }

    /// Wipes every resource (`POST /moto-api/reset`).
    pub async fn reset(&self) {
        let response = self.http.post(format!("{}/moto-api/reset", self.endpoint())).send().await;
        let status = response.map(|r| r.status().as_u16()).unwrap_or_else(|err| panic!("moto reset failed: {err}"));
        assert_eq!(status, 200, "moto reset answered HTTP {status}");
    }

    /// Kills the server now.
    pub fn stop(&mut self) {
        self.child.kill();
    }

    /// Starts the server again on the same port, empty and without signature checks (after [`Moto::stop`]:
    /// a backend that comes back).
    #[allow(dead_code)]
    pub async fn restart(&mut self) {
        self.child.kill();
        let mut command = Command::new(venv_bin("moto_server"));
        command.args(["-H", "127.0.0.1", "-p", &self.port.to_string()]);
        scrub_aws_environment(&mut command);
        self.child = ChildGuard::spawn("moto_server", command);
        wait_for_http("moto_server", &format!("{}/moto-api/", self.endpoint()), Duration::from_secs(60)).await;
    }

    /// Runs `script` with boto3 from the test environment against this server (`MOTO_ENDPOINT`,
    /// signing as the identity when there is one) and parses its JSON output.
    pub fn boto3(&self, script: &str) -> Value {
        let mut command = Command::new(venv_bin("python"));
        command.arg("-c").arg(script).env("MOTO_ENDPOINT", self.endpoint());
        scrub_aws_environment(&mut command);
        // Before the identity exists moto does not check; afterwards scripts sign as the identity.
        let (key_id, secret) = match &self.identity {
            Some(identity) => (identity.access_key_id.as_str(), identity.secret_access_key.as_str()),
            None => ("setup", "setup"),
        };
        command.env("AWS_ACCESS_KEY_ID", key_id).env("AWS_SECRET_ACCESS_KEY", secret);
        let output = command.output().unwrap_or_else(|err| panic!("cannot run python: {err}"));
        assert!(output.status.success(), "boto3 script failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap_or_else(|err| panic!("boto3 script printed no JSON: {err}"))
    }

    fn create_identity(&self) -> IamIdentity {
        let out = self.boto3(IAM_SETUP);
        let field = |key: &str| out[key].as_str().unwrap_or_else(|| panic!("setup output lacks {key}")).to_owned();
        IamIdentity {
            access_key_id: field("access_key_id"),
            secret_access_key: field("secret_access_key"),
            role_arn: field("role_arn"),
        }
    }
}

/// Keeps the developer's own AWS configuration out of the emulator and its clients.
fn scrub_aws_environment(command: &mut Command) {
    for var in ["AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"] {
        command.env_remove(var);
    }
    command
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_DEFAULT_REGION", "us-east-1");
}

/// Creates a user with an access key allowed everything, and a role with full
/// Secrets Manager access: exactly `SETUP_ACTIONS` IAM calls.
const IAM_SETUP: &str = r#"
import boto3, json, os
iam = boto3.client("iam", endpoint_url=os.environ["MOTO_ENDPOINT"], region_name="us-east-1")
allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
iam.create_user(UserName="keyway")
iam.put_user_policy(UserName="keyway", PolicyName="all", PolicyDocument=json.dumps(allow_all))
key = iam.create_access_key(UserName="keyway")["AccessKey"]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::123456789012:user/keyway"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="keyway-reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
secrets = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}
iam.put_role_policy(RoleName="keyway-reader", PolicyName="secrets", PolicyDocument=json.dumps(secrets))
print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"],
                  "role_arn": role["Arn"]}))
"#;

impl Moto {
    /// keyway on a configuration with one manager `aws` on this moto (with its IAM user's keys) in `home`;
    /// `extra` adds lines to the manager (indented by four spaces).
    pub async fn keyway(&self, home: &keyway_integration_tests::harness::TempDir, extra: &str) -> keyway::Keyway {
        let identity = self.identity();
        let yaml = format!(
            "home: {home}\nmanagers:\n  aws:\n    plugin: aws\n    settings: {{ region: us-east-1, endpoint_override: \"{endpoint}\" }}\n    auth: {{ type: aws, access_key_id: \"{key_id}\", secret_access_key: \"{secret}\" }}\n{extra}",
            home = home.path().display(),
            endpoint = self.endpoint(),
            key_id = identity.access_key_id,
            secret = identity.secret_access_key,
        );
        let config = keyway::Config::from_yaml(&yaml).expect("the configuration parses");
        keyway::Keyway::open(config, keyway::ConfigSource::BuiltInDefault).await.expect("keyway opens")
    }
}
