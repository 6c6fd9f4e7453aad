"""Drive permissions → Acl; group members from the directory."""

from __future__ import annotations

from connectors.base import Acl
from connectors.drive.permissions import acl_from_permissions, group_email


def test_users_groups_and_domains_become_principals() -> None:
    acl = acl_from_permissions(
        [
            {"type": "user", "role": "owner", "emailAddress": "Ana@Example.com"},
            {"type": "group", "role": "reader", "emailAddress": "IT-Team@example.com"},
            {
                "type": "domain",
                "role": "commenter",
                "domain": "Partner.org",
                "allowFileDiscovery": True,
            },
        ]
    )
    assert acl == Acl(
        public=False,
        principals=frozenset(
            {"user:ana@example.com", "group:drive:it-team@example.com", "domain:partner.org"}
        ),
    )


def test_published_anyone_is_public() -> None:
    acl = acl_from_permissions([{"type": "anyone", "role": "reader", "allowFileDiscovery": True}])
    assert acl.public


def test_public_domain_is_public_other_domains_are_not() -> None:
    perms = [
        {"type": "domain", "role": "reader", "domain": "example.com", "allowFileDiscovery": True}
    ]
    assert acl_from_permissions(perms, ["Example.com"]).public
    assert not acl_from_permissions(perms, ["other.com"]).public


def test_deleted_and_incomplete_permissions_are_ignored() -> None:
    acl = acl_from_permissions(
        [
            {"type": "user", "role": "reader", "emailAddress": "gone@example.com", "deleted": True},
            {"type": "user", "role": "reader"},
            {"type": "domain", "role": "reader"},
        ]
    )
    assert acl == Acl(public=False)


def test_group_email() -> None:
    assert group_email("group:drive:hr@example.com") == "hr@example.com"
    assert group_email("group:confluence:hr") is None
