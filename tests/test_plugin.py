"""Mounting the tracker into a host Flask app that owns users and login."""

import pytest
from flask import Flask, redirect, request
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from practice import HostSetupError, Practice
from practice.core import migrate
from practice.models import Case, Role, StaffMember
from tests.databases import fresh_database


def build_host(database_url: str, instance_path) -> tuple[Flask, SQLAlchemy, type]:
    """A bare host: its own user model, its own login view, nothing of the tracker's."""

    class HostBase(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=HostBase)

    class HostUser(db.Model, UserMixin):
        __tablename__ = "host_user"
        id: Mapped[int] = mapped_column(primary_key=True)
        username: Mapped[str]

    app = Flask("host_app", instance_path=str(instance_path))
    app.config.update(SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="host-secret", TESTING=True)
    db.init_app(app)
    login_manager = LoginManager(app)
    login_manager.login_view = "host_login"

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(HostUser, int(user_id))

    @app.route("/sign-in")
    def host_login():
        user = db.session.get(HostUser, int(request.args["as"]))
        login_user(user)
        return redirect(request.args.get("next") or "/")

    Practice().init_app(app, url_prefix="/practice")
    return app, db, HostUser


@pytest.fixture(params=["sqlite", "postgresql"])
def host(request, tmp_path):
    with fresh_database(request.param, tmp_path) as url:
        app, db, user_model = build_host(url, tmp_path / "instance")
        with app.app_context():
            db.create_all()
            migrate.upgrade()
        yield app, db, user_model
        with app.app_context():
            db.engine.dispose()


def test_host_user_reaches_the_tracker_under_the_prefix(host):
    app, db, HostUser = host
    with app.app_context():
        user = HostUser(username="dana")
        db.session.add(user)
        db.session.flush()
        member = StaffMember(
            user_id=str(user.id),
            email="dana@host.example",
            display_name="Dana",
            role=Role.COUNSELLOR,
        )
        db.session.add(member)
        db.session.flush()
        from datetime import date

        db.session.add(Case(reference="C-7001", counsellor=member, opened_on=date(2026, 3, 1)))
        db.session.commit()
        user_id = user.id
    client = app.test_client()

    anonymous = client.get("/practice/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/sign-in")

    client.get(f"/sign-in?as={user_id}")
    page = client.get("/practice/")
    assert page.status_code == 200
    assert "C-7001" in page.get_data(as_text=True)
    assert client.get("/practice/static/practice.css").status_code == 200
    # The tracker's login page defers to the host's.
    assert client.get("/practice/login").status_code in (200, 302)


def test_host_user_without_staff_record_is_refused(host):
    app, db, HostUser = host
    with app.app_context():
        user = HostUser(username="visitor")
        db.session.add(user)
        db.session.commit()
        user_id = user.id
    client = app.test_client()
    client.get(f"/sign-in?as={user_id}")
    assert client.get("/practice/").status_code == 403


def test_tracker_leaves_host_routes_and_errors_alone(host):
    app, _db, _ = host

    @app.route("/host-page")
    def host_page():
        return "host says hi"

    client = app.test_client()
    response = client.get("/host-page")
    assert response.get_data(as_text=True) == "host says hi"
    assert "Content-Security-Policy" not in response.headers  # our headers stay on our routes
    assert "practice" not in client.get("/missing").get_data(as_text=True).lower()


def test_clear_error_when_host_lacks_sqlalchemy():
    app = Flask("bare")
    app.config["SECRET_KEY"] = "x"
    with pytest.raises(HostSetupError, match="Flask-SQLAlchemy"):
        Practice().init_app(app)


def test_clear_error_when_host_lacks_login(tmp_path):
    app = Flask("half")
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/h.db")
    SQLAlchemy().init_app(app)
    with pytest.raises(HostSetupError, match="Flask-Login"):
        Practice().init_app(app)
