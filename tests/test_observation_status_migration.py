"""Revision 0007: every observation recorded before statuses existed is taken as observed, the
CHECKs keep a level exactly on observed ones, and a downgrade leaves only observed rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from practice.core import migrate
from tests.conftest import make_test_app
from tests.databases import fresh_database

# One row per table down to an observation, as revision 0006 left them; the columns not named
# get a filler of their type (the CHECKs of those tables are met by the named values).
ROWS = (
    ("practice_staff", {"id": 1, "role": "counsellor", "email": "c@example.com"}),
    ("practice_case", {"id": 1, "counsellor_id": 1, "kind": "couple", "status": "active"}),
    ("practice_partner", {"id": 1, "case_id": 1, "cycle_role": "withdrawer"}),
    (
        "practice_session",
        {
            "id": 1,
            "case_id": 1,
            "created_by_id": 1,
            "modality": "in_person",
            "status": "draft",
            "review_status": "not_required",
            "signed_by_id": None,
            "cosigned_by_id": None,
            "voided_by_id": None,
            "eft_stage": None,
        },
    ),
    (
        "practice_script_assignment",
        {
            "id": 1,
            "case_id": 1,
            "partner_id": 1,
            "assigned_session_id": 1,
            "status": "active",
            "retired_session_id": None,
        },
    ),
    (
        "practice_script_observation",
        {"id": 1, "assignment_id": 1, "session_id": 1, "level": 0, "note": "Did not come up."},
    ),
)
FILLERS = {
    sa.String: "x",
    sa.Text: "x",
    sa.Integer: 1,
    sa.Boolean: True,
    sa.DateTime: datetime(2026, 1, 6, 15, 0),
    sa.Date: date(2026, 1, 6),
    sa.JSON: [],
}


def filler(column: sa.Column) -> object:
    for kind, value in FILLERS.items():
        if isinstance(column.type, kind):
            return value
    raise AssertionError(f"no filler for {column}")


def insert_rows(connection: sa.Connection) -> None:
    metadata = sa.MetaData()
    for name, values in ROWS:
        table = sa.Table(name, metadata, autoload_with=connection)
        row = dict(values)
        if name == "practice_script_assignment":
            row["script_id"] = connection.exec_driver_sql(
                "SELECT min(id) FROM practice_script"
            ).scalar()
        for column in table.c:
            if column.name not in row and not column.nullable:
                row[column.name] = filler(column)
        connection.execute(table.insert().values(**row))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_observations_become_observed_and_the_checks_hold(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance")
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            migrate.upgrade("0006")
            with engine.begin() as connection:
                insert_rows(connection)
            migrate.upgrade()
            app.extensions["sqlalchemy"].session.remove()
            with engine.connect() as connection:
                row = connection.exec_driver_sql(
                    "SELECT status, level, note FROM practice_script_observation"
                ).one()
            checks = {
                c["name"]
                for c in sa.inspect(engine).get_check_constraints("practice_script_observation")
            }
            refused = []
            for status, level in (
                ("observed", "NULL"),  # observed needs a level
                ("absent", "0"),  # an absent partner has no level, never a 0
                ("no_opportunity", "1"),
                ("missing", "NULL"),  # not a status
                ("observed", "4"),  # not a level
            ):
                try:
                    with engine.begin() as connection:
                        connection.exec_driver_sql(
                            "UPDATE practice_script_observation "
                            f"SET status = '{status}', level = {level}"
                        )
                except sa.exc.IntegrityError:
                    refused.append((status, level))
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    "UPDATE practice_script_observation SET status = 'absent', level = NULL"
                )
            command.downgrade(migrate.alembic_config(), "0006")
            with engine.connect() as connection:
                left = connection.exec_driver_sql(
                    "SELECT count(*) FROM practice_script_observation"
                ).scalar()
            engine.dispose()
    assert tuple(row) == ("observed", 0, "Did not come up.")
    assert {
        "ck_practice_script_observation_level",
        "ck_practice_script_observation_status",
        "ck_practice_script_observation_level_when_observed",
    } <= checks
    assert len(refused) == 5
    assert left == 0  # the absent observation had no level to go back to
