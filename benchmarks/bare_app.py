"""The yardstick: a bare Flask app on waitress serving one template page of similar size.

    python benchmarks/bare_app.py PORT [--threads 8] [--rows 80]

No database, no session, no compression: what Flask and waitress alone cost for such a page.
"""

import argparse

from flask import Flask, render_template
from jinja2 import DictLoader

app = Flask(__name__)
app.jinja_loader = DictLoader(
    {
        "page.html": """<!doctype html><html lang="zh-CN"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>基准页</title></head><body><header><nav><a href="/">首页</a> <a href="/a">人员</a>
<a href="/b">走访</a></nav></header><main><h1>基准页面</h1><table>
{% for i in rows %}<tr><td>第{{ i }}行</td><td><a href="/p/{{ i }}">张三{{ i }}</a></td>
<td>杨家湾村三组</td><td>138****{{ '%04d' % i }}</td></tr>{% endfor %}
</table></main></body></html>"""
    }
)
ROWS = range(80)


@app.route("/")
def page():
    return render_template("page.html", rows=ROWS)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--rows", type=int, default=80, help="table rows; 80 make about 9 KB")
    args = ap.parse_args()
    ROWS = range(args.rows)
    from waitress import serve

    serve(app, host="127.0.0.1", port=args.port, threads=args.threads, ident="bare")
