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
from pathlib import Path
from typing import Any

from .errors import SkemaError

#: The font family every PDF and image uses (DejaVu Sans; licence in toolkit/fonts/LICENSE).
FONT_FILES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "bolditalic": "DejaVuSans-BoldOblique.ttf",
}

_CHECKOUT = Path(__file__).resolve().parent.parent


def package_file(name: str) -> Any:
    """The package resource ``toolkit/<name>`` (a file or folder; may not exist): a
    :class:`~pathlib.Path` where the package is a folder on the disk, else what
    :func:`importlib.resources.files` gives (it can be read, not always opened by path)."""
    here = Path(__file__).parent
    if (here / "__init__.py").is_file():
        return here / name
    from importlib import resources

    return resources.files("toolkit").joinpath(name)


def _on_disk(name: str) -> Path:
    """The package resource ``toolkit/<name>`` as a file-system path (may not exist)."""
    found = package_file(name)
    if not isinstance(found, Path):  # a zipped install: reportlab and Pillow need real files
        raise SkemaError(f"skema kan ikke læse sine egne filer ({name}) fra en zip-fil.",
                         hint="Installer skema som en almindelig pakke (pip install).")
    return found


def bundled_dir(name: str, env: str) -> Path:
    """A folder of shipped files: ``$env`` if set, else the package's, else the checkout's.

    ``name`` is the folder's name both inside the wheel (``toolkit/<name>``) and at the top
    of the repository (``<repo>/<name>``).
    """
    override = os.environ.get(env)
    if override:
        return Path(override)
    inside = _on_disk(name)
    if inside.is_dir():
        return inside
    return _CHECKOUT / name


def font_file(style: str = "regular") -> str:
    """The bundled TrueType file of a style (``regular``, ``bold``, ``italic``, ``bolditalic``).

    The host's fonts are never used, so a PDF or image looks the same on every machine.
    """
    path = _on_disk("fonts") / FONT_FILES[style]
    if not path.is_file():
        raise SkemaError(f"Skrifttypen {FONT_FILES[style]} mangler i installationen af skema.",
                         hint="Geninstaller skema (pip install --force-reinstall skema).")
    return str(path)


def data_text(name: str) -> str:
    """The text of a shipped data table, ``toolkit/data/<name>``."""
    return package_file(f"data/{name}").read_text(encoding="utf-8")
