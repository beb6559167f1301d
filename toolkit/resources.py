"""Files that ship inside the package: schemas, Word templates, fonts and data tables.

Everything is found inside the package, so an installed wheel needs nothing from the
repository: next to this module where the package is a folder on the disk (every pip
install; :mod:`importlib.resources` would give the same paths, but loading it costs a
command's start 8 ms), through :mod:`importlib.resources` where it is not. The wheel
carries the repository's top-level ``schemas/`` and ``form_templates/`` as
``toolkit/schemas`` and ``toolkit/form_templates`` (see ``[tool.setuptools.package-dir]``
in pyproject.toml); in a checkout (a plain clone, or an editable install) those two are
not inside the package and are read from the repository.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .errors import SkemaError

if TYPE_CHECKING:
    from pathlib import Path

#: The font family every PDF and image uses (DejaVu Sans; licence in toolkit/fonts/LICENSE).
FONT_FILES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "bolditalic": "DejaVuSans-BoldOblique.ttf",
}

_HERE = os.path.dirname(__file__)


def package_path(name: str) -> str | None:
    """The package resource ``toolkit/<name>`` as a file-system path (a string; may not
    exist) where the package is a folder on the disk, else None.

    Strings and :mod:`os.path`, not :mod:`pathlib`: ``skema --help`` and ``skema forms``
    come here, and loading pathlib (with ``urllib.parse``) costs them ~5 ms."""
    if os.path.isfile(os.path.join(_HERE, "__init__.py")):
        return os.path.join(_HERE, *name.split("/"))
    return None


def package_file(name: str) -> Any:
    """The package resource ``toolkit/<name>`` (a file or folder; may not exist): a
    :class:`~pathlib.Path` where the package is a folder on the disk, else what
    :func:`importlib.resources.files` gives (it can be read, not always opened by path)."""
    found = package_path(name)
    if found is not None:
        from pathlib import Path

        return Path(found)
    from importlib import resources

    return resources.files("toolkit").joinpath(name)


def package_bytes(name: str) -> bytes:
    """The bytes of the package file ``toolkit/<name>``."""
    found = package_path(name)
    if found is None:
        return package_file(name).read_bytes()
    with open(found, "rb") as handle:
        return handle.read()


def _on_disk(name: str) -> str:
    """The package resource ``toolkit/<name>`` as a file-system path (may not exist)."""
    found = package_path(name)
    if found is None:  # a zipped install: reportlab and Pillow need real files
        raise SkemaError(f"skema kan ikke læse sine egne filer ({name}) fra en zip-fil.",
                         hint="Installer skema som en almindelig pakke (pip install).")
    return found


def bundled_folder(name: str, env: str) -> str:
    """A folder of shipped files as a path string: ``$env`` if set, else the package's,
    else the checkout's.

    ``name`` is the folder's name both inside the wheel (``toolkit/<name>``) and at the top
    of the repository (``<repo>/<name>``).
    """
    override = os.environ.get(env)
    if override:
        return override
    inside = _on_disk(name)
    if os.path.isdir(inside):
        return inside
    return os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), name)


def bundled_dir(name: str, env: str) -> Path:
    """:func:`bundled_folder` as a :class:`~pathlib.Path`."""
    from pathlib import Path

    return Path(bundled_folder(name, env))


def font_file(style: str = "regular") -> str:
    """The bundled TrueType file of a style (``regular``, ``bold``, ``italic``, ``bolditalic``).

    The host's fonts are never used, so a PDF or image looks the same on every machine.
    """
    path = os.path.join(_on_disk("fonts"), FONT_FILES[style])
    if not os.path.isfile(path):
        raise SkemaError(f"Skrifttypen {FONT_FILES[style]} mangler i installationen af skema.",
                         hint="Geninstaller skema (pip install --force-reinstall skema).")
    return path


def data_text(name: str) -> str:
    """The text of a shipped data table, ``toolkit/data/<name>``."""
    found = package_path(f"data/{name}")
    if found is None:
        return package_file(f"data/{name}").read_text(encoding="utf-8")
    with open(found, encoding="utf-8") as handle:
        return handle.read()
