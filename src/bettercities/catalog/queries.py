"""The catalogue's read use cases that the pages, the API and the CLI share.

They build on both the dataset registry (:mod:`.service`) and the approval workflow (:mod:`.approval`),
which is why they live above the two.

Every read takes the ``audience`` of the principal in the city (:func:`bettercities.access.policy.
audience_for`; the CLI, run by whoever holds the database, reads as :attr:`Audience.INTERNAL`). The public
(whoever is no member of the city) sees a dataset only when it is published with public access rights — its
metadata, its approval history, its line in a listing alike — and never a steward's e-mail address; a
dataset hidden from it is :class:`NotFound`, as if it did not exist. Stewardship
(:mod:`.stewardship`) and the inventory (:mod:`.inventory`) apply the same rule through
:func:`visible_filters` and :func:`for_audience`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.catalog.approval import history, settings
from bettercities.catalog.schemas import (
    AccessRights,
    ApprovalEventOut,
    CatalogView,
    DatasetFilter,
    DatasetOut,
    DatasetView,
    State,
)
from bettercities.catalog.service import list_datasets, show_dataset
from bettercities.core.errors import NotFound
from bettercities.publication import Audience


def catalog_view(
    session: Session, slug: str, filters: DatasetFilter | None = None, *, audience: Audience
) -> CatalogView:
    """The catalogue of city ``slug`` as the page, the API and the export show it to ``audience``."""
    city = areas.get_city(session, slug)
    filters = visible_filters(filters or DatasetFilter(), audience)
    datasets = [for_audience(d, audience) for d in list_datasets(session, city, filters)]
    return CatalogView(
        city=city.slug,
        city_name=city.name,
        filters=filters,
        datasets=datasets,
        total=len(datasets),
        four_eyes=settings(session, slug).four_eyes,
    )


def dataset_view(session: Session, slug: str, code: str, *, audience: Audience) -> DatasetView:
    """A dataset with its approval history, as its page and the page's JSON twin show it to ``audience``
    (:class:`NotFound` when ``audience`` may not see it)."""
    city = areas.get_city(session, slug)
    dataset = visible_dataset(session, slug, code, audience)
    return DatasetView(city_name=city.name, dataset=dataset, history=history(session, slug, code))


def dataset_history(session: Session, slug: str, code: str, *, audience: Audience) -> list[ApprovalEventOut]:
    """The approval steps of dataset ``code`` (:class:`NotFound` when ``audience`` may not see it)."""
    visible_dataset(session, slug, code, audience)
    return history(session, slug, code)


def visible_filters(filters: DatasetFilter, audience: Audience) -> DatasetFilter:
    """``filters``, narrowed to published datasets with public access for the public (whoever is no member of
    the city: ``audience`` is what the principal may see of it)."""
    if audience == Audience.PUBLIC:
        return filters.model_copy(update={"public_only": True})
    return filters


def is_visible(dataset: DatasetOut, audience: Audience) -> bool:
    """Whether ``audience`` may see ``dataset`` at all: the city's members always, the public only a dataset
    published with public access rights."""
    public = dataset.state == State.PUBLISHED and dataset.access_rights == AccessRights.PUBLIC
    return public or audience != Audience.PUBLIC


def for_audience(dataset: DatasetOut, audience: Audience) -> DatasetOut:
    """``dataset`` as ``audience`` may see it: the steward's e-mail address only for the city's members (the
    public contact point, ``contact_email``, is published with the dataset in DCAT-AP)."""
    if audience == Audience.PUBLIC and dataset.steward_email is not None:
        return dataset.model_copy(update={"steward_email": None})
    return dataset


def visible_dataset(session: Session, slug: str, code: str, audience: Audience) -> DatasetOut:
    """Dataset ``code`` of city ``slug`` as ``audience`` may see it; for the public only when it is published
    with public access (else :class:`NotFound`, as if it did not exist)."""
    dataset = show_dataset(session, slug, code)
    if not is_visible(dataset, audience):
        raise NotFound("dataset", f"{slug}/{code}")
    return for_audience(dataset, audience)


__all__ = [
    "catalog_view",
    "dataset_history",
    "dataset_view",
    "for_audience",
    "is_visible",
    "visible_dataset",
    "visible_filters",
]
