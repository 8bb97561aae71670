"""What the networks domain returns: networks, their members over time and the datasets shared with them."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class NetworkCityOut(BaseModel):
    """One period of a city's membership (``left`` empty while it is a member)."""

    city: str  # slug
    joined: date
    left: date | None


class ShareOut(BaseModel):
    """A dataset of a city shared with a network."""

    network: str
    city: str
    dataset: str  # dataset code


class NetworkOut(BaseModel):
    """A city network with its membership history and shared datasets."""

    slug: str
    name_de: str
    name_en: str
    description: str | None
    members: list[NetworkCityOut]
    shares: list[ShareOut]
