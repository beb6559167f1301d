"""``python -m toolkit`` runs the ``skema`` command line."""

from .cli import run

run()
