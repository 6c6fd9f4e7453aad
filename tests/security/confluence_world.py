"""A small Confluence company for the fail-closed scenarios: the fake Confluence site over
real HTTP, the connector built from `Settings` (as `helpdesk sync` builds it), the real
SyncEngine and LanceDB index, the real ONNX embedder and the answer engine talking to the
Claude fake through the real `anthropic` client.

People: alice and dave are in `hr`; carol and erin are not. Pages (the secrets are the
restricted text the scenarios look for):

- IT "Office Wi-Fi": public (the space grants `confluence-users`).
- IT "Leadership" (archived, restricted to `hr`) > "Reorg plan" (own restriction: alice,
  carol) → readable by alice only; its ancestor's restriction is fetched one by one
  (an archived page is not in the listing).
- IT "Bonus pool": restricted to `hr` → alice, dave.
- IT "Salary review": restricted to the users alice and dave.
- HR space (view: `hr`) "Parental leave" → alice, dave.

`make_world(..., deployment="datacenter")` builds the same company on a Data Center site
(PAT bearer, v1 only, `start`/`limit` paging, users by username with their emails shown).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from bot.answering.engine import Final
from bot.models import Answer, Asker, PermissionScope, Question, Surface
from bot.services import Services, build_services
from bot.settings import Settings
from connectors.base import SyncMode
from connectors.embedder import OnnxEmbedding
from connectors.registry import build_connector
from connectors.sync import SyncProgress
from tests.fakes.claude import FakeClaude
from tests.fakes.confluence_server import Content, FakeConfluence

ALICE, CAROL, DAVE, ERIN = (
    "alice@example.com",
    "carol@example.com",
    "dave@example.com",
    "erin@example.com",
)
PEOPLE = (ALICE, CAROL, DAVE, ERIN)
CHANNEL = "#general"  # the public scope, as in any channel

WIFI = "The office Wi-Fi password rotates every month; reception hands out the new one."
REORG = "The Falcon reorg merges Support into Sales on the first of March."
BONUS = "The bonus pool for 2027 is 4.2 million kroner, paid out in April."
LEAVE = "Parental leave is twenty-six weeks at full pay for every parent."
SALARY = "Salary reviews this year raise every band by three point five percent."

QUESTIONS = {
    WIFI: "How do I get the office Wi-Fi password?",
    REORG: "What does the Falcon reorg merge?",
    BONUS: "How big is the bonus pool for 2027?",
    LEAVE: "How many weeks of parental leave do parents get?",
    SALARY: "By how much do salary reviews raise the bands this year?",
}


def page_body(text: str) -> str:
    return f"<p>{text}</p>"


@dataclass
class World:
    site: FakeConfluence
    settings: Settings
    services: Services
    claude: FakeClaude
    pages: dict[str, Content] = field(default_factory=dict)  # secret text -> page

    def body_path(self, page: Content) -> str:
        """The request path fragment of fetching one page's body."""
        if self.site.dc:
            return f"/rest/api/content/{page.id}?"
        return f"/api/v2/pages/{page.id}"

    # ------------------------------------------------------------------ sync
    def sync(self, mode: SyncMode = SyncMode.INCREMENTAL) -> SyncProgress:
        connector = build_connector("confluence", self.settings)
        return self.services.sync_engine().run(connector, mode)

    # ------------------------------------------------------------------ asking
    def scope(self, who: str) -> PermissionScope:
        engine = self.services.engine
        if who == CHANNEL:
            return engine.scope(Question("", Asker("slack", "U-chan"), "C1"))
        asker = Asker("slack", f"U-{who}", email=who)
        return engine.scope(Question("", asker, "D1", (), Surface.DM, insider=True))

    def readers(self, secret: str) -> set[str]:
        """Who (of the channel and every person) retrieves the page holding `secret`."""
        doc_id = f"confluence:{self.pages[secret].id}"
        found = set()
        for who in (CHANNEL, *PEOPLE):
            passages = asyncio.run(
                self.services.engine.retrieve(QUESTIONS[secret], self.scope(who))
            )
            if any(p.node.metadata.get("doc_id") == doc_id for p in passages):
                found.add(who)
        return found

    def ask(self, secret: str, who: str) -> tuple[Answer, str]:
        """The answer `who` gets to the secret's question, and everything sent to Claude."""
        self.claude.requests.clear()
        self.claude.reply([("Here is what I found.", (0, "found"))])
        surface = Surface.CHANNEL if who == CHANNEL else Surface.DM
        email = None if who == CHANNEL else who
        asker = Asker("slack", f"U-{who}", email=email)
        question = Question(QUESTIONS[secret], asker, "C1", (), surface, insider=bool(email))
        engine = self.services.engine

        async def run() -> Answer:
            final = None
            async for event in engine.stream(question):
                if isinstance(event, Final):
                    final = event.answer
            assert final is not None
            return final

        answer = asyncio.run(run())
        return answer, str(self.claude.requests)

    def leaks_to(self, secret: str, who: str) -> bool:
        answer, sent = self.ask(secret, who)
        shown = answer.text + " ".join(c.quoted_text + c.title for c in answer.citations)
        return secret in shown or secret in sent


def make_world(
    data: Path, embedder: OnnxEmbedding, budget: float = 0.6, deployment: str = "cloud"
) -> World:
    site = FakeConfluence(deployment=deployment).start()
    site.stall_seconds = budget + 0.6
    for uid, email in (("u1", ALICE), ("u3", CAROL), ("u4", DAVE), ("u5", ERIN)):
        site.add_user(uid, email, email.split("@")[0].title())
    site.add_group("confluence-users", ["u1", "u3", "u4", "u5"])
    site.add_group("hr", ["u1", "u4"])
    site.add_space("IT", "IT", read_groups=["confluence-users"])
    site.add_space("HR", "Human resources", read_groups=["hr"])
    world_pages: dict[str, Content] = {}
    world_pages[WIFI] = site.add_page("IT", "Office Wi-Fi", page_body(WIFI))
    leadership = site.add_page(
        "IT", "Leadership", page_body("Leadership notes."), status="archived"
    )
    site.restrict(leadership.id, groups=["hr"])
    world_pages[REORG] = site.add_page("IT", "Reorg plan", page_body(REORG), parent=leadership.id)
    site.restrict(world_pages[REORG].id, users=["u1", "u3"])
    world_pages[BONUS] = site.add_page("IT", "Bonus pool", page_body(BONUS))
    site.restrict(world_pages[BONUS].id, groups=["hr"])
    world_pages[LEAVE] = site.add_page("HR", "Parental leave", page_body(LEAVE))
    world_pages[SALARY] = site.add_page("IT", "Salary review", page_body(SALARY))
    site.restrict(world_pages[SALARY].id, users=["u1", "u4"])
    credentials: dict[str, str] = (
        {"confluence_pat": site.token}  # a PAT alone: Data Center, detected
        if site.dc
        else {"confluence_email": site.email, "confluence_api_token": site.token}
    )
    settings = Settings(
        _env_file=None,
        helpdesk_data_dir=data,
        files_path=None,
        sources=["confluence"],
        confluence_url=site.url,
        confluence_spaces=["IT", "HR"],
        anthropic_api_key="sk-test",
        anthropic_max_retries=0,
        sync_retry_budget_seconds=budget,
        **credentials,  # type: ignore[arg-type]
    )
    claude = FakeClaude()
    services = build_services(settings, embedder=embedder, anthropic_http_client=claude.client())
    return World(site, settings, services, claude, world_pages)


EXPECTED = {
    WIFI: {CHANNEL, *PEOPLE},
    REORG: {ALICE},
    BONUS: {ALICE, DAVE},
    LEAVE: {ALICE, DAVE},
    SALARY: {ALICE, DAVE},
}
