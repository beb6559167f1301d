"""The command line's progress bar: click.progressbar fed by the library's callback."""

from __future__ import annotations

import io
import re

from toolkit.commands.progress import ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_drawn_on_a_terminal_and_redrawn_after_a_message():
    out = _Terminal()
    bar = ProgressBar("Rækker", file=out, interval=0)
    bar(0, 4)
    bar(2, 4)
    bar.finish()
    out.write("Række 3 er ugyldig\n")
    bar(4, 4)
    bar.finish()
    text = re.sub(r"\x1b\[\?25[lh]", "", out.getvalue())  # cursor hidden while drawn
    assert text.split("\r")[1:] == [
        "Rækker  [------------------------------------]  0/4",
        "Rækker  [##################------------------]  2/4\nRække 3 er ugyldig\n",
        "Rækker  [####################################]  4/4\n"]


def test_no_bar_when_not_a_terminal():
    out = io.StringIO()
    bar = ProgressBar("Rækker", file=out)
    bar(1, 2)
    bar.finish()
    assert out.getvalue() == ""


def test_openpyxl_parses_with_defusedxml():
    """defusedxml is a dependency: openpyxl then refuses XML entity tricks."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
