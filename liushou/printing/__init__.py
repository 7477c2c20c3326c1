"""Printouts on paper, one module per concern:

- render: a template and its context to HTML, HTML to PDF bytes, chunk PDFs joined (no web request);
- pool: the long-lived worker processes that lay PDFs out, and their stop;
- doctor: what printing needs on this machine (a CJK font, HarfBuzz's subsetter).

The HTTP answer (PDF or HTML preview) is in liushou/views/print_response.py; the audit row of a
print is written by the view that asks for it.
"""
