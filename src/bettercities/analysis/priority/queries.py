"""Reads of priority areas that the JSON API, the pages and their JSON twins share: a preset rule's (or a
posted rule's) areas, and the named sets, each as the viewer's audience may see them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bettercities.analysis.priority import service
from bettercities.analysis.priority.evaluation import evaluate
from bettercities.analysis.priority.schemas import PRESETS, PriorityResult, PriorityRule, PrioritySetOut
from bettercities.areas import service as areas
from bettercities.core.errors import NotFound
from bettercities.publication.viewer import Viewer

__all__ = ["PriorityQuery", "fitting_preset", "visible_set", "visible_sets"]


class PriorityQuery(BaseModel):
    """A preset rule (or a rule given with :meth:`run`) with optional level and period."""

    model_config = {"extra": "forbid", "frozen": True}

    rule: str = Field(default="mss-low-status-negative-dynamics", description="Preset rule name.")
    level: str | None = Field(default=None, description="Level code; default: the rule's or its run's.")
    period: str | None = Field(default=None, description="Period code; default: the rule's or its run's.")

    def params(self) -> dict[str, object]:
        """The permalink parameters."""
        return {"rule": self.rule, "level": self.level, "period": self.period}

    def run(self, viewer: Viewer, slug: str, rule: PriorityRule | None = None) -> PriorityResult:
        """The areas meeting the rule, judged on what the viewer may see."""
        if rule is None:
            if self.rule not in PRESETS:
                raise NotFound("priority rule", self.rule)
            rule = PRESETS[self.rule]
        city_id = areas.get_city(viewer.session, slug).id
        return evaluate(
            viewer.session, slug, rule, level=self.level, period=self.period,
            audience=viewer.audience(city_id), networks=viewer.networks(city_id), budget=viewer.budget,
        )  # fmt: skip


def visible_sets(viewer: Viewer, slug: str) -> list[PrioritySetOut]:
    """The city's named sets the viewer may see (evaluated for their audience or a narrower one)."""
    city_id = areas.get_city(viewer.session, slug).id
    return service.list_sets(viewer.session, slug, audience=viewer.audience(city_id))


def visible_set(viewer: Viewer, slug: str, name: str) -> PrioritySetOut:
    """One named set with its areas; :class:`NotFound` for a set the viewer may not see."""
    city_id = areas.get_city(viewer.session, slug).id
    return service.get_set(viewer.session, slug, name, audience=viewer.audience(city_id))


#: The preset that reads the classes a run of an index method has (an MSS run has status and dynamics classes;
#: a composite run one class, which the ``low-status`` preset reads when it follows the MSS status classes).
_PRESET_OF_METHOD = {"berlin-mss": "mss-low-status-negative-dynamics"}
_PRESET_OTHERWISE = "low-status"


def fitting_preset(method: str) -> str:
    """The preset rule that can select areas from a run of index ``method`` (what a city's page links to)."""
    return _PRESET_OF_METHOD.get(method, _PRESET_OTHERWISE)
