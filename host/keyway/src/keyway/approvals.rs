//! The approval workflow: a change of a bound secret that its profile's policy gates is not made but kept as
//! a request — the proposed value sealed in the catalog — until a quorum of distinct approvers (members of
//! the policy's groups, not the requester unless the policy allows it) approve it; then exactly one node
//! claims it and applies it as the requester, through the same checks as any write. One rejection ends it;
//! a request past its lifetime lapses. The proposed value is wiped when the request ends. Every step is
//! audited (`approval-request`, `approval-show`, `approve`, `reject`, `approval-apply`, `approval-expire`).

use super::profiles::{Bound, Via};
use super::records::now_ms;
use super::Keyway;
use crate::config::{ApprovalPolicy, GatedOperation};
use crate::error::KeywayError;
use keyway_catalog::{Approval, NewApproval};
use keyway_resolve::{AuditRecord, Identity};
use keyway_types::{DeleteMode, SecretValue, Tags, Timestamp, UpdateRequest, WriteOptions};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// How long after a failed attempt an approved change is applied again by the scheduler.
const RETRY_APPLY_MS: i64 = 60_000;

/// How long a request waits unless its policy says otherwise.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Who a caller is, for approvals: the authenticated client (`client=NAME`) when a front end set one, else
/// the operating-system user running keyway (`uid=N`). Approvers are counted, and self-approval refused,
/// by this.
pub fn principal(identity: &Identity) -> String {
    match &identity.client {
        Some(client) => format!("client={client}"),
        None => format!("uid={}", rustix::process::geteuid().as_raw()),
    }
}

/// What a request changes besides the value, and as whom it is applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposedChange {
    /// The requester's identity: the change is applied as them, through the same access checks.
    pub identity: Identity,
    /// A create's options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<WriteOptions>,
    /// An update's changes (the value apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<ProposedUpdate>,
    /// A delete's mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DeleteMode>,
    /// A change of source's new source manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_source: Option<String>,
}

/// An update's changes, the value apart.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProposedUpdate {
    /// Whether the update writes a new value (kept sealed apart).
    pub value: bool,
    /// A new description.
    pub description: Option<String>,
    /// A new expiry.
    pub expires_at: Option<Timestamp>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// A new encryption key.
    pub kms_key_id: Option<String>,
    /// Tags set.
    pub set_tags: Tags,
    /// Tags removed.
    pub remove_tags: Vec<String>,
}

impl ProposedUpdate {
    pub(crate) fn of(request: &UpdateRequest) -> Self {
        Self {
            value: request.value.is_some(),
            description: request.description.clone(),
            expires_at: request.expires_at,
            enabled: request.enabled,
            kms_key_id: request.kms_key_id.clone(),
            set_tags: request.set_tags.clone(),
            remove_tags: request.remove_tags.clone(),
        }
    }

    fn into_request(self, value: Option<SecretValue>) -> UpdateRequest {
        UpdateRequest {
            value,
            description: self.description,
            expires_at: self.expires_at,
            enabled: self.enabled,
            kms_key_id: self.kms_key_id,
            set_tags: self.set_tags,
            remove_tags: self.remove_tags,
        }
    }
}

/// A request as approvers see it.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalView {
    /// The request: secret, operation, state, requester, fingerprint of the proposed value, votes.
    #[serde(flatten)]
    pub request: Approval,
    /// What changes besides the value.
    pub change: ProposedChange,
    /// The approvals it needs.
    pub quorum: usize,
    /// The groups whose members approve.
    pub groups: Vec<String>,
    /// The fingerprint of the secret's current version, as keyway recorded it.
    pub current_fingerprint: Option<String>,
    /// The type of the secret.
    pub secret_type: Option<String>,
}

/// What an approval did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ApprovalOutcome {
    /// The vote counted; more are needed.
    Waiting {
        /// Approvals so far.
        approvals: usize,
        /// Approvals needed.
        quorum: usize,
    },
    /// The quorum was reached and this call applied the change.
    Applied,
    /// The quorum was reached and another call (perhaps on another node) applies it.
    AppliedElsewhere,
}

/// A proposed value, shown to an approver when the policy reveals values.
pub struct RevealedValue(pub SecretValue);

impl std::fmt::Debug for RevealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedValue(******)")
    }
}

impl Keyway {
    /// The policy gating `operation` on `bound`'s profile, when there is one.
    pub(crate) fn gate(&self, bound: Option<&Bound>, operation: GatedOperation, via: Via) -> Option<&ApprovalPolicy> {
        if via != Via::Caller {
            return None;
        }
        let policy = self.profiles.get(&bound?.profile)?.approval.as_ref()?;
        policy.operations.contains(&operation).then_some(policy)
    }

    /// Opens a request for a gated change instead of making it; always returns
    /// [`KeywayError::PendingApproval`] (or why the request could not be opened).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn request_approval(
        &self,
        identity: &Identity,
        bound: &Bound,
        policy: &ApprovalPolicy,
        operation: GatedOperation,
        manager: &str,
        name: &str,
        value: Option<&SecretValue>,
        change: ProposedChange,
    ) -> KeywayError {
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "approval-request", manager, name);
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            let catalog = self.catalog_for_profiles().await?;
            let secret_type = change.options.as_ref().and_then(|options| options.secret_type.clone());
            let secret_type = match secret_type {
                Some(found) => Some(found),
                None => catalog.secret(manager, name).await.ok().flatten().and_then(|entry| entry.secret_type),
            };
            let fingerprint = value.map(|value| catalog.key().fingerprint(secret_type.as_deref(), value));
            let change_json = serde_json::to_string(&change)
                .map_err(|err| KeywayError::Catalog(format!("cannot encode a request: {err}")))?;
            let lifetime = policy.lifetime.unwrap_or(DEFAULT_LIFETIME);
            let requester = principal(identity);
            let request = NewApproval {
                profile: &bound.profile,
                manager,
                name,
                operation: operation.as_str(),
                requester: &requester,
                change_json: &change_json,
                fingerprint: fingerprint.as_ref(),
                expires_at: now_ms() as i64 + super::records::millis(lifetime) as i64,
            };
            catalog.open_approval(&request, value).await.map_err(|err| KeywayError::Catalog(err.to_string()))
        }
        .await;
        if let Ok(id) = &result {
            record.detail = Some(format!("request={id}, operation={}", operation.as_str()));
        }
        let audited = match &result {
            Ok(_) => {
                record.outcome = "pending";
                self.resolver.auditor().record(record);
                self.confirm_audit().await
            }
            Err(_) => self.audit(record, &result).await,
        };
        if let Err(error) = audited {
            return error;
        }
        if result.is_ok() {
            self.metrics().approval("requested");
        }
        match result {
            Ok(id) => KeywayError::PendingApproval {
                request: id,
                profile: bound.profile.clone(),
                operation: operation.as_str(),
                reference: format!("{manager}/{name}"),
                quorum: policy.quorum,
                groups: policy.groups.join(", "),
            },
            Err(error) => error,
        }
    }

    /// Requests in `state` (all when `None`), newest first, for secrets `identity` may use. Lapsed requests
    /// are expired first. Audited.
    pub async fn approvals(&self, identity: &Identity, state: Option<&str>) -> Result<Vec<ApprovalView>, KeywayError> {
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "approvals-list", "", "");
        record.detail = state.map(|state| format!("state={state}"));
        let result = async {
            self.expire_approvals().await;
            let catalog = self.catalog_for_profiles().await?;
            let states: Vec<&str> = state.into_iter().collect();
            let requests =
                catalog.approvals(&states, 1000).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
            let mut views = Vec::new();
            for request in requests {
                if self.authorize_name(identity, &request.manager, Some(&request.name)).is_ok() {
                    views.push(self.view(request).await?);
                }
            }
            Ok(views)
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// One request, for a caller allowed to use its secret; with `reveal`, the proposed value too — only for
    /// an approver of it, when the policy reveals values to approvers. Audited.
    pub async fn approval(
        &self,
        identity: &Identity,
        id: &str,
        reveal: bool,
    ) -> Result<(ApprovalView, Option<RevealedValue>), KeywayError> {
        self.expire_approvals().await;
        let request = self.find_request(id).await?;
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "approval-show", &request.manager, &request.name);
        record.detail = Some(format!("request={id}"));
        record.revealed = Some(reveal);
        let result = async {
            self.authorize_name(identity, &request.manager, Some(&request.name))?;
            let value = if reveal {
                let policy = self.policy_of(&request)?;
                if !policy.reveal {
                    return Err(KeywayError::InvalidInput(format!(
                        "profile '{}' does not reveal proposed values to approvers (approval.reveal); compare \
                         fingerprints instead",
                        request.profile
                    )));
                }
                self.check_approver(identity, &request, policy)?;
                let catalog = self.catalog_for_profiles().await?;
                catalog
                    .approval_value(&request)
                    .await
                    .map_err(|err| KeywayError::Catalog(err.to_string()))?
                    .map(RevealedValue)
            } else {
                None
            };
            Ok((self.view(request.clone()).await?, value))
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// Approves a request as `identity`: counted once per approver; at quorum the change is applied here,
    /// exactly once across every node sharing the catalog. Audited (`approve`, then `approval-apply`).
    pub async fn approve(
        &self,
        identity: &Identity,
        id: &str,
        comment: Option<&str>,
    ) -> Result<ApprovalOutcome, KeywayError> {
        self.expire_approvals().await;
        let request = self.find_request(id).await?;
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "approve", &request.manager, &request.name);
        record.detail = Some(format!("request={id}"));
        let result = async {
            self.authorize_name(identity, &request.manager, Some(&request.name))?;
            let policy = self.policy_of(&request)?;
            self.check_approver(identity, &request, policy)?;
            if !matches!(request.state.as_str(), "pending" | "approved") {
                return Err(self.decided(&request));
            }
            let catalog = self.catalog_for_profiles().await?;
            let approver = principal(identity);
            if request.state == "pending"
                && !catalog
                    .vote(id, &approver, "approve", comment)
                    .await
                    .map_err(|err| KeywayError::Catalog(err.to_string()))?
            {
                return Err(KeywayError::InvalidInput(format!(
                    "{approver} has already voted on request {id}; it needs approvals from other members of {}",
                    policy.groups.join(", ")
                )));
            }
            let request = self.find_request(id).await?;
            let approvals = request.votes.iter().filter(|vote| vote.decision == "approve").count();
            if approvals < policy.quorum {
                return Ok(ApprovalOutcome::Waiting { approvals, quorum: policy.quorum });
            }
            Ok(ApprovalOutcome::AppliedElsewhere)
        }
        .await;
        self.audit(record, &result).await?;
        if result.is_ok() {
            self.metrics().approval("approved");
        }
        match result? {
            ApprovalOutcome::AppliedElsewhere => self.apply_if_claimed(id).await,
            waiting => Ok(waiting),
        }
    }

    /// Rejects a pending request as `identity` (an approver; the requester may withdraw their own): nothing
    /// changes, the proposed value is wiped. Audited.
    pub async fn reject(&self, identity: &Identity, id: &str, comment: Option<&str>) -> Result<Approval, KeywayError> {
        self.expire_approvals().await;
        let request = self.find_request(id).await?;
        let mut record = AuditRecord::new(Arc::new(identity.clone()), "reject", &request.manager, &request.name);
        record.detail = Some(format!("request={id}"));
        let result = async {
            self.authorize_name(identity, &request.manager, Some(&request.name))?;
            let policy = self.policy_of(&request)?;
            let own = principal(identity) == request.requester;
            if !own {
                self.check_approver(identity, &request, policy)?;
            }
            if request.state != "pending" {
                return Err(self.decided(&request));
            }
            let catalog = self.catalog_for_profiles().await?;
            let _ = catalog.vote(id, &principal(identity), "reject", comment).await;
            let note =
                format!("rejected by {}{}", principal(identity), comment.map(|c| format!(": {c}")).unwrap_or_default());
            if !catalog.reject_approval(id, Some(&note)).await.map_err(|err| KeywayError::Catalog(err.to_string()))? {
                return Err(self.decided(&self.find_request(id).await?));
            }
            self.find_request(id).await
        }
        .await;
        self.audit(record, &result).await?;
        if result.is_ok() {
            self.metrics().approval("rejected");
        }
        result
    }

    /// Claims a request that reached its quorum and applies it; `AppliedElsewhere` when another call holds
    /// the claim.
    async fn apply_if_claimed(&self, id: &str) -> Result<ApprovalOutcome, KeywayError> {
        let catalog = self.catalog_for_profiles().await?;
        if !catalog.claim_approval(id).await.map_err(|err| KeywayError::Catalog(err.to_string()))? {
            return Ok(ApprovalOutcome::AppliedElsewhere);
        }
        let request = self.find_request(id).await?;
        let change: ProposedChange = serde_json::from_str(&request.change_json)
            .map_err(|err| KeywayError::Catalog(format!("request {id} cannot be read: {err}")))?;
        let mut record =
            AuditRecord::new(Arc::new(change.identity.clone()), "approval-apply", &request.manager, &request.name);
        record.detail = Some(format!("request={id}, operation={}", request.operation));
        let result = self.apply(&request, change).await;
        let failure = result.as_ref().err().map(ToString::to_string);
        let finished = catalog.finish_approval(id, failure.as_deref()).await;
        self.audit(record, &result).await?;
        self.metrics().approval(if result.is_ok() { "applied" } else { "apply-failed" });
        result?;
        finished.map_err(|err| KeywayError::Catalog(err.to_string()))?;
        Ok(ApprovalOutcome::Applied)
    }

    async fn apply(&self, request: &Approval, change: ProposedChange) -> Result<(), KeywayError> {
        let catalog = self.catalog_for_profiles().await?;
        let value = catalog.approval_value(request).await.map_err(|err| KeywayError::Catalog(err.to_string()))?;
        let (manager, name, identity) = (&request.manager, &request.name, &change.identity);
        match request.operation.as_str() {
            "create" => {
                let value =
                    value.ok_or_else(|| KeywayError::Catalog(format!("request {} lost its value", request.id)))?;
                let options = change.options.unwrap_or_default();
                self.create_via(identity, manager, name, &value, &options, Via::Approved).await.map(|_| ())
            }
            "update" => {
                let update = change.update.unwrap_or_default().into_request(value);
                self.update_via(identity, manager, name, &update, Via::Approved).await.map(|_| ())
            }
            "delete" => self
                .delete_via(identity, manager, name, change.mode.unwrap_or_default(), Via::Approved)
                .await
                .map(|_| ()),
            "change-source" => {
                let new_source = change.new_source.ok_or_else(|| {
                    KeywayError::Catalog(format!("request {} does not say the new source", request.id))
                })?;
                self.change_source_via(identity, manager, name, &new_source, Via::Approved).await
            }
            other => Err(KeywayError::Catalog(format!("request {} has an unknown operation '{other}'", request.id))),
        }
    }

    /// The latest request concerning `manager/name` (pending, or how the last one ended), for a caller allowed
    /// to use the secret: what `describe` shows beside the metadata. Audited (`approval-state`) when approvals
    /// are configured.
    pub async fn latest_request(
        &self,
        identity: &Identity,
        manager: &str,
        name: &str,
    ) -> Result<Option<Approval>, KeywayError> {
        if !self.profiles.values().any(|profile| profile.approval.is_some()) {
            return self.authorize_name(identity, manager, Some(name)).map(|()| None);
        }
        let record = AuditRecord::new(Arc::new(identity.clone()), "approval-state", manager, name);
        let result = async {
            self.authorize_name(identity, manager, Some(name))?;
            self.expire_approvals().await;
            let catalog = self.catalog_for_profiles().await?;
            catalog.latest_approval_of(manager, name).await.map_err(|err| KeywayError::Catalog(err.to_string()))
        }
        .await;
        self.audit(record, &result).await?;
        result
    }

    /// The scheduler's part: lapses requests past their lifetime (audited) and applies approved requests
    /// whose applying failed before.
    pub async fn approvals_due(&self) {
        self.expire_approvals().await;
        let Ok(catalog) = self.catalog_for_profiles().await else { return };
        let Ok(approved) = catalog.approvals(&["approved"], 100).await else { return };
        let now = now_ms() as i64;
        // A failed attempt is tried again a minute later, not at every tick.
        for request in
            approved.into_iter().filter(|request| request.decided_at.is_none_or(|at| now - at >= RETRY_APPLY_MS))
        {
            if let Err(error) = self.apply_if_claimed(&request.id).await {
                tracing::warn!(target: "keyway::approvals", request = request.id.as_str(), error = %error, "an approved change could not be applied; it is tried again");
            }
        }
    }

    async fn expire_approvals(&self) {
        let Ok(Some(catalog)) = self.shared.records.catalog().await else { return };
        let Ok(lapsed) = catalog.expire_approvals().await else { return };
        for request in lapsed {
            let identity = Identity { client: Some("keyway".into()), ..Identity::default() };
            let mut record = AuditRecord::new(Arc::new(identity), "approval-expire", &request.manager, &request.name);
            record.detail = Some(format!("request={}", request.id));
            self.resolver.auditor().record(record);
            self.metrics().approval("expired");
        }
    }

    async fn find_request(&self, id: &str) -> Result<Approval, KeywayError> {
        let catalog = self.catalog_for_profiles().await?;
        catalog.approval(id).await.map_err(|err| KeywayError::Catalog(err.to_string()))?.ok_or_else(|| {
            KeywayError::InvalidInput(format!("no approval request '{id}'; `keyway approvals list` shows them"))
        })
    }

    fn policy_of(&self, request: &Approval) -> Result<&ApprovalPolicy, KeywayError> {
        self.profiles.get(&request.profile).and_then(|profile| profile.approval.as_ref()).ok_or_else(|| {
            KeywayError::Config {
                message: format!(
                    "request {} belongs to profile '{}', which no longer has an approval policy",
                    request.id, request.profile
                ),
            }
        })
    }

    fn check_approver(
        &self,
        identity: &Identity,
        request: &Approval,
        policy: &ApprovalPolicy,
    ) -> Result<(), KeywayError> {
        if !identity.groups.iter().any(|group| policy.groups.contains(group)) {
            return Err(KeywayError::Forbidden(format!(
                "approving request {} needs membership of {} (profile {}, approval.groups)",
                request.id,
                policy.groups.join(", "),
                request.profile
            )));
        }
        if !policy.self_approval && principal(identity) == request.requester {
            return Err(KeywayError::Forbidden(format!(
                "{} asked for request {} and may not approve it (profile {}, approval.self_approval)",
                request.requester, request.id, request.profile
            )));
        }
        Ok(())
    }

    fn decided(&self, request: &Approval) -> KeywayError {
        KeywayError::Conflict(format!(
            "request {} is {}{}; only pending requests are decided",
            request.id,
            request.state,
            request.note.as_ref().map(|note| format!(" ({note})")).unwrap_or_default()
        ))
    }

    async fn view(&self, request: Approval) -> Result<ApprovalView, KeywayError> {
        let change: ProposedChange = serde_json::from_str(&request.change_json)
            .map_err(|err| KeywayError::Catalog(format!("request {} cannot be read: {err}", request.id)))?;
        let (quorum, groups) = self
            .profiles
            .get(&request.profile)
            .and_then(|profile| profile.approval.as_ref())
            .map_or((0, Vec::new()), |policy| (policy.quorum, policy.groups.clone()));
        let catalog = self.catalog_for_profiles().await?;
        let current_fingerprint =
            catalog.latest(&request.manager, &request.name).await.ok().flatten().map(|version| version.fingerprint.0);
        let secret_type = change.options.as_ref().and_then(|options| options.secret_type.clone()).or(catalog
            .secret(&request.manager, &request.name)
            .await
            .ok()
            .flatten()
            .and_then(|entry| entry.secret_type));
        Ok(ApprovalView { request, change, quorum, groups, current_fingerprint, secret_type })
    }
}
