"""Charts and tables for the reports' HTML pages (the helpdesk's report, the trainers' cohort
report): matplotlib figures saved as SVG that can sit inside a page, and accessible tables.

Public so that every report draws the same way; nothing here knows what it draws.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Sequence
from typing import Any

# The stylesheet of a report page (the helpdesk's report, a cohort's report).
REPORT_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.25rem; }
th, td { border: 1px solid #767676; padding: 0.25rem 0.6rem; text-align: left; }
td { text-align: right; }
figure { margin: 0.5rem 0; }
svg { max-width: 100%; height: auto; }
"""

# The settings charts are drawn with: text as text, deterministic ids.
SVG_SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "infoshare-report", "font.size": 9}


def chart_settings() -> Any:
    """The settings charts are drawn and saved with (text as text, deterministic ids)."""
    from matplotlib import rc_context

    return rc_context(SVG_SETTINGS)


def svg(figure: Any, prefix: str, title: str) -> str:
    """``figure`` (drawn within :func:`chart_settings`) as SVG to put inside an HTML page: no
    XML prolog, no page-wide style, ids prefixed (two charts on one page must not share ids), a
    ``<title>`` and an ``aria-label``."""
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        bbox_inches="tight",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # matplotlib's <style> would apply to the whole page: the same defaults as attributes instead
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)

    def rewritten(tag: re.Match[str]) -> str:
        text = re.sub(
            r'(\sid="|url\(#|xlink:href="#)([^")]+)',
            lambda ref: f"{ref.group(1)}{prefix}-{ref.group(2)}",
            tag.group(0),
        )
        # matplotlib 3.5 quotes the generic family ('sans-serif'), which makes it a font name
        # that no browser has: serif text
        return text.replace("'sans-serif'", "sans-serif")

    svg = re.sub(r"<[^<>]+>", rewritten, svg)  # within tags only, never in the text
    label = html.escape(title)
    return svg.replace(
        ">",
        f' role="img" aria-label="{label}" stroke-linejoin="round" stroke-linecap="butt">'
        f"<title>{label}</title>",
        1,
    )


def figure(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    drawn = Figure(figsize=(width, height))
    axes = drawn.subplots()
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))
    return drawn, axes


def _escape(value: Any) -> str:
    return html.escape(str(value))


def html_table(caption: str, head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table whose first column heads each row."""
    header = "".join(f'<th scope="col">{_escape(h)}</th>' for h in head)
    body = "".join(
        f'<tr><th scope="row">{_escape(row[0])}</th>'
        + "".join(f"<td>{_escape(cell)}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        f'<table class="report-table"><caption>{_escape(caption)}</caption>'
        f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
    )
