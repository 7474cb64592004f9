//! Logging at every level shows neither key material nor values: a new store's master key is drawn from
//! WASI's random source and written through WASI's file system, both of which trace their data.

use crate::support::Sandbox;
use base64::Engine as _;

#[test]
fn a_trace_level_run_shows_no_byte_of_the_master_key_or_the_value() {
    let mut sandbox = Sandbox::new("trace-key");
    sandbox.configure("  local:\n    plugin: local\n");
    sandbox.set_env("KEYWAY_LOG", "trace");
    let value = "traced-value-5b0e7d1c";
    let put = sandbox.run(&["put", "local/db/password", value]);
    put.ok();
    let get = sandbox.run(&["get", "local/db/password"]);
    assert_eq!(get.ok(), value);
    let key_text = std::fs::read_to_string(sandbox.home().join("data/local/master.key")).expect("the store's key");
    let key = base64::engine::general_purpose::STANDARD.decode(key_text.trim()).expect("a base64 key");
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let decimals = format!("{:?}", &key[..8]);
    let words: Vec<String> =
        key.chunks(8).map(|chunk| u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])).to_string()).collect();
    let logs = format!("{}\n{}", put.stderr, get.stderr);
    assert!(logs.lines().count() > 10, "trace logging is on: {logs}");
    for needle in [key_text.trim(), hex.as_str(), &hex.to_uppercase(), decimals.trim_matches(['[', ']']), value]
        .into_iter()
        .chain(words.iter().map(String::as_str))
    {
        assert!(!logs.contains(needle), "'{needle}' is in the trace logs");
    }
}
