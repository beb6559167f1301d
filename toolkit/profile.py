"""The municipality's profile (``kommune.yaml``): what makes a document the municipality's own.

A profile is a YAML file checked against ``toolkit/data/profile.schema.json``: the name,
logo, address and contacts printed in every page's header and footer, the data controller,
the data-protection adviser, the privacy policy and the contact for withdrawing a consent
(the consent form's art. 13 information), an optional font, and consent wording a
municipality's lawyers may replace. Paths in it (logo, font files) are relative to the
profile file. Without a profile every document stays neutral.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SkemaError
from .resources import data_text

#: The environment variable that names the profile when ``--profile`` is not given.
PROFILE_ENV = "SKEMA_PROFILE"
#: The longest a consent may run (months) when the profile does not say.
DEFAULT_MAX_MONTHS = 24
#: The consent texts a profile may replace (``samtykke.tekster``).
CONSENT_TEXT_KEYS = ("retsgrundlag", "formaal", "modtagere", "opbevaring")

_LOGO_TYPES = {".png": "png", ".svg": "svg"}
#: The font family shipped with skema: documents use it without a usable profile font.
BUNDLED_FONT = "DejaVu Sans"
#: The profile's font files by the renderers' style names.
_FONT_STYLES = {"normal": "regular", "fed": "bold", "kursiv": "italic",
                "fed_kursiv": "bolditalic"}
_TRUETYPE = (b"\x00\x01\x00\x00", b"true")


class ProfileError(SkemaError):
    """A profile that cannot be read or does not fit the profile schema."""


@dataclass(frozen=True)
class Profile:
    """A municipality's profile, read and checked (see :func:`load_profile`)."""

    name: str
    address: str
    phone: str
    email: str
    web: str
    cvr: str
    controller: str
    dpo: dict[str, str]
    privacy_url: str
    withdrawal: str
    departments: tuple[str, ...] = ()
    logo: Path | None = None
    font: dict[str, str] = field(default_factory=dict)
    consent_texts: dict[str, str] = field(default_factory=dict)
    max_consent_months: int = DEFAULT_MAX_MONTHS
    source: str = ""
    #: Why the profile's font is not used (Danish, shown once), empty when it is.
    font_warning: str = ""

    def font_family(self) -> str:
        """The font family the documents use: the profile's, or the bundled DejaVu Sans."""
        return self.font["navn"] if self.font_files() else BUNDLED_FONT

    def font_files(self) -> dict[str, str] | None:
        """The profile's TrueType files by style (regular, bold, italic, bolditalic; a
        missing style takes the nearest given one), None when the bundled font is used."""
        if not self.font.get("normal"):
            return None
        regular = self.font["normal"]
        bold = self.font.get("fed") or regular
        italic = self.font.get("kursiv") or regular
        return {"regular": regular, "bold": bold, "italic": italic,
                "bolditalic": self.font.get("fed_kursiv") or bold}

    @property
    def kommune(self) -> str:
        """The municipality's short name, as the 98 are written in a ``kommune`` field:
        the profile's name without ``Kommune`` (``Eksempel`` for ``Eksempel Kommune``)."""
        return re.sub(r"\s+kommune$", "", self.name.strip(), flags=re.IGNORECASE)

    def kommune_names(self) -> frozenset[str]:
        """The values a ``kommune`` field takes for this municipality besides the 98 (a
        fictitious or merged municipality): its short name and its full name."""
        return frozenset({self.kommune, self.name})

    def address_line(self) -> str:
        """The footer's line: address, phone, e-mail, web and CVR (the name is above)."""
        return " · ".join([self.address, f"Tlf. {self.phone}", self.email,
                           self.web, f"CVR {self.cvr}"])

    def dpo_contact(self) -> str:
        """The data-protection adviser as one line (name, e-mail, phone)."""
        parts = [self.dpo.get("navn", ""), self.dpo.get("email", ""),
                 f"tlf. {self.dpo['telefon']}" if self.dpo.get("telefon") else ""]
        return ", ".join(p for p in parts if p)

    def logo_png(self) -> bytes | None:
        """The logo as PNG bytes (None without a logo)."""
        if self.logo is None:
            return None
        return self.logo.read_bytes()

    def refs(self) -> dict[str, str]:
        """The ``{profil.…}`` references static text may use, by path."""
        refs = {
            "profil.navn": self.name, "profil.adresse": self.address,
            "profil.telefon": self.phone, "profil.email": self.email, "profil.web": self.web,
            "profil.cvr": self.cvr, "profil.dataansvarlig": self.controller,
            "profil.databeskyttelsesraadgiver": self.dpo_contact(),
            "profil.privatlivspolitik": self.privacy_url,
            "profil.tilbagekaldelse": self.withdrawal,
            "profil.maks_gyldighed": _months_text(self.max_consent_months),
        }
        for key, text in self.consent_texts.items():
            refs[f"profil.samtykke.{key}"] = text
        return refs


def _months_text(months: int) -> str:
    if months % 12 == 0:
        years = months // 12
        return f"{years} år"
    return f"{months} måneder"


def neutral_refs() -> dict[str, str]:
    """What ``{profil.…}`` references show without a profile: a line to fill in by hand."""
    gap = "[……….]"
    refs = {f"profil.{k}": gap for k in (
        "navn", "adresse", "telefon", "email", "web", "cvr", "dataansvarlig",
        "databeskyttelsesraadgiver", "privatlivspolitik", "tilbagekaldelse")}
    refs["profil.navn"] = "[xx] Kommune"
    refs["profil.tilbagekaldelse"] = "Kontakt din sagsbehandler"
    refs["profil.maks_gyldighed"] = _months_text(DEFAULT_MAX_MONTHS)
    return refs


def profile_schema() -> dict[str, Any]:
    """The JSON Schema every profile is checked against."""
    return json.loads(data_text("profile.schema.json"))


def load_profile(path: str | Path) -> Profile:
    """Read and check a profile file; :class:`ProfileError` (Danish, with place) if wrong."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: profilen findes ikke.",
                           hint="Tjek stien til --profile (eller $SKEMA_PROFILE), eller lav "
                                "en ny med \"skema profile new -o kommune.yaml\".") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: profilen kan ikke læses ({type(exc).__name__}).",
                           hint="Gem profilen som UTF-8-tekst.") from None
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (linje {mark.line + 1})" if mark is not None else ""
        raise ProfileError(f"{path}{where}: profilen er ikke gyldig YAML.",
                           hint="Tjek indrykning og kolon; se \"skema profile new\".") from None
    if not isinstance(raw, dict):
        raise ProfileError(f"{path}: profilen skal være en samling af felter (navn: …).",
                           hint="Start fra \"skema profile new -o kommune.yaml\".")
    problems = check_profile(raw, node)
    if problems:
        raise ProfileError(f"{path}: profilen har fejl:\n  - " + "\n  - ".join(problems),
                           hint="Ret felterne i profilen (se \"skema profile new\").")
    return _build(raw, path)


def check_profile(raw: Any, node: Any = None) -> list[str]:
    """Danish problems of a profile's data against the profile schema, each with its place."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(profile_schema())
    out = []
    for err in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.path))):
        path = ".".join(str(p) for p in err.absolute_path)
        where = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            where += extra[:1]  # the line of the unknown key
        line = _line(node, where)
        place = f"feltet \"{path}\"" if path else "profilen"
        if line:
            place += f" (linje {line})"
        out.append(f"{place}: {_message(err)}")
    return out


def _message(err: Any) -> str:
    kind = err.validator
    if kind == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        return f"mangler \"{missing}\""
    if kind == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return "ukendt felt " + ", ".join(f"\"{e}\"" for e in extra)
    if kind == "propertyNames":
        return (f"ukendt tekst \"{err.instance}\"; kan være "
                + ", ".join(CONSENT_TEXT_KEYS))
    if kind == "type":
        names = {"string": "tekst", "integer": "et helt tal", "object": "en samling af felter",
                 "array": "en liste"}
        return f"skal være {names.get(err.validator_value, err.validator_value)}"
    if kind == "pattern":
        field_name = str(err.absolute_path[-1]) if err.absolute_path else ""
        wanted = {"cvr": "8 cifre", "email": "en e-mailadresse",
                  "privatlivspolitik": "en webadresse, der starter med https://"}
        return f"skal være {wanted.get(field_name, 'i det rigtige format')}"
    if kind == "minLength":
        return "må ikke være tom"
    if kind in ("minimum", "maximum"):
        return f"skal være mellem 1 og 120 (er {err.instance})"
    return "har en værdi, der ikke passer"


def _line(node: Any, path: list) -> int | None:
    """The 1-based line of the YAML node at ``path`` (the nearest existing parent)."""
    import yaml

    line = None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            hit = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            hit = node.value[part]
        else:
            hit = None
        if hit is None:
            break
        node = hit
        line = node.start_mark.line + 1
    return line


def _file(base: Path, value: str, what: str) -> Path:
    path = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
    if not path.is_file():
        raise ProfileError(f"{base / value}: {what} findes ikke.",
                           hint="Stien regnes fra den mappe, profilen ligger i.")
    return path


def _build(raw: dict, path: Path) -> Profile:
    base = path.parent
    logo = None
    if raw.get("logo"):
        logo = _file(base, raw["logo"], "logoet")
        kind = _LOGO_TYPES.get(logo.suffix.lower())
        if kind == "svg":
            raise ProfileError(
                f"{path}: feltet \"logo\": SVG-logoer kan ikke bruges endnu "
                f"({logo.name}).",
                hint="Gem logoet som PNG (fx 600 punkter bredt) og skriv PNG-filens navn.")
        if kind != "png" or not logo.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"):
            raise ProfileError(f"{path}: feltet \"logo\": {logo.name} er ikke en PNG-fil.",
                               hint="Brug en PNG-fil (eller gem logoet som PNG).")
    font, font_warning = _font(raw.get("skrifttype"), base)
    consent = raw.get("samtykke") or {}
    return Profile(
        name=raw["navn"], address=raw["adresse"], phone=str(raw["telefon"]),
        email=raw["email"], web=raw["web"], cvr=str(raw["cvr"]),
        controller=raw["dataansvarlig"], dpo=dict(raw["databeskyttelsesraadgiver"]),
        privacy_url=raw["privatlivspolitik"], withdrawal=raw["tilbagekaldelse"],
        departments=tuple(raw.get("afdelinger") or ()), logo=logo, font=font,
        consent_texts=dict(consent.get("tekster") or {}),
        max_consent_months=int(consent.get("maks_gyldighed_maaneder", DEFAULT_MAX_MONTHS)),
        source=str(path), font_warning=font_warning,
    )


def _font(spec: dict | None, base: Path) -> tuple[dict[str, str], str]:
    """The profile's font (name and TrueType files), and why it is not used, if so."""
    if not spec or spec.get("navn") == BUNDLED_FONT:
        return {}, ""
    name = spec["navn"]
    fallback = f"dokumenterne bruger den medfølgende {BUNDLED_FONT}."
    if not spec.get("normal"):
        return {}, (f"Skrifttypen \"{name}\" følger ikke med skema, og profilen angiver ingen "
                    f"skriftfil (skrifttype.normal); {fallback}")
    font = {"navn": name}
    for key in _FONT_STYLES:
        if spec.get(key):
            file = _file(base, spec[key], "skrifttypen")
            if file.read_bytes()[:4] not in _TRUETYPE:
                return {}, (f"Skrifttypen \"{name}\": {file.name} er ikke en TrueType-fil "
                            f"(.ttf); {fallback}")
            font[key] = str(file)
    return font, ""


#: The commented starting file ``skema profile new`` writes.
STARTER = """\
# Kommunens profil til skema (https://…): navn, logo og kontaktoplysninger på hver side,
# og oplysningerne til samtykkeerklæringen (databeskyttelsesforordningens art. 13).
# Stier (logo, skrifttype) regnes fra den mappe, denne fil ligger i.
# Brug: skema --profile kommune.yaml fill … eller sæt SKEMA_PROFILE=kommune.yaml

# Kommunens officielle navn, som det står i sidehovedet.
navn: Eksempel Kommune
# Logo i sidehovedet: en PNG-fil (SVG understøttes ikke endnu). Slet linjen uden logo.
# logo: logo.png
# Adresse, telefon, e-mail, web og CVR står i sidefoden.
adresse: Rådhustorvet 1, 9999 Eksempelby
telefon: 70 10 20 30
email: kommune@example.dk
web: www.example.dk
cvr: "12345678"
# Afdelinger (fx jobcentret). Den første står under "Udstedt af" på det forberedende
# skema og indsatsplanen, når dataene ikke nævner en afdeling; webappen og Excel-
# indtastningsbogen (skema blank … -o input.xlsx) foreslår dem alle.
afdelinger:
  - Jobcenter Eksempel
# Den dataansvarlige (art. 13, stk. 1, litra a).
dataansvarlig: Eksempel Kommune, Rådhustorvet 1, 9999 Eksempelby
# Databeskyttelsesrådgiveren (art. 13, stk. 1, litra b).
databeskyttelsesraadgiver:
  navn: Databeskyttelsesrådgiveren
  email: dpo@example.dk
  telefon: 70 10 20 31
# Kommunens privatlivspolitik (webadresse).
privatlivspolitik: https://www.example.dk/privatliv
# Hvem borgeren kontakter for at trække et samtykke tilbage, og hvordan.
tilbagekaldelse: >-
  Kontakt din sagsbehandler eller Jobcenter Eksempel på telefon 70 10 20 30
  eller jobcenter@example.dk
# Skrifttype (valgfri; uden den bruges den medfølgende DejaVu Sans). TrueType-filer (.ttf):
# PDF'en indlejrer dem, Word skriver skrifttypens navn (den skal være installeret på pc'en).
# Uden skriftfiler, eller med andre end TrueType, bruges DejaVu Sans (med en advarsel).
# skrifttype:
#   navn: Min Skrift
#   normal: skrift/MinSkrift-Regular.ttf
#   fed: skrift/MinSkrift-Bold.ttf
samtykke:
  # Hvor længe et samtykke højst må gælde (måneder); længere giver en advarsel.
  maks_gyldighed_maaneder: 24
  # Tekster i samtykkeerklæringen, som kommunens jurister kan formulere anderledes.
  # Nøgler: retsgrundlag, formaal, modtagere, opbevaring. Uden dem bruges skemaets tekst.
  # tekster:
  #   retsgrundlag: >-
  #     Vi behandler oplysningerne efter …
"""
