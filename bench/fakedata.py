"""Fictitious citizens for the ``indsatsskema`` input workbook (samples and benchmarks).

``write_indsats_workbook(path, rows, seed=1, mistakes=0)`` writes a filled input workbook
with ``rows`` citizens (about 6 interventions each, inside the plan period). Every name,
CPR number and phone number is made up from fixed lists and a seeded random generator,
so the same arguments always give the same data. With ``mistakes`` > 0 that many
deliberate errors of different kinds are put in (see :data:`MISTAKES`); the function
returns what it put where, so a test can check that the report finds each one.

Run ``python bench/fakedata.py`` to rebuild ``samples/indsatsplaner.xlsx``.
"""

from __future__ import annotations

import datetime as _dt
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from toolkit.catalogue import load_form  # noqa: E402
from toolkit.render.xlsx import input_workbook  # noqa: E402
from toolkit.sources.excel import column_letter, layout  # noqa: E402

FIRST = ("Anders", "Anne", "Birgitte", "Bo", "Camilla", "Christian", "Dorthe", "Emil",
         "Erik", "Fatima", "Frederik", "Gitte", "Hanne", "Henrik", "Ida", "Jakob", "Jens",
         "Jesper", "Karen", "Kasper", "Lars", "Lene", "Louise", "Mads", "Maria", "Mette",
         "Mikkel", "Mohammad", "Niels", "Nanna", "Ole", "Pernille", "Peter", "Rasmus",
         "Sara", "Søren", "Susanne", "Thomas", "Tina", "Ulla", "Vibeke", "Yasmin", "Åse",
         "Øjvind", "Ærtebjørn", "Naja", "Aputsiaq", "Malik", "Pipaluk", "Inuk")
LAST = ("Andersen", "Christensen", "Dahl", "Frederiksen", "Hansen", "Holm", "Jensen",
        "Jørgensen", "Kristensen", "Larsen", "Madsen", "Mortensen", "Møller", "Nielsen",
        "Olsen", "Pedersen", "Petersen", "Poulsen", "Rasmussen", "Sørensen", "Thomsen",
        "Vestergaard", "Østergaard", "Aagaard", "Kleist", "Lynge", "Berthelsen", "Kreutzmann")
STAFF = ("Lene Vestergaard", "Kasper Dahl", "Anja Mortensen", "Birthe Lund",
         "Morten Krogh", "Signe Bach", "Tobias Holst", "Helle Brandt", "Rikke Due",
         "Jonas Friis")
GOALS = (
    "Ordinært job på nedsat tid inden for et år, med mulighed for at gå op i tid.",
    "Start på en erhvervsuddannelse (EUD) til august.",
    "Fleksjob inden for rengøring eller køkken med en fast arbejdsplads.",
    "Job som chauffør; kørekort til lastbil er første skridt.",
    "Afklaring af arbejdsevnen og et realistisk jobmål inden planperiodens udløb.",
    "Job i detailhandlen med faste vagter i dagtimerne.",
    "Danskuddannelse afsluttet og praktik i en virksomhed med grønlandske kolleger.",
    "Løntilskudsjob i kommunens park- og vejafdeling.",
)
SUBGOALS = ("Stabilt fremmøde tre dage om ugen", "Stabil behandling for misbrug",
            "Gælden er afdraget efter en fast aftale", "Egen bolig med støtte",
            "Deltager i møder med tovholder hver 14. dag", "Bedre søvn og fast døgnrytme",
            "Kan tage bussen til praktikstedet alene", "Har styr på medicinen")
INTERVENTIONS = {
    "beskaeftigelse": (("Virksomhedspraktik", "Praktik 3 dage om ugen med mulighed for at "
                        "øge timetallet."),
                       ("Mentorstøtte", "Social mentor, der hjælper med struktur og "
                        "mødestabilitet."),
                       ("Løntilskud", "Løntilskudsjob i en privat virksomhed."),
                       ("Jobsøgningskursus", "Holdforløb om CV, ansøgning og samtale.")),
    "social": (("Budgetrådgivning", "Hjælp til overblik over gæld og aftale med "
                "kreditorer."),
               ("Bostøtte", "Socialpædagogisk støtte i hjemmet to gange om ugen."),
               ("Netværksmøde", "Møde med familie og venner om, hvem der kan hjælpe "
                "med hvad.")),
    "sundhed": (("Ambulant alkoholbehandling", "Samtaler hver uge og medicinsk behandling "
                 "efter aftale."),
                ("Holdtræning for ryg og bevægeapparat", "Træning på hold to gange om ugen."),
                ("Samtaleforløb hos psykolog", "Otte samtaler om angst og søvn."),
                ("Tandbehandling", "Akut og planlagt behandling via socialtandplejen.")),
    "uddannelse": (("Danskundervisning", "Modul 3 på sprogcentret, fire formiddage om "
                    "ugen."),
                   ("FVU-læsning", "Forberedende voksenundervisning i læsning."),
                   ("Brobygning til EUD", "Ti ugers forløb på erhvervsskolen.")),
}
PROVIDERS = ("Jobcenter Eksempel", "Rusmiddelcentret", "Sundhedscentret",
             "Sprogcenter Syd", "Gældsrådgivningen", "Lagerhuset ApS",
             "Kirkens Korshær", "Det Grønlandske Hus", "VUC Vest", "Kommunens bostøtte")
STATUSES = ("planlagt", "i_gang", "afsluttet", "afbrudt")

#: The kinds of deliberate mistakes, in the order they are put in.
MISTAKES = ("cpr_bad_date", "slut_before_start", "missing_ansvarlig", "month_outside",
            "cpr_lost_zero", "unknown_status", "bad_date_text", "unknown_key",
            "extra_column", "cpr_ambiguous")


@dataclass(frozen=True)
class Mistake:
    """One deliberate error: its kind, the main row's key and the cell it is in."""

    kind: str
    key: str
    place: str


def _add_months(day: _dt.date, months: int) -> _dt.date:
    month = day.month - 1 + months
    return _dt.date(day.year + month // 12, month % 12 + 1, 1)


def _month(day: _dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _issuer(caseworker: str, start: _dt.date) -> dict:
    """The issuer block (no department: the profile's first one is shown), made without
    drawing from the random stream, so the rest of a seed's data stays as it was."""
    login = caseworker.lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))
    number = sum(map(ord, caseworker)) % 90 + 10
    return {"sagsbehandler_telefon": f"70 10 20 {number}",
            "sagsbehandler_email": ".".join(login.split()) + "@example.dk",
            "dato": (start - _dt.timedelta(days=2)).isoformat()}


def citizen(rng: random.Random, lost_zero: bool = False) -> dict:
    """One fictitious citizen's indsatsplan (valid against the schema)."""
    born = _dt.date(1960, 1, 1) + _dt.timedelta(days=rng.randrange(0, 44 * 365))
    if lost_zero:
        born = born.replace(day=rng.randint(1, 9))
    digit7 = rng.randint(0, 3) if born.year < 2000 else rng.randint(4, 9)
    serial = f"{digit7}{rng.randint(0, 999):03d}"
    cpr = f"{born:%d%m%y}-{serial}"
    start = _dt.date(2024 + rng.randint(0, 1), rng.randint(1, 12), 1)
    months = rng.choice((6, 6, 9, 12))
    slut = _add_months(start, months) - _dt.timedelta(days=1)
    staff = rng.sample(STAFF, 3)
    items = []
    for _ in range(rng.randint(3, 9)):
        area = rng.choice(tuple(INTERVENTIONS))
        name, text = rng.choice(INTERVENTIONS[area])
        first = rng.randrange(0, months)
        last = rng.randrange(first, months)
        items.append({
            "omraade": area, "indsats": name, "beskrivelse": text,
            "start_maaned": _month(_add_months(start, first)),
            "slut_maaned": _month(_add_months(start, last)),
            "ansvarlig": rng.choice(staff), "leverandoer": rng.choice(PROVIDERS),
            "status": rng.choice(STATUSES),
        })
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return {
        "borger": {"navn": name, "cpr": cpr},
        "tovholder_primaer": staff[0],
        "tovholder_sekundaer": staff[1],
        "sagsbehandler": staff[2],
        "udsteder": _issuer(staff[2], start),
        "periode": {"start": start.isoformat(), "slut": slut.isoformat()},
        "maal": {"overordnet": rng.choice(GOALS),
                 "delmaal": rng.sample(SUBGOALS, rng.randint(1, 3))},
        "indsatser": items,
        "team": {"moede_dato": (start - _dt.timedelta(days=rng.randint(3, 20))).isoformat(),
                 "anbefalinger": "Teamet anbefaler, at indsatserne starter i den viste "
                 "rækkefølge, og at mentoren følger borgeren de første uger."},
        "opfoelgning": {
            "naeste_dato": (start + _dt.timedelta(days=rng.randint(30, 90))).isoformat(),
            "kontakt_ved_fravaer": f"{staff[1]}, tlf. {rng.randint(20, 99)} "
                                   f"{rng.randint(10, 99)} {rng.randint(10, 99)} "
                                   f"{rng.randint(10, 99)}",
            "aftaler": f"Tovholderne taler med {name.split()[0]} hver 14. dag.",
        },
    }


def citizens(rows: int, seed: int = 1) -> list[dict]:
    """``rows`` fictitious citizens, the same for the same seed."""
    rng = random.Random(seed)
    return [citizen(rng, lost_zero=(i % 7 == 3)) for i in range(rows)]


def write_indsats_workbook(path: str | Path, rows: int, seed: int = 1,
                           mistakes: int = 0) -> list[Mistake]:
    """Write an ``indsatsskema`` input workbook with ``rows`` fictitious citizens.

    With ``mistakes`` > 0, that many deliberate errors of the kinds in :data:`MISTAKES`
    (cycling) go into rows spread over the sheet. Returns where they are.
    """
    form = load_form("indsatsskema")
    data = citizens(rows, seed)
    rng = random.Random(seed + 1000)
    done: list[Mistake] = []
    lay = layout(form)
    main = lay.main.name
    col = {c.field.path: column_letter(i) for i, c in enumerate(lay.main.columns) if c.field}
    ind = next(s for s in lay.lists if s.list_path == "indsatser")
    icol = {c.field.key: column_letter(i) for i, c in enumerate(ind.columns) if c.field}
    step = max(rows // max(mistakes, 1), 1)
    targets = [min(5 + i * step, rows - 1) for i in range(mistakes)] if rows else []
    cell_edits: list[tuple[str, str, object]] = []
    for n, index in enumerate(targets):
        kind = MISTAKES[n % len(MISTAKES)]
        rec = data[index]
        key = str(index + 1)
        row = index + 2
        first_item_row = 2 + sum(len(d["indsatser"]) for d in data[:index])
        if kind == "cpr_bad_date":
            rec["borger"]["cpr"] = "320188-" + rec["borger"]["cpr"][-4:]
            done.append(Mistake(kind, key, f"{main}!{col['borger.cpr']}{row}"))
        elif kind == "slut_before_start":
            start = _dt.date.fromisoformat(rec["periode"]["start"])
            rec["periode"]["start"] = start.replace(day=15).isoformat()
            rec["periode"]["slut"] = start.replace(day=10).isoformat()
            for item in rec["indsatser"]:  # one problem only: items inside the month
                item["start_maaned"] = item["slut_maaned"] = _month(start)
            done.append(Mistake(kind, key, f"{main}!{col['periode.slut']}{row}"))
        elif kind == "missing_ansvarlig":
            rec["indsatser"][0].pop("ansvarlig")
            done.append(Mistake(kind, key, f"Indsatser!{icol['ansvarlig']}{first_item_row}"))
        elif kind == "month_outside":
            end = _dt.date.fromisoformat(rec["periode"]["slut"])
            rec["indsatser"][-1]["slut_maaned"] = _month(_add_months(end, 2))
            last = first_item_row + len(rec["indsatser"]) - 1
            done.append(Mistake(kind, key, f"Indsatser!{icol['slut_maaned']}{last}"))
        elif kind == "cpr_lost_zero":
            born = rec["borger"]["cpr"]
            rec["borger"]["cpr"] = "0" + born[1:] if born[0] != "0" else born
            cell_edits.append((main, f"{col['borger.cpr']}{row}",
                               int(rec["borger"]["cpr"].replace("-", ""))))
            done.append(Mistake(kind, key, f"{main}!{col['borger.cpr']}{row}"))
        elif kind == "unknown_status":
            rec["indsatser"][0]["status"] = "Færdig"
            done.append(Mistake(kind, key, f"Indsatser!{icol['status']}{first_item_row}"))
        elif kind == "bad_date_text":
            cell_edits.append((main, f"{col['team.moede_dato']}{row}", "31-02-2024"))
            done.append(Mistake(kind, key, f"{main}!{col['team.moede_dato']}{row}"))
        elif kind == "unknown_key":
            total = sum(len(d["indsatser"]) for d in data)
            cell_edits.append(("Indsatser", f"A{total + 2}", rows + 500))
            cell_edits.append(("Indsatser", f"{icol['indsats']}{total + 2}", "Mentorstøtte"))
            done.append(Mistake(kind, str(rows + 500), f"Indsatser!A{total + 2}"))
        elif kind == "extra_column":
            letter = column_letter(len(lay.main.columns))
            cell_edits.append((main, f"{letter}1", "Bemærkninger"))
            cell_edits.append((main, f"{letter}{row}", "Ring før mødet"))
            done.append(Mistake(kind, key, f"{main}!{letter}1"))
        elif kind == "cpr_ambiguous":
            cell_edits.append((main, f"{col['borger.cpr']}{row}", rng.randint(1000, 99999)))
            done.append(Mistake(kind, key, f"{main}!{col['borger.cpr']}{row}"))
    content = input_workbook(form, data)
    if cell_edits:
        content = _edit(content, cell_edits)
    Path(path).write_bytes(content)
    return done


def _edit(content: bytes, edits: list[tuple[str, str, object]]) -> bytes:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    for sheet, ref, value in edits:
        cell = book[sheet][ref]
        cell.value = value
        if isinstance(value, int):
            cell.number_format = "0"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


if __name__ == "__main__":
    target = ROOT / "samples" / "indsatsplaner.xlsx"
    placed = write_indsats_workbook(target, 212, seed=1, mistakes=10)
    print(f"{target}: {212} borgere, {len(placed)} bevidste fejl")
    for m in placed:
        print(f"  {m.kind:20} Nr. {m.key:>4}  {m.place}")
