"""``skema profile new -o kommune.yaml`` and the root option ``--profile`` that names it."""

from __future__ import annotations

import click

from ..errors import SkemaError
from ..fileio import write_atomic
from ..profile import Profile, load_profile
from . import fail
from .base import Group


def current_profile() -> Profile | None:
    """The profile named by ``skema --profile`` (or ``$SKEMA_PROFILE``), read once; None
    without one (neutral documents)."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx is not None else None
    if root is None or not isinstance(root.obj, dict) or not root.obj.get("profile_path"):
        return None
    if "profile" not in root.obj:
        try:
            root.obj["profile"] = load_profile(root.obj["profile_path"])
        except SkemaError as exc:
            raise fail(exc, 2) from None
        if root.obj["profile"].font_warning:  # once: the profile is read once
            click.echo(f"Advarsel: {root.obj['profile'].font_warning}", err=True)
    return root.obj["profile"]


@click.group("profile", cls=Group)
def profile_cmd() -> None:
    """Kommunens profil (kommune.yaml): navn, logo, kontakter og samtykketekster."""


@profile_cmd.command("new")
@click.option("-o", "--output", required=True, metavar="FIL.yaml",
              type=click.Path(dir_okay=False), help="Profilen der skrives (.yaml).")
@click.option("--overwrite", is_flag=True, help="Overskriv en eksisterende fil.")
def profile_new(output: str, overwrite: bool) -> None:
    """Skriv en kommenteret profil at starte fra; ret den til kommunens oplysninger."""
    from ..profile import STARTER

    try:
        write_atomic(output, STARTER.encode("utf-8"), overwrite=overwrite)
    except SkemaError as exc:
        raise fail(exc) from None
    click.echo(f"{output}: profil skrevet; ret den til kommunens oplysninger")


@profile_cmd.command("check")
@click.argument("path", metavar="FIL.yaml", type=click.Path(dir_okay=False))
def profile_check(path: str) -> None:
    """Kontroller en profil og vis hver fejl med dens sted."""
    try:
        profile = load_profile(path)
    except SkemaError as exc:
        raise fail(exc) from None
    click.echo(f"{path}: profilen for {profile.name} er i orden")
