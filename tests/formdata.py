"""Read an HTML form as a browser would submit it (for tests that replay a user's form)."""

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

from tests.conftest import login


class _Form(HTMLParser):
    def __init__(self, action):
        super().__init__()
        self.action = action
        self.inside = False
        self.found = False
        self.fields = []  # (name, value) in document order
        self._select = None
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if self.action is None:  # the page's main form (class "card")
                wanted = "card" in (a.get("class") or "").split()
            else:
                wanted = self.action in (a.get("action") or "")
            self.inside = not self.found and wanted
            self.found = self.found or self.inside
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button", "file", "reset"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select = [name, "multiple" in a, [], None]
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option[2] += data

    def _end_option(self):
        if self._option is None:
            return
        value, selected, text = self._option
        value = text.strip() if value is None else value  # no value attribute: its text
        if self._select[3] is None:
            self._select[3] = value
        if selected:
            self._select[2].append(value)
        self._option = None

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "option" and self._select is not None:
            self._end_option()
        elif tag == "select" and self._select is not None:
            self._end_option()
            name, multiple, chosen, first = self._select
            if multiple:
                self.fields.extend((name, v) for v in chosen)
            else:
                self.fields.append((name, chosen[-1] if chosen else (first or "")))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append(tuple(self._textarea))
            self._textarea = None


def read_form(html, action=None):
    """A MultiDict of the page's main form (or the first whose action contains `action`), as
    a browser would submit it."""
    parser = _Form(action)
    parser.feed(html)
    assert parser.found, f"no form with action {action!r}"
    return MultiDict(parser.fields)


def replace(fields, **values):
    """The fields with some values replaced (a list value replaces every entry of that name)."""
    out = MultiDict([(k, v) for k, v in fields.items(multi=True) if k not in values])
    for k, v in values.items():
        for x in v if isinstance(v, list) else [v]:
            out.add(k, x)
    return out


def editor(app, url, username="admin"):
    """Someone signed in with a session of his own who opened an edit form: (client, form as
    shown)."""
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client, read_form(client.get(url).get_data(as_text=True))


def two_editors(app, url, username="admin"):
    """Two people, each signed in with a session of his own, who opened the same edit form."""
    return editor(app, url, username), editor(app, url, username)
