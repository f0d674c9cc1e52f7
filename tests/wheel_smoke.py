"""Run by tests/test_wheel.py with the Python of a venv where only the wheel is installed.

Drives the installed tracker through its main paths, so that each dependency (at whatever
version the venv holds) is exercised: migrations (Alembic), sign-in (argon2, zxcvbn), the API
(apispec, marshmallow), a note signed with the password, a PDF report (WeasyPrint, pygal), the
two-factor QR code (segno, pyotp) and the queue (Huey). Prints "ok" and the package's location.
Usage: python wheel_smoke.py INSTANCE_DIR
"""

import sys

import practice
from practice.core import migrate
from practice.standalone import create_app

PASSWORD = "a long wheel-test passphrase"


def main(instance: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/w.db",
            "SECRET_KEY": "wheel-test",
            "PRACTICE_REPORT_QUEUE_IMMEDIATE": True,
        },
        instance_path=instance,
    )
    with app.app_context():
        migrate.upgrade()
    cli = app.test_cli_runner()
    made = cli.invoke(
        args=["practice", "create-user", "c@wheel.test", "--name", "Cee", "--password", PASSWORD]
    )
    assert made.exit_code == 0, made.output
    token = cli.invoke(args=["practice", "token", "create", "c@wheel.test"])
    assert token.exit_code == 0, token.output
    bearer = {"Authorization": f"Bearer {token.output.strip().splitlines()[-1]}"}
    client = app.test_client()

    assert client.get("/login").status_code == 200
    assert client.get("/static/practice.css").status_code == 200
    assert client.get("/api/v1/openapi.json").get_json()["openapi"].startswith("3.1")

    case = client.post(
        "/api/v1/cases",
        json={
            "opened_on": "2026-01-05",
            "partners": [{"display_name": "A"}, {"display_name": "B"}],
        },
        headers=bearer,
    )
    assert case.status_code == 201, case.get_data(as_text=True)
    case_id = case.get_json()["id"]
    # Each partner screened alone before joint work (a joint note is signed only then).
    for partner in case.get_json()["partners"]:
        screen = {
            "partner_id": partner["id"],
            "screened_on": "2026-01-05",
            "items": [1, 1, 1, 1],
            "afraid": False,
            "decision": "joint_ok",
        }
        screened = client.post(
            f"/api/v1/cases/{case_id}/safety-screens", json=screen, headers=bearer
        )
        assert screened.status_code == 201, screened.get_data(as_text=True)
    session = client.post(
        f"/api/v1/cases/{case_id}/sessions",
        json={"starts_at": "2026-02-03T15:00:00Z"},
        headers=bearer,
    )
    assert session.status_code == 201, session.get_data(as_text=True)
    body = session.get_json()
    note = {"note_data": "Data.", "note_assessment": "Assessment.", "note_plan": "Plan."}
    saved = client.patch(
        f"/api/v1/sessions/{body['id']}", json={"version": body["version"], **note}, headers=bearer
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    signed = client.post(
        f"/api/v1/sessions/{body['id']}/sign", json={"password": PASSWORD}, headers=bearer
    )
    assert signed.status_code == 200, signed.get_data(as_text=True)
    report = client.post(
        f"/api/v1/cases/{case_id}/reports", json={"audience": "clinical"}, headers=bearer
    )
    assert report.status_code == 201, report.get_data(as_text=True)
    pdf = client.get(f"/api/v1/reports/{report.get_json()['id']}/download", headers=bearer)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), pdf.status_code

    login = client.get("/login").get_data(as_text=True)
    csrf = login.split('name="csrf-token" content="')[1].split('"')[0]
    signed_in = client.post(
        "/login", data={"email": "c@wheel.test", "password": PASSWORD, "csrf_token": csrf}
    )
    assert signed_in.status_code == 302, signed_in.status_code
    enrol = client.get("/account/two-factor")
    assert enrol.status_code == 200 and "data:image/svg+xml" in enrol.get_data(as_text=True)
    print(practice.__file__)
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
