"""Paging for long lists (GET ?page=N), the same for every list."""

from dataclasses import dataclass

from flask import request, url_for


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self):
        return self.number > 1

    def url(self, number):
        """This list's URL at page `number`, keeping the filters. Keys starting with "_" are
        dropped: url_for would read _method, _external, _scheme or _anchor as its own options."""
        args = {k: v for k, v in request.args.lists() if not k.startswith("_") and k != "page"}
        return url_for(request.endpoint, **(request.view_args or {}), **args, page=number)


# No list is longer: a page past it is empty, and its offset stays inside every engine's range.
MAX_PAGE = 1_000_000


def paginate(query, number, per_page=50):
    """Fetch one page plus one row to know whether another page follows (no COUNT needed)."""
    number = min(max(1, number or 1), MAX_PAGE)
    rows = list(query.limit(per_page + 1).offset((number - 1) * per_page))
    return Page(rows[:per_page], number, per_page, len(rows) > per_page)
