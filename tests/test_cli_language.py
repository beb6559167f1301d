"""The command line speaks Danish all the way through, and fails honestly.

Every command's and sub-command's ``--help`` and the usual usage errors (missing argument,
unknown option, a word where a number belongs, a directory where a file belongs …) are
run, and none of click's English words may appear; the exit codes are those the README
gives. A bug in skema (an exception injected into its own code) is an unexpected error,
never "the file is damaged".
"""

from __future__ import annotations

import gettext
import importlib
import json
import re
from pathlib import Path

import click
import pytest

from toolkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
LOCALE = ROOT / "toolkit" / "locale" / "da" / "LC_MESSAGES"

#: click's English, as it would appear untranslated.
ENGLISH = re.compile(
    r"Usage:|Options:|Commands:|Show this message|Show the version|Missing (argument|option"
    r"|parameter|command)|No such (option|command)|is not a valid|is not in the range|"
    r"does not exist|is a file|is a directory|is not one of|Error:|Try '|Got unexpected|"
    r"requires an argument|does not take a value|Aborted|Did you mean|default:|required\]|"
    r"\[OPTIONS\]|COMMAND|\[ARGS\]|\b(FILE|PATH|DIRECTORY|INTEGER|TEXT|RANGE|FLOAT|BOOLEAN"
    r"|FILENAME|CHOICE)\b")
UNEXPECTED = ("Fejl: {file}: uventet fejl i skema (KeyError). Det er en fejl i programmet, "
              "ikke i filen.\n  Tip: Kør kommandoen igen som skema --debug … for at se "
              "detaljerne, og meld fejlen til udviklerne.\n")


def _commands(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    """(argv prefix, command) for every command and sub-command, the groups included."""
    yield prefix, group
    ctx = click.Context(group)
    for name in sorted(group.list_commands(ctx)):  # the root's lazy commands included
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


ALL = list(_commands())
IDS = [" ".join(p) or "skema" for p, _ in ALL]


def _danish(result) -> str:
    text = result.output
    assert not ENGLISH.search(text), f"click's English in:\n{text}"
    return text


# --- the catalogue ----------------------------------------------------------------------
def test_catalogue_has_every_message_of_click_and_the_mo_matches():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    with (LOCALE / "skema.po").open("rb") as handle:
        catalog = read_po(handle)
    click_dir = Path(click.__file__).parent
    found = {msg[2] if isinstance(msg[2], str) else msg[2][0]
             for msg in extract_from_dir(str(click_dir),
                                         keywords={"_": None, "ngettext": (1, 2)})}
    missing = sorted(m for m in found if not catalog.get(m) or not catalog.get(m).string)
    assert not missing, f"click messages without a Danish translation: {missing}"
    with (LOCALE / "skema.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(*message.id, 1) == message.string[0]
            assert compiled.ngettext(*message.id, 2) == message.string[1]
        else:
            assert compiled.gettext(message.id) == message.string, message.id


def test_catalogue_only_while_a_command_runs(run):
    assert gettext.gettext("Usage:") == "Usage:"
    assert "Brug: skema" in run("--help").output
    assert gettext.gettext("Usage:") == "Usage:"  # the test process is left as it was


# --- help and usage errors for every command --------------------------------------------
@pytest.mark.parametrize(("argv", "command"), ALL, ids=IDS)
def test_help_is_danish(run, argv, command):
    result = run(*argv, "--help")
    assert result.exit_code == 0
    text = _danish(result)
    assert text.startswith(f"Brug: skema {' '.join(argv)}".rstrip() + " [TILVALG]")
    assert "Tilvalg:" in text and "-h, --help" in text and "Vis denne hjælp og afslut." in text
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{param.opts} has no help text"


@pytest.mark.parametrize(("argv", "command"), ALL, ids=IDS)
def test_unknown_option_is_danish_usage_error(run, argv, command):
    result = run(*argv, "--nope")
    assert result.exit_code == 2
    text = _danish(result)
    assert "Fejl: Ukendt tilvalg '--nope'." in text or "Fejl: Ukendt tilvalg: --nope" in text
    assert f"Se 'skema {' '.join(argv)}".rstrip() + " --help' for hjælp." in text


def _needs_something(command: click.Command) -> bool:
    return isinstance(command, click.Group) or any(p.required for p in command.params)


@pytest.mark.parametrize(("argv", "command"), [(a, c) for a, c in ALL if _needs_something(c)],
                         ids=[i for i, (_, c) in zip(IDS, ALL) if _needs_something(c)])
def test_missing_arguments_are_danish(run, argv, command):
    result = run(*argv)
    if isinstance(command, click.Group):  # click shows the group's help
        assert result.exit_code == 2
        assert _danish(result).startswith("Brug: skema")
        return
    assert result.exit_code == 2
    text = _danish(result)
    assert "Fejl: Mangler " in text


def _int_options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)
            and isinstance(p.type, (click.types.IntParamType, click.IntRange))]


def _path_params(command: click.Command) -> list[click.Parameter]:
    return [p for p in command.params if isinstance(p.type, click.Path)]


def _fill_required(command: click.Command, skip: click.Parameter, tmp_path: Path) -> list[str]:
    """Arguments and required options with harmless values, except ``skip``."""
    args, opts = [], []
    for p in command.params:
        if p is skip or not p.required:
            continue
        if isinstance(p, click.Argument):
            args.append("strategi" if p.name in ("form",) else str(SAMPLES / "strategi.json"))
        else:
            value = {"before": "2025-01-01", "date": "2025-01-01", "cpr": "010190-1234"}
            opts += [p.opts[0], value.get(p.name or "", str(tmp_path / "ud.docx"))]
    return opts + args


@pytest.mark.parametrize(("argv", "command"),
                         [(a, c) for a, c in ALL if _int_options(c)],
                         ids=[i for i, (_, c) in zip(IDS, ALL) if _int_options(c)])
def test_bad_integer_is_danish(run, tmp_path, argv, command):
    for option in _int_options(command):
        result = run(*argv, *_fill_required(command, option, tmp_path), option.opts[-1], "abc")
        assert result.exit_code == 2, result.output
        text = _danish(result)
        assert f"Fejl: Ugyldig værdi for '{option.opts[-1]}': 'abc' er ikke et tal." in text
        low = getattr(option.type, "min", None)
        if low is None:
            continue
        result = run(*argv, *_fill_required(command, option, tmp_path), option.opts[-1],
                     str(low - 1))
        assert result.exit_code == 2
        assert "er uden for det tilladte interval" in _danish(result)


@pytest.mark.parametrize(("argv", "command"),
                         [(a, c) for a, c in ALL if _path_params(c)],
                         ids=[i for i, (_, c) in zip(IDS, ALL) if _path_params(c)])
def test_directory_for_a_file_and_file_for_a_directory(run, tmp_path, argv, command):
    a_file = tmp_path / "fil.json"
    a_file.write_text("{}", encoding="utf-8")
    for param in _path_params(command):
        wrong = a_file if not param.type.file_okay else tmp_path
        if param.type.file_okay and param.type.dir_okay:
            continue
        value = [str(wrong)]
        if isinstance(param, click.Option):
            value = [param.opts[-1], str(wrong)]
        result = run(*argv, *_fill_required(command, param, tmp_path), *value)
        assert result.exit_code == 2, (param.name, result.output)
        text = _danish(result)
        assert (f"'{wrong}' er en mappe, ikke en fil." in text
                or f"'{wrong}' er en fil, ikke en mappe." in text), text


@pytest.mark.parametrize("argv", [
    ("schema", "strategi", "ekstra"), ("nope",), ("consent", "nope"),
    ("batch", "indsatsskema", "x.xlsx", "-o", "ud", "--format", "odt"),
])
def test_other_usage_errors_are_danish(run, argv):
    result = run(*argv)
    assert result.exit_code == 2
    text = _danish(result)
    assert text.count("Fejl: ") == 1


def test_output_help_names_every_suffix(run):
    def help_of(*argv):
        return " ".join(run(*argv, "-h").output.split())

    assert "filtypen vælger formatet: .docx, .pdf eller .xlsx." in help_of("blank")
    assert "filtypen vælger formatet: .docx eller .pdf." in help_of("fill")
    assert ".json (svarene som JSON) eller .xlsx" in help_of("extract")
    assert "Regnearket der skrives: .xlsx." in help_of("collect")
    assert "Zip-filen der skrives: .zip." in help_of("consent", "export")


# --- exit codes -------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ("validate", "strategi", "{missing}"),
    ("fill", "strategi", "{missing}", "-o", "{out}.docx"),
    ("extract", "{missing}"),
    ("batch", "indsatsskema", "{missing}", "-o", "{out}"),
    ("collect", "{missing}", "-o", "{out}"),
    ("consent", "add", "{missing}", "--archive", "{out}"),
    ("validate", "indsatsskema", "{missing_xlsx}"),
    ("fill", "strategi", str(SAMPLES / "strategi.json"), "-o", "{out}.docx", "--template",
     "{missing}"),
    ("batch", "indsatsskema", str(SAMPLES / "indsatsplaner.xlsx"), "-o", "{out}",
     "--template", "{missing}"),
    ("consent", "add", str(SAMPLES / "samtykker" / "scannet-samtykke.pdf"), "--archive",
     "{out}", "--trust-root", "{missing}"),
])
def test_a_missing_file_is_exit_2_for_every_command(run, tmp_path, argv):
    values = {"missing": tmp_path / "findes-ikke.json", "out": tmp_path / "ud",
              "missing_xlsx": tmp_path / "findes-ikke.xlsx"}
    result = run(*[a.format(**values) for a in argv])
    assert result.exit_code == 2, result.output
    assert "findes ikke" in _danish(result)


def test_fill_with_problems_writes_and_exits_1(run, tmp_path):
    data = json.loads((SAMPLES / "strategi.json").read_text(encoding="utf-8"))
    data["kontaktperson"]["email"] = "hans.kommune.dk"
    path = tmp_path / "strategi.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "strategi.docx"
    result = run("fill", "strategi", path, "-o", out)
    assert result.exit_code == 1
    assert out.is_file()
    assert (f'{path}: kontaktperson.email: "Kontaktperson – e-mail" skal være en '
            "e-mailadresse, fx navn@kommune.dk") in result.output
    assert (f"{out}: udfyldt formular skrevet, men dataene har 1 problem (se ovenfor)"
            in result.output)


@pytest.mark.parametrize(("data", "reason"), [
    ({"x": 1, "y": 2}, 'ingen af deres felter (x, y) findes i den.'),
    (json.loads((SAMPLES / "handleplan.json").read_text(encoding="utf-8")),
     'kun 1 af deres 4 felter findes i den (ikke aktiviteter, dato, projektleder); de '
     'ligner formularen "handleplan".'),
])
def test_fill_refuses_data_for_another_form(run, tmp_path, data, reason):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "x.docx"
    result = run("fill", "strategi", path, "-o", out)
    assert result.exit_code == 1
    assert result.output == (
        f'Fejl: {path}: dataene hører ikke til formularen "strategi": {reason}\n'
        '  Tip: Brug en datafil til formularen "strategi" (se skema schema strategi), eller '
        "udfyld den formular, dataene hører til.\n")
    assert not out.exists()


def test_renamed_options(run):
    fill_help = run("fill", "-h").output
    assert "--row N" in fill_help and "--key NØGLE" in fill_help
    assert "--raekke" not in fill_help and "--noegle" not in fill_help
    add_help = run("consent", "add", "-h").output
    for option in ("--name", "--purpose", "--party", "--info-type", "--valid-from",
                   "--valid-to", "--municipality", "--caseworker", "--case-number"):
        assert option in add_help
    assert "--show-cpr" in run("consent", "list", "-h").output
    assert "--jobs N" in run("collect", "-h").output
    assert "--jobs N" in run("batch", "-h").output


# --- failing honestly --------------------------------------------------------------------
def _bug(*_args, **_kwargs):
    raise KeyError("felt")


@pytest.mark.parametrize(("suffix", "target"), [
    ("docx", "toolkit.readers.docx.controls_to_data"),
    ("pdf", "toolkit.readers.pdf._from_fields"),
])
def test_a_bug_in_extraction_is_an_unexpected_error(run, tmp_path, monkeypatch, suffix,
                                                    target):
    doc = tmp_path / f"strategi.{suffix}"
    assert run("fill", "strategi", SAMPLES / "strategi.json", "-o", doc).exit_code == 0
    module, _, name = target.rpartition(".")
    monkeypatch.setattr(importlib.import_module(module), name, _bug)
    other = tmp_path / ("handleplan.pdf" if suffix == "docx" else "handleplan.docx")
    assert run("fill", "handleplan", SAMPLES / "handleplan.json", "-o", other).exit_code == 0
    result = run("extract", doc, other)
    assert result.exit_code == 1
    assert result.stderr == UNEXPECTED.format(file=doc)
    assert "beskadiget" not in result.output
    got = json.loads(result.stdout)  # one bug, one file: the other is read
    assert [g["formular"] for g in got] == [None, "handleplan"]
    assert got[0]["fejl"] == "uventet fejl i skema (KeyError)"
    debug = run("--debug", "extract", doc)
    assert debug.exit_code == 1
    assert "Traceback (most recent call last):" in debug.output
    assert "KeyError: 'felt'" in debug.output and "_bug" in debug.output


def test_a_bug_in_collect_is_an_internal_error_for_that_file_only(run, tmp_path,
                                                                 monkeypatch):
    from openpyxl import load_workbook

    folder = tmp_path / "ind"
    folder.mkdir()
    assert run("fill", "strategi", SAMPLES / "strategi.json", "-o",
               folder / "a.docx").exit_code == 0
    assert run("fill", "strategi", SAMPLES / "strategi.json", "-o",
               folder / "b.pdf").exit_code == 0
    monkeypatch.setattr(importlib.import_module("toolkit.readers.pdf"), "_from_fields", _bug)
    out = tmp_path / "samlet.xlsx"
    result = run("collect", folder, "-o", out, "--jobs", "1")
    assert result.exit_code == 1
    assert ("b.pdf: intern fejl: intern fejl i skema (KeyError) – meld den til udviklerne; "
            "filen er ikke nødvendigvis beskadiget") in result.output
    assert "ulæselig" not in result.output and "beskadiget og" not in result.output
    status = {r[0]: r[3] for r in load_workbook(out)["Status"].iter_rows(min_row=2,
                                                                          values_only=True)}
    assert status == {"a.docx": "ok", "b.pdf": "intern fejl"}


def _raised_in_toolkit(source: str) -> BaseException:
    """The exception that ``source`` raises when run as code of a toolkit module."""
    import toolkit.errors as errors_module

    namespace = {"__name__": "toolkit.errors"}
    exec(compile(f"def boom():\n    {source}\n", errors_module.__file__, "exec"), namespace)
    try:
        namespace["boom"]()
    except Exception as exc:  # noqa: BLE001 - what it raised is what the test looks at
        return exc
    raise AssertionError("nothing raised")


def test_parser_errors_are_told_from_skema_bugs():
    from toolkit.errors import raised_by_parser

    # skema's own line: a bug
    assert not raised_by_parser(_raised_in_toolkit("{}['x']"))
    assert not raised_by_parser(_raised_in_toolkit("int('x')"))
    # raised inside a parser skema called (pure Python: zipfile, pypdf)
    assert raised_by_parser(_raised_in_toolkit(
        "__import__('zipfile').ZipFile(__import__('io').BytesIO(b'ikke en zip'))"))
    assert raised_by_parser(_raised_in_toolkit(
        "__import__('pypdf').PdfReader(__import__('io').BytesIO(b'%PDF-1.4 x'))"))
    # a compiled parser's own error class, raised without a Python frame of its own
    assert raised_by_parser(_raised_in_toolkit("__import__('zlib').decompress(b'xx')"))


def test_an_error_of_the_machine_is_not_a_bug_in_skema(run, monkeypatch):
    import errno

    import toolkit.catalogue as catalogue

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "ud/plan.docx")

    monkeypatch.setattr(catalogue, "form_titles", full)
    result = run("forms")
    assert result.exit_code == 1
    assert result.stderr == "Fejl: ud/plan.docx: der er ikke plads på disken.\n"
