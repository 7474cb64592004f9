//! The contract cases. Each creates its own secrets with fresh names and values.

use crate::checks::{ensure, expect_kind, same_value, step, CaseResult};
use crate::contract::{CURRENT_LABEL, DESCRIPTION, TAGS, VERSION_HISTORY};
use crate::suite::Ctx;
use keyway_types::{
    DeleteMode, ErrorKind, ListRequest, Operation, SecretValue, Tags, UpdateRequest, VersionSelector, WriteOptions,
};

const LATEST: VersionSelector = VersionSelector::Latest;

async fn create(c: &Ctx<'_>, name: &str, value: &SecretValue, options: &WriteOptions) -> CaseResult {
    step("create", c.observe(c.conn.create(name, value, options).await)).map(|_| ())
}

async fn read(c: &Ctx<'_>, name: &str, selector: &VersionSelector) -> Result<SecretValue, String> {
    step(&format!("get {selector}"), c.observe(c.conn.get(name, selector).await)).map(|s| s.value)
}

pub async fn declares_read(c: &Ctx<'_>) -> CaseResult {
    ensure(c.caps.read, || "a provider must at least declare `read`".into())
}

pub async fn not_found(c: &Ctx<'_>) -> CaseResult {
    let name = c.name("missing");
    expect_kind("get of a missing secret", c.observe(c.conn.get(&name, &LATEST).await), ErrorKind::NotFound)?;
    expect_kind("describe of a missing secret", c.observe(c.conn.describe(&name, &LATEST).await), ErrorKind::NotFound)
}

pub async fn text_round_trip(c: &Ctx<'_>) -> CaseResult {
    let (name, value) = (c.name("text"), c.text_value());
    create(c, &name, &value, &WriteOptions::default()).await?;
    let secret = step("get", c.observe(c.conn.get(&name, &LATEST).await))?;
    same_value("get latest", &secret.value, &value)?;
    ensure(!secret.value.is_binary(), || "a text value came back as binary".into())?;
    ensure(secret.metadata.name == name, || format!("metadata names '{}', expected '{name}'", secret.metadata.name))?;
    ensure(secret.metadata.enabled, || "a new secret is not enabled".into())
}

pub async fn binary_round_trip(c: &Ctx<'_>) -> CaseResult {
    let (name, value) = (c.name("binary"), c.binary_value());
    create(c, &name, &value, &WriteOptions::default()).await?;
    let got = read(c, &name, &LATEST).await?;
    ensure(got.is_binary(), || "a binary value came back as text".into())?;
    same_value("get latest", &got, &value)
}

pub async fn already_exists(c: &Ctx<'_>) -> CaseResult {
    let (name, first, second) = (c.name("exists"), c.text_value(), c.text_value());
    create(c, &name, &first, &WriteOptions::default()).await?;
    let again = c.observe(c.conn.create(&name, &second, &WriteOptions::default()).await);
    expect_kind("create of an existing name without overwrite", again, ErrorKind::AlreadyExists)?;
    same_value("get after the refused create", &read(c, &name, &LATEST).await?, &first)?;
    create(c, &name, &second, &WriteOptions { overwrite: true, ..WriteOptions::default() }).await?;
    same_value("get after create with overwrite", &read(c, &name, &LATEST).await?, &second)
}

pub async fn update_and_versions(c: &Ctx<'_>) -> CaseResult {
    let (name, old, new) = (c.name("update"), c.text_value(), c.text_value());
    create(c, &name, &old, &WriteOptions::default()).await?;
    let first_version = step("describe", c.observe(c.conn.describe(&name, &LATEST).await))?.version_id;
    let request = UpdateRequest { value: Some(new.clone()), ..UpdateRequest::default() };
    step("update", c.observe(c.conn.update(&name, &request).await))?;
    same_value("get latest after update", &read(c, &name, &LATEST).await?, &new)?;
    if !c.part(&VERSION_HISTORY) {
        return Ok(());
    }
    let versions = step("versions", c.observe(c.conn.versions(&name).await))?;
    ensure(versions.len() >= 2, || format!("versions lists {} versions after an update, expected 2", versions.len()))?;
    let old_id = first_version.ok_or("describe returned no version id, but versions are declared")?;
    ensure(versions.iter().any(|v| v.version_id == old_id), || format!("versions does not list '{old_id}'"))?;
    same_value("get of the first version id", &read(c, &name, &VersionSelector::Id(old_id)).await?, &old)?;
    let missing = c.observe(c.conn.get(&name, &VersionSelector::Id("no-such-version-0000".into())).await);
    match missing {
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::InvalidArgument) => Ok(()),
        Err(err) => Err(format!("get of a missing version failed with {:?}, expected NotFound", err.kind())),
        Ok(_) => Err("get of a missing version id succeeded".into()),
    }
}

pub async fn labels(c: &Ctx<'_>) -> CaseResult {
    let (name, old, new) = (c.name("labels"), c.text_value(), c.text_value());
    create(c, &name, &old, &WriteOptions::default()).await?;
    step(
        "update",
        c.observe(c.conn.update(&name, &UpdateRequest { value: Some(new.clone()), ..Default::default() }).await),
    )?;
    if let Some(previous) = &c.options.previous_label {
        same_value(
            "get by the previous label",
            &read(c, &name, &VersionSelector::Label(previous.clone())).await?,
            &old,
        )?;
    }
    let (true, Some(current)) = (c.part(&CURRENT_LABEL), c.options.current_label.clone()) else {
        return Ok(());
    };
    same_value("get by the current label", &read(c, &name, &VersionSelector::Label(current)).await?, &new)
}

pub async fn probe(c: &Ctx<'_>) -> CaseResult {
    let name = c.name("probe");
    create(c, &name, &c.text_value(), &WriteOptions::default()).await?;
    let secret = step("get", c.observe(c.conn.get(&name, &LATEST).await))?;
    let before = step("describe", c.observe(c.conn.describe(&name, &LATEST).await))?;
    ensure(before.version_id.is_some(), || "describe returned no version id, but probe is declared".into())?;
    ensure(before.version_id == secret.metadata.version_id, || {
        format!("describe reports version {:?}, get reports {:?}", before.version_id, secret.metadata.version_id)
    })?;
    step(
        "update",
        c.observe(c.conn.update(&name, &UpdateRequest { value: Some(c.text_value()), ..Default::default() }).await),
    )?;
    let after = step("describe", c.observe(c.conn.describe(&name, &LATEST).await))?;
    ensure(after.version_id != before.version_id, || "describe reports the same version after an update".into())
}

pub async fn description_and_tags(c: &Ctx<'_>) -> CaseResult {
    let name = c.name("attrs");
    let (described, tagged) = (c.part(&DESCRIPTION), c.part(&TAGS));
    let mut tags = Tags::new();
    if tagged {
        tags.insert("team".into(), "payments".into());
        tags.insert("env".into(), "test".into());
    }
    let description = described.then(|| "conformance secret".to_owned());
    let options = WriteOptions { description, tags, ..WriteOptions::default() };
    create(c, &name, &c.text_value(), &options).await?;
    let meta = step("describe", c.observe(c.conn.describe(&name, &LATEST).await))?;
    if described {
        ensure(meta.description.as_deref() == Some("conformance secret"), || {
            format!("description is {:?}", meta.description)
        })?;
    }
    if !tagged {
        return Ok(());
    }
    ensure(meta.tags.get("team").map(String::as_str) == Some("payments"), || format!("tags are {:?}", meta.tags))?;
    let mut set_tags = Tags::new();
    set_tags.insert("owner".into(), "ops".into());
    let request = UpdateRequest { set_tags, remove_tags: vec!["env".into()], ..UpdateRequest::default() };
    step("update tags", c.observe(c.conn.update(&name, &request).await))?;
    let meta = step("describe", c.observe(c.conn.describe(&name, &LATEST).await))?;
    ensure(meta.tags.get("owner").map(String::as_str) == Some("ops"), || format!("set tag missing: {:?}", meta.tags))?;
    ensure(!meta.tags.contains_key("env"), || format!("removed tag still present: {:?}", meta.tags))
}

pub async fn list_prefix_paging(c: &Ctx<'_>) -> CaseResult {
    let prefix = c.styled(&format!("{}{}-list-", c.options.name_prefix, c.run_id()));
    let mut expected = Vec::new();
    for i in 0..3 {
        let name = c.name(&format!("list-{i}"));
        create(c, &name, &c.text_value(), &WriteOptions::default()).await?;
        expected.push(name);
    }
    let mut seen = Vec::new();
    let mut request = ListRequest { prefix: Some(prefix), page_size: Some(2), ..ListRequest::default() };
    for _ in 0..10 {
        let page = step("list", c.observe(c.conn.list(&request).await))?;
        seen.extend(page.secrets.into_iter().map(|m| m.name));
        match page.next_page {
            Some(token) => request.page_token = Some(token),
            None => break,
        }
    }
    seen.sort();
    ensure(seen == expected, || format!("listing by prefix with pages of 2 found {seen:?}, expected {expected:?}"))
}

pub async fn list_tag_filter(c: &Ctx<'_>) -> CaseResult {
    let (tagged, untagged) = (c.name("tagged"), c.name("untagged"));
    let mut tags = Tags::new();
    tags.insert("kwct-run".into(), c.run_id().into());
    create(c, &tagged, &c.text_value(), &WriteOptions { tags: tags.clone(), ..Default::default() }).await?;
    create(c, &untagged, &c.text_value(), &WriteOptions::default()).await?;
    let mut names = Vec::new();
    let mut request = ListRequest { tags, ..ListRequest::default() };
    for _ in 0..50 {
        let page = step("list by tag", c.observe(c.conn.list(&request).await))?;
        names.extend(page.secrets.into_iter().map(|m| m.name));
        match page.next_page {
            Some(token) => request.page_token = Some(token),
            None => break,
        }
    }
    ensure(names == vec![tagged.clone()], || format!("listing by tag found {names:?}, expected only '{tagged}'"))
}

pub async fn get_many(c: &Ctx<'_>) -> CaseResult {
    let (name, value, missing) = (c.name("many"), c.text_value(), c.name("many-missing"));
    create(c, &name, &value, &WriteOptions::default()).await?;
    let results = step("get-many", c.observe(c.conn.get_many(&[name.clone(), missing]).await))?;
    ensure(results.len() == 2, || format!("get-many returned {} results for 2 names", results.len()))?;
    match &results[0] {
        Ok(secret) => same_value("get-many first result", &secret.value, &value)?,
        Err(err) => return Err(format!("get-many could not read an existing secret: {err}")),
    }
    match &results[1] {
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
        other => Err(format!(
            "get-many of a missing name returned {:?}, expected NotFound",
            other.as_ref().map(|_| "a secret")
        )),
    }
}

pub async fn delete_and_restore(c: &Ctx<'_>) -> CaseResult {
    let (name, value) = (c.name("restore"), c.text_value());
    create(c, &name, &value, &WriteOptions::default()).await?;
    step("recoverable delete", c.observe(c.conn.delete(&name, DeleteMode::Recoverable(None)).await))?;
    match c.observe(c.conn.get(&name, &LATEST).await) {
        Err(err) if matches!(err.kind(), ErrorKind::NotFound | ErrorKind::Conflict) => {}
        Err(err) => {
            return Err(format!("get of a deleted secret failed with {:?}, expected NotFound or Conflict", err.kind()))
        }
        Ok(_) => return Err("get of a deleted secret succeeded".into()),
    }
    step("restore", c.observe(c.conn.restore(&name).await))?;
    same_value("get after restore", &read(c, &name, &LATEST).await?, &value)?;
    step("recoverable delete", c.observe(c.conn.delete(&name, DeleteMode::Recoverable(None)).await))?;
    let recovered = WriteOptions { recover_deleted: true, overwrite: true, ..WriteOptions::default() };
    let newer = c.text_value();
    create(c, &name, &newer, &recovered).await?;
    same_value("get after a write with recover-deleted", &read(c, &name, &LATEST).await?, &newer)
}

pub async fn force_delete(c: &Ctx<'_>) -> CaseResult {
    let name = c.name("force");
    create(c, &name, &c.text_value(), &WriteOptions::default()).await?;
    step("force delete", c.observe(c.conn.delete(&name, DeleteMode::Force).await))?;
    expect_kind("get after force delete", c.observe(c.conn.get(&name, &LATEST).await), ErrorKind::NotFound)
}

pub async fn undeclared_unsupported(c: &Ctx<'_>) -> CaseResult {
    let name = c.name("undeclared");
    let undeclared = |op: Operation| !c.caps.allows(op);
    if undeclared(Operation::Create) {
        let result = c.conn.create(&name, &c.text_value(), &WriteOptions::default()).await;
        expect_kind("create (undeclared)", c.observe(result), ErrorKind::Unsupported)?;
    }
    if undeclared(Operation::Delete) {
        expect_kind(
            "delete (undeclared)",
            c.observe(c.conn.delete(&name, DeleteMode::Force).await),
            ErrorKind::Unsupported,
        )?;
    }
    if undeclared(Operation::Restore) {
        expect_kind("restore (undeclared)", c.observe(c.conn.restore(&name).await), ErrorKind::Unsupported)?;
    }
    if undeclared(Operation::List) {
        expect_kind(
            "list (undeclared)",
            c.observe(c.conn.list(&ListRequest::default()).await),
            ErrorKind::Unsupported,
        )?;
    }
    if undeclared(Operation::Versions) {
        expect_kind("versions (undeclared)", c.observe(c.conn.versions(&name).await), ErrorKind::Unsupported)?;
    }
    Ok(())
}

pub async fn invalid_name(c: &Ctx<'_>) -> CaseResult {
    let name = c.options.invalid_name.clone().unwrap_or_default();
    expect_kind("get of an invalid name", c.observe(c.conn.get(&name, &LATEST).await), ErrorKind::InvalidArgument)
}
