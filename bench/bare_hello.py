"""A bare Flask "Hello, World!" app: the baseline every page is compared with (no middleware,
no database, no extensions), served by gunicorn exactly like the real app.

    gunicorn --workers 2 bench.bare_hello:app
"""

from flask import Flask

app = Flask(__name__)


@app.route("/hello")
def hello():
    return "Hello, World!"
