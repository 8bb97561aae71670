"""The catalogue's read use cases that the pages, the API and the CLI share.

They build on both the dataset registry (:mod:`.service`) and the approval workflow (:mod:`.approval`),
which is why they live above the two.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bettercities.areas import service as areas
from bettercities.catalog.approval import history
from bettercities.catalog.schemas import (
    AccessRights,
    CatalogView,
    DatasetFilter,
    DatasetOut,
    DatasetView,
    State,
)
from bettercities.catalog.service import list_datasets, show_dataset
from bettercities.core.errors import NotFound
from bettercities.publication import Audience


def catalog_view(session: Session, slug: str, filters: DatasetFilter | None = None) -> CatalogView:
    """The catalogue of city ``slug`` as the page, the API and the export show it."""
    city = areas.get_city(session, slug)
    filters = filters or DatasetFilter()
    datasets = list_datasets(session, city, filters)
    return CatalogView(
        city=city.slug, city_name=city.name, filters=filters, datasets=datasets, total=len(datasets)
    )


def dataset_view(session: Session, slug: str, code: str) -> DatasetView:
    """A dataset with its approval history, as its page and the page's JSON twin show it."""
    city = areas.get_city(session, slug)
    return DatasetView(
        city_name=city.name, dataset=show_dataset(session, slug, code), history=history(session, slug, code)
    )


def visible_filters(filters: DatasetFilter, audience: Audience) -> DatasetFilter:
    """``filters``, narrowed to published datasets with public access for the public (whoever is no member of
    the city: ``audience`` is what the principal may see of it)."""
    if audience == Audience.PUBLIC:
        return filters.model_copy(update={"public_only": True})
    return filters


def visible_dataset(session: Session, slug: str, code: str, audience: Audience) -> DatasetOut:
    """Dataset ``code`` of city ``slug``; for the public only when it is published with public access (else
    :class:`NotFound`, as if it did not exist)."""
    dataset = show_dataset(session, slug, code)
    public = dataset.state == State.PUBLISHED and dataset.access_rights == AccessRights.PUBLIC
    if not public and audience == Audience.PUBLIC:
        raise NotFound("dataset", f"{slug}/{code}")
    return dataset


__all__ = ["catalog_view", "dataset_view", "visible_dataset", "visible_filters"]
