"""City networks: cities join and leave networks, and share catalogued datasets with them."""

from bettercities.networks.schemas import NetworkCityOut, NetworkOut, ShareOut
from bettercities.networks.service import (
    add_city,
    city_networks,
    create_network,
    get_network,
    list_networks,
    remove_city,
    share_dataset,
    shared_indicator_ids,
    unshare_dataset,
)

__all__ = [
    "NetworkCityOut",
    "NetworkOut",
    "ShareOut",
    "add_city",
    "city_networks",
    "create_network",
    "get_network",
    "list_networks",
    "remove_city",
    "share_dataset",
    "shared_indicator_ids",
    "unshare_dataset",
]
