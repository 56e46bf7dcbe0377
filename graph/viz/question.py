"""The question page: :func:`graph.analysis.question.question` drawn as Vega-Lite charts, each
with the claims it rests on, in one HTML document.

As with the explorer (:mod:`graph.viz.page`), the page is the same whether the server sends it
(``/``: scripts linked from ``/question/assets``) or the CLI writes it (``recruitgraph report
--out``: everything inlined, so the file opens anywhere with no network). Vega, Vega-Lite and
vega-embed are vendored in ``static/vendor/vega`` (see its README); nothing comes from a CDN.
Vega runs with its expression interpreter (vega-interpreter), so that neither page needs a
policy that allows ``eval``.

The charts are Vega-Lite specifications built here, from the data, so that what each chart
encodes (and what it never adds together) is stated in one place; the page's script only
embeds them and writes the tables of claims, as text, never as HTML.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.analysis.question import QUESTION
from graph.model.ontology import concept_texts, concepts, relation_labels, tiers
from graph.viz.network import _REPORT
from graph.viz.page import (
    _STATIC,
    FILE_POLICY,
    _environment,
    inline_asset,
    json_for_script,
    write_atomically,
)

__all__ = [
    "PAGE_CLAIMS",
    "PENDING_ASSETS",
    "QUESTION_ASSETS",
    "chart_specs",
    "chart_tables",
    "page_data",
    "page_part",
    "pending_page",
    "question_page",
    "write_question_page",
]

_VEGA = _STATIC / "vendor" / "vega"

#: The files the page needs, by the name it links them under (in the order it loads them).
QUESTION_ASSETS: dict[str, Path] = {
    "vega.min.js": _VEGA / "vega.min.js",
    "vega-lite.min.js": _VEGA / "vega-lite.min.js",
    "vega-embed.min.js": _VEGA / "vega-embed.min.js",
    "vega-interpreter.min.js": _VEGA / "vega-interpreter.min.js",
    "question.js": _STATIC / "question.js",
    "question.css": _STATIC / "question.css",
}

#: The files of the page shown while the figures are computed (:func:`pending_page`).
PENDING_ASSETS: dict[str, Path] = {
    "pending.js": _STATIC / "pending.js",
    "question.css": _STATIC / "question.css",
}

#: What an amount basis means on a chart's axis.
_BASIS_TITLES = {
    "per_recruit": "per recruit: median level (bar), its interval (line)",
    "total": "total paid out: sum of the year's claims",
    "unknown": "basis not stated: median (bar), its interval (line)",
}
_HEIGHT = 210


def _base(values: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "data": {"values": values},
        "width": "container",
        "height": _HEIGHT,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": {
            "legend": {"orient": "top"},
            "axis": {"labelFontSize": 11},
            "axisX": {"labelAngle": 0},
        },
    }
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 12}
    return spec


def _periods(values: list[dict[str, Any]]) -> list[str]:
    return sorted({str(v["period"]) for v in values})


def _period_x(values: list[dict[str, Any]]) -> dict[str, Any]:
    """The x axis of a chart by year: the periods of ``values`` in order, unnamed."""
    return {"field": "period", "type": "ordinal", "title": None, "sort": _periods(values)}


def _tier_color(legend: bool = True) -> dict[str, Any]:
    color: dict[str, Any] = {
        "field": "tier",
        "type": "nominal",
        "title": "tier",
        "scale": {"domain": list(tiers()), "scheme": "tableau10"},
    }
    if not legend:
        color["legend"] = None
    return color


#: Vega symbol shapes given to a chart's categories (tiers in the ontology's order, actions):
#: a category is told by its shape as well as its colour (not by hue alone).
_SHAPES = ("circle", "square", "diamond", "triangle-up", "cross", "triangle-down", "stroke")


def _marker(
    y: dict[str, Any], color: dict[str, Any], names: list[str], legend: bool = True
) -> dict[str, Any]:
    """A layer of one symbol per bar, at ``y`` (its top), shaped and coloured by the category
    of ``color`` (whose domain is ``names``): with the bars' colour it makes one legend of
    coloured shapes."""
    field = color["field"]
    shape: dict[str, Any] = {
        "field": field,
        "type": "nominal",
        "title": color.get("title", field),
        "scale": {
            "domain": names,
            "range": [_SHAPES[i % len(_SHAPES)] for i in range(len(names))],
        },
    }
    if not legend:
        shape["legend"] = None
    return {
        "mark": {
            "type": "point",
            "filled": True,
            "size": 45,
            "stroke": "#1d2329",
            "strokeWidth": 0.8,
            "opacity": 1,
        },
        "encoding": {
            "xOffset": {"field": field, "type": "nominal", "sort": names},
            "y": y,
            "color": color,
            "shape": shape,
        },
    }


def _tier_marker(y: dict[str, Any], legend: bool = True) -> dict[str, Any]:
    """:func:`_marker` for bars by tier."""
    return _marker(y, _tier_color(legend=legend), list(tiers()), legend=legend)


def _payer_specs(chart: dict[str, Any]) -> list[dict[str, Any]]:
    specs = []
    for index, panel in enumerate(chart["panels"]):
        currency, basis = panel["currency"], panel["amount_basis"]
        values = [
            {**r, "tier": r["payer_tier"]}
            for r in chart["rows"]
            if (r["currency"], r["amount_basis"]) == (currency, basis)
        ]
        x = _period_x(values)
        y_title = f"{currency} ({'total' if basis == 'total' else 'median level'})"
        tooltip = [
            {"field": "period", "type": "ordinal"},
            {"field": "tier", "type": "nominal", "title": "payer tier"},
            {"field": "flows", "type": "quantitative", "title": "claims with an amount"},
            {"field": "assessments", "type": "quantitative"},
            {"field": "median", "type": "quantitative", "format": ",.0f"},
            {"field": "median_low", "type": "quantitative", "format": ",.0f"},
            {"field": "median_high", "type": "quantitative", "format": ",.0f"},
            {
                "field": "median_coverage",
                "type": "quantitative",
                "format": ".0%",
                "title": "interval coverage",
            },
            {"field": "min", "type": "quantitative", "format": ",.0f"},
            {"field": "max", "type": "quantitative", "format": ",.0f"},
            {"field": "total", "type": "quantitative", "format": ",.0f"},
        ]
        bar = {
            # A click on a bar lists the claims behind it (question.js).
            "mark": {"type": "bar", "tooltip": True, "cursor": "pointer"},
            "encoding": {
                "x": x,
                "xOffset": {"field": "tier", "type": "nominal", "sort": list(tiers())},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "axis": {"format": "~s"},
                },
                # One legend for the panels, which share the colours.
                "color": _tier_color(legend=index == 0),
                "tooltip": tooltip,
            },
        }
        marker = _tier_marker({"field": "value", "type": "quantitative"}, legend=index == 0)
        marker["encoding"]["x"] = x
        layers = [bar, marker]
        if basis != "total":
            layers.append(
                {
                    "mark": {"type": "rule", "color": "#333", "strokeWidth": 1.5},
                    "encoding": {
                        "x": x,
                        "xOffset": {"field": "tier", "type": "nominal", "sort": list(tiers())},
                        # The median's distribution-free interval (its coverage in the
                        # tooltip: under 95% for fewer than six claims).
                        "y": {"field": "median_low", "type": "quantitative"},
                        "y2": {"field": "median_high"},
                        "tooltip": tooltip,
                    },
                }
            )
        title = f"{currency}, {_BASIS_TITLES.get(basis, basis)}"
        specs.append({**_base(values, title), "layer": layers})
    return specs


def _operator_specs(chart: dict[str, Any], evidence: dict[str, Any]) -> list[dict[str, Any]]:
    values = [
        {
            "period": r["period"],
            "tier": r["tier"],
            "basis": basis,
            "claims": r[column],
            # The claims behind this bar: the row's claims of this basis.
            "claim_ids": [
                claim for claim in r["claim_ids"] if evidence.get(claim, {}).get("basis") == basis
            ],
        }
        for r in chart["rows"]
        for basis, column in (("report", "reports"), ("assessment", "assessments"))
        if r[column]
    ]
    bar = {
        "mark": {"type": "bar", "tooltip": True, "cursor": "pointer"},
        "encoding": {
            "xOffset": {"field": "tier", "type": "nominal", "sort": list(tiers())},
            "y": {"field": "claims", "type": "quantitative", "title": "operation claims"},
            "color": _tier_color(),
            "opacity": {
                "field": "basis",
                "type": "nominal",
                "title": "basis",
                # Reports drawn full, every other basis of the ontology (an assessment) pale.
                "scale": {
                    "domain": _bases(),
                    "range": [1 if b == _REPORT else 0.4 for b in _bases()],
                },
            },
            "tooltip": [
                {"field": "period", "type": "ordinal"},
                {"field": "tier", "type": "nominal"},
                {"field": "basis", "type": "nominal"},
                {"field": "claims", "type": "quantitative"},
            ],
        },
    }
    # The marker at the top of each tier's stack (reports and assessments together).
    marker = _tier_marker({"aggregate": "sum", "field": "claims", "type": "quantitative"})
    bars = {
        **_base(values, "Claims by operator tier (pale: assessments)"),
        "encoding": {"x": _period_x(values)},
        "layer": [bar, marker],
    }
    return [bars, _centre_share_spec(chart["shares"])] if chart["shares"] else [bars]


def _centre_share_spec(values: list[dict[str, Any]]) -> dict[str, Any]:
    """The centre's share of governments' operation claims per year, its interval as a band."""
    tooltip = [
        *_with_band("share", ".0%", "federal share"),
        {"field": "centre", "type": "quantitative", "title": "federal claims"},
        {"field": "provinces", "type": "quantitative", "title": "regional claims"},
        {"field": "assessments", "type": "quantitative"},
    ]
    return _line_with_band(
        values,
        tooltip,
        "share",
        _share_axis("federal share"),
        ("#4e79a7", "#4e79a7", 0.3),
        "Federal share, 95% Wilson interval",
    )


def _bases() -> list[str]:
    """The claim bases of the ontology, reports first."""
    return sorted(concepts("ClaimBasisScheme"), key=lambda basis: basis != _REPORT)


def _share_axis(title: str) -> dict[str, Any]:
    return {
        "type": "quantitative",
        "title": title,
        "scale": {"domain": [0, 1]},
        "axis": {"format": ".0%"},
    }


def _index_axis(title: str) -> dict[str, Any]:
    """An index in [0, 1] whose values sit near 0: scaled to them, from 0."""
    return {"type": "quantitative", "title": title, "scale": {"zero": True}}


def _burden_spec(chart: dict[str, Any]) -> dict[str, Any]:
    values = chart["rows"]
    tooltip = [
        *_with_band("median", ".1%", "median share"),
        {"field": "lower_quartile", "type": "quantitative", "format": ".1%"},
        {"field": "upper_quartile", "type": "quantitative", "format": ".1%"},
        {"field": "regions", "type": "quantitative"},
        {"field": "claims", "type": "quantitative"},
        {"field": "assessments", "type": "quantitative"},
    ]
    axis = _share_axis("regional share per recruit")
    return _line_with_band(values, tooltip, "median", axis, ("#1f77b4", "#1f77b4", 0.3))


def _enforcement_spec(chart: dict[str, Any]) -> dict[str, Any]:
    values = chart["rows"]
    x = _period_x(values)
    # The ontology's actions, as readers see them, in its order; each by colour and shape.
    actions = [text["label"] for text in concept_texts("EnforcementKindScheme").values()]
    actions += sorted({r["action"] for r in values} - set(actions))
    color = {
        "field": "action",
        "type": "nominal",
        "title": "action",
        "scale": {"domain": actions, "scheme": "set2"},
    }
    y = {"field": "events", "type": "quantitative", "title": "enforcement actions"}
    return {
        **_base(values),
        "encoding": {"x": x},
        "layer": [
            {
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {
                    "xOffset": {"field": "action", "type": "nominal", "sort": actions},
                    "y": y,
                    "color": color,
                    "tooltip": [
                        {"field": "period", "type": "ordinal"},
                        {"field": "action", "type": "nominal"},
                        {"field": "events", "type": "quantitative"},
                    ],
                },
            },
            _marker(y, color, actions),
        ],
    }


def _centralization_spec(chart: dict[str, Any]) -> dict[str, Any]:
    values = chart["rows"]
    tooltip = [
        *_with_band("observed", ".3f", "observed", band="null band"),
        {"field": "p_value", "type": "quantitative", "format": ".3f", "title": "p (above chance)"},
        {"field": "actors", "type": "quantitative"},
        {"field": "claims", "type": "quantitative"},
    ]
    name = chart["figure"].removeprefix("centralization_").replace("_", "-")
    axis = _index_axis(f"{name} centralization")
    return _line_with_band(values, tooltip, "observed", axis, ("#d62728", "#999", 0.35))


def _with_band(field: str, fmt: str, title: str, band: str = "interval") -> list[dict[str, Any]]:
    """The tooltip's first fields for a value per year with its band: the year, the value, the
    band's ends."""
    return [
        {"field": "period", "type": "ordinal"},
        {"field": field, "type": "quantitative", "format": fmt, "title": title},
        {"field": "low", "type": "quantitative", "format": fmt, "title": f"{band} low"},
        {"field": "high", "type": "quantitative", "format": fmt, "title": f"{band} high"},
    ]


def _line_with_band(
    values: list[dict[str, Any]],
    tooltip: list[dict[str, Any]],
    field: str,
    axis: dict[str, Any],
    colours: tuple[str, str, float],
    title: str | None = None,
) -> dict[str, Any]:
    """A line of ``field`` per period over its band, from ``low`` to ``high`` (an interval,
    or a null model's band); ``colours``: the line's, the band's and the band's opacity."""
    line, band, opacity = colours
    x = _period_x(values)
    return {
        **_base(values, title),
        "encoding": {"x": x, "tooltip": tooltip},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 12, "opacity": opacity, "color": band},
                "encoding": {"y": {"field": "low", **axis}, "y2": {"field": "high"}},
            },
            {
                "mark": {
                    "type": "line",
                    "point": {"size": 60, "color": line, "cursor": "pointer"},
                    "color": line,
                },
                "encoding": {"y": {"field": field, **axis}},
            },
        ],
    }


def chart_specs(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The Vega-Lite specifications of the page's charts, by chart (the payers' chart has one
    per currency and amount basis); a chart without rows has none.

    >>> from graph.analysis.question import question
    >>> from graph.store import EmbeddedStore
    >>> with EmbeddedStore(None) as store:
    ...     chart_specs(question(store))["payers"]
    []
    """
    charts = data["charts"]
    evidence = data.get("evidence", {})
    build = {
        "payers": _payer_specs,
        "operators": lambda chart: _operator_specs(chart, evidence),
        "burden": lambda chart: [_burden_spec(chart)],
        "enforcement": lambda chart: [_enforcement_spec(chart)],
        "centralization": lambda chart: [_centralization_spec(chart)],
    }
    # (a page still computing some of its charts has only the others)
    return {
        name: spec(charts[name]) if charts[name]["rows"] else []
        for name, spec in build.items()
        if name in charts
    }


def _tooltip(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields a chart's tooltip shows (its own, or its first layer's that has one)."""
    for part in (spec, *spec.get("layer", [])):
        fields = part.get("encoding", {}).get("tooltip")
        if fields:
            return list(fields)
    return []


def _cell(value: Any, field: dict[str, Any]) -> str:
    """A value as the chart's tooltip writes it: Vega's number formats (d3-format: ",.0f",
    ".1%", ".3f") read the same in Python's format mini-language."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if "format" in field:
        return format(value, field["format"])
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def _chart_kind(spec: dict[str, Any]) -> str:
    marks = {
        part["mark"]["type"] if isinstance(part["mark"], dict) else part["mark"]
        for part in (spec, *spec.get("layer", []))
        if "mark" in part
    }
    if "line" in marks:
        return "Line chart with its band" if "rule" in marks else "Line chart"
    return "Bar chart" if "bar" in marks else "Chart"


def chart_tables(
    specs: dict[str, list[dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Each chart's data as tables, one per plot (:func:`chart_specs`): its values with the
    columns and formats of its tooltip, so that the table says what the chart draws in the
    chart's own words, and a reader who cannot see the chart, or uses the keyboard, reads the
    same figures and reaches the claims behind each row.

    Returns
    -------
    dict
        By chart, a list of ``{"caption", "summary", "columns", "rows"}``; each row has
        ``cells`` (text), ``label`` (its period and categories, e.g. ``"2024, federal"``) and
        ``claim_ids`` (empty where the chart's rows do not say which claims they count).

    Examples
    --------
    >>> spec = {"title": {"text": "RUB"}, "mark": "bar", "data": {"values": [
    ...     {"period": "2024", "tier": "federal", "value": 0.5, "claim_ids": ["c1"]}]},
    ...     "encoding": {"tooltip": [{"field": "period", "type": "ordinal"},
    ...                              {"field": "tier", "type": "nominal"},
    ...                              {"field": "value", "type": "quantitative", "format": ".0%"}]}}
    >>> table = chart_tables({"payers": [spec]})["payers"][0]
    >>> table["summary"], table["columns"]
    ('Bar chart of 1 value, 2024', ['period', 'tier', 'value'])
    >>> table["rows"][0]["cells"], table["rows"][0]["label"]
    (['2024', 'federal', '50%'], '2024, federal')
    """
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, plots in specs.items():
        tables[name] = []
        for spec in plots:
            fields = _tooltip(spec)
            values = spec["data"]["values"]
            periods = sorted({str(v["period"]) for v in values if "period" in v})
            span = (
                ""
                if not periods
                else periods[0]
                if len(periods) == 1
                else f"{periods[0]} to {periods[-1]}"
            )
            count = f"{len(values):,} value{'' if len(values) == 1 else 's'}"
            tables[name].append(
                {
                    "caption": (spec.get("title") or {}).get("text", ""),
                    "summary": f"{_chart_kind(spec)} of {count}" + (f", {span}" if span else ""),
                    "columns": [
                        str(field.get("title", field["field"])).replace("_", " ")
                        for field in fields
                    ],
                    "rows": [
                        {
                            "cells": [_cell(value.get(field["field"]), field) for field in fields],
                            "label": ", ".join(
                                str(value[field["field"]])
                                for field in fields
                                if field["type"] in ("ordinal", "nominal")
                                and value.get(field["field"]) is not None
                            ),
                            "claim_ids": list(value.get("claim_ids") or ()),
                            "claims_left_out": value.get("claims_left_out", 0),
                        }
                        for value in values
                    ],
                }
            )
    return tables


#: The most claims a page lists per chart, per row and per mark, with their evidence: the
#: page's weight is bounded, not the store's (the chart of every claim of 100,000 actors
#: would carry 200 MB of them; 500 made a page of 10 MB at 10,000 actors). The rest are
#: counted (``claims_left_out``) and the JSON API (``/api/question``) lists them all; the
#: default dataset's charts are whole.
PAGE_CLAIMS = 200


def _bounded(value: Any, kept: set[str]) -> Any:
    """``value`` (a chart, its rows) with every list of ``claim_ids`` cut to the first
    :data:`PAGE_CLAIMS` and beside it how many were cut (``claims_left_out``); the ids kept
    are added to ``kept``."""
    if isinstance(value, list):
        return [_bounded(item, kept) for item in value]
    if not isinstance(value, dict):
        return value
    bounded = {key: _bounded(item, kept) for key, item in value.items() if key != "claim_ids"}
    if "claim_ids" in value:
        ids = value["claim_ids"]
        bounded["claim_ids"] = ids[:PAGE_CLAIMS]
        # (data bounded before keeps its count)
        left_out = value.get("claims_left_out", 0)
        bounded["claims_left_out"] = left_out + max(0, len(ids) - PAGE_CLAIMS)
        kept.update(bounded["claim_ids"])
    return bounded


def page_data(data: dict[str, Any]) -> dict[str, Any]:
    """The page's data (:func:`graph.analysis.question.question`, or a part of it: ``charts``
    and ``evidence``) as a page carries it: at most :data:`PAGE_CLAIMS` claims per list
    (:func:`_bounded`) and the evidence of those alone.

    >>> data = {"charts": {"c": {"claim_ids": ["a", "b"], "rows": [{"claim_ids": ["b"]}]}},
    ...         "evidence": {"a": {}, "b": {}, "z": {}}}
    >>> sorted(page_data(data)["evidence"]), page_data(data)["charts"]["c"]["claims_left_out"]
    (['a', 'b'], 0)
    """
    kept: set[str] = set()
    charts = {name: _bounded(chart, kept) for name, chart in data["charts"].items()}
    evidence = {claim: record for claim, record in data["evidence"].items() if claim in kept}
    return {**data, "charts": charts, "evidence": evidence}


def page_part(part: dict[str, Any]) -> dict[str, Any]:
    """One chart's part (:func:`graph.analysis.question.question_part`) as a page draws it
    on its card when it comes: bounded as :func:`page_data`, with its Vega-Lite ``specs`` and
    data ``tables`` (:func:`chart_specs`, :func:`chart_tables` of that chart)."""
    name = part["chart"]
    shown = page_data({"charts": {name: part["data"]}, "evidence": part["evidence"]})
    specs = chart_specs(shown)
    return {
        **part,
        "data": shown["charts"][name],
        "evidence": shown["evidence"],
        "specs": specs[name],
        "tables": chart_tables(specs)[name],
    }


def question_page(
    data: dict[str, Any],
    *,
    assets_url: str | None = None,
    api_url: str | None = None,
    title: str = "recruitgraph: center or provinces?",
    pending: tuple[Sequence[str], str] | None = None,
    earlier: tuple[str, str] | None = None,
) -> str:
    """The HTML page over ``data`` (:func:`graph.analysis.question.question`, or
    :func:`~graph.analysis.question.assemble` of the parts ready).

    ``assets_url``: where the page links its scripts and styles (the server's
    ``/question/assets``); None inlines them, for a single file. ``api_url``: the server's base
    URL path, under which the page links the explorer (``/viz?focus=``) and the data
    (``/api/question``); None for a file, which then names actors without links.
    ``pending``: the charts still being computed and the address of the job that computes
    them (a served page), in the order it does: their cards show the job's progress, and the
    page draws each as soon as the job is past it, from its part (``/api/question/{chart}``),
    the others at once. ``earlier``: ``data`` was computed at an earlier state of the store, at
    the UTC time given (ISO 8601), and the job at the address given computes the figures of
    the store as it is now (a served page): the page says so and, when the job is done,
    offers to show those.
    """
    template = _environment().get_template("question.html")
    data = page_data(data)
    specs = chart_specs(data)
    tables = chart_tables(specs)
    job = pending[1] if pending else None
    return template.render(
        title=title,
        data=data,
        earlier=(
            None
            if earlier is None
            else datetime.fromisoformat(earlier[0]).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        ),
        pending=list(pending[0]) if pending else [],
        payload=json_for_script(
            {**data, "specs": specs, "tables": tables, "relations": relation_labels()}
        ),
        config=json_for_script(
            {
                "api": api_url,
                "job": job,
                "pending": list(pending[0]) if pending else [],
                "earlier": earlier[1] if earlier else None,
            }
        ),
        config_api=api_url or "",
        assets_url=assets_url,
        scripts=[name for name in QUESTION_ASSETS if name.endswith(".js")],
        inline=(
            None
            if assets_url is not None
            else {name: inline_asset(path) for name, path in QUESTION_ASSETS.items()}
        ),
        policy=FILE_POLICY if assets_url is None else None,
    )


def pending_page(
    job_url: str,
    *,
    what: str = "the figures of the question page",
    assets_url: str,
    api_url: str,
    title: str = "recruitgraph: center or provinces?",
) -> str:
    """The page a server answers with at once while the data of ``what`` (a page) is computed
    as the job at ``job_url``: it shows the job's progress and, when the job is done, loads its
    address again, which the server then answers from the data computed."""
    template = _environment().get_template("question_pending.html")
    return template.render(
        title=title,
        question=QUESTION,
        what=what,
        assets_url=assets_url,
        api_url=api_url,
        config=json_for_script({"job": job_url}),
    )


def write_question_page(path: str | os.PathLike[str], data: dict[str, Any], **options: Any) -> Path:
    """Write the single-file question page to ``path`` whole or not at all."""
    return write_atomically(path, question_page(data, **options))
