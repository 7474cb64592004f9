//! Compliance profiles: each rule with a passing and a failing write, advisory rules recorded as findings,
//! and the report over secrets written before the profile existed, never with a value.

use crate::support::{code, json, Sandbox};

const PROFILE: &str = "profiles:\n  prod:\n    secrets: [\"local/prod/**\"]\n    compliance:\n      min_length: 24\n      character_classes: [lower, upper, digit]\n      min_strength: 3\n      required_tags: [owner]\n      types: [generic, basic-auth, private-key]\n      min_rsa_bits: 3072\n      no_reuse: 2\n      max_age: 1s\n      advisory: [max_age]\n";

fn configure(sandbox: &mut Sandbox, profile: &str) {
    sandbox.configure_text(&format!("{profile}managers:\n  local:\n    plugin: local\n"));
}

#[test]
fn each_rule_passes_and_fails_on_write() {
    let mut sandbox = Sandbox::new("compliance-write");
    configure(&mut sandbox, PROFILE);
    let good = "Tr0ub4dor-and-Horse-Staple-9271";
    let refused = |args: &[&str], rule: &str| {
        let message = sandbox.run(args).fails(code::INVALID);
        assert!(message.contains(&format!("rule `{rule}`")), "{rule}: {message}");
        assert!(!message.contains("Sh0rt") && !message.contains(good), "no value: {message}");
    };
    refused(&["put", "local/prod/a", "Sh0rt-1", "--tag", "owner=db"], "min_length");
    refused(&["put", "local/prod/a", "alllowercaseandlongenough-1234", "--tag", "owner=db"], "character_classes");
    refused(&["put", "local/prod/a", "Password1Password1Password1", "--tag", "owner=db"], "min_strength");
    refused(&["put", "local/prod/a", good], "required_tags");
    refused(&["put", "local/prod/a", good, "--tag", "owner=db", "--type", "api-key"], "types");
    let weak = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../secret-types/tests/fixtures/rsa-pkcs8.pem");
    let weak = weak.display().to_string();
    refused(&["put", "local/prod/key", "--file", &weak, "--type", "private-key", "--tag", "owner=db"], "min_rsa_bits");
    sandbox.run(&["get", "local/prod/a"]).fails(code::NOT_FOUND);

    sandbox.run(&["put", "local/prod/a", good, "--tag", "owner=db"]).ok();
    let message = sandbox.run(&["update", "local/prod/a", good]).fails(code::INVALID);
    assert!(message.contains("rule `no_reuse`"), "{message}");
    sandbox.run(&["update", "local/prod/a", "An0ther-Fresh-Generated-Value-55"]).ok();
    // Secrets outside the profile are not bound.
    sandbox.run(&["put", "local/dev/a", "short"]).ok();
}

#[test]
fn the_report_covers_secrets_written_before_the_profile_and_shows_no_value() {
    let mut sandbox = Sandbox::new("compliance-report");
    configure(&mut sandbox, "");
    sandbox.run(&["put", "local/prod/old", "weak-old-value"]).ok();
    sandbox.run(&["put", "local/prod/fine", "Tr0ub4dor-and-Horse-Staple-9271", "--tag", "owner=db"]).ok();
    configure(&mut sandbox, PROFILE);
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let run = sandbox.run(&["compliance", "report", "prod", "--json"]);
    assert_eq!(run.code, code::BACKEND, "a blocking finding: {}", run.stderr);
    let findings = json(&run.out());
    let of = |name: &str| -> Vec<String> {
        findings
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["name"] == name)
            .filter_map(|f| f["rule"].as_str().map(str::to_owned))
            .collect()
    };
    let old = of("prod/old");
    assert!(old.contains(&"min_length".to_owned()) && old.contains(&"required_tags".to_owned()), "{old:?}");
    assert_eq!(of("prod/fine"), ["max_age"], "only the advisory age finding");
    let text = run.out();
    assert!(!text.contains("weak-old-value") && !text.contains("Tr0ub4dor"), "no value in the report: {text}");
    let errors = json(&sandbox.run(&["errors", "local/prod/old", "--json"]).ok());
    assert_eq!(errors[0]["operation"], "compliance", "findings go to the error history: {errors}");
}

#[tokio::test]
async fn the_report_is_served_over_http() {
    let mut sandbox = Sandbox::new("compliance-http");
    configure(&mut sandbox, PROFILE);
    configure(&mut sandbox, "");
    sandbox.run(&["put", "local/prod/old", "weak-old-value"]).ok();
    configure(&mut sandbox, PROFILE);
    let server = crate::service::Server::start(&sandbox, &[]);
    let api = crate::service::Api::new(&server);
    let answer = api.call(reqwest::Method::GET, "/v1/compliance?profile=prod", &[], None).await;
    let rules: Vec<&str> =
        answer.ok()["findings"].as_array().into_iter().flatten().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"min_length"), "{rules:?}");
    assert!(!answer.text.contains("weak-old-value"));
    api.call(reqwest::Method::GET, "/v1/compliance?profile=nope", &[], None).await.error(400, "invalid");
}
