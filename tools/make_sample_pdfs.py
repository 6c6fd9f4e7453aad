"""Generate the PDF pages of the sample Northwind Labs help centre.

Writes three small PDFs with real, extractable text under ``samples/``:

- ``samples/hr/benefits-summary-2026.pdf``
- ``samples/hr/holiday-calendar-2026.pdf``
- ``samples/facilities/amsterdam-office-floor-guide.pdf``

Requires reportlab (a dev dependency)::

    python tools/make_sample_pdfs.py            # writes into ./samples
    python tools/make_sample_pdfs.py --out DIR  # writes into DIR/hr, DIR/facilities

The output is deterministic (reportlab's invariant mode fixes timestamps and
document IDs), so re-running the script does not create spurious diffs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

_STYLES = getSampleStyleSheet()
H1 = _STYLES["Heading1"]
H2 = _STYLES["Heading2"]
BODY = _STYLES["BodyText"]
SMALL = ParagraphStyle("Small", parent=BODY, fontSize=8, leading=10, textColor=colors.grey)
CELL = ParagraphStyle("Cell", parent=BODY, fontSize=9, leading=11)
CELL_BOLD = ParagraphStyle("CellBold", parent=CELL, fontName="Helvetica-Bold")


def _table(rows: list[list[str]], col_widths: list[float]) -> Table:
    """A simple grid table; the first row is the header."""
    data = [
        [Paragraph(cell, CELL_BOLD if i == 0 else CELL) for cell in row]
        for i, row in enumerate(rows)
    ]
    table = Table(data, colWidths=[w * mm for w in col_widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dfe8f1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _bullets(items: list[str]) -> ListFlowable:
    return ListFlowable(
        [ListItem(Paragraph(item, BODY), leftIndent=12) for item in items],
        bulletType="bullet",
        start="\u2022",
    )


def _build(path: Path, title: str, story: list[Flowable]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        title=title,
        author="Northwind Labs",
        subject=title,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        invariant=True,  # fixed timestamps and IDs -> reproducible output
    )
    doc.build(story)


def benefits_summary(path: Path) -> None:
    title = "Northwind Labs Benefits Summary 2026"
    story: list[Flowable] = [
        Paragraph(title, H1),
        Paragraph(
            "For employees of Northwind Labs B.V. (Netherlands), Northwind Labs GmbH "
            "(Germany) and Northwind Labs Unipessoal Lda (Portugal). Contractors are not "
            "eligible for these benefits. Valid 1 January to 31 December 2026. "
            "Questions: benefits@northwind.example or #people-help.",
            BODY,
        ),
        Paragraph("Enrolment dates", H2),
        _bullets(
            [
                "Open enrolment for 2026 ran from 1 to 30 November 2025. The next open "
                "enrolment (for 2027) runs from 2 to 30 November 2026.",
                "New joiners must enrol within 31 days of their start date.",
                "Life events (marriage, registered partnership, birth or adoption, divorce) "
                "allow plan changes within 31 days of the event.",
                "Enrol and change plans in PeopleHub under Benefits.",
            ]
        ),
        Paragraph("Health insurance - Meridian Health", H2),
        Paragraph(
            "Collective contract number MH-COL-77104. Meridian customer service for "
            "Northwind members: +31 88 555 0300 (24/7 for emergencies abroad).",
            BODY,
        ),
        _table(
            [
                ["Cover", "Meridian Plus (company plan)"],
                ["Employee premium", "Paid 100% by Northwind"],
                ["Partner and children premium", "Paid 50% by Northwind, 50% by employee"],
                [
                    "Own risk / deductible (NL basic)",
                    "Statutory EUR 385, reimbursed by Northwind on request once per year",
                ],
                ["Dental care", "Up to EUR 750 per person per year"],
                ["Physiotherapy", "Up to 18 sessions per year"],
                ["Glasses and contact lenses", "Up to EUR 250 every 2 years"],
                [
                    "Psychological care (not covered by basic insurance)",
                    "Up to 10 sessions per year, max EUR 100 per session",
                ],
                ["Emergency care abroad", "Covered worldwide at cost"],
            ],
            [70, 104],
        ),
        Paragraph("Pension - Lumen Pension", H2),
        _bullets(
            [
                "Defined contribution plan. Employer contribution 8% of pensionable salary; "
                "employee contribution 4%.",
                "Pensionable salary is base salary including holiday allowance, minus the "
                "statutory offset (franchise) of EUR 17,545 in the Netherlands.",
                "Voluntary extra contributions up to 10% of salary.",
                "Contributions vest immediately. Default investment profile: Lumen Lifecycle "
                "Neutral.",
                "Partner pension and orphan pension are included at no extra cost.",
            ]
        ),
        Paragraph("Wellbeing", H2),
        _table(
            [
                ["Benefit", "Amount", "How to use"],
                [
                    "Wellness allowance",
                    "EUR 600 per calendar year",
                    "Claim in Spendwise, category Wellness",
                ],
                [
                    "OpenMind counselling (EAP)",
                    "6 free sessions per issue per year",
                    "openmind.example/northwind, 24/7 line +31 88 555 0360",
                ],
                ["Learning budget", "EUR 1,500 per year", "PeopleHub, Learning"],
                ["Life insurance", "3x annual base salary", "Automatic"],
            ],
            [50, 50, 74],
        ),
        Paragraph("Commuting and mobility (per office)", H2),
        _table(
            [
                ["Office", "Commuting benefit"],
                [
                    "Amsterdam",
                    "Commuting allowance of EUR 0.23 per km for up to 60 km one way "
                    "on office days, or an NS Business Card for train travel. Bike lease via "
                    "CycleWorks: bike up to EUR 3,000 paid from gross salary over 36 months.",
                ],
                [
                    "Berlin",
                    "Deutschlandticket paid in full by Northwind (EUR 58 per month), "
                    "or JobRad bike leasing.",
                ],
                ["Lisbon", "Navegante metropolitan pass paid in full (EUR 40 per month)."],
            ],
            [30, 144],
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            "This summary is for information only. The plan documents and your employment "
            "contract are legally binding. Document HR-BEN-2026 v1.2, December 2025.",
            SMALL,
        ),
    ]
    _build(path, title, story)


def holiday_calendar(path: Path) -> None:
    title = "Northwind Labs Holiday Calendar 2026"
    story: list[Flowable] = [
        Paragraph(title, H1),
        Paragraph(
            "Public holidays per office location and Northwind company days for 2026. "
            "Public holidays and company days are paid days off for employees and are not "
            "deducted from the 27 days of annual leave. Your public holidays follow the "
            "office named in your employment contract; fully remote employees follow the "
            "country of their employing entity.",
            BODY,
        ),
        Paragraph("Northwind company days (all offices)", H2),
        _table(
            [
                ["Date", "Day", "Occasion"],
                [
                    "Friday 12 June 2026",
                    "Fri",
                    "Northwind Day - company anniversary, all offices closed",
                ],
                [
                    "Monday 28 - Thursday 31 December 2026",
                    "Mon-Thu",
                    "Winter shutdown - all offices closed",
                ],
            ],
            [60, 20, 94],
        ),
        Paragraph("Amsterdam (Netherlands)", H2),
        _table(
            [
                ["Date", "Day", "Holiday"],
                ["1 January", "Thu", "New Year's Day"],
                ["3 April", "Fri", "Good Friday (Goede Vrijdag) - Northwind gives this day off"],
                ["6 April", "Mon", "Easter Monday"],
                ["27 April", "Mon", "King's Day (Koningsdag)"],
                [
                    "5 May",
                    "Tue",
                    "Liberation Day (Bevrijdingsdag) - Northwind gives this day off every year",
                ],
                ["14 May", "Thu", "Ascension Day"],
                ["25 May", "Mon", "Whit Monday"],
                ["25 December", "Fri", "Christmas Day"],
                ["26 December", "Sat", "Boxing Day (falls on a Saturday, no replacement day)"],
            ],
            [30, 15, 129],
        ),
        Paragraph("Berlin (Germany)", H2),
        _table(
            [
                ["Date", "Day", "Holiday"],
                ["1 January", "Thu", "New Year's Day (Neujahr)"],
                ["8 March", "Sun", "International Women's Day (Berlin only; falls on a Sunday)"],
                ["3 April", "Fri", "Good Friday (Karfreitag)"],
                ["6 April", "Mon", "Easter Monday (Ostermontag)"],
                ["1 May", "Fri", "Labour Day (Tag der Arbeit)"],
                ["14 May", "Thu", "Ascension Day (Christi Himmelfahrt)"],
                ["25 May", "Mon", "Whit Monday (Pfingstmontag)"],
                ["3 October", "Sat", "German Unity Day (falls on a Saturday)"],
                ["25 December", "Fri", "Christmas Day"],
                ["26 December", "Sat", "Second day of Christmas (falls on a Saturday)"],
            ],
            [30, 15, 129],
        ),
        Paragraph("Lisbon (Portugal)", H2),
        _table(
            [
                ["Date", "Day", "Holiday"],
                ["1 January", "Thu", "New Year's Day"],
                [
                    "17 February",
                    "Tue",
                    "Carnival (Carnaval) - optional holiday, Northwind gives this day off",
                ],
                ["3 April", "Fri", "Good Friday (Sexta-feira Santa)"],
                ["25 April", "Sat", "Freedom Day (falls on a Saturday)"],
                ["1 May", "Fri", "Labour Day"],
                ["4 June", "Thu", "Corpus Christi"],
                ["10 June", "Wed", "Portugal Day"],
                ["13 June", "Sat", "St Anthony's Day (Lisbon municipal holiday)"],
                ["15 August", "Sat", "Assumption Day"],
                ["5 October", "Mon", "Republic Day"],
                ["1 November", "Sun", "All Saints' Day"],
                ["1 December", "Tue", "Restoration of Independence"],
                ["8 December", "Tue", "Immaculate Conception"],
                ["25 December", "Fri", "Christmas Day"],
            ],
            [30, 15, 129],
        ),
        Paragraph("Notes", H2),
        _bullets(
            [
                "Holidays that fall on a weekend are not moved to a weekday, unless local law "
                "requires it.",
                "Christmas Eve (Thursday 24 December 2026) is a normal working day; offices "
                "close at 15:00.",
                "You can swap up to 3 public holidays per year for religious or cultural "
                "holidays of your choice (request a Holiday swap in PeopleHub).",
                "Production deploys are not allowed on any office's public holiday, and the "
                "engineering change freeze runs from 15 December 2026 to 4 January 2027.",
            ]
        ),
        Spacer(1, 6 * mm),
        Paragraph("Published by the People team, November 2025. people@northwind.example", SMALL),
    ]
    _build(path, title, story)


def floor_guide(path: Path) -> None:
    title = "Amsterdam Office Floor Guide - Northwind House"
    story: list[Flowable] = [
        Paragraph(title, H1),
        Paragraph(
            "Northwind House, Danzigerkade 12, 1013 AP Amsterdam. Badge access 07:00-20:00 "
            "Monday to Friday; reception staffed 08:30-17:30. Reception: +31 20 555 0100. "
            "Facilities: facilities@northwind.example, #office-amsterdam.",
            BODY,
        ),
        Paragraph("Floor by floor", H2),
        _table(
            [
                ["Floor", "What you will find"],
                [
                    "Basement (-1)",
                    "Bike storage for 120 bikes (entrance via the ramp on the "
                    "left side of the building), showers and changing rooms, 12 car spaces "
                    "including 4 EV chargers.",
                ],
                [
                    "Ground floor (0)",
                    "Reception and visitor kiosk, The Galley cafe and lunch "
                    "area, parcel room (0.05), two phone booths, first aid room (0.07).",
                ],
                [
                    "1st floor",
                    "Sales and Customer Success neighbourhoods. Meeting rooms "
                    "Mistral (12 seats), Sirocco (8), Bora (6), Foehn (4). Colour printer "
                    "AMS-1F-01 next to the kitchen.",
                ],
                [
                    "2nd floor",
                    "Engineering neighbourhoods and the quiet zone (no calls). IT "
                    "hardware desk (2.02, open 09:00-17:00). Server room (2.09, restricted, "
                    "no visitors). Meeting rooms Chinook (10) and Levante (6). Six phone booths.",
                ],
                [
                    "3rd floor",
                    "People, Finance, Legal and leadership. Wellness and lactation "
                    "room (3.14), bookable in Spacely. Meeting room Zephyr (boardroom, 16 "
                    "seats). Printer AMS-3F-01 with locked output tray.",
                ],
                [
                    "4th floor",
                    "The Deck - all-hands and event space for up to 180 people, "
                    "with rooftop terrace (open May to September, until 20:00).",
                ],
            ],
            [30, 144],
        ),
        Paragraph("Meeting room equipment", H2),
        _bullets(
            [
                "Every meeting room has a Zoom Rooms system with a touch panel by the door.",
                "Mistral, Chinook and Zephyr have a wired USB-C dock on the table and a "
                "whiteboard wall.",
                "The Deck has a stage, two handheld microphones and a livestream setup "
                "operated by the Comms team; book it through the office manager, Femke de Wit.",
            ]
        ),
        Paragraph("Safety and evacuation", H2),
        _bullets(
            [
                "When the evacuation alarm sounds (slow whoop signal), leave by the nearest "
                "staircase. Do not use the lifts.",
                "Assembly point: the square at the Houthavens pier, directly opposite the "
                "main entrance. Report to the emergency response officer (BHV) in a yellow "
                "vest, who checks the Spacely check-in list for your floor.",
                "First aiders and BHV officers wear green lanyards. AEDs (defibrillators) are "
                "at reception and next to the lifts on the 2nd floor.",
                "Fire drills take place twice a year, in April and October.",
                "In any emergency call 112 first, then inform reception on +31 20 555 0100.",
            ]
        ),
        Paragraph("Good to know", H2),
        _bullets(
            [
                "Kitchens on every floor have filtered sparkling water and coffee machines; "
                "please load the dishwasher before you leave.",
                "Grey locked shredding bins for confidential paper are next to every printer.",
                "Lost property is kept at reception for 4 weeks.",
                "Quiet zone etiquette: no calls, headphones for any audio, conversations in "
                "the phone booths or the kitchen.",
            ]
        ),
        Spacer(1, 6 * mm),
        Paragraph("Facilities team, version January 2026.", SMALL),
    ]
    _build(path, title, story)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "samples",
        help="root of the sample help centre (default: samples/ in the repo)",
    )
    args = parser.parse_args()
    out: Path = args.out

    targets = {
        out / "hr" / "benefits-summary-2026.pdf": benefits_summary,
        out / "hr" / "holiday-calendar-2026.pdf": holiday_calendar,
        out / "facilities" / "amsterdam-office-floor-guide.pdf": floor_guide,
    }
    for path, build in targets.items():
        build(path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
