"""The web side of printouts: the footer's user, and the answer as PDF or as an HTML preview.

Rendering itself is liushou.printing (render, pool); the view that asks for a print writes its
audit row.
"""

from pathlib import Path
from urllib.parse import quote

from flask import Response, abort, current_app, g, redirect, render_template, url_for

from .. import print_jobs
from ..printing import pool, render
from ..settings import township_name_problem

# The preview carries its own <style>; allow it here only, scripts stay forbidden.
PREVIEW_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "script-src 'none'; frame-ancestors 'none'"
)


def refuse_without_township():
    """before_request of the printouts: nothing is printed under an empty or placeholder
    township name (a card saying 示范镇 would go to every household).

    A county user's print names the township of its rows, not the instance (which may have no
    name of its own): his request is let through here, and `respond` checks the name that goes
    on paper once the view has read its row (settings.for_township / for_village)."""
    problem = township_name_problem()
    if problem and _rows_decide():
        g.township_name_deferred = True
    elif problem:
        return render_template("print_refused.html", problem=problem), 409
    return None


def _rows_decide():
    """Does the printed rows' township decide the name (a county user's request)?"""
    from ..queries.places import has_townships

    return g.get("user") is not None and g.get("township_id") is None and has_townships()


def refuse_unnamed(name):
    """A print whose name check was left to its rows (`refuse_without_township`): stopped (the
    409 page) when `name`, the township name on paper, cannot be printed."""
    if not g.get("township_name_deferred"):
        return
    problem = township_name_problem(name)
    if problem:
        page = render_template("print_refused.html", problem=problem)
        abort(Response(page, status=409, mimetype="text/html"))


def html(template, **context):
    """The printout's HTML, its footer naming the signed-in user; refused (409) when the
    township name it would carry is empty or a placeholder."""
    refuse_unnamed(context.get("township"))
    user = g.get("user")
    return render.html(template, printed_by=user.display_name if user else "系统", **context)


def base_url():
    return render.base_url(current_app.static_folder)


def pdf(htmls):
    """One PDF from one or more independent HTML chunks (laid out side by side, joined in order,
    sharing one subset of each font): its bytes, waited for.

    PDF_IN_PROCESS lays out in the server's own process (debugging, profiling)."""
    base = base_url()
    if current_app.config.get("PDF_IN_PROCESS"):
        return render.pdf_joined(htmls, base)
    return pool.joined(htmls, base)


def pdf_answer(htmls, filename):
    """The answer of one PDF (see `pdf`). While the PDF workers have pool.WAITING prints in
    hand (other requests' and background jobs), the print becomes a background job instead:
    a 303 to its progress page, which refreshes itself until the PDF can be downloaded; no
    server thread waits for it."""
    if current_app.config.get("PDF_IN_PROCESS"):
        return pdf_response(pdf(htmls), filename)
    with pool.waiting_slot() as admitted:
        if admitted:
            return pdf_response(pdf(htmls), filename)
    try:
        job_id = print_jobs.start(
            g.user.id,
            filename.removesuffix(".pdf"),
            htmls,
            base_url(),
            Path(current_app.instance_path) / "prints",
            g.scope,
        )
    except print_jobs.Busy as e:
        abort(busy_page(str(e)))
    return redirect(url_for("printouts.job", job_id=job_id), 303)


def busy_page(message):
    """The 503 page of a print refused because its user has too many jobs unfinished (nothing
    was queued nor audited)."""
    page = render_template("errors/error.html", code=503, title="打印排队中", message=message)
    return Response(page, status=503, mimetype="text/html")


def pdf_response(data, filename):
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


def preview_response(html_text):
    response = Response(html_text, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


def respond(template, filename, *, preview, chunks=None, **context):
    """The PDF (or, with `preview`, the HTML page) of a printout.

    `chunks`: for long batches, a list of context overrides rendered as separate documents
    (laid out in parallel) and joined; the preview shows them all in one page.
    """
    if chunks and not preview and len(chunks) > 1:
        return pdf_answer(
            [html(template, preview=False, **{**context, **c}) for c in chunks], filename
        )
    if chunks:
        merged = {}
        for c in chunks:
            for key, value in c.items():
                merged[key] = merged.get(key, []) + list(value)
        context.update(merged)
    page = html(template, preview=preview, **context)
    if preview:
        return preview_response(page)
    return pdf_answer([page], filename)
