"""Names of a package imported when first asked for (PEP 562), so that importing the
package stays cheap: ``import toolkit`` for ``skema --help``, ``toolkit.consent`` before
``consent add`` has started its PDF/A copy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def lazy_names(package: str, names: dict[str, str],
               namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name of ``names`` (name → submodule)
    is imported from its submodule on first use and kept in ``namespace`` (the package's
    globals), so the next use is a plain look-up. The import statement's own path is used,
    which ``python -X importtime`` reports."""

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(__import__(f"{package}.{module}", fromlist=[name]), name)
        namespace[name] = value
        return value

    return getattr_
