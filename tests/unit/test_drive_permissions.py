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


def _perm(**kw: object) -> dict[str, object]:
    return {"type": "user", "role": "reader", "emailAddress": "ana@example.com", **kw}


def test_link_only_sharing_is_not_publication() -> None:
    link_anyone = {"type": "anyone", "role": "reader", "allowFileDiscovery": False}
    link_domain = {"type": "domain", "role": "reader", "domain": "example.com"}  # field missing
    acl = acl_from_permissions([link_anyone, link_domain, _perm()], ["example.com"])
    assert acl == Acl(False, frozenset({"user:ana@example.com"}))
    other = {"type": "domain", "role": "reader", "domain": "partner.org", "allowFileDiscovery": 0}
    assert acl_from_permissions([other]) == Acl(False)


def test_anything_not_understood_grants_nothing() -> None:
    perms: list[object] = [
        "anyone",  # not an object
        {"type": "everyone", "role": "reader", "allowFileDiscovery": True},  # unknown type
        {"type": "anyone", "role": "superReader", "allowFileDiscovery": True},  # unknown role
        {"type": "anyone", "allowFileDiscovery": True},  # no role
        {"type": "anyone", "role": "reader", "allowFileDiscovery": "true"},  # not a boolean
        _perm(emailAddress="not-an-email"),
        _perm(emailAddress=["ana@example.com"]),
        _perm(deleted=True),
        _perm(deleted="yes"),
        _perm(view="metadata"),
        _perm(view="published", role="publishedReader"),
        _perm(role="owner", pendingOwner=True),
        _perm(expirationTime="2020-01-01T00:00:00Z"),
        _perm(expirationTime="next week"),
        {"type": "domain", "role": "reader", "domain": "", "allowFileDiscovery": True},
        {"type": "group", "role": "reader"},
    ]
    assert acl_from_permissions(perms, ["example.com"]) == Acl(False)


def test_future_expiry_and_pending_owner_as_writer_still_read() -> None:
    acl = acl_from_permissions(
        [
            _perm(expirationTime="2999-01-01T00:00:00Z"),
            _perm(emailAddress="bo@example.com", role="writer", pendingOwner=True),
        ]
    )
    assert acl.principals == {"user:ana@example.com", "user:bo@example.com"}


def test_limited_access_keeps_only_direct_and_owners() -> None:
    inherited_wide = {
        "type": "domain",
        "role": "reader",
        "domain": "example.com",
        "allowFileDiscovery": True,
        "permissionDetails": [{"inherited": True, "inheritedFrom": "parent-above"}],
    }
    direct = _perm(permissionDetails=[{"inherited": False}])
    from_limited = _perm(
        emailAddress="bo@example.com",
        permissionDetails=[{"inherited": True, "inheritedFrom": "limited-folder"}],
    )
    unknown_origin = _perm(emailAddress="cy@example.com")
    owner = _perm(emailAddress="own@example.com", role="owner")
    perms = [inherited_wide, direct, from_limited, unknown_origin, owner]
    acl = acl_from_permissions(perms, ["example.com"], limited={"limited-folder", "file"})
    assert acl == Acl(
        False,
        frozenset({"user:ana@example.com", "user:bo@example.com", "user:own@example.com"}),
    )
    # without the limit, the inherited domain sharing counts
    assert acl_from_permissions(perms, ["example.com"]).public
    # a permission that itself says inherited permissions are disabled sets the limit
    flagged = [inherited_wide, dict(owner, inheritedPermissionsDisabled=True)]
    assert acl_from_permissions(flagged, ["example.com"]) == Acl(
        False, frozenset({"user:own@example.com"})
    )
