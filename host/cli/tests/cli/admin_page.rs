//! The admin page in a real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium
//! from PyPI): signing in with a client's token, every view with a screenshot (in `target/test-output/admin`),
//! clearing a cached secret and approving a request through the page, no secret value anywhere on the page or
//! in what it fetched, and the page's own safeguards (CSP, no framing, off unless enabled).

use crate::service::{Api, Server};
use crate::support::Sandbox;
use keyway_integration_tests::harness::{venv_bin, workspace_root};
use reqwest::Method;
use serde_json::{json, Value};

const ALICE: &str = "alice-token-2f8c1e6a9d4b73";
const BOB: &str = "bob-token-7e3a9c1f5d2b86";
const CACHED: &str = "cached-value-8b1f4e2c7a";
const OTHER: &str = "other-value-3c7e1a9f5b";
const PROPOSED: &str = "proposed-value-6d2a8f1c4e";

fn sandbox(admin: bool) -> Sandbox {
    let mut sandbox = Sandbox::new(if admin { "admin-page" } else { "admin-page-off" });
    sandbox.configure_text(&format!(
        "audit: {{ file: {audit} }}\n\
         serve:\n  admin: {admin}\n  clients:\n\
         \x20   alice: {{ token: {ALICE}, namespaces: [\"*\"], groups: [approvers] }}\n\
         \x20   bob: {{ token: {BOB}, namespaces: [\"*\"], groups: [approvers] }}\n\
         managers:\n  local:\n    plugin: local\n\
         profiles:\n  prod:\n    secrets: [\"local/prod/**\"]\n    approval: {{ groups: [approvers], quorum: 1 }}\n\
         \x20 legacy:\n    secrets: [\"local/legacy/**\"]\n    compliance: {{ min_length: 24, advisory: [min_length] }}\n",
        audit = sandbox.path().join("audit.jsonl").display(),
    ));
    sandbox
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_in_a_real_browser() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists() && std::path::Path::new("/usr/bin/chromedriver").exists(),
        "this test drives Debian's Chromium: apt-get install chromium chromium-driver (.ci/run does)"
    );
    let sandbox = sandbox(true);
    let server = Server::start(&sandbox, &[]);
    let alice = Api::anonymous(&server).with_token(ALICE);
    // Something in every view: two cached secrets, a request waiting, an error, a finding.
    alice.call(Method::PUT, "/v1/secrets/local/app/token", &[], Some(json!({ "value": CACHED }))).await.ok();
    alice.call(Method::PUT, "/v1/secrets/local/app/other", &[], Some(json!({ "value": OTHER }))).await.ok();
    alice.call(Method::GET, "/v1/secrets/local/app/token", &[], None).await.ok();
    alice.call(Method::GET, "/v1/secrets/local/app/other", &[], None).await.ok();
    let pending = alice.call(Method::PUT, "/v1/secrets/local/prod/db", &[], Some(json!({ "value": PROPOSED }))).await;
    assert_eq!(pending.status, 202, "{}", pending.text);
    let request = pending.body["request"].as_str().expect("an id").to_owned();
    alice.call(Method::GET, "/v1/secrets/local/app/missing", &[], None).await.error(404, "not-found");
    let legacy = alice.call(Method::PUT, "/v1/secrets/local/legacy/pw", &[], Some(json!({ "value": OTHER }))).await;
    assert_eq!(legacy.status, 201, "an advisory rule only records a finding: {}", legacy.text);

    // Chromium refuses a profile path with `..` in it: both folders are given in canonical form.
    let out = workspace_root().join("target/test-output/admin");
    std::fs::create_dir_all(&out).expect("the screenshot folder");
    let out = out.canonicalize().expect("the screenshot folder");
    let profile = sandbox.path().join("chromium");
    std::fs::create_dir_all(&profile).expect("a browser profile");
    let profile = profile.canonicalize().expect("a browser profile");
    let settings = json!({
        "base": server.base, "token": BOB, "groups": "approvers", "out": out,
        "profile": profile, "clear": "local/app/token", "approve": request,
    });
    let script = workspace_root().join("tests/browser/admin_page.py");
    let run = std::process::Command::new(venv_bin("python"))
        .arg(&script)
        .arg(settings.to_string())
        .output()
        .expect("python from .venv (selenium in tests/requirements.txt)");
    assert!(
        run.status.success(),
        "the browser run failed: {}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value = serde_json::from_slice(&run.stdout).expect("the report");
    for shot in report["screenshots"].as_array().expect("screenshots") {
        let path = shot.as_str().expect("a path");
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 5_000, "a screenshot of each view: {path} ({size} bytes)");
        println!("screenshot: {path}");
    }
    let views = &report["views"];
    assert!(views["managers"].as_str().is_some_and(|t| t.contains("local") && t.contains("ok")), "{views}");
    assert!(views["cache"].as_str().is_some_and(|t| t.contains("app/token") && t.contains("app/other")), "{views}");
    assert!(views["approvals"].as_str().is_some_and(|t| t.contains(&request) && t.contains("client=alice")));
    assert!(views["errors"].as_str().is_some_and(|t| t.contains("app/missing")), "{views}");
    assert!(views["compliance"].as_str().is_some_and(|t| t.contains("min_length")), "{views}");
    assert!(views["cache-after-clear"].as_str().is_some_and(|t| !t.contains("app/token") && t.contains("app/other")));

    // No value on the page, in what it fetched, or in the browser's storage.
    let everything = report.to_string();
    for value in [CACHED, OTHER, PROPOSED] {
        assert!(!everything.contains(value), "a value reached the page");
    }
    let requests: Vec<&str> =
        report["requests"].as_array().expect("requests").iter().filter_map(Value::as_str).collect();
    assert!(requests.iter().any(|r| r.contains("/v1/cache")) && requests.iter().any(|r| r.contains("/approve")));
    for fetched in &requests {
        assert!(
            !fetched.contains("/v1/secrets/") && !fetched.contains("/v1/resolve"),
            "the page read values: {fetched}"
        );
        // The browser's own chrome:// and data: loads aside, everything goes to this service.
        let web = fetched.contains(" http://") || fetched.contains(" https://");
        assert!(!web || fetched.contains(&format!(" {}/", server.base)), "same origin only: {fetched}");
    }
    assert_eq!(report["storage"]["cookies"], "", "no cookie carries the token");
    assert_eq!(report["storage"]["local"], json!([]), "nothing kept beyond the tab");

    // What the page did, it did through the API, as bob.
    let cache = alice.call(Method::GET, "/v1/cache", &[], None).await;
    let names: Vec<&str> =
        cache.ok()["entries"].as_array().expect("entries").iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(!names.contains(&"app/token") && names.contains(&"app/other"), "{names:?}");
    let shown = alice.call(Method::GET, &format!("/v1/approvals/{request}"), &[], None).await;
    assert_eq!(shown.ok()["state"], "applied", "{}", shown.text);
    assert_eq!(shown.body["votes"][0]["approver"], "client=bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_off_by_default_and_locked_down_when_on() {
    let off = sandbox(false);
    let server = Server::start(&off, &[]);
    let status = reqwest::get(format!("{}/admin", server.base)).await.expect("a request").status();
    assert_eq!(status, 404, "no page unless serve.admin is set");
    drop(server);

    let on = sandbox(true);
    let server = Server::start(&on, &[]);
    let client = reqwest::Client::new();
    let page = client.get(format!("{}/admin", server.base)).send().await.expect("the page");
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"].to_str().expect("text");
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "{policy}");
    assert_eq!(headers["x-frame-options"], "DENY");
    let html = page.text().await.expect("html");
    assert!(!html.contains("<script>") && html.contains("src=\"/admin/app.js\""), "no inline script");
    let script = client.get(format!("{}/admin/app.js", server.base)).send().await.expect("the script");
    let script = script.text().await.expect("js");
    assert!(!script.contains("innerHTML") && !script.contains("eval("), "names and messages are text, never markup");
    // The API behind the page is no easier: another site's page is refused, with or without a token.
    let cross = client
        .post(format!("{}/v1/approvals/x/approve", server.base))
        .header("Origin", "https://evil.example")
        .bearer_auth(BOB)
        .send()
        .await
        .expect("a request");
    assert_eq!(cross.status(), 403);
    let same = client
        .get(format!("{}/v1/approvals", server.base))
        .header("Origin", server.base.clone())
        .send()
        .await
        .expect("a request");
    assert_eq!(same.status(), 401, "the page's own origin still needs a token");
}
