"""Extractive answers show the structure that answers: a procedure whole, a table row with
its header row, the line with the quantity asked for, the row whose range holds the
amount asked about (issue 12: "tests for each extraction rule")."""

from __future__ import annotations

import pytest

from bot.answering.selection import DocumentText, UnitEmbeddings, choose
from bot.answering.structure import Kind, parse
from connectors.embedder import OnnxEmbedding
from connectors.files import html_to_text

PASSWORD_PAGE = """# Resetting your password

Northwind uses Okta for single sign-on. Your Okta password is the one password you need.

## Password requirements

- At least **14 characters**. We recommend a passphrase of 4 or more random words.
- Cannot be one of your **last 10 passwords**.
- Cannot contain your name or username.

## Forgot your password (self-service reset)

To reset it yourself:

1. Go to sso.northwind.example and click **Forgot password?**
2. Enter your Northwind email address.

3. Approve the **Okta Verify push** on your phone.
4. Choose a new password that meets the requirements above.

## If self-service doesn't work

Call the **IT hotline: +31 20 555 0142** (Monday–Friday, 08:00–19:00 CET).
"""

APPROVALS_PAGE = """# Expenses policy

## Approvals

| Amount | Approver | Deadline |
| --- | --- | --- |
| Up to €1,000 | Your manager | 5 working days |
| €1,000–€10,000 | Your manager and the budget owner | 5 working days |
| Over €10,000 | The CFO | 10 working days |

Approvals are requested automatically when you submit in Spendwise.
"""

LINUX_VPN = """# VPN setup on Linux

## Install

1. Add the Northwind repository:

```bash
curl -fsSL https://pkg.northwind.example/key.gpg | sudo gpg --dearmor -o /usr/share/keyrings/nw.gpg
```

2. Install the client: `sudo apt install northwind-connect`.
3. Sign in with `nwc login`.

## Uninstall

Run `sudo apt remove northwind-connect`.
"""


def doc(text: str, title: str = "Page", passage: int = 0, score: float = 0.8) -> DocumentText:
    return DocumentText(passage=passage, title=title, text=text, score=score)


@pytest.fixture(scope="module")
def embeddings(onnx_embedder: OnnxEmbedding) -> UnitEmbeddings:
    return UnitEmbeddings(onnx_embedder)


def test_a_how_to_gets_the_whole_procedure_under_its_heading(embeddings: UnitEmbeddings) -> None:
    (excerpt,) = choose("how do I reset my forgotten password?", [doc(PASSWORD_PAGE)], embeddings)
    lines = excerpt.text.splitlines()
    assert lines[0] == "## Forgot your password (self-service reset)"
    assert "To reset it yourself:" in lines  # the lead-in above the list
    # every step, also those that share no word with the question and the one after a
    # blank line in the middle of the list
    for step in ("1. Go to sso", "2. Enter your", "3. Approve the", "4. Choose a new"):
        assert any(line.startswith(step) for line in lines), (step, excerpt.text)
    assert "hotline" not in excerpt.text and "14 characters" not in excerpt.text


def test_a_quantity_question_gets_the_line_with_the_number(embeddings: UnitEmbeddings) -> None:
    (excerpt,) = choose(
        "how long does my new password need to be?", [doc(PASSWORD_PAGE)], embeddings
    )
    assert "**14 characters**" in excerpt.text
    assert "1. Go to sso" not in excerpt.text  # not the reset procedure


def test_a_phone_question_gets_the_phone_number(embeddings: UnitEmbeddings) -> None:
    page = (
        "# IT support\n\n## Phones\n\nCompany phones are managed in Jamf; a lost phone is "
        "wiped remotely.\n\n## Urgent problems\n\nRing **+31 20 555 0142** (Monday–Friday)."
    )
    (excerpt,) = choose("what's the phone number of IT support?", [doc(page)], embeddings)
    assert "+31 20 555 0142" in excerpt.text


def test_a_table_row_is_shown_with_its_header_row(embeddings: UnitEmbeddings) -> None:
    (excerpt,) = choose("who approves an expense of 5000 euro?", [doc(APPROVALS_PAGE)], embeddings)
    lines = excerpt.text.splitlines()
    assert "| Amount | Approver | Deadline |" in lines
    # the row whose range holds the amount asked about, below its header
    row = "| €1,000–€10,000 | Your manager and the budget owner | 5 working days |"
    assert lines[-2:] == ["| Amount | Approver | Deadline |", row]


def test_the_range_decides_between_rows_that_share_the_words() -> None:
    # without the embedder: words alone tie, the amount's range decides
    (excerpt,) = choose("approver for a 20000 expense", [doc(APPROVALS_PAGE)], None)
    assert excerpt.text.splitlines()[-2:] == [
        "| Amount | Approver | Deadline |",
        "| Over €10,000 | The CFO | 10 working days |",
    ]


def test_a_command_block_is_shown_with_its_step(embeddings: UnitEmbeddings) -> None:
    (excerpt,) = choose("how do I install the VPN on linux?", [doc(LINUX_VPN)], embeddings)
    assert "curl -fsSL https://pkg.northwind.example/key.gpg" in excerpt.text
    assert "```bash" in excerpt.text and excerpt.text.count("```") == 2
    assert "3. Sign in with `nwc login`." in excerpt.text
    assert "apt remove" not in excerpt.text


def test_a_second_page_only_when_it_answers_about_as_well(embeddings: UnitEmbeddings) -> None:
    docs = [
        doc(PASSWORD_PAGE, "Resetting your password", 0),
        doc(APPROVALS_PAGE, "Expenses policy", 1, score=0.3),
    ]
    excerpts = choose("how do I reset my forgotten password?", docs, embeddings)
    assert [e.passage for e in excerpts] == [0]


def test_lists_continue_across_blank_lines_and_tables_know_their_header() -> None:
    units = parse(PASSWORD_PAGE + "\n" + APPROVALS_PAGE)
    steps = [u for u in units if u.kind is Kind.STEP]
    assert len(steps) == 4 and len({u.block for u in steps}) == 1
    rows = [u for u in units if u.kind is Kind.ROW]
    assert len(rows) == 3
    assert {units[r.header].text for r in rows if r.header is not None} == {
        "| Amount | Approver | Deadline |"
    }


def test_an_html_table_becomes_one_markdown_table_with_its_header() -> None:
    _, text = html_to_text(
        "<html><body><h2>Rates</h2><table>\n<tr><th>City</th><th>Per day</th></tr>\n\n"
        "<tr><td>London</td><td>€85</td></tr>\n<tr><td>Paris | FR</td><td>€75</td></tr>"
        "</table></body></html>"
    )
    assert "| City | Per day |\n| --- | --- |\n| London | €85 |\n| Paris \\| FR | €75 |" in text
    (excerpt,) = choose("daily rate in London?", [doc(text)], None)
    assert excerpt.text.splitlines()[1:] == ["| City | Per day |", "| London | €85 |"]


def test_a_table_near_the_best_line_is_shown_with_its_header_and_rows(
    embeddings: UnitEmbeddings,
) -> None:
    page = (
        "# Annual leave policy\n\n## How much leave you get\n\n"
        "| Who | Annual leave per calendar year |\n|---|---|\n"
        "| Full-time employee | **27 days** plus public holidays |\n"
        "| After 5 full years of service | 29 days (maximum) |\n\n"
        "- Leave accrues monthly at **2.25 days per month** for full-time staff.\n"
    )
    (excerpt,) = choose("How many days of annual leave do I get?", [doc(page)], embeddings)
    lines = excerpt.text.splitlines()
    # the table's rows come with their header row, never a row without it
    assert "| Who | Annual leave per calendar year |" in lines
    assert "| Full-time employee | **27 days** plus public holidays |" in lines
    header = lines.index("| Who | Annual leave per calendar year |")
    assert header < lines.index("| Full-time employee | **27 days** plus public holidays |")


def test_a_line_that_only_links_elsewhere_is_never_quoted() -> None:
    related = (
        "# MFA and lost phones\n\n## Related\n\n- [Resetting your password](password-reset.md)\n"
    )
    excerpts = choose(
        "how do I reset my password?",
        [doc(PASSWORD_PAGE, "Resetting your password", 0), doc(related, "MFA", 1)],
        None,
    )
    assert [e.passage for e in excerpts] == [0]
    assert "password-reset.md" not in excerpts[0].text
