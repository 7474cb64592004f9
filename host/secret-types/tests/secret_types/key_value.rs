//! `key-value` and `basic-auth`: JSON objects of strings.

use crate::common::{refused, valid};
use keyway_secret_types::SecretType;
use keyway_types::SecretValue;

#[test]
fn key_value_objects_of_strings() {
    let facts = valid(SecretType::KeyValue, &SecretValue::text(r#"{"host":"db","port":"5432","note":""}"#));
    assert_eq!((facts.format, facts.fields), (Some("json"), Some(3)));
    valid(SecretType::KeyValue, &SecretValue::text(" {\n  \"a\": \"\\u00e9\\n\"\n}\n"));
}

#[test]
fn key_value_refusals_point_at_fields_by_position() {
    let cases = [
        (r#"{"host":"db","port":5432}"#, "the value of field number 2 is a number, not a string; quote it"),
        (r#"{"on":true}"#, "field number 1 is true or false"),
        (r#"{"a":"x","b":null}"#, "field number 2 is null"),
        (r#"{"a":["x"]}"#, "field number 1 is an array"),
        (r#"{"a":{"b":"c"}}"#, "field number 1 is an object"),
        (r#"{}"#, "the object has no fields"),
        (r#"["a","b"]"#, "the value is an array, not a JSON object"),
        (r#""text""#, "the value is a string, not a JSON object"),
        (r#"{"a":"x","a":"y"}"#, "field number 2 repeats the name of field number 1"),
        (r#"{"":"x"}"#, "field number 1 has an empty name"),
        (r#"{"a":"x""#, "the value is not valid JSON: it ends too early"),
        (r#"{"a":'x'}"#, "the value is not valid JSON (line 1, column 6)"),
        ("", "the value is not valid JSON"),
    ];
    for (text, expected) in cases {
        let message = refused(SecretType::KeyValue, &SecretValue::text(text));
        assert!(message.contains(expected), "{expected}: {message}");
        assert!(message.starts_with("type key-value needs a JSON object whose values are all strings; "), "{message}");
    }
    assert!(refused(SecretType::KeyValue, &SecretValue::binary(b"{}".to_vec())).contains("the value is binary"));
}

#[test]
fn basic_auth_needs_username_and_password() {
    let facts = valid(SecretType::BasicAuth, &SecretValue::text(r#"{"username":"etl","password":"pw","host":"db"}"#));
    assert_eq!(facts.fields, Some(3));
    let cases = [
        (r#"{"username":"etl"}"#, "field `password` is missing"),
        (r#"{"password":"pw"}"#, "field `username` is missing"),
        (r#"{"username":"","password":"pw"}"#, "field `username` is empty"),
        (r#"{"username":"etl","password":""}"#, "field `password` is empty"),
        (r#"{"username":"etl","password":1234}"#, "field `password` is a number, not a string"),
        (r#"{"username":"etl","password":"pw","port":5432}"#, "the value of field number 3 is a number"),
        (r#"{"username":"a","username":"b","password":"pw"}"#, "field `username` repeats the name of field number 1"),
    ];
    for (text, expected) in cases {
        let message = refused(SecretType::BasicAuth, &SecretValue::text(text));
        assert!(message.contains(expected), "{expected}: {message}");
    }
    assert_eq!(
        refused(SecretType::BasicAuth, &SecretValue::text(r#"{"username":"etl"}"#)),
        "type basic-auth needs a JSON object with string fields `username` and `password`; field `password` is missing"
    );
}
