"""Edit filled Word forms in LibreOffice through UNO, as a partner would (issue 11 matrix).

Run with the Python that has LibreOffice's ``uno`` module (Debian: /usr/bin/python3 with
python3-uno), not the test's Python: ``/usr/bin/python3 uno_edit.py job.json``. The job is
``{"soffice": path, "profile": dir, "files": [{"src", "dst", "candidates", "replacement",
"paragraph"}]}``. For each file: replace the first candidate answer that occurs exactly once
in the text by ``replacement``, type ``paragraph`` as a new paragraph at the end, store as
"MS Word 2007 XML". Prints a JSON list with the candidate replaced (or null) per file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException
from com.sun.star.text.ControlCharacter import PARAGRAPH_BREAK


def _prop(name: str, value: object) -> PropertyValue:
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _connect(pipe: str, proc: subprocess.Popen):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + 90
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _last_paragraph(text):
    """The body's last paragraph (the text's very end, after a last table, takes no text)."""
    last = None
    paragraphs = text.createEnumeration()
    while paragraphs.hasMoreElements():
        element = paragraphs.nextElement()
        if element.supportsService("com.sun.star.text.Paragraph"):
            last = element
    return last


def _edit(desktop, item: dict) -> str | None:
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(item["src"]), "_blank", 0, (_prop("Hidden", True),))
    try:
        chosen = None
        for candidate in item["candidates"]:
            search = doc.createSearchDescriptor()
            search.SearchString = candidate
            search.SearchCaseSensitive = True
            if doc.findAll(search).getCount() == 1:
                replace = doc.createReplaceDescriptor()
                replace.SearchString = candidate
                replace.SearchCaseSensitive = True
                replace.ReplaceString = item["replacement"]
                doc.replaceAll(replace)
                chosen = candidate
                break
        text = doc.getText()
        cursor = text.createTextCursorByRange(_last_paragraph(text).getEnd())
        text.insertControlCharacter(cursor, PARAGRAPH_BREAK, False)
        text.insertString(cursor, item["paragraph"], False)
        doc.storeToURL(uno.systemPathToFileUrl(item["dst"]),
                       (_prop("FilterName", "MS Word 2007 XML"),))
        return chosen
    finally:
        doc.close(True)


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    pipe = f"skema_uno_{os.getpid()}"
    proc = subprocess.Popen(
        [job["soffice"], f"-env:UserInstallation={Path(job['profile']).as_uri()}",
         "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    desktop = None
    try:
        ctx = _connect(pipe, proc)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop",
                                                               ctx)
        results = [_edit(desktop, item) for item in job["files"]]
        print(json.dumps(results))
    finally:
        if desktop is not None:
            try:
                desktop.terminate()
            except Exception:  # noqa: BLE001 - the office may already be gone
                pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
