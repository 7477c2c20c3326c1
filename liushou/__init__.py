"""liushou: 三留守 service management for a township office."""

import os

# Nothing of the application is imported here, only in create_app: the PDF worker processes
# import liushou.printing.worker, which must not pull in Flask and peewee with the package.


def create_app(test_config=None):
    """Build the app: configuration layers, database, extensions, blueprints, CLI, errors."""
    from flask import Flask

    from . import cli, db, web
    from .config import load_config
    from .migrations import migrate

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("LIUSHOU_INSTANCE") or os.path.join(root, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    load_config(app, test_config)

    db.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    if app.config.get("MIGRATE_ON_START"):
        with db.database.connection_context():
            migrate()
    return app
