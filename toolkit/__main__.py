"""``python -m toolkit`` runs the ``skema`` command line."""

from .cli import main

main()
