//! Names that look like paths, listing filters and paging.

use super::*;
use keyway_plugin_sdk::{DeleteMode, ListRequest};

fn names_of(page: &keyway_plugin_sdk::ListPage) -> Vec<String> {
    page.secrets.iter().map(|m| m.name.clone()).collect()
}

#[test]
fn names_with_slashes_and_dots_stay_inside_the_store() {
    let f = Fixture::new();
    let long = format!("deep/{}", "x".repeat(500));
    let names = ["db/prod/password", "..", "../../escape", "a/../../b", "/etc/passwd", "./.", "sp ace/ü", &long];
    for (i, name) in names.iter().enumerate() {
        f.put(name, &format!("value-{i}"));
    }
    for (i, name) in names.iter().enumerate() {
        assert_eq!(f.text(name, &VersionSelector::Latest), format!("value-{i}"), "{name}");
    }
    let outside: Vec<_> = std::fs::read_dir(f.root.parent().expect("parent")).expect("list").flatten().collect();
    assert_eq!(outside.len(), 1, "nothing was written beside the store");
    for file in files_under(&f.root) {
        assert!(!file.contains(".."), "{file}");
    }
    let listed = names_of(&f.store.list(&ListRequest::default()).expect("list"));
    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    f.store.delete(&long, DeleteMode::Force).expect("delete the long name");
    assert_eq!(kind(f.store.get(&long, &VersionSelector::Latest).expect_err("gone")), ErrorKind::NotFound);
}

#[test]
fn paging_walks_every_match_once_in_name_order() {
    let f = Fixture::new();
    for i in 0..25 {
        f.put(&format!("app/{i:02}"), "v");
    }
    f.put("other/x", "v");
    let mut seen = Vec::new();
    let mut request = ListRequest { prefix: Some("app/".into()), page_size: Some(10), ..ListRequest::default() };
    let mut pages = 0;
    loop {
        let page = f.store.list(&request).expect("page");
        pages += 1;
        seen.extend(names_of(&page));
        match page.next_page {
            Some(token) => request.page_token = Some(token),
            None => break,
        }
    }
    let expected: Vec<String> = (0..25).map(|i| format!("app/{i:02}")).collect();
    assert_eq!((seen, pages), (expected, 3));
    let exact = ListRequest { prefix: Some("app/".into()), page_size: Some(25), ..ListRequest::default() };
    assert_eq!(f.store.list(&exact).expect("one page").next_page, None, "no empty last page");
}

#[test]
fn page_tokens_stay_valid_while_secrets_come_and_go() {
    let f = Fixture::new();
    for name in ["b", "d", "f", "h"] {
        f.put(name, "v");
    }
    let first = f.store.list(&ListRequest { page_size: Some(2), ..ListRequest::default() }).expect("page 1");
    assert_eq!(names_of(&first), ["b", "d"]);
    f.put("a", "v");
    f.put("e", "v");
    f.store.delete("f", DeleteMode::Force).expect("delete");
    let next = ListRequest { page_size: Some(2), page_token: first.next_page, ..ListRequest::default() };
    assert_eq!(names_of(&f.store.list(&next).expect("page 2")), ["e", "h"]);
    let bad = ListRequest { page_token: Some("%%%".into()), ..ListRequest::default() };
    assert_eq!(kind(f.store.list(&bad).expect_err("bad token")), ErrorKind::InvalidArgument);
}

#[test]
fn list_filters_by_tags_and_deletion() {
    let f = Fixture::new();
    let tagged = |env: &str| WriteOptions {
        tags: [("env".to_owned(), env.to_owned()), ("team".to_owned(), "core".to_owned())].into(),
        ..WriteOptions::default()
    };
    for (name, env) in [("p1", "prod"), ("p2", "prod"), ("d1", "dev")] {
        f.store.create(name, &SecretValue::text("v"), &tagged(env)).expect("create");
    }
    f.put("untagged", "v");
    f.store.delete("p2", DeleteMode::Recoverable(None)).expect("delete");
    let prod = ListRequest { tags: [("env".to_owned(), "prod".to_owned())].into(), ..ListRequest::default() };
    assert_eq!(names_of(&f.store.list(&prod).expect("prod")), ["p1"]);
    let with_deleted = ListRequest { include_deleted: true, ..prod.clone() };
    let page = f.store.list(&with_deleted).expect("with deleted");
    assert_eq!(names_of(&page), ["p1", "p2"]);
    assert!(page.secrets[1].deleted_at.is_some());
    let both = ListRequest {
        tags: [("env".to_owned(), "dev".to_owned()), ("team".to_owned(), "core".to_owned())].into(),
        ..ListRequest::default()
    };
    assert_eq!(names_of(&f.store.list(&both).expect("dev")), ["d1"]);
    let listed = f.store.list(&ListRequest::default()).expect("all");
    assert!(listed.secrets.iter().all(|m| m.version_id.is_some() && m.version_labels == ["current"]));
}
