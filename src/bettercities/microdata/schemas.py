"""The YAML spec of a microdata aggregation, and the typed result of a run.

A spec names the unit of the records, the column holding each record's area key (optionally mapped to areas
through an address- or block-to-area lookup file), the level the key maps to, and the indicators: ``count``
of the records where a condition holds, ``share`` (a count over a count), ``mean`` and ``median`` of a
column. Every error names the spec file and the line of the offending node (:func:`load_spec`).

Example::

    version: 1
    unit: person
    area: {key: area_code, level: planning_area}
    indicators:
      - {code: inhabitants, count: "true"}
      - code: unemployment
        share: {numerator: "unemployed and between(age, 15, 64)", denominator: "between(age, 15, 64)"}
      - {code: mean_age, mean: age}
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report

Kind = Literal["count", "share", "mean", "median"]
KINDS: tuple[Kind, ...] = ("count", "share", "mean", "median")

# The condition language: what ast nodes a condition may hold. Anything else (calls other than the
# functions below, attributes, subscripts, lambdas, comprehensions …) is refused before it is translated.
FUNCTIONS = {"between": 3, "isnull": 1, "notnull": 1}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.List,
    ast.Tuple,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
)


class ConditionError(ValueError):
    """A condition that is not in the condition language."""


def parse_condition(text: str) -> ast.Expression:
    """Parse ``text`` into a checked syntax tree of the condition language (never evaluated by Python).

    Comparisons (``==``, ``!=``, ``<`` …, chained as in ``15 <= age < 65``), ``and``/``or``/``not``,
    ``x in [1, 2]`` / ``not in``, ``between(x, low, high)`` (inclusive), ``isnull(x)``/``notnull(x)``,
    arithmetic (``+ - * / %``), column names and literals (numbers, quoted texts, ``true``/``false``).
    """
    source = text.strip()
    for word, literal in (("true", "True"), ("false", "False")):  # YAML's spelling of the booleans
        source = _replace_word(source, word, literal)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise ConditionError(f"cannot parse {text!r}: {error.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ConditionError(f"{text!r}: {type(node).__name__} is not allowed in a condition")
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS or node.keywords or len(node.args) != FUNCTIONS[name]:
                raise ConditionError(
                    f"{text!r}: unknown function call; known: between(x, low, high), isnull(x), notnull(x)"
                )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str | bool):
            raise ConditionError(f"{text!r}: literal {node.value!r} is not a number, text or boolean")
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn) and not isinstance(right, ast.List | ast.Tuple):
                    raise ConditionError(f"{text!r}: 'in' takes a list of literals, e.g. x in [1, 2]")
    return tree


def _replace_word(source: str, word: str, replacement: str) -> str:
    """Replace ``word`` outside quoted texts, as a whole word."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError):
        return source  # ast.parse reports the syntax error
    changed = [
        (t.type, replacement) if t.type == tokenize.NAME and t.string == word else (t.type, t.string)
        for t in tokens
    ]
    return tokenize.untokenize(changed).strip() if changed != [(t.type, t.string) for t in tokens] else source


def names_in(tree: ast.Expression) -> set[str]:
    """The column names a condition refers to (function names excluded)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def _condition(value: str | bool | None) -> str | None:
    if value is None:
        return None
    text = "true" if value is True else "false" if value is False else str(value)
    try:
        parse_condition(text)
    except ConditionError as error:
        raise ValueError(str(error)) from None
    return text


class Share(BaseModel):
    """A share: the count of ``numerator`` records over the count of ``denominator`` records."""

    model_config = ConfigDict(extra="forbid")

    numerator: str
    denominator: str

    @field_validator("numerator", "denominator", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> Any:
        return _condition(value) if isinstance(value, str | bool) else value


class IndicatorSpec(BaseModel):
    """One indicator of the spec: exactly one of ``count``, ``share``, ``mean``, ``median``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, description="A registered indicator's code.")
    count: str | None = Field(default=None, description="Condition: count the records where it holds.")
    share: Share | None = None
    mean: str | None = Field(default=None, description="Column whose mean per area is the value.")
    median: str | None = Field(default=None, description="Column whose median per area is the value.")
    where: str | None = Field(default=None, description="mean/median: only records where this holds.")
    line: int = Field(default=0, description="Line of the indicator in the spec file (set on loading).")

    @field_validator("count", "where", mode="before")
    @classmethod
    def _conditions(cls, value: Any) -> Any:
        return _condition(value) if isinstance(value, str | bool) else value

    @model_validator(mode="after")
    def _one_kind(self) -> IndicatorSpec:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of count, share, mean, median (got {', '.join(given) or 'none'})"
            )
        if self.where is not None and given[0] not in ("mean", "median"):
            raise ValueError("'where' belongs to mean and median; count and share carry their own conditions")
        return self

    @property
    def kind(self) -> Kind:
        return next(k for k in KINDS if getattr(self, k) is not None)

    def conditions(self) -> list[str]:
        """Every condition text of the indicator."""
        texts = [
            self.count,
            self.where,
            *((self.share.numerator, self.share.denominator) if self.share else ()),
        ]
        return [t for t in texts if t is not None]

    def columns(self) -> set[str]:
        """Every column the indicator reads."""
        found = set().union(*(names_in(parse_condition(t)) for t in self.conditions()))
        return found | {c for c in (self.mean, self.median) if c is not None}


class AreaKey(BaseModel):
    """How records find their area: a key column, optionally mapped through a lookup file."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, description="Column of the records holding the area (or address) key.")
    level: str = Field(min_length=1, description="Level of the areas the key (or the lookup) names.")
    lookup: Path | None = Field(
        default=None, description="CSV mapping keys to area codes (relative to spec)."
    )
    lookup_key: str = Field(default="key", description="Column of the lookup holding the records' key.")
    lookup_area: str = Field(default="area", description="Column of the lookup holding the area code.")


class Spec(BaseModel):
    """A microdata aggregation spec (see the module docstring and docs/microdata.md)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(default=1, ge=1)
    unit: str = Field(min_length=1, description="What one record is, e.g. person, household, benefit case.")
    area: AreaKey
    indicators: list[IndicatorSpec] = Field(min_length=1)
    path: Path | None = Field(default=None, description="The spec file (set on loading).")

    @model_validator(mode="after")
    def _unique(self) -> Spec:
        seen: set[str] = set()
        for indicator in self.indicators:
            if indicator.code in seen:
                raise ValueError(f"indicator {indicator.code!r} is given twice")
            seen.add(indicator.code)
        return self

    def columns(self) -> set[str]:
        """Every column of the records the spec reads (the key included)."""
        return {self.area.key}.union(*(i.columns() for i in self.indicators))

    def lookup_path(self) -> Path | None:
        """The lookup file, resolved against the spec file's folder."""
        if self.area.lookup is None:
            return None
        base = self.path.parent if self.path is not None else Path.cwd()
        return self.area.lookup if self.area.lookup.is_absolute() else base / self.area.lookup


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node that ``loc`` (a pydantic error location) reaches."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
            if not found:
                break
            key, node = found[0]
            line = key.start_mark.line + 1  # the entry's own line ("area:"), even when its value starts below
            continue
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_spec(path: Path | str) -> Spec:
    """Read and check a spec file; :class:`InvalidInput` naming the file and line of every problem."""
    path = Path(path)
    name = str(path)

    def refuse(problems: list[Problem]) -> InvalidInput:
        return InvalidInput(f"{name}: invalid microdata spec", Report(source=name, problems=problems))

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise refuse([Problem(code="unreadable-file", message=str(error), file=name)]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = Problem(
            code="invalid-spec",
            message=f"not valid YAML: {getattr(error, 'problem', error)}",
            file=name,
            row=mark.line + 1 if mark is not None else None,
        )
        raise refuse([problem]) from None
    if not isinstance(data, dict):
        raise refuse([Problem(code="invalid-spec", message="the spec must be a mapping", file=name)])
    # Each indicator learns its line, so that later problems (an unknown column) can point at it.
    items = _node_at(root, "indicators")
    if isinstance(data.get("indicators"), list) and isinstance(items, yaml.SequenceNode):
        for entry, node in zip(data["indicators"], items.value, strict=False):
            if isinstance(entry, dict):
                entry["line"] = node.start_mark.line + 1
    try:
        return Spec(**data, path=path)
    except ValidationError as error:
        problems = [
            Problem(
                code="invalid-spec",
                message=f"{'.'.join(str(p) for p in e['loc']) or 'spec'}: {e['msg']}",
                file=name,
                row=_line_of(root, tuple(e["loc"])),
            )
            for e in error.errors()
        ]
        raise refuse(problems) from None


def _node_at(root: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


class LevelCount(BaseModel):
    """What a run produced on one level."""

    level: str
    areas: int
    observations: int
    suppressed: int = Field(description="Mean/median cells of fewer records than the threshold, marked.")


class AggregationResult(BaseModel):
    """What :func:`bettercities.microdata.service.aggregate` read, computed and imported."""

    spec: str
    spec_sha256: str
    data: str
    data_sha256: str
    engine: str
    period: str
    records: int
    thresholds: dict[str, int] = Field(
        description="Per mean/median indicator: cells of fewer records are stored as suppressed."
    )
    levels: list[LevelCount]
    indicators: list[str]
    batch_ids: list[int] = Field(description="One import batch per level; empty on a dry run.")
    inserted: int = 0
    revised: int = 0
    unchanged: int = 0
    dry_run: bool = False
    report: Report = Field(default_factory=Report)
