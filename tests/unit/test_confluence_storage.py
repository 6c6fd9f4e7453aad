"""Storage-format XHTML → text: tables, code, panels and friends."""

from __future__ import annotations

import pytest

from connectors.confluence.permissions import Readers, meet, to_acl
from connectors.confluence.storage import StorageFormatError, storage_to_text
from connectors.retry import retry_after_seconds


def test_headings_paragraphs_and_line_breaks() -> None:
    text = storage_to_text("<h1>VPN</h1><p>Install the <strong>client</strong>.<br/>Log in.</p>")
    assert text == "# VPN\n\nInstall the client.\nLog in."


def test_table_with_header_row_and_rich_cells() -> None:
    xhtml = (
        "<table><colgroup><col/><col/></colgroup><tbody>"
        "<tr><th><p>OS</p></th><th>Client</th></tr>"
        "<tr><td><p>Windows</p></td><td><p>GlobalProtect</p><p>6.2</p></td></tr>"
        "<tr><td>macOS</td><td>a | b</td></tr>"
        "</tbody></table>"
    )
    assert storage_to_text(xhtml) == (
        "| OS | Client |\n| --- | --- |\n| Windows | GlobalProtect 6.2 |\n| macOS | a \\| b |"
    )


def test_code_macro_keeps_cdata_verbatim_with_language_and_title() -> None:
    xhtml = (
        '<ac:structured-macro ac:name="code" ac:schema-version="1">'
        '<ac:parameter ac:name="language">bash</ac:parameter>'
        '<ac:parameter ac:name="title">Install</ac:parameter>'
        '<ac:plain-text-body><![CDATA[if [ -x /opt/gp ]; then\n  echo "<ok>" && exit 0\nfi]]>'
        "</ac:plain-text-body></ac:structured-macro>"
    )
    assert storage_to_text(xhtml) == (
        'Install\n```bash\nif [ -x /opt/gp ]; then\n  echo "<ok>" && exit 0\nfi\n```'
    )


def test_noformat_and_pre() -> None:
    xhtml = (
        '<ac:structured-macro ac:name="noformat"><ac:plain-text-body><![CDATA[a  b]]>'
        "</ac:plain-text-body></ac:structured-macro><pre>x = 1</pre>"
    )
    assert storage_to_text(xhtml) == "```\na  b\n```\n\n```\nx = 1\n```"


@pytest.mark.parametrize(
    ("macro", "lead"),
    [("info", "Info:"), ("note", "Note:"), ("warning", "Warning:"), ("tip", "Tip:")],
)
def test_callout_panels_are_unwrapped_with_their_kind(macro: str, lead: str) -> None:
    xhtml = (
        f'<ac:structured-macro ac:name="{macro}"><ac:rich-text-body><p>MFA is required.</p>'
        "</ac:rich-text-body></ac:structured-macro>"
    )
    assert storage_to_text(xhtml) == f"{lead}\nMFA is required."


def test_panel_and_expand_keep_title_and_body() -> None:
    xhtml = (
        '<ac:structured-macro ac:name="panel"><ac:parameter ac:name="title">Contacts</ac:parameter>'
        "<ac:rich-text-body><ul><li>Helpdesk: x1234</li></ul></ac:rich-text-body>"
        '</ac:structured-macro><ac:structured-macro ac:name="expand">'
        '<ac:parameter ac:name="title">More</ac:parameter><ac:rich-text-body><p>Hidden.</p>'
        "</ac:rich-text-body></ac:structured-macro>"
    )
    assert storage_to_text(xhtml) == "Contacts\n- Helpdesk: x1234\n\nMore\nHidden."


def test_navigation_macros_images_and_emoticons_are_dropped() -> None:
    xhtml = (
        '<ac:structured-macro ac:name="toc"><ac:parameter ac:name="maxLevel">2</ac:parameter>'
        '</ac:structured-macro><p>Hello <ac:emoticon ac:name="smile"/></p>'
        '<ac:structured-macro ac:name="children"/><ac:image><ri:attachment ri:filename="a.png"/>'
        '</ac:image><ac:structured-macro ac:name="recently-updated"/>'
    )
    assert storage_to_text(xhtml) == "Hello"


def test_nested_lists_tasks_links_and_layouts() -> None:
    xhtml = (
        '<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell>'
        '<ol><li>Open <ac:link><ri:page ri:content-title="Network"/></ac:link><ul><li>wired</li>'
        '</ul></li><li><p>Ask <ac:link><ri:user ri:account-id="557058:x"/></ac:link></p>'
        "</li></ol>"
        "</ac:layout-cell><ac:layout-cell><ac:task-list><ac:task><ac:task-id>1</ac:task-id>"
        "<ac:task-status>incomplete</ac:task-status><ac:task-body>Reboot</ac:task-body></ac:task>"
        "</ac:task-list></ac:layout-cell></ac:layout-section></ac:layout>"
    )
    assert storage_to_text(xhtml) == ("1. Open Network\n  - wired\n2. Ask 557058:x\n\n- [ ] Reboot")


def test_malformed_bodies_raise() -> None:
    with pytest.raises(StorageFormatError):
        storage_to_text(None)
    with pytest.raises(StorageFormatError):
        storage_to_text({"value": "<p>x</p>"})
    assert storage_to_text("<p>unclosed <b>bold") == "unclosed bold"


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_permission_levels_intersect_through_group_members() -> None:
    members = {"hr": frozenset({"user:a@x.io", "user:b@x.io"}), "it": frozenset({"user:c@x.io"})}

    def of(group: str) -> frozenset[str]:
        return members[group]

    space = Readers(everyone=False, groups=frozenset({"hr"}))
    page = Readers(everyone=False, users=frozenset({"user:a@x.io", "user:c@x.io"}))
    assert to_acl(meet(space, page, of)).principals == {"user:a@x.io"}
    both = Readers(everyone=False, groups=frozenset({"hr", "it"}))
    assert to_acl(meet(both, Readers(False, groups=frozenset({"it"})), of)).principals == {
        "group:confluence:it"
    }
    assert to_acl(meet(Readers.anyone(), Readers.anyone(), of)).public
