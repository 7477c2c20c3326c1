"""The yardstick: a bare Flask app on waitress serving one template page of similar size."""
import sys

from flask import Flask
from jinja2 import DictLoader

app = Flask(__name__)
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 60
app.jinja_loader = DictLoader({"page.html": """<!doctype html><html lang="zh-CN"><head>
<meta charset="utf-8"><title>基准页</title></head><body><h1>基准页面</h1><table>
{% for i in rows %}<tr><td>第{{ i }}行</td><td>张三{{ i }}</td><td>杨家湾村三组</td>
<td>138****{{ '%04d' % i }}</td></tr>{% endfor %}</table></body></html>"""})


@app.route("/")
def page():
    from flask import render_template
    return render_template("page.html", rows=range(ROWS))


if __name__ == "__main__":
    from waitress import serve
    serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8, ident="bare")

