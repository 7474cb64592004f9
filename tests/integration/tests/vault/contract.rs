//! The shared contract suite against OpenBao, once per auth method, and its misbehaving-proxy cases.

use super::{FakeKubernetes, VaultUnderTest};
use keyway_conformance::{run, CaseOutcome, ProxyOptions, SuiteOptions};
use keyway_integration_tests::plugins::{passes_the_proxy_cases, with_settings};
use keyway_runtime::Connection;

async fn passes_the_contract_suite(connection: &Connection) {
    let options = SuiteOptions { invalid_name: Some("kwct//empty-segment".into()), ..SuiteOptions::default() };
    let report = run(connection, &options).await;
    println!("{report}");
    assert!(report.is_success(), "the contract suite failed against OpenBao:\n{report}");
    // Everything but version labels, which Vault does not have, is declared and must have run.
    let skipped: Vec<&str> =
        report.cases.iter().filter(|c| matches!(c.outcome, CaseOutcome::Skipped(_))).map(|c| c.name).collect();
    assert_eq!(skipped, ["labels"], "only the labels case may be skipped:\n{report}");
    assert!(report.passed() >= 15, "too few cases ran:\n{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_token_auth() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.token_settings()).await;
    passes_the_contract_suite(&connection).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_userpass_auth() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.userpass_settings("correct horse battery staple")).await;
    passes_the_contract_suite(&connection).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_approle_auth() {
    let vault = VaultUnderTest::start();
    let connection = vault.connect(vault.approle_settings()).await;
    passes_the_contract_suite(&connection).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contract_suite_with_kubernetes_auth() {
    let vault = VaultUnderTest::start();
    let fake = FakeKubernetes::start();
    let connection = vault.connect(vault.kubernetes_settings(&fake)).await;
    passes_the_contract_suite(&connection).await;
    assert!(fake.reviews() >= 1, "OpenBao never asked the fake TokenReview API");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_proxy_cases() {
    let vault = VaultUnderTest::start();
    let proxy = ProxyOptions {
        unnamed_answers: Some(
            "a KV read's answer carries no path, so no client can tell another secret's answer from its own".into(),
        ),
    };
    let config = with_settings(vault.userpass_settings("correct horse battery staple"));
    // Only the another-secret case is skipped.
    passes_the_proxy_cases(&vault.runtime, &vault.plugin, config, &SuiteOptions::default(), &proxy, 1).await;
}
