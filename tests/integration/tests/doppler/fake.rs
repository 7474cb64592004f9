//! The fake Doppler API of `tests/fakes/doppler`, started per test. It picks its own free port and
//! announces it, with its tokens, on its `READY` line.

use keyway_integration_tests::fakes::{self, announced, python_fake, FakeProcess};
use serde_json::Value;

/// The project the fake serves.
pub const PROJECT: &str = "keyway";

/// A running fake, stopped on drop.
pub struct FakeDoppler {
    process: FakeProcess,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    tokens: Value,
}

keyway_integration_tests::impl_fake!(FakeDoppler);

impl FakeDoppler {
    /// Starts the fake.
    pub async fn start() -> Self {
        let mut command = python_fake("doppler/server.py");
        command.args(["--port", "0"]);
        let (process, ready) = fakes::start("the fake Doppler", command).await;
        let url = announced(&ready, "url");
        let process = FakeProcess::new(process, url.clone(), reqwest::Client::new());
        Self { process, url, tokens: ready["tokens"].clone() }
    }

    /// One of the fake's tokens: `personal`, `service` (read/write on keyway/dev) or `read_only`.
    pub fn token(&self, kind: &str) -> String {
        self.tokens[kind].as_str().map(str::to_owned).unwrap_or_else(|| panic!("no {kind} token"))
    }
}
