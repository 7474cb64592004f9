"""Conjur policy documents (YAML with `!policy`, `!variable`, `!host`, `!user`, `!group`, `!layer`,
`!grant`, `!permit` and `!delete`) loaded into a branch the way the three methods do:

- `POST` (create) adds records that do not exist yet and leaves existing ones as they are; `!delete`
  is refused;
- `PATCH` (update) adds new records, updates existing records' annotations, and applies `!delete`;
- `PUT` (replace) is `PATCH` plus the deletion of the branch's records the document no longer names.

Ids are relative to the branch (`/` makes one absolute); a user declared outside the root policy is
`name@branch-with-dashes`. The answer is `{"created_roles": {role: {"id", "api_key"}}, "version": N}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from conjur_store import PRIVILEGES, ConjurError, Resource, Store, new_api_key

KINDS = ("policy", "variable", "host", "user", "group", "layer", "webservice")
STATEMENTS = ("grant", "permit", "delete")


@dataclass
class Node:
    """A tagged YAML node: a record, a statement or a reference."""

    tag: str
    fields: dict = field(default_factory=dict)


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: _Loader, suffix: str, node: yaml.Node) -> Node:
    if isinstance(node, yaml.MappingNode):
        return Node(suffix, loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        return Node(suffix, {"id": str(value)} if value not in (None, "") else {})
    raise ConjurError(422, f"!{suffix} cannot be a sequence", "validation_failed")


_Loader.add_multi_constructor("!", _construct)


def parse(text: str) -> list[Node]:
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        raise ConjurError(422, f"policy is not valid YAML: {err}", "validation_failed") from None
    if document is None:
        return []
    if not isinstance(document, list) or not all(isinstance(n, Node) for n in document):
        raise ConjurError(422, "a policy is a sequence of tagged records", "validation_failed")
    return document


class Loader:
    """Loads one document into one branch of `store` on behalf of `role`."""

    def __init__(self, store: Store, role: str, branch: str, mode: str) -> None:
        self.store, self.role, self.branch, self.mode = store, role, branch, mode
        self.created_roles: dict[str, dict] = {}
        self.named: set[str] = set()

    def resolve(self, kind: str, identifier: str, branch: str) -> str:
        if identifier.startswith("/"):
            identifier = identifier[1:]
        elif branch != "root":
            if kind == "user":
                return self.store.role_id(kind, f"{identifier}@{branch.replace('/', '-')}")
            identifier = f"{branch}/{identifier}"
        return self.store.role_id(kind, identifier)

    def reference(self, node: object, branch: str) -> str:
        if not isinstance(node, Node) or node.tag not in KINDS or not node.fields.get("id"):
            raise ConjurError(422, "a reference must be a tagged record id, e.g. !host my-app", "validation_failed")
        return self.resolve(node.tag, str(node.fields["id"]), branch)

    def references(self, value: object, branch: str) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [self.reference(item, branch) for item in items]

    def load(self, text: str) -> dict:
        store = self.store
        with store.lock:
            policy = store.resources.get(store.role_id("policy", self.branch))
            if policy is None:
                raise ConjurError(404, f"Policy '{self.branch}' not found in account '{store.account}'",
                                  "not_found", "policy")
            store.require(self.role, policy, "create" if self.mode == "create" else "update")
            self.apply(parse(text), self.branch)
            if self.mode == "replace":
                self.delete_unnamed(policy.id)
            version = store.policy_versions.get(policy.id, 0) + 1
            store.policy_versions[policy.id] = version
            return {"created_roles": self.created_roles, "version": version}

    def apply(self, nodes: list[Node], branch: str) -> None:
        policy_id = self.store.role_id("policy", branch)
        for node in nodes:
            if not isinstance(node, Node):
                raise ConjurError(422, "a policy is a sequence of tagged records", "validation_failed")
            if node.tag in KINDS:
                self.record(node, branch, policy_id)
            elif node.tag in STATEMENTS:
                getattr(self, node.tag)(node.fields, branch)
            else:
                raise ConjurError(422, f"unknown policy statement !{node.tag}", "validation_failed")

    def record(self, node: Node, branch: str, policy_id: str) -> None:
        store = self.store
        identifier = str(node.fields.get("id") or "")
        if not identifier:
            raise ConjurError(422, f"!{node.tag} needs an id", "validation_failed")
        full_id = self.resolve(node.tag, identifier, branch)
        self.named.add(full_id)
        annotations = {str(k): str(v) for k, v in (node.fields.get("annotations") or {}).items()}
        for attribute in ("kind", "mime_type"):
            if node.tag == "variable" and attribute in node.fields:
                annotations[f"conjur/{attribute}"] = str(node.fields[attribute])
        owner = self.reference(node.fields["owner"], branch) if "owner" in node.fields else policy_id
        existing = store.resources.get(full_id)
        if existing is None:
            resource = Resource(full_id, owner, policy_id, annotations=annotations)
            store.resources[full_id] = resource
            if node.tag in ("host", "user"):
                key = new_api_key()
                store.add_role(full_id, key)
                self.created_roles[full_id] = {"id": full_id, "api_key": key}
                if node.tag == "user" and "password" in node.fields:
                    store.passwords[full_id] = str(node.fields["password"])
            elif node.tag in ("group", "layer", "policy"):
                store.add_role(full_id, None)
            if full_id in store.members:
                # A role's owner holds it (with admin option, in Conjur's terms).
                store.members[full_id].add(owner)
        elif self.mode != "create":
            existing.annotations.update(annotations)
        if node.tag == "policy":
            body = node.fields.get("body") or []
            if not isinstance(body, list):
                raise ConjurError(422, "a policy body is a sequence of records", "validation_failed")
            self.apply(body, full_id.split(":", 2)[2])

    def grant(self, fields: dict, branch: str) -> None:
        role = self.reference(fields.get("role"), branch)
        for member in self.references(fields.get("member") or fields.get("members"), branch):
            if role not in self.store.members:
                raise ConjurError(422, f"{role} is not a role", "validation_failed")
            self.store.members[role].add(member)

    def permit(self, fields: dict, branch: str) -> None:
        privileges = fields.get("privileges") or fields.get("privilege") or []
        privileges = privileges if isinstance(privileges, list) else [privileges]
        if not privileges or any(p not in PRIVILEGES for p in privileges):
            raise ConjurError(422, f"privileges must be among {', '.join(PRIVILEGES)}", "validation_failed")
        roles = self.references(fields.get("role"), branch)
        for resource_id in self.references(fields.get("resource") or fields.get("resources"), branch):
            resource = self.store.resources.get(resource_id)
            if resource is None:
                raise ConjurError(422, f"resource {resource_id} does not exist", "validation_failed")
            for role in roles:
                for privilege in privileges:
                    if (privilege, role) not in resource.permissions:
                        resource.permissions.append((privilege, role))

    def delete(self, fields: dict, branch: str) -> None:
        if self.mode == "create":
            raise ConjurError(422, "!delete is not allowed when a policy is loaded with POST", "validation_failed")
        target = self.reference(fields.get("record"), branch)
        if target in self.store.resources:
            self.remove(target)

    def remove(self, resource_id: str) -> None:
        store = self.store
        store.resources.pop(resource_id, None)
        store.members.pop(resource_id, None)
        store.api_keys.pop(resource_id, None)
        for members in store.members.values():
            members.discard(resource_id)
        for resource in list(store.resources.values()):
            resource.permissions = [(p, r) for p, r in resource.permissions if r != resource_id]
            if resource.policy == resource_id:
                self.remove(resource.id)

    def delete_unnamed(self, policy_id: str) -> None:
        for resource in list(self.store.resources.values()):
            if resource.policy == policy_id and resource.id not in self.named and resource.id != policy_id:
                self.remove(resource.id)
