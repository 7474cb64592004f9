//! The kit's README documents the contract as the code defines it: its table of cases is the one
//! `contract::markdown_table` generates, its test.yaml options are exactly those `TestConfig` reads, and
//! every test.yaml it shows is one `keyway plugin test` accepts.

use keyway_conformance::{contract, TestConfig};
use std::collections::BTreeSet;

const README: &str = include_str!("../README.md");
const BEGIN: &str = "<!-- cases: generated from contract.rs by contract::markdown_table -->\n";
const END: &str = "<!-- end of cases -->";

#[test]
fn the_table_of_cases_is_the_contract() {
    let generated = contract::markdown_table();
    let documented = README.split_once(BEGIN).and_then(|(_, rest)| rest.split_once(END)).map(|(table, _)| table);
    assert!(
        documented == Some(generated.as_str()),
        "host/conformance/README.md's table of cases differs from the code; put this between the markers:\n\
         {BEGIN}{generated}{END}"
    );
}

#[test]
fn every_test_yaml_option_is_documented_and_nothing_else() {
    let probe = serde_json::from_value::<TestConfig>(serde_json::json!({ "kwct-undeclared": 1 }));
    let message = probe.err().map(|err| err.to_string()).unwrap_or_default();
    let fields: BTreeSet<&str> = message
        .split_once(", expected ")
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default();
    assert!(fields.contains("settings") && fields.contains("descriptions"), "{message}");
    let options = README.split_once("## test.yaml").map(|(_, rest)| rest).unwrap_or_default();
    let documented: BTreeSet<&str> = options
        .lines()
        .take_while(|line| !line.starts_with("## ") || line.starts_with("## test.yaml"))
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|row| row.split_once('`').map(|(key, _)| key.trim_end_matches(':')))
        .collect();
    assert_eq!(documented, fields, "the options table of README.md's 'test.yaml' section");
}

#[test]
fn every_test_yaml_shown_is_accepted() {
    let blocks: Vec<&str> =
        README.split("```yaml\n").skip(1).filter_map(|rest| rest.split_once("```")).map(|(b, _)| b).collect();
    assert!(blocks.len() >= 2, "README.md shows test.yaml files");
    for block in blocks {
        let parsed: Result<TestConfig, _> = serde_yaml::from_str(block);
        assert!(parsed.is_ok(), "{parsed:?}\n{block}");
    }
}
