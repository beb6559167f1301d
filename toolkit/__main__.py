"""``python -m toolkit`` runs the ``skema`` command line."""

from .program import run

run()
