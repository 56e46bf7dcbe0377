"""The explorer page: the network of :mod:`graph.viz.network` in one HTML document.

The page is the same whether the server sends it (``/viz``: scripts and styles linked from
the app) or the CLI writes it to a file (``recruitgraph viz --out``: everything inlined, so
the file opens anywhere with no network). Nothing is loaded from a CDN: vis-network comes from
the copy that pyvis ships, the page's own script and style from this package.

The level (organization | government) and the basis (all claims | reports only) are chosen on
the page. The served page asks ``/api/viz`` again with ``level=`` and ``basis=``; a file holds
the level it was written with (``recruitgraph viz --level``), so its level toggle is disabled
and says how to write the other, while its basis filter works in the page (every claim
carries its basis) unless the file was written with ``--basis report``.

Escaping: the template autoescapes, the data travels as JSON inside a ``<script
type="application/json">`` element with ``<``, ``>`` and ``&`` written as ``\\u`` escapes (no
label can close the element), and the page's script puts every text from the data into the
document as text, never as HTML. A Content-Security-Policy forbids inline scripts on the served
page and every connection from the file.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from functools import cache
from importlib.resources import files
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from graph.store.spreadsheet import FORMULA_STARTS, NUMBER
from graph.viz.groups import MAX_WITH

_STATIC = Path(str(files("graph.viz") / "static"))


def _package_dir(name: str) -> Path:
    """The directory of the package ``name``, found without importing it (pyvis imports
    IPython, which the server's HTTP process has no use for: see graph.viz.network)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"no package {name!r}")
    return Path(spec.submodule_search_locations[0])


_VIS = _package_dir("pyvis") / "lib" / "vis-9.1.2"

#: The files the page needs, by the name it links them under.
ASSETS: dict[str, Path] = {
    "vis-network.min.js": _VIS / "vis-network.min.js",
    "vis-network.css": _VIS / "vis-network.css",
    "shared.js": _STATIC / "shared.js",
    "links.js": _STATIC / "links.js",
    "explorer.js": _STATIC / "explorer.js",
    "explorer.css": _STATIC / "explorer.css",
}
#: The script of the aggregate view (:func:`groups_page`), which links the explorer's others.
GROUPS_ASSETS: dict[str, Path] = {"groups.js": _STATIC / "groups.js"}
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

#: The policy of the served page: its own scripts only, connections to itself only.
SERVED_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'self'"
)
#: The policy of the single file: its inlined scripts, and no connection anywhere.
FILE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("graph.viz", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def json_for_script(data: Any) -> Markup:
    """``data`` as JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&``
    appears literally, so no string in the data can end the element or start a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def inline_asset(path: Path) -> Markup:
    """The text of a script or style file, safe to put inside its ``<script>`` or ``<style>``
    element."""
    text = path.read_text(encoding="utf-8")
    # An inlined script or style ends at the first "</script" or "</style", wherever it is.
    closing = "</script" if path.suffix == ".js" else "</style"
    return Markup(text.replace(closing, "<\\/" + closing[2:]))


def _inline(name: str) -> Markup:
    return inline_asset(ASSETS[name])


def explorer_page(
    data: dict[str, Any],
    *,
    assets_url: str | None = None,
    api_url: str | None = None,
    title: str = "recruitgraph explorer",
) -> str:
    """The HTML page over ``data`` (:func:`graph.viz.network.explorer_data`).

    ``assets_url``: where the page links its scripts and styles (the server's ``/viz/assets``);
    None inlines them, for a single file. ``api_url``: the server's base URL path, from which
    the page fetches another dataset selection and the timeline; None for a file, which then
    filters what it holds.
    """
    template = _environment().get_template("explorer.html")
    return template.render(
        title=title,
        synthetic=data["synthetic"],
        data=json_for_script(data),
        # The page's CSV export makes formula cells text by the server's own rule.
        config=json_for_script(
            {"api": api_url, "formula": {"starts": FORMULA_STARTS, "number": NUMBER.pattern}}
        ),
        assets_url=assets_url,
        inline=None if assets_url is not None else {name: _inline(name) for name in ASSETS},
        policy=FILE_POLICY if assets_url is None else None,
    )


def groups_page(
    data: dict[str, Any],
    *,
    assets_url: str,
    api_url: str,
    threshold: int,
    stored: int | None = None,
    title: str = "recruitgraph explorer",
) -> str:
    """The explorer's aggregate view (:mod:`graph.viz.groups`) over ``data``
        (:func:`graph.viz.groups.aggregate_data`): groups of actors drawn first, opened through
        the server's API (``api_url``), so served only. ``threshold``: the number of actors past
        which the server draws this view, and ``stored`` the number of actors in the store (default:
    those of ``data``), which the page states; the filter controls show ``data["filter"]``."""
    template = _environment().get_template("explorer_groups.html")
    return template.render(
        title=title,
        synthetic=data["synthetic"],
        actors=data["actors"],
        stored=data["actors"] if stored is None else stored,
        groups=data,
        threshold=threshold,
        members_page=data["members_page"],
        data=json_for_script(data),
        config=json_for_script({"api": api_url, "max_opened": MAX_WITH}),
        assets_url=assets_url,
    )


def write_page(path: str | os.PathLike[str], data: dict[str, Any], **options: Any) -> Path:
    """Write the single-file page to ``path`` whole or not at all (a temporary file beside it,
    then a rename)."""
    return write_atomically(path, explorer_page(data, **options))


def write_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all (a temporary file beside it, then a
    rename)."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=".page-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return target


class Explorer:
    """The explorer as a notebook output: ``Explorer(data)`` as a cell's last line draws it.

    The page goes into an iframe's ``srcdoc`` (pyvis's own ``show`` is blank in VS Code and
    Colab); everything is inlined, so it works in an offline notebook too.
    """

    def __init__(self, data: dict[str, Any], *, height: int = 720) -> None:
        self.data = data
        self.height = height

    def html(self) -> str:
        """The whole page, as written by ``recruitgraph viz --out``."""
        return explorer_page(self.data)

    def _repr_html_(self) -> str:
        document = html.escape(self.html(), quote=True)
        return (
            f'<iframe srcdoc="{document}" style="width:100%;height:{self.height}px;border:0" '
            'sandbox="allow-scripts" title="recruitgraph explorer"></iframe>'
        )
