use super::*;

fn only(source: &str) -> SecretRef {
    let template = parse(source).expect("parses");
    let refs: Vec<_> = template.placeholders().map(|(_, reference)| reference.clone()).collect();
    assert_eq!(refs.len(), 1, "one placeholder in {source}");
    refs.into_iter().next().expect("one placeholder")
}

fn reason(source: &str) -> ParseErrorReason {
    parse(source).expect_err("malformed").reason
}

fn secret(manager: Option<&str>, path: &str, key: KeySpec, selector: VersionSelector) -> SecretRef {
    SecretRef { manager: manager.map(str::to_owned), path: path.to_owned(), key, selector, namespace: None }
}

#[test]
fn canonical_forms() {
    assert_eq!(only("${secret:aws/db}"), secret(Some("aws"), "db", KeySpec::LastSegment, VersionSelector::Latest));
    assert_eq!(
        only("${secret:aws/prod/db/password}"),
        secret(Some("aws"), "prod/db/password", KeySpec::LastSegment, VersionSelector::Latest)
    );
    assert_eq!(
        only("${secret:aws/db?version=3f2a}"),
        secret(Some("aws"), "db", KeySpec::LastSegment, VersionSelector::Id("3f2a".into()))
    );
    assert_eq!(
        only("${secret:aws/db?label=AWSPREVIOUS&key=password}"),
        secret(Some("aws"), "db", KeySpec::Explicit("password".into()), VersionSelector::Label("AWSPREVIOUS".into()))
    );
}

#[test]
fn kestra_forms() {
    assert_eq!(
        only("{{ secret('GITHUB_TOKEN') }}"),
        secret(None, "GITHUB_TOKEN", KeySpec::None, VersionSelector::Latest)
    );
    assert_eq!(
        only(r#"{{secret("db/creds", subkey='user', manager="vault", label='AWSCURRENT')}}"#),
        secret(
            Some("vault"),
            "db/creds",
            KeySpec::Explicit("user".into()),
            VersionSelector::Label("AWSCURRENT".into())
        )
    );
    assert_eq!(
        only("{{ secret( 'a' , version = 'v1' ) }}"),
        secret(None, "a", KeySpec::None, VersionSelector::Id("v1".into()))
    );
}

#[test]
fn embedded_placeholders_keep_the_text_around_them() {
    let source = "Bearer ${secret:aws/token} for {{ secret('user') }}!";
    let template = parse(source).expect("parses");
    assert_eq!(template.parts.len(), 5);
    assert_eq!(template.literal_text(source), "Bearer  for !");
    assert!(!template.is_single_placeholder());
    assert!(parse("${secret:aws/token}").expect("parses").is_single_placeholder());
}

#[test]
fn other_templates_and_dollars_are_text() {
    for text in ["{{ inputs.x }}", "{{ secrets.x }}", "$HOME ${env:X} ${secretx}", "{", "$", "{{", "plain", ""] {
        let template = parse(text).expect("parses");
        assert!(!template.has_placeholders(), "{text}");
        assert_eq!(template.literal_text(text), text);
    }
}

#[test]
fn the_escape_is_a_literal_opening() {
    let source = "literal $${secret:aws/db} and ${secret:aws/db}";
    let template = parse(source).expect("parses");
    assert_eq!(template.placeholders().count(), 1);
    assert_eq!(template.literal_text(source), "literal ${secret:aws/db} and ");
    assert_eq!(parse("$$${secret:a/b}").expect("parses").literal_text("$$${secret:a/b}"), "$${secret:a/b}");
}

#[test]
fn malformed_placeholders_say_what_is_wrong() {
    assert_eq!(reason("${secret:aws/db"), ParseErrorReason::Unterminated);
    assert_eq!(reason("${secret:db}"), ParseErrorReason::MissingName);
    assert_eq!(reason("${secret:/db}"), ParseErrorReason::MissingManager);
    assert_eq!(reason("${secret:aws/}"), ParseErrorReason::MissingName);
    assert_eq!(reason("${secret:aws/a//b}"), ParseErrorReason::EmptySegment);
    assert_eq!(reason("${secret:aws/a/}"), ParseErrorReason::EmptySegment);
    assert_eq!(reason("${secret:aws/a b}"), ParseErrorReason::InvalidCharacter { character: ' ', field: "name" });
    assert_eq!(reason("${secret:a ws/b}"), ParseErrorReason::InvalidCharacter { character: ' ', field: "manager" });
    assert_eq!(reason("${secret:aws/a?stage=x}"), ParseErrorReason::UnknownParameter("stage".into()));
    assert_eq!(reason("${secret:aws/a?version=}"), ParseErrorReason::EmptyParameter("version".into()));
    assert_eq!(reason("${secret:aws/a?version=1&label=x}"), ParseErrorReason::ConflictingSelectors);
    assert_eq!(reason("${secret:aws/a?key=x&key=y}"), ParseErrorReason::DuplicateParameter("key".into()));
    assert_eq!(
        reason("${secret:aws/${secret:aws/b}}"),
        ParseErrorReason::InvalidCharacter { character: '{', field: "name" }
    );
    assert_eq!(reason("{{ secret('a') "), ParseErrorReason::Unterminated);
    assert_eq!(reason("{{ secret(a) }}"), ParseErrorReason::Expected("a quoted string"));
    assert_eq!(reason("{{ secret('a', ns='x') }}"), ParseErrorReason::UnknownParameter("ns".into()));
    assert_eq!(reason("{{ secret('a') | upper }}"), ParseErrorReason::Expected("`}}`"));
    assert_eq!(
        reason("{{ secret('a', subkey='x', subkey='y') }}"),
        ParseErrorReason::DuplicateParameter("subkey".into())
    );
}

#[test]
fn error_offsets_point_into_the_string() {
    let error = parse("abc ${secret:aws/a b}").expect_err("malformed");
    assert_eq!(error.offset, 18);
    assert_eq!(error.to_string(), "at byte 18: character ' ' is not allowed in the name");
}

#[test]
fn display_is_the_canonical_form() {
    assert_eq!(
        only("{{ secret('db', subkey='user', manager='aws', version='v2') }}").to_string(),
        "${secret:aws/db?version=v2&key=user}"
    );
}

#[test]
fn kestra_namespaces() {
    let reference = only("{{ secret('db', namespace='company.team', subkey='password') }}");
    assert_eq!(reference.namespace.as_deref(), Some("company.team"));
    assert_eq!((reference.path.as_str(), &reference.key), ("db", &KeySpec::Explicit("password".into())));
    assert_eq!(only("{{ secret(\"db\", namespace=\"a-b.c_d\") }}").namespace.as_deref(), Some("a-b.c_d"));
    assert_eq!(only("{{ secret('db') }}").namespace, None);
    for bad in [
        "{{ secret('db', namespace='') }}",
        "{{ secret('db', namespace='a..b') }}",
        "{{ secret('db', namespace='a/b') }}",
    ] {
        assert!(matches!(reason(bad), ParseErrorReason::Expected(_)), "{bad}");
    }
    assert!(matches!(
        reason("{{ secret('db', namespace='a', namespace='b') }}"),
        ParseErrorReason::DuplicateParameter(_)
    ));
}

#[test]
fn namespaces_are_searched_nearest_first() {
    let layout = crate::manager::NamespaceLayout { layout: "{namespace}/{name}".into(), inherit: true };
    assert_eq!(layout.names("company.team.sub", "db"), ["company.team.sub/db", "company.team/db", "company/db"]);
    let flat = crate::manager::NamespaceLayout { layout: "kestra/{namespace}/{name}".into(), inherit: false };
    assert_eq!(flat.names("company.team", "db"), ["kestra/company.team/db"]);
}
