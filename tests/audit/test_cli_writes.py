"""Every CLI command that writes leaves audit entries as ``cli:<os user>`` (via ``cli``) and its named event.

The twin of ``tests/web/test_audit_routes.py``: the commands come from the CLI itself; each must be in
:data:`WRITES` (a valid invocation that writes, and the named event it must leave) or in :data:`NOT_WRITING`
with the reason, so a new command fails :func:`test_every_cli_command_is_listed` until it is added. The
access commands record the same named events as the web (``token-issued``, ``token-revoked``,
``user-disabled``, ``password-changed`` …): the library operations record them, whichever face calls.
"""

from __future__ import annotations

import csv
import getpass
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from bettercities import access as accounts
from bettercities.areas import service as areas
from bettercities.areas.schemas import CitySpec
from bettercities.audit import queries as audit
from bettercities.audit.models import AuditEntry
from bettercities.audit.schemas import AuditEntryOut
from bettercities.catalog import approval
from bettercities.catalog import service as catalog
from bettercities.catalog.schemas import DatasetSpec
from bettercities.cli.main import app as cli_app
from bettercities.networks import service as networks
from bettercities.privacy import service as privacy
from bettercities.privacy.schemas import Method, RelationSpec, RuleSpec
from bettercities.storage import backup as snapshots
from bettercities.storage.workspace import Workspace
from tests.support.flags import open_flag
from tests.support.served import (
    BACKENDS,
    CITY_A,
    CITY_B,
    PASSWORD,
    PUBLIC_DATASET,
    two_cities_workspace,
)

pytestmark = pytest.mark.slow  # scheduled first (tests/conftest.py)

CLI_ACTOR = f"cli:{getpass.getuser()}"
LEVEL = "planning_area"
PERIOD = "2022"
FREE = "unemployment"  # in no dataset of city A: never locked


@dataclass
class World:
    workspace: Workspace
    folder: Path
    names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def name(self, prefix: str) -> str:
        return f"{prefix}-{next(self.names)}"

    def file(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def session(self) -> Any:
        return self.workspace.database.session()

    def user(self) -> str:
        name = self.name("user")
        with self.session() as session:
            accounts.create_user(session, name, PASSWORD)
        return name

    def network(self) -> str:
        slug = self.name("net")
        with self.session() as session:
            networks.create_network(session, slug, name_de="Netz", name_en="Net")
        return slug

    def dataset(self, *steps: approval.Action) -> str:
        code = self.name("ds")
        with self.session() as session:
            spec = DatasetSpec(code=code, title_de="T", title_en="T", publisher="P")
            catalog.add_dataset(session, areas.get_city(session, CITY_A), spec)
            for step in steps:
                approval.transition(session, CITY_A, code, step, user="test")
        return code

    def flag(self) -> int:
        """A new open flag on a value of the free indicator in city A."""
        with self.session() as session:
            return open_flag(session, CITY_A, FREE, with_value=True)

    def area_codes(self) -> list[str]:
        with self.workspace.database.reader() as session:
            level = areas.get_level(session, areas.get_city(session, CITY_A), LEVEL)
            return sorted(areas.area_codes(session, level))


@dataclass(frozen=True)
class Call:
    """A CLI invocation and what it must leave: entries by the CLI (``action`` among them, when given)."""

    args: list[str]
    action: str | None = None
    stdin: str | None = None


# -- the write commands ------------------------------------------------------------------------------------


def _catalog_add(w: World) -> Call:
    spec = w.file("datasets.yaml", f"- {{code: {w.name('added')}, title_de: A, title_en: A, publisher: P}}\n")
    return Call(["catalog", "add", CITY_A, str(spec)])


def _catalog_step(action: str, *before: approval.Action) -> Callable[[World], Call]:
    def step(w: World) -> Call:
        reason = ["--reason", "a correction"] if action == "unlock" else []
        return Call(["catalog", action, CITY_A, w.dataset(*before), *reason])

    return step


A = approval.Action


def _city_add(w: World) -> Call:
    return Call(["city", "add", w.name("town"), "--name", "Town", "--country", "DE"])


def _city_add_level(w: World) -> Call:
    return Call(
        [
            "city",
            "add-level",
            CITY_A,
            w.name("lvl").replace("-", "_"),
            "--name-de",
            "Ebene",
            "--name-en",
            "Level",
        ]
    )


def _demo(w: World) -> Call:
    # a small demo: the full one (450 areas, 12 years) is tests/demo/test_cli.py's; one year takes every step
    # (and write) of the build that two did, 3 s of CPU less
    return Call(
        ["demo", "--no-serve", "--planning-areas", "60", "--first-year", "2024", "--last-year", "2024"]
    )


def _exchange_import(w: World) -> Call:
    """A data package of the free indicator, exported and changed in one value, imported back."""
    folder = w.folder / w.name("pkg")
    out = CliRunner().invoke(
        cli_app,
        ["exchange", "export", "--city", CITY_A, "--format", "datapackage", "--indicator", FREE,
         "--level", LEVEL, "--period", PERIOD, "--audience", "internal", "--out", str(folder), *w_where(w)],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    [data] = [p for p in folder.rglob("*.csv")]
    rows = list(csv.reader(data.read_text("utf-8").splitlines()))
    header = rows[0]
    column = next(i for i, name in enumerate(header) if name.lower() in ("value", "obs_value", FREE))
    rows[1][column] = str(float(rows[1][column]) + 0.5)
    data.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return Call(["exchange", "import", str(folder / "datapackage.json"), "--city", CITY_A, "--level", LEVEL])


def _import_areas(w: World) -> Call:
    square = [[[9.0, 50.0], [9.01, 50.0], [9.01, 50.01], [9.0, 50.01], [9.0, 50.0]]]
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "Z1", "name": "Zed"},
                "geometry": {"type": "Polygon", "coordinates": square},
            }
        ],
    }
    path = w.file("areas.geojson", json.dumps(features))
    level = w.name("zone").replace("-", "_")
    return Call(
        ["import", "areas", str(path), "--city", CITY_A, "--level", level, "--level-name-de", "Zone",
         "--level-name-en", "Zone", "--id-column", "id", "--name-column", "name"]
    )  # fmt: skip


def _import_observations(w: World) -> Call:
    value = 3.25 + next(w.names) / 100
    path = w.file("delivery.csv", f"id,{FREE}\n{w.area_codes()[0]},{value}\n")
    return Call(["import", "observations", str(path), "--city", CITY_A, "--level", LEVEL, "--period", PERIOD])


def _microdata_aggregate(w: World) -> Call:
    """A register of three persons per planning area, one unemployed in every other area."""
    codes = w.area_codes()
    rows = [f"{code},{i % 2 == 0},{30 + i % 7}" for i, code in enumerate(codes * 3)]
    data = w.file("register.csv", "area_code,unemployed,age\n" + "\n".join(rows) + "\n")
    spec = w.file(
        "register.yaml",
        f"version: 1\nunit: person\narea:\n  key: area_code\n  level: {LEVEL}\nindicators:\n"
        f"  - code: {FREE}\n    share:\n      numerator: unemployed\n      denominator: 'true'\n",
    )
    return Call(["microdata", "aggregate", "--spec", str(spec), "--data", str(data), "--city", CITY_A,
                 "--period", PERIOD])  # fmt: skip


def _index_run(w: World) -> Call:
    config = {
        "method": "composite",
        "name": w.name("run"),
        "indicators": [{"column": FREE}, {"column": "green_space", "polarity": "higher_is_better"}],
    }
    path = w.file("index.yaml", json.dumps(config))
    return Call(
        ["index", "run", "--city", CITY_A, "--config", str(path), "--level", LEVEL, "--period", PERIOD]
    )


def _indicators_load(w: World) -> Call:
    return Call(["indicators", "load", "berlin-mss"])


def _networks_add(w: World) -> Call:
    return Call(["networks", "add", w.name("net"), "--name-de", "Netz", "--name-en", "Net"])


def _networks_join(w: World) -> Call:
    return Call(["networks", "join", w.network(), "--city", CITY_A])


def _networks_leave(w: World) -> Call:
    slug = w.network()
    with w.session() as session:
        networks.add_city(session, slug, CITY_A)
    return Call(["networks", "leave", slug, "--city", CITY_A])


def _networks_share(w: World) -> Call:
    slug = w.network()
    with w.session() as session:
        networks.add_city(session, slug, CITY_A)
    return Call(["networks", "share", slug, "--city", CITY_A, "--dataset", PUBLIC_DATASET])


def _networks_unshare(w: World) -> Call:
    slug = w.network()
    with w.session() as session:
        networks.add_city(session, slug, CITY_A)
        networks.share_dataset(session, CITY_A, PUBLIC_DATASET, slug)
    return Call(["networks", "unshare", slug, "--city", CITY_A, "--dataset", PUBLIC_DATASET])


def _priority_evaluate(w: World) -> Call:
    rule = {"name": "green", "conditions": [{"kind": "threshold", "indicator": "green_space", "op": ">=",
                                             "value": 10}]}  # fmt: skip
    path = w.file("rule.json", json.dumps(rule))
    return Call(
        ["priority", "evaluate", "--city", CITY_A, "--rule", str(path), "--level", LEVEL, "--period", PERIOD,
         "--save", w.name("set")]
    )  # fmt: skip


def _outliers(action: str) -> Callable[[World], Call]:
    def step(w: World) -> Call:
        extra = {"accept": [], "comment": ["--comment", "asked"], "correct": ["--value", "4.5"]}[action]
        return Call(["quality", "outliers", action, str(w.flag()), "--city", CITY_A, *extra])

    return step


def _rules_add(w: World) -> Call:
    code = w.name("rule")
    path = w.file(
        "rules.yaml", f"rules:\n  - code: {code}\n    left: {FREE}\n    operator: '<'\n    right: '100'\n"
    )
    return Call(["quality", "rules", "add", str(path), "--city", CITY_A])


def _privacy_set(w: World) -> Call:
    return Call(["privacy", "set", "--city", CITY_A, "--indicator", FREE, "--method", "suppression",
                 "--threshold", "4"])  # fmt: skip


def _privacy_remove(w: World) -> Call:
    with w.session() as session:
        privacy.set_rule(
            session, areas.get_city(session, CITY_A), RuleSpec(indicator=FREE, method=Method.NONE)
        )
    return Call(["privacy", "remove", "--city", CITY_A, "--indicator", FREE])


def _privacy_relation_add(w: World) -> Call:
    return Call(["privacy", "relation", "add", "--city", CITY_A, w.name("total"), "part_a", "part_b"])


def _privacy_relation_remove(w: World) -> Call:
    with w.session() as session:
        spec = RelationSpec(total=w.name("total"), parts=["part_a", "part_b"])
        relation = privacy.add_relation(session, areas.get_city(session, CITY_A), spec)
    return Call(["privacy", "relation", "remove", "--city", CITY_A, str(relation.id)])


def _restore(w: World) -> Call:
    folder = w.folder / w.name("snapshot")
    snapshots.backup(w.workspace, folder)
    return Call(["restore", "--from", str(folder), "--force"], action="restore")


def _users_add(w: World) -> Call:
    return Call(["users", "add", w.name("new"), "--password-stdin"], "user-created", PASSWORD + "\n")


def _users_disable(w: World) -> Call:
    return Call(["users", "disable", w.user()], "user-disabled")


def _users_enable(w: World) -> Call:
    name = w.user()
    with w.session() as session:
        accounts.disable_user(session, name)
    return Call(["users", "enable", name], "user-enabled")


def _users_grant(w: World) -> Call:
    return Call(["users", "grant", w.user(), "--city", CITY_A, "--role", "viewer"], "role-granted")


def _users_revoke(w: World) -> Call:
    name = w.user()
    with w.session() as session:
        accounts.grant(session, name, CITY_A, "viewer")
    return Call(["users", "revoke", name, "--city", CITY_A], "role-revoked")


def _users_grant_network(w: World) -> Call:
    args = ["users", "grant-network", w.user(), "--network", w.network(), "--role", "member"]
    return Call(args, "network-role-granted")


def _users_revoke_network(w: World) -> Call:
    name, slug = w.user(), w.network()
    with w.session() as session:
        accounts.grant_network(session, name, slug, "member")
    return Call(["users", "revoke-network", name, "--network", slug], "network-role-revoked")


def _users_password(w: World) -> Call:
    return Call(["users", "password", w.user(), "--password-stdin"], "password-changed", PASSWORD + "-new\n")


def _token_issue(w: World) -> Call:
    return Call(["users", "token", "issue", w.user(), "--name", "script"], "token-issued")


def _token_revoke(w: World) -> Call:
    name = w.user()
    with w.session() as session:
        token = accounts.issue_token(session, name, name="to revoke")
    return Call(["users", "token", "revoke", name, str(token.info.id)], "token-revoked")


def _crosswalk_file(w: World) -> Path:
    """A relationship file: the planning areas of city A's district 01 -> that district (weight 1 each)."""
    with w.session() as session:
        city = areas.get_city(session, CITY_A)
        codes = sorted(areas.area_codes(session, areas.get_level(session, city, "planning_area")))
    rows = "".join(f"{code},01,1\n" for code in codes if code.startswith("01"))
    return w.file(w.name("crosswalk") + ".csv", "source,target,weight\n" + rows)


def _crosswalk_args(w: World, code: str) -> list[str]:
    path = _crosswalk_file(w)
    return ["crosswalk", "import", "--city", CITY_A, "--code", code, "--file", str(path),
            "--source-level", "planning_area", "--target-level", "district"]  # fmt: skip


def _crosswalk_carry(w: World) -> Call:
    code = w.name("cw")
    out = CliRunner().invoke(cli_app, [*_crosswalk_args(w, code), *w_where(w)])
    assert out.exit_code == 0, out.output
    return Call(
        ["crosswalk", "carry", code, "--city", CITY_A, "--indicator", FREE, "--period", PERIOD, "--store"]
    )


def _goal(w: World, **extra: Any) -> int:
    """A goal of city A set through the library (a population goal on the free indicator, or extra)."""
    from datetime import date

    from bettercities.goals import service as goals
    from bettercities.goals.schemas import AreaSelection, GoalIn

    fields: dict[str, Any] = {
        "title": w.name("goal"), "indicator": FREE, "target_change": -1.0, "deadline": date(2030, 12, 31),
        "owner_unit": "Youth office", "areas": AreaSelection(kind="areas", value=w.area_codes()[0]),
    } | extra  # fmt: skip
    with w.session() as session:
        return goals.add_goal(session, CITY_A, GoalIn(**fields), actor="test").id


def _goals_add(w: World) -> Call:
    return Call(
        ["goals", "add", "--city", CITY_A, "--indicator", FREE, "--areas", f"level:{LEVEL}", "--target", "1",
         "--deadline", "2030-12-31", "--owner", "Youth office"]
    )  # fmt: skip


def _goals_measure_record(w: World) -> Call:
    goal = _goal(
        w, indicator=w.name("measure"), kind="performance", performance_kind="how_much",
        measure_name="Counselling sessions", baseline_value=10.0, baseline_period="2022",
    )  # fmt: skip
    args = ["goals", "measure", "record", "--city", CITY_A, str(goal), "--period", "2023", "--value", "12"]
    return Call(args)


def _intervention(w: World, *, planned: bool = False) -> int:
    """An intervention of city A on two planning areas from 2022 (with a DiD plan on the free indicator)."""
    from bettercities.impact import service as impact
    from bettercities.impact.register_schemas import InterventionIn, PlanIn

    codes = w.area_codes()[:2]
    item = InterventionIn.model_validate(
        {"name": w.name("intervention"), "areas": {"kind": "areas", "value": ",".join(codes)},
         "start_period": "2022", "responsible_unit": "Youth office"}
    )  # fmt: skip
    with w.session() as session:
        found = impact.add_intervention(session, CITY_A, item, actor="test")
        if planned:
            impact.register_plan(session, CITY_A, found, PlanIn(indicator=FREE, design="did"), actor="test")
    return found


def _impact_intervention_add(w: World) -> Call:
    codes = ",".join(w.area_codes()[:2])
    return Call(
        ["impact", "intervention", "add", "--city", CITY_A, "--name", w.name("intervention"), "--areas",
         f"areas:{codes}", "--start", "2022", "--unit", "Youth office", "--budget", "1000"]
    )  # fmt: skip


def _impact_plan_register(w: World) -> Call:
    args = ["impact", "plan", "register", "--city", CITY_A, str(_intervention(w)), "--indicator", FREE]
    return Call([*args, "--design", "did"])


def _plan(w: World) -> tuple[int, int, int]:
    """A plan of city A with one objective and one action, through the library: (plan, objective, action)."""
    from datetime import date

    from bettercities.plans import service as plans
    from bettercities.plans.schemas import ActionIn, ObjectiveIn, PlanIn

    with w.session() as session:
        plan = PlanIn(title=w.name("plan"), period_from=date(2026, 1, 1), period_to=date(2027, 12, 31))
        plan_id = plans.add_plan(session, CITY_A, plan, user="test")
        objective = plans.add_objective(session, CITY_A, plan_id, ObjectiveIn(title="Objective"))
        action = plans.add_action(session, CITY_A, objective, ActionIn(title="Action"), user="test")
    return plan_id, objective, action


def _plans_add(w: World) -> Call:
    period = ["--from", "2026-01-01", "--to", "2026-12-31"]
    return Call(["plans", "add", "--city", CITY_A, "--title", w.name("plan"), *period])


def _plans_risk_add(w: World) -> Call:
    levels = ["--likelihood", "low", "--impact", "high"]
    return Call(["plans", "risk", "add", str(_plan(w)[0]), "--city", CITY_A, "--description", "R", *levels])


def _plans_import(w: World) -> Call:
    text = (
        f"title: {w.name('plan')}\nperiod_from: 2026-01-01\nperiod_to: 2026-12-31\nobjectives:\n"
        "  - title: O\n    actions:\n      - {title: A, budget: 100, funding_source: ERDF}\n"
    )
    return Call(["plans", "import", str(w.file(w.name("plan") + ".yaml", text)), "--city", CITY_A])


def _plans_link(command: str) -> Callable[[World], Call]:
    def call(w: World) -> Call:
        action = _plan(w)[2]
        if command == "unlink":
            from bettercities.plans import service as plans
            from bettercities.plans.schemas import LinkIn

            with w.session() as session:
                plans.link(session, CITY_A, LinkIn(areas=[w.area_codes()[0]]), action_id=action)
        area = w.area_codes()[0]
        return Call(["plans", command, "--city", CITY_A, "--action", str(action), "--area", area])

    return call


def _consultation(w: World, *, opened: bool = False, comment: bool = False) -> tuple[int, int]:
    """A round of city A with two proposals, through the library (opened; with a comment): (round, item)."""
    from datetime import timedelta

    from bettercities.access.policy import Principal
    from bettercities.consultations import participation
    from bettercities.consultations import service as consultations
    from bettercities.consultations.schemas import CommentIn, InvitationIn, ItemIn, ItemKind, RoundIn

    with w.session() as session:
        row = consultations.add_round(session, CITY_A, RoundIn(title=w.name("round"), question="Which?"))
        items = [
            consultations.add_item(session, CITY_A, row.id, ItemIn(kind=ItemKind.PROPOSAL, title=t)).id
            for t in ("A", "B")
        ]
        if opened or comment:
            closes = datetime.now(UTC) + timedelta(days=1)
            consultations.open_round(session, CITY_A, row.id, closes_at=closes)
        if comment:
            link = participation.invite(session, CITY_A, row.id, InvitationIn(label="Partner")).token
            said = CommentIn(item=items[0], body="Hm", invitation=link)
            participation.add_comment(session, CITY_A, row.id, said, principal=Principal())
        return row.id, items[0]


def _consultations_item_add(w: World) -> Call:
    round_id = str(_consultation(w)[0])
    return Call(["consultations", "item", "add", "--city", CITY_A, round_id, "--kind=proposal", "--title=C"])


def _consultations_moderate(w: World) -> Call:
    from bettercities.consultations.models import ConsultationComment

    round_id, _ = _consultation(w, comment=True)
    with w.workspace.database.reader() as session:
        comment = session.scalar(
            select(ConsultationComment.id).where(ConsultationComment.round_id == round_id)
        )
    args = ["consultations", "moderate", "--city", CITY_A, str(round_id), "--comment", str(comment)]
    args += ["--reason", "R"]
    return Call(args, "consultation-moderation")


#: Every command that writes -> a valid invocation (after its own preparation) and its named event.
def _registry_import(kind: str) -> Callable[[World], Call]:
    """One new row of the registry's source file ``kind`` (a made-up country XX, so nothing merges)."""

    def call(w: World) -> Call:
        n = next(w.names)
        if kind == "urban-audit":
            text = (
                "urau_code,name,country,nuts3_2021,lon,lat,area_km2,pop,pop_year\n"
                f"XX{n:03d}C,Town {n},XX,,{10 + n / 10},{40 + n / 10},50,60000,2020\n"
            )
            path = w.file(f"ua-{n}.csv", text)
        elif kind == "geonames":
            text = f"geonameid,name,country,lat,lon,population\n{9_900_000 + n},Town {n},XX,41.5,11.5,7000\n"
            path = w.file(f"gn-{n}.csv", text)
        elif kind == "regions":
            feature = {
                "type": "Feature",
                "properties": {"NUTS_ID": f"XX{n:03d}", "NAME_LATN": "R", "URBN_TYPE": "2"},
            }
            path = w.file(
                f"nuts-{n}.geojson", json.dumps({"type": "FeatureCollection", "features": [feature]})
            )
        else:
            code = f"XY{n:03d}C"
            with w.session() as session:
                areas.create_city(
                    session, CitySpec(slug=w.name("ua"), name="U", country="XX", urau_code=code)
                )
            path = w.file(f"ind-{n}.csv", f"urau_code,medianAge,medianAge_year\n{code},41.5,2020\n")
        return Call(["registry", "import", kind, str(path)])

    return call


WRITES: dict[str, Callable[[World], Call]] = {
    "registry import geonames": _registry_import("geonames"),
    "registry import indicators": _registry_import("indicators"),
    "registry import regions": _registry_import("regions"),
    "registry import urban-audit": _registry_import("urban-audit"),
    "registry load-shipped": lambda w: Call(["registry", "load-shipped"], action="registry-loaded"),
    "catalog add": _catalog_add,
    "catalog submit": _catalog_step("submit"),
    "catalog approve": _catalog_step("approve", A.SUBMIT),
    "catalog four-eyes": lambda w: Call(["catalog", "four-eyes", CITY_A, "--off"]),
    "catalog publish": _catalog_step("publish", A.SUBMIT, A.APPROVE),
    "catalog unlock": _catalog_step("unlock", A.SUBMIT, A.APPROVE, A.PUBLISH),
    "city add": _city_add,
    "consultations add": lambda w: Call(
        ["consultations", "add", "--city", CITY_A, "--title", w.name("round"), "--question", "Which?"]
    ),
    "consultations close": lambda w: Call(
        ["consultations", "close", "--city", CITY_A, str(_consultation(w, opened=True)[0])]
    ),
    "consultations invite": lambda w: Call(
        ["consultations", "invite", "--city", CITY_A, str(_consultation(w)[0]), "--label", "Partner"],
        "consultation-invitation",
    ),
    "consultations item add": _consultations_item_add,
    "consultations moderate": _consultations_moderate,
    "consultations open": lambda w: Call(
        ["consultations", "open", "--city", CITY_A, str(_consultation(w)[0]), "--closes", "2099-01-01T00:00Z"]
    ),
    "city add-level": _city_add_level,
    "crosswalk import": lambda w: Call(_crosswalk_args(w, w.name("cw"))),
    "crosswalk carry": _crosswalk_carry,
    "demo": _demo,
    "exchange import": _exchange_import,
    "impact intervention add": _impact_intervention_add,
    "impact intervention remove": lambda w: Call(
        ["impact", "intervention", "remove", "--city", CITY_A, str(_intervention(w))]
    ),
    "impact plan register": _impact_plan_register,
    "impact run add": lambda w: Call(
        ["impact", "run", "add", "--city", CITY_A, str(_intervention(w, planned=True))]
    ),
    "goals add": _goals_add,
    "goals measure record": _goals_measure_record,
    "goals remove": lambda w: Call(["goals", "remove", "--city", CITY_A, str(_goal(w))]),
    "import areas": _import_areas,
    "import observations": _import_observations,
    "index run": _index_run,
    "indicators load": _indicators_load,
    "networks add": _networks_add,
    "networks join": _networks_join,
    "networks leave": _networks_leave,
    "networks share": _networks_share,
    "networks unshare": _networks_unshare,
    "plans action add": lambda w: Call(
        ["plans", "action", "add", str(_plan(w)[1]), "--city", CITY_A, "--title", "New", "--budget", "10"]
    ),
    "plans action status": lambda w: Call(
        ["plans", "action", "status", str(_plan(w)[2]), "--city", CITY_A, "--status", "done"]
    ),
    "plans action update": lambda w: Call(
        ["plans", "action", "update", str(_plan(w)[2]), "--city", CITY_A, "--end", "2026-06-30"]
    ),
    "plans add": _plans_add,
    "plans import": _plans_import,
    "plans link": _plans_link("link"),
    "plans objective add": lambda w: Call(
        ["plans", "objective", "add", str(_plan(w)[0]), "--city", CITY_A, "--title", "More"]
    ),
    "plans remove": lambda w: Call(["plans", "remove", "plan", str(_plan(w)[0]), "--city", CITY_A]),
    "plans risk add": _plans_risk_add,
    "plans unlink": _plans_link("unlink"),
    "plans update": lambda w: Call(
        ["plans", "update", str(_plan(w)[0]), "--city", CITY_A, "--status", "adopted"]
    ),
    "priority evaluate": _priority_evaluate,
    "microdata aggregate": _microdata_aggregate,
    "privacy set": _privacy_set,
    "privacy remove": _privacy_remove,
    "privacy relation add": _privacy_relation_add,
    "privacy relation remove": _privacy_relation_remove,
    "quality outliers accept": _outliers("accept"),
    "quality outliers comment": _outliers("comment"),
    "quality outliers correct": _outliers("correct"),
    "quality rules add": _rules_add,
    "restore": _restore,
    "users add": _users_add,
    "users disable": _users_disable,
    "users enable": _users_enable,
    "users grant": _users_grant,
    "users revoke": _users_revoke,
    "users grant-network": _users_grant_network,
    "users revoke-network": _users_revoke_network,
    "users password": _users_password,
    "users token issue": _token_issue,
    "users token revoke": _token_revoke,
}


def _member(w: World) -> tuple[str, int]:
    """A new network with city A as a member; its slug and the membership's id."""
    slug = w.network()
    with w.session() as session:
        added = networks.add_membership(session, slug, networks.MemberIn(city=CITY_A, start=date(2023, 1, 1)))
    return slug, added.id


def _import_memberships(w: World) -> Call:
    name = w.name("Network")
    text = (
        "programme,network,member,country,role,start,end,source,note\n"
        f"Audit programme,{name},Alphaville,DE,lead partner,2023-06-01,2025-12-31,https://example.org,\n"
    )
    return Call(["import", "memberships", str(w.file(f"{name}.csv", text))])


WRITES.update(
    {
        "import memberships": _import_memberships,
        "networks programme add": lambda w: Call(
            ["networks", "programme", "add", w.name("prog"), "--name", "Programme"]
        ),
        "networks membership add": lambda w: Call(
            ["networks", "membership", "add", w.network(), "--city", CITY_A, "--role", "partner"]
        ),
        "networks membership change": lambda w: Call(
            ["networks", "membership", "change", *map(str, _member(w)), "--role", "observer", "--reason", "x"]
        ),
        "networks membership end": lambda w: Call(
            [
                "networks",
                "membership",
                "end",
                *map(str, _member(w)),
                "--end",
                "2024-06-30",
                "--reason",
                "left",
            ]
        ),
    }
)

#: Commands that change nothing in the database, and why.
NOT_WRITING: dict[str, str] = {
    "benchmark": "reads (the registry's statistics)",
    "peers": "reads (profiles from the registry, practices from networks, goals and interventions)",
    "registry build": "writes the shipped registry files (package data, --target); the database is unchanged",
    "registry list": "reads",
    "registry show": "reads",
    "audit export": "reads the log into a file",
    "audit list": "reads the log",
    "backup": "writes a snapshot folder; the database is unchanged",
    "catalog export": "writes DCAT to a file",
    "catalog inventory": "reads",
    "catalog list": "reads",
    "catalog overdue": "reads",
    "catalog show": "reads",
    "city compare": "reads",
    "city list": "reads",
    "consultations list": "reads",
    "consultations results": "reads (or writes a file)",
    "consultations show": "reads",
    "crosswalk list": "reads",
    "crosswalk show": "reads",
    "exchange export": "writes a file",
    "export": "writes a file",
    "goals list": "reads",
    "goals show": "reads",
    "impact estimate": "estimates on a panel file into a file; no workspace",
    "impact intervention list": "reads",
    "impact intervention show": "reads",
    "impact run show": "reads (or writes the run's panel to a file)",
    "index compare": "reads two stored runs",
    "index compute": "computes from a file into a file; no workspace",
    "index export": "writes a file",
    "index presets": "lists the shipped presets",
    "index runs": "reads",
    "index show": "reads",
    "indicators change": "reads",
    "indicators list": "reads",
    "init": "creates a workspace and its schema; no data row to audit",
    "microdata generate": "writes a synthetic register file; the database is unchanged",
    "networks history": "reads",
    "networks list": "reads",
    "networks membership history": "reads",
    "networks membership list": "reads",
    "networks participation": "reads",
    "networks programme list": "reads",
    "networks show": "reads",
    "plans list": "reads",
    "plans show": "reads",
    "priority sets": "reads (or writes a file)",
    "privacy ptable": "reads",
    "privacy relation list": "reads",
    "privacy report": "computes protection (kept in memory per data version); stores nothing",
    "privacy rules": "reads",
    "quality diff": "reads",
    "quality history": "reads",
    "quality outliers list": "reads",
    "quality rules check": "checks the stored values; stores nothing",
    "quality rules list": "reads",
    "serve": "serves the web app; its writes are the routes' (tests/web/test_audit_routes.py)",
    "spatial local": "computes on published values; stores nothing",
    "spatial moran": "computes from a file; no workspace",
    "spatial typology": "computes on published values; stores nothing",
    "users list": "reads",
    "users token list": "reads",
}


def leaf_commands(command: Any = None, path: str = "") -> Iterator[str]:
    """The CLI's commands (not its groups), as ``users token issue``."""
    command = command if command is not None else typer.main.get_command(cli_app)
    subs = getattr(command, "commands", None)
    if not subs:
        yield path
        return
    for name, sub in sorted(subs.items()):
        yield from leaf_commands(sub, f"{path} {name}".strip())


def w_where(w: World) -> list[str]:
    where = ["--workspace", str(w.workspace.path)]
    if w.workspace.database_url:
        where += ["--database-url", w.workspace.database_url]
    return where


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("cli-writes")
    workspace, _ = two_cities_workspace(request, folder)
    yield World(workspace, folder)
    workspace.close()


def last_id(workspace: Workspace) -> int:
    with workspace.database.reader() as session:
        return session.scalar(select(func.max(AuditEntry.id))) or 0


def entries_after(workspace: Workspace, after: int) -> list[AuditEntryOut]:
    """The entries with an id above ``after``, oldest first (selected by the database: the module's log
    grows to thousands of entries, which every test read whole)."""
    with workspace.database.reader() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))
        return [AuditEntryOut.model_validate(row) for row in rows]


def entries_since(w: World, started: datetime) -> list[AuditEntryOut]:
    with w.workspace.database.reader() as session:
        return [e for e in audit.entries(session) if e.at >= started]


# -- the knowledge hub and the guide (issue 16) --------------------------------------------------------------


def _hub_practice(w: World) -> str:
    """A new practice of city A (no programme); its slug."""
    from bettercities.hub import service as hub
    from bettercities.hub.schemas import PracticeIn

    slug = w.name("practice")
    with w.session() as session:
        hub.add_practice(session, PracticeIn(slug=slug, title="P", city=CITY_A, summary="S"), by="test")
    return slug


def _hub_event(w: World) -> str:
    """A new event (no programme); its slug."""
    from bettercities.hub import service as hub
    from bettercities.hub.schemas import EventIn

    slug = w.name("event")
    with w.session() as session:
        hub.add_event(session, EventIn(slug=slug, title="E", held_on=date(2026, 1, 15), topic="T"), by="test")
    return slug


def _guide_save(w: World) -> Call:
    from bettercities.networks.schemas import ProgrammeIn

    programme = w.name("prog")
    with w.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=programme, name=programme))
    spec = {"slug": w.name("guide"), "programme": programme, "title_de": "L", "title_en": "G",
            "events": [{"slug": _hub_event(w), "chapter": "impact"}]}  # fmt: skip
    return Call(["guide", "save", str(w.file(f"{spec['slug']}.json", json.dumps(spec)))])


WRITES.update(
    {
        "hub practice add": lambda w: Call(
            ["hub", "practice", "add", w.name("practice"), "--title", "P", "--summary", "S", "--city", CITY_A]
        ),
        "hub practice remove": lambda w: Call(["hub", "practice", "remove", _hub_practice(w)]),
        "hub event add": lambda w: Call(
            ["hub", "event", "add", w.name("event"), "--title", "E", "--date", "2026-01-22", "--topic", "T"]
        ),
        "hub event remove": lambda w: Call(["hub", "event", "remove", _hub_event(w)]),
        "guide save": _guide_save,
    }
)
NOT_WRITING.update(
    {
        "hub search": "reads",
        "hub practice show": "reads",
        "hub event show": "reads",
        "guide build": "writes the guide's PDF (and HTML) to files; reads the workspace",
        "guide list": "reads",
        "guide show": "reads",
    }
)


def _calls_call(w: World, *, opened: bool = True) -> tuple[str, str]:
    """A new programme with a call around now (opened unless told); the programme's and the call's slugs."""
    from datetime import timedelta

    from bettercities.calls import service as calls
    from bettercities.calls.schemas import CallIn, Criterion
    from bettercities.networks.schemas import ProgrammeIn

    programme, call = w.name("prog"), w.name("call")
    now = datetime.now(UTC)
    with w.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=programme, name=programme))
        spec = CallIn(
            slug=call, programme=programme, title_de="Aufruf", title_en="Call", time_zone="Europe/Berlin",
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1),
            criteria=[Criterion(code="relevance", label_de="Relevanz", label_en="Relevance", weight=1)],
        )  # fmt: skip
        calls.create_call(session, spec, by="test")
        if opened:
            calls.open_call(session, call, by="test")
    return programme, call


def _calls_application(w: World, *steps: str, city: str = CITY_A, call: str | None = None) -> int:
    """An application of ``city`` to a new call (or ``call``), moved through ``steps``."""
    from bettercities.calls import service as calls
    from bettercities.calls.schemas import ApplicationIn

    call = call or _calls_call(w)[1]
    with w.session() as session:
        application = calls.apply(session, call, ApplicationIn(city=city), by="test").id
        for step in steps:
            calls.set_status(session, application, step, by="test")
    return application


def _tandems_form(w: World) -> Call:
    programme, call = _calls_call(w)
    selected = ("eligible", "shortlisted", "selected")
    ids = [str(_calls_application(w, *selected, city=city, call=call)) for city in (CITY_A, CITY_B)]
    return Call(
        ["tandems", "form", "--programme", programme, "--application", ids[0], "--application", ids[1],
         "--name", w.name("Tandem"), "--start", "2026-01-10"],
        "tandem-formed",
    )  # fmt: skip


def _tandem(w: World) -> str:
    from bettercities.tandems import service as tandems

    programme, call = _calls_call(w)
    selected = ("eligible", "shortlisted", "selected")
    ids = [_calls_application(w, *selected, city=city, call=call) for city in (CITY_A, CITY_B)]
    with w.session() as session:
        return tandems.form_tandem(session, programme, ids, name=w.name("Tandem"), by="test").slug


def _calls_add(w: World) -> Call:
    programme = _calls_call(w)[0]
    return Call(
        ["calls", "add", w.name("call"), "--programme", programme, "--title-de", "A", "--title-en", "A",
         "--opens", "2026-01-01", "--closes", "2099-01-01", "--time-zone", "Europe/Berlin"]
    )  # fmt: skip


WRITES.update(
    {
        "calls add": _calls_add,
        "calls open": lambda w: Call(["calls", "open", _calls_call(w, opened=False)[1]], "call-open"),
        "calls close": lambda w: Call(["calls", "close", _calls_call(w)[1]], "call-closed"),
        "calls apply": lambda w: Call(
            ["calls", "apply", _calls_call(w)[1], "--city", CITY_A, "--tz", "Europe/Athens"],
            "application-status",
        ),
        "calls status": lambda w: Call(
            ["calls", "status", str(_calls_application(w)), "--to", "eligible"], "application-status"
        ),
        "calls score": lambda w: Call(
            ["calls", "score", str(_calls_application(w, "eligible")), "--value", "relevance=4"],
            "application-scored",
        ),
        "calls select": lambda w: Call(
            ["calls", "select", str(_calls_application(w, "eligible", "shortlisted"))], "application-status"
        ),
        "tandems form": _tandems_form,
        "tandems stage": lambda w: Call(
            ["tandems", "stage", _tandem(w), "--stage", "kick-off", "--on", "2026-01-10"]
        ),
        "tandems activity": lambda w: Call(
            ["tandems", "activity", _tandem(w), "--kind", "workshop", "--title", "W", "--on", "2026-02-10"]
        ),
        "tandems output": lambda w: Call(
            ["tandems", "output", _tandem(w), "--title", "Plan", "--drafted", "2026-03-01", "--city", CITY_A]
        ),
    }
)
NOT_WRITING.update(
    {
        "calls list": "reads",
        "calls show": "reads (the panel's ranking with --scores: the operator's CLI)",
        "tandems list": "reads",
        "tandems show": "reads",
    }
)


def _contact_invitation(w: World) -> str:
    from bettercities.access import contacts

    with w.session() as session:
        return contacts.invite_contact(session, CITY_A, "Office", by="test")[1]


WRITES.update(
    {
        "calls contact add": lambda w: Call(
            ["calls", "contact", "add", w.user(), "--city", CITY_A], "contact-added"
        ),
        "calls contact invite": lambda w: Call(
            ["calls", "contact", "invite", "--city", CITY_A, "--label", "Sozialamt"], "contact-invited"
        ),
        "calls contact accept": lambda w: Call(
            ["calls", "contact", "accept", _contact_invitation(w), "--user", w.user()],
            "contact-invitation-accepted",
        ),
    }
)
NOT_WRITING["calls contact list"] = "reads"


def test_every_cli_command_is_listed() -> None:
    commands = set(leaf_commands())
    missing = sorted(commands - WRITES.keys() - NOT_WRITING.keys())
    assert not missing, f"CLI commands without an audit check (add them to WRITES or NOT_WRITING): {missing}"
    stale = sorted((WRITES.keys() | NOT_WRITING.keys()) - commands)
    assert not stale, f"listed commands the CLI does not have: {stale}"
    assert not WRITES.keys() & NOT_WRITING.keys()


#: The commands that load the shipped registry (17,873 cities, with their aliases and statistics) into the
#: module's world: they run last, so that the commands whose work grows with the stored cities (each registry
#: import indexes every stored city; a restore copies the whole database) run on the two cities their checks
#: need. On a world holding the registry the five of them took ~6 s more per module run.
FILL_THE_REGISTRY = ("demo", "registry load-shipped")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``command`` runs over every entry of :data:`WRITES`, also those a later block of this module adds (a
    ``parametrize`` decorator would read the table as it stood at its line), in order of the name but for
    :data:`FILL_THE_REGISTRY`, which come last."""
    if "command" in metafunc.fixturenames:
        metafunc.parametrize("command", sorted(WRITES, key=lambda c: (c in FILL_THE_REGISTRY, c)))


def test_a_cli_write_leaves_its_named_event(world: World, command: str) -> None:
    call = WRITES[command](world)
    assert " ".join(call.args).startswith(command), (command, call.args)
    before = last_id(world.workspace)
    started = datetime.now(UTC)
    result = CliRunner().invoke(cli_app, [*call.args, *w_where(world)], input=call.stdin)
    assert result.exit_code == 0, result.output
    # a restore replaced the database under this process's pooled connections, and gave entries new ids
    world.workspace.database.engine.dispose()
    new = entries_after(world.workspace, before) if command != "restore" else entries_since(world, started)
    assert new, f"{command}: no audit entry"
    assert {(e.actor, e.via) for e in new} == {(CLI_ACTOR, "cli")}, [(e.actor, e.via, e.action) for e in new]
    if call.action is not None:
        assert call.action in {e.action for e in new}, [e.action for e in new]


def test_an_access_event_is_recorded_once(world: World) -> None:
    """Named events of the access commands are recorded once per operation (not twice: library and face)."""
    name = world.user()
    before = last_id(world.workspace)
    for args in (["users", "token", "issue", name, "--name", "once"], ["users", "disable", name]):
        result = CliRunner().invoke(cli_app, [*args, *w_where(world)])
        assert result.exit_code == 0, result.output
    actions = [e.action for e in entries_after(world.workspace, before)]
    assert actions.count("token-issued") == 1 and actions.count("user-disabled") == 1
    with world.workspace.database.reader() as session:
        [disabled] = [
            e for e in audit.entries(session) if e.action == "user-disabled" and e.entity_key == name
        ]
    assert disabled.after == {"disabled": True, "sessions_ended": 0, "tokens_revoked": 1}


# -- the impact logic (issue 16) -----------------------------------------------------------------------------


def _logic(w: World) -> str:
    """A new programme whose impact logic has boxes ``a`` (inputs) and ``b`` (outputs), linked, and a manual
    measure ``m`` of ``b``; its slug."""
    from bettercities.impact_logic import service as logic
    from bettercities.impact_logic.schemas import BoxIn, LinkIn, MeasureIn
    from bettercities.networks.schemas import ProgrammeIn

    slug = w.name("prog")
    with w.session() as session:
        networks.create_programme(session, ProgrammeIn(slug=slug, name=slug))
        logic.add_box(session, slug, BoxIn(key="a", stage="inputs", title_de="A", title_en="A"))
        logic.add_box(session, slug, BoxIn(key="b", stage="outputs", title_de="B", title_en="B"))
        logic.link_boxes(session, slug, LinkIn(source="a", target="b"))
        logic.add_measure(session, slug, MeasureIn(key="m", box="b", label_de="M", label_en="M"))
    return slug


LOGIC = ["impact-logic"]
WRITES.update(
    {
        "impact-logic box add": lambda w: Call(
            [*LOGIC, "box", "add", _logic(w), "c", "--stage", "impact", "--title-de", "C", "--title-en", "C"]
        ),
        "impact-logic box change": lambda w: Call(
            [*LOGIC, "box", "change", _logic(w), "a", "--title-en", "Z"]
        ),
        "impact-logic box remove": lambda w: Call([*LOGIC, "box", "remove", _logic(w), "b"]),
        "impact-logic box link": lambda w: Call([*LOGIC, "box", "link", *_logic_with_impact(w), "b", "c"]),
        "impact-logic box unlink": lambda w: Call([*LOGIC, "box", "unlink", _logic(w), "a", "b"]),
        "impact-logic measure add": lambda w: Call(
            [*LOGIC, "measure", "add", _logic(w), "t", "--box", "b", "--code", "tandems_formed"]
        ),
        "impact-logic measure target": lambda w: Call(
            [*LOGIC, "measure", "target", _logic(w), "m", "--target", "6"]
        ),
        "impact-logic measure record": lambda w: Call(
            [
                *LOGIC,
                "measure",
                "record",
                _logic(w),
                "m",
                "--date",
                "2024-01-01",
                "--value",
                "3",
                "--source",
                "r",
            ]
        ),
        "impact-logic measure remove": lambda w: Call([*LOGIC, "measure", "remove", _logic(w), "m"]),
    }
)
NOT_WRITING.update(
    {
        "impact-logic show": "reads (automatic measures are computed, never stored)",
        "impact-logic measure codes": "lists the fixed table of automatic measures; no workspace",
    }
)


def _logic_with_impact(w: World) -> tuple[str]:
    """:func:`_logic` with a third box ``c`` (impact), not linked; the slug (the first argument)."""
    from bettercities.impact_logic import service as logic
    from bettercities.impact_logic.schemas import BoxIn

    slug = _logic(w)
    with w.session() as session:
        logic.add_box(session, slug, BoxIn(key="c", stage="impact", title_de="C", title_en="C"))
    return (slug,)


# -- surveys (issue 16) ------------------------------------------------------------------------------------


def _survey(w: World, *, status: str | None = None) -> str:
    """A new survey (the shipped practice survey) in state draft, or ``status``."""
    from bettercities.surveys import service as surveys
    from bettercities.surveys.practice import shipped_path
    from bettercities.surveys.schemas import SurveyStatus

    slug = w.name("survey")
    with w.session() as session:
        surveys.load_survey(session, shipped_path(), slug=slug, by="test")
        if status is not None:
            surveys.set_status(session, slug, SurveyStatus(status))
    return slug


def _survey_load(w: World) -> Call:
    from bettercities.surveys.practice import shipped_path

    return Call(["survey", "load", str(shipped_path()), "--survey", w.name("survey")])


WRITES.update(
    {
        "survey load": _survey_load,
        "survey open": lambda w: Call(["survey", "open", _survey(w)]),
        "survey close": lambda w: Call(["survey", "close", _survey(w, status="open")]),
    }
)
NOT_WRITING.update(
    {
        "survey export": "writes the results to a CSV file",
        "survey gaps": "reads",
        "survey list": "reads",
        "survey results": "reads",
        "survey show": "reads",
    }
)
