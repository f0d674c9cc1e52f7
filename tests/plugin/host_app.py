"""A host application written from the README's "Mounting into a host app" alone.

Its own app factory, user model (integer ids, its own password hashes), login page, layout,
global CSRF protection and Flask-Migrate migrations; the tracker is mounted as the README says.
Nothing here reaches into the tracker's internals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from practice import Practice
from practice.migrations import include_name, include_object

HERE = Path(__file__).resolve().parent


class HostBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=HostBase)
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
practice = Practice()


class User(db.Model, UserMixin):
    __tablename__ = "host_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def reauthenticate(user: User, password: str) -> bool:
    """The tracker asks the host to confirm its user's password (signing, exports)."""
    return user.check_password(password)


def create_app(config: dict[str, Any]) -> Flask:
    app = Flask(
        "host_app",
        template_folder=str(HERE / "host_templates"),
        static_folder=str(HERE / "host_static"),
        static_url_path="/static",
        instance_path=config.pop("INSTANCE_PATH", None),
    )
    app.config.update(SECRET_KEY="host-secret", PRACTICE_BASE_TEMPLATE="host/layout.html")
    app.config.update(config)
    db.init_app(app)
    migrate.init_app(app, db, include_name=include_name, include_object=include_object)
    login_manager.init_app(app)
    login_manager.login_view = "sign_in"
    csrf.init_app(app)
    practice.init_app(app, url_prefix="/practice", reauthenticate=reauthenticate)

    @app.route("/")
    def index():
        return render_template("host/index.html")

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in():
        if request.method == "POST":
            user = db.session.scalar(select(User).where(User.email == request.form["email"]))
            if user is not None and user.check_password(request.form["password"]):
                login_user(user)
                return redirect(request.args.get("next") or url_for("index"))
            flash("Wrong email or password.")
        return render_template("host/sign_in.html")

    @app.route("/sign-out", methods=["POST"])
    @login_required
    def sign_out():
        logout_user()
        return redirect(url_for("index"))

    @app.route("/me")
    @login_required
    def me():
        return f"host user {current_user.id}"

    return app
