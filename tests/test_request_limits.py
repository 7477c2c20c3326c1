"""GET cannot log anyone out; paging ignores url_for's reserved keys; request bodies are bounded
and answered with a Chinese page."""

import io

from tests.conftest import post


def test_logout_is_post_only(login_as):
    client = login_as("cun1")
    response = client.get("/logout")
    assert response.status_code == 405
    assert "请求方式不对" in response.get_data(as_text=True)
    assert client.get("/persons").status_code == 200  # still logged in
    assert post(client, "/logout").status_code == 303
    assert client.get("/persons").status_code == 302


def test_paging_drops_reserved_keys(login_as):
    client = login_as("cun1")
    assert client.get("/persons?_method=POST").status_code == 200
    page = client.get(
        "/persons?page=2&q=%E5%BC%A0&_external=1&_scheme=javascript&_anchor=x&_method=POST"
    ).get_data(as_text=True)
    assert "上一页" in page
    link = page.split("上一页")[0].rsplit('href="', 1)[1].split('"')[0]
    assert link.startswith("/persons?") and "page=1" in link and "q=" in link
    assert "javascript" not in link and "#" not in link and "_method" not in link
    assert "http" not in link


class CountingBody(io.RawIOBase):
    """A request body of `size` bytes made on demand, counting what the server reads."""

    def __init__(self, size):
        self.size, self.read_bytes = size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


def test_a_50_mb_post_to_login_is_refused_unread(client):
    body = CountingBody(50 * 1024 * 1024)
    response = client.post(
        "/login",
        content_type="multipart/form-data; boundary=xyz",
        environ_overrides={"wsgi.input": body, "CONTENT_LENGTH": str(body.size)},
    )
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)
    assert body.read_bytes == 0


def test_ordinary_forms_are_bounded_at_about_1_mb(login_as, places):
    client = login_as("admin")
    response = post(
        client,
        "/admin/places/villages/new",
        {"code": "V99", "name": "大" * (1024 * 1024), "sort_order": "1"},
    )
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)


def test_imports_have_their_own_larger_limit(login_as, places, app):
    client = login_as("cun1")
    two_mb = b"PK" + b"\0" * (2 * 1024 * 1024)  # over the form limit, under the upload one
    response = post(
        client, "/import", {"village": places["V01"].id, "file": (io.BytesIO(two_mb), "a.xlsx")}
    )
    assert response.status_code == 422  # read and refused as a workbook, not as a size
    too_big = b"\0" * (app.config["UPLOAD_MAX_BYTES"] + 1)
    response = post(
        client, "/import", {"village": places["V01"].id, "file": (io.BytesIO(too_big), "a.xlsx")}
    )
    assert response.status_code == 413
    assert "提交的内容过大" in response.get_data(as_text=True)
