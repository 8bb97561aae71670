"""One pagination for every list endpoint: ``?page=&page_size=`` and the envelope ``{items, page, page_size,
total, next}``; ``page_size`` defaults to the ``page_size`` setting and is capped at ``max_page_size``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

from bettercities.web.deps import SettingsDep

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    page: int = Field(description="This page's number, from 1.")
    page_size: int = Field(description="Items per page (after capping at the largest allowed size).")
    total: int = Field(description="Items in the whole list.")
    next: str | None = Field(description="URL of the next page, if there is one.")


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def envelope(self, request: Request, items: list[T], total: int) -> Page[T]:
        more = self.offset + len(items) < total
        next_url = (
            str(request.url.include_query_params(page=self.page + 1, page_size=self.page_size))
            if more
            else None
        )
        return Page[T](items=items, page=self.page, page_size=self.page_size, total=total, next=next_url)

    def slice(self, request: Request, items: list[T]) -> Page[T]:
        """Paginate a list computed in full (values of a level, …)."""
        return self.envelope(request, items[self.offset : self.offset + self.page_size], len(items))


#: The largest page number: every offset (page - 1) x page size stays within a 64-bit integer, the range of
#: OFFSET on both databases (an offset beyond it was a 500 on SQLite: "Python int too large").
MAX_PAGE = 2**31 - 1


async def page_params(
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    page_size: Annotated[
        int | None, Query(ge=1, description="Items per page (capped by the server).")
    ] = None,
) -> PageParams:
    size = min(page_size or settings.page_size, settings.max_page_size)
    return PageParams(page=page, page_size=size)


PageDep = Annotated[PageParams, Depends(page_params)]
