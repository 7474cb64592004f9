use super::*;
use crate::model::VaultRef;

fn item(category: &str, fields: Vec<Field>) -> Item {
    Item {
        id: "i".into(),
        title: "t".into(),
        vault: VaultRef { id: "v".into() },
        category: category.into(),
        tags: Vec::new(),
        version: 1,
        state: None,
        created_at: None,
        updated_at: None,
        fields,
        rest: Map::new(),
    }
}

fn text(decoded: &Decoded) -> &str {
    decoded.value.expose_text().unwrap_or("<binary>")
}

fn written(value: &str, category: &str, existing: &[Field]) -> Result<Item, ProviderError> {
    Ok(item(category, encode(&SecretValue::text(value), category, existing)?))
}

#[test]
fn a_lone_primary_field_is_text_and_notes_are_the_description() {
    let password = Field::new(Some("password"), "CONCEALED", Some("PASSWORD"), "password", "pw");
    let decoded = decode(&item("PASSWORD", vec![password.clone(), notes_field("db password")]));
    assert_eq!(text(&decoded), "pw");
    assert_eq!(decoded.description.as_deref(), Some("db password"));
    assert!(!decoded.several_fields);
    let credential = Field::new(Some("credential"), "CONCEALED", None, "credential", "key");
    assert_eq!(text(&decode(&item("API_CREDENTIAL", vec![credential]))), "key");
    let note = decode(&item("SECURE_NOTE", vec![notes_field("line 1\nline 2")]));
    assert_eq!((text(&note), note.description.as_deref()), ("line 1\nline 2", None));
}

#[test]
fn several_fields_are_a_json_object_of_labels() -> Result<(), serde_json::Error> {
    let fields = vec![
        Field::new(Some("username"), "STRING", Some("USERNAME"), "username", "app"),
        Field::new(Some("password"), "CONCEALED", Some("PASSWORD"), "password", "pw"),
        Field::new(Some("x1"), "STRING", None, "host", "db"),
        Field::new(Some("x2"), "STRING", None, "host", "replica"),
        Field::new(Some("empty"), "STRING", None, "unused", ""),
        notes_field("login"),
    ];
    let decoded = decode(&item("LOGIN", fields));
    assert!(decoded.several_fields);
    let object: Map<String, Value> = serde_json::from_str(text(&decoded))?;
    let expected = serde_json::json!({"username": "app", "password": "pw", "host": "db", "host#x2": "replica"});
    assert_eq!(Value::Object(object), expected);
    let lone_custom = decode(&item("PASSWORD", vec![Field::new(Some("k"), "STRING", None, "api-key", "v")]));
    assert_eq!(text(&lone_custom), r#"{"api-key":"v"}"#, "a lone non-primary field keeps its key");
    Ok(())
}

#[test]
fn values_written_read_back_unchanged() -> Result<(), ProviderError> {
    for (value, category) in [
        ("plain", "PASSWORD"),
        ("{not json", "PASSWORD"),
        ("{}", "LOGIN"),
        (r#"{"token":"t"}"#, "PASSWORD"),
        (r#"{"host":"h","port":"5432"}"#, "DATABASE"),
        (r#"{"password":"p","username":"u"}"#, "LOGIN"),
        ("key", "API_CREDENTIAL"),
        ("note text", "SECURE_NOTE"),
    ] {
        assert_eq!(text(&decode(&written(value, category, &[])?)), value, "{value} in {category}");
    }
    let login = written(r#"{"password":"p","username":"u"}"#, "LOGIN", &[])?;
    let purposes: Vec<&str> = login.fields.iter().map(Field::purpose).collect();
    assert_eq!(purposes, vec!["PASSWORD", "USERNAME"], "login fields get their autofill purposes");
    let numbers = written(r#"{"port":5432,"tls":true}"#, "PASSWORD", &[])?;
    assert_eq!(text(&decode(&numbers)), r#"{"port":"5432","tls":"true"}"#);
    Ok(())
}

#[test]
fn a_new_value_keeps_field_identity_notes_and_template_fields() -> Result<(), ProviderError> {
    let mut password = Field::new(Some("password"), "CONCEALED", Some("PASSWORD"), "password", "old");
    password.rest.insert("entropy".into(), Value::from(20.5));
    password.rest.insert("section".into(), serde_json::json!({"id": "s"}));
    let existing = vec![
        Field::new(Some("username"), "STRING", Some("USERNAME"), "username", "app"),
        password,
        Field::new(Some("otp"), "OTP", None, "one-time password", ""),
        notes_field("kept"),
    ];
    let updated = written("new", "LOGIN", &existing)?;
    let ids: Vec<&str> = updated.fields.iter().filter_map(|f| f.id.as_deref()).collect();
    assert_eq!(ids, vec!["otp", "notesPlain", "password"], "the username was part of the old value");
    let new = updated.fields.iter().find(|f| f.id.as_deref() == Some("password")).map(|f| f.rest.clone());
    assert_eq!(new.map(|rest| rest.contains_key("section") && !rest.contains_key("entropy")), Some(true));
    let decoded = decode(&updated);
    assert_eq!((text(&decoded), decoded.description.as_deref()), ("new", Some("kept")));
    Ok(())
}

#[test]
fn binary_values_and_empty_keys_are_refused() {
    let binary = encode(&SecretValue::binary(vec![0u8, 255]), "PASSWORD", &[]);
    assert!(matches!(binary, Err(ProviderError::InvalidArgument(m)) if m.contains("base64")));
    assert!(encode(&SecretValue::text(r#"{"":"x"}"#), "PASSWORD", &[]).is_err());
    let mut fields = Vec::new();
    assert!(set_description("SECURE_NOTE", &mut fields, "d").is_err());
    assert!(set_description("LOGIN", &mut fields, "d").is_ok() && fields.len() == 1);
}
