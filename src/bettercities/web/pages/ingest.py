"""Upload of observations and areas: a form, a background import with progress, the result or every problem.

Without scripts the form posts and the server answers with the finished job's page. The page's script posts
the same form with ``Accept: application/json``, gets the job at once and polls its JSON twin for progress.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from bettercities.access.policy import Permission
from bettercities.areas import service as areas
from bettercities.areas.schemas import CityOut, LevelOut
from bettercities.core.errors import InvalidInput, NotFound
from bettercities.ingest.schemas import AreaImportOptions, ObservationImportOptions, parse_mapping
from bettercities.web.deps import Lang, SessionDep, SettingsDep, TemplatesDep, requires
from bettercities.web.errors import PROBLEM_RESPONSES
from bettercities.web.jobs import ImportJob, ImportRequest, JobKind, Jobs

router = APIRouter(tags=["pages"], responses=PROBLEM_RESPONSES)

LAYOUTS = ("wide", "long")
#: Uploads and their progress are for the city's stewards (the permission "edit").
EDIT = [Depends(requires(Permission.EDIT))]


class ImportForm(BaseModel):
    """What the upload form offers."""

    city: CityOut
    levels: list[LevelOut]
    kinds: list[JobKind]
    layouts: list[str]
    upload_limit_mb: int


def _form(session: SessionDep, slug: str, settings: SettingsDep) -> ImportForm:
    city = areas.get_city(session, slug)
    return ImportForm(
        city=areas.city_out(session, city),
        levels=areas.list_levels(session, city),
        kinds=list(JobKind),
        layouts=list(LAYOUTS),
        upload_limit_mb=settings.upload_limit_mb,
    )


def _jobs(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs


@router.get(
    "/cities/{slug}/import.json",
    response_model=ImportForm,
    summary="Upload form (JSON twin)",
    dependencies=EDIT,
)
def import_form_json(slug: str, session: SessionDep, settings: SettingsDep) -> ImportForm:
    return _form(session, slug, settings)


@router.get("/cities/{slug}/import", response_class=HTMLResponse, include_in_schema=False, dependencies=EDIT)
def import_form(
    request: Request,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    lang: Lang,
) -> HTMLResponse:
    return templates.render(request, "ingest/form.html", lang=lang, form=_form(session, slug, settings))


@router.post("/cities/{slug}/import", include_in_schema=False, dependencies=EDIT)
async def import_upload(
    request: Request,
    slug: str,
    session: SessionDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    lang: Lang,
    file: Annotated[UploadFile, File()],
    kind: Annotated[JobKind, Form()] = JobKind.OBSERVATIONS,
    level: Annotated[str, Form(min_length=1)] = "",
    layout: Annotated[str, Form(pattern="^(wide|long)$")] = "wide",
    period: Annotated[str, Form()] = "",
    id_column: Annotated[str, Form()] = "id",
    name_column: Annotated[str, Form()] = "name",
    parent_column: Annotated[str, Form()] = "",
    parent_level: Annotated[str, Form()] = "",
    level_name_de: Annotated[str, Form()] = "",
    level_name_en: Annotated[str, Form()] = "",
    mapping: Annotated[str, Form()] = "",
    pad_ids: Annotated[bool, Form()] = False,
) -> Response:
    form = _form(session, slug, settings)
    content = await file.read(settings.upload_limit_mb * 1024 * 1024 + 1)
    problems: list[str] = []
    if len(content) > settings.upload_limit_mb * 1024 * 1024:
        problems.append(f"the file is larger than {settings.upload_limit_mb} MiB")
    if not content:
        problems.append("the file is empty")
    name = file.filename or "upload"
    try:
        parsed = parse_mapping(mapping.splitlines())
        upload = ImportRequest(
            kind=kind,
            city=slug,
            file_name=name,
            areas=AreaImportOptions.checked(
                name, level=level, level_name_de=level_name_de or None, level_name_en=level_name_en or None,
                parent_level=parent_level or None, id_column=id_column or "id",
                name_column=name_column or "name", parent_column=parent_column or None,
            ) if kind == JobKind.AREAS else None,
            observations=ObservationImportOptions.checked(
                name, level=level, layout=layout, period=period or None, id_column=id_column or "id",
                mapping=parsed, pad_ids=pad_ids,
            ) if kind == JobKind.OBSERVATIONS else None,
        )  # fmt: skip
    except InvalidInput as error:
        problems.extend(str(p) for p in (error.report.problems if error.report else []))
    if problems:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(
                {"title": "Invalid input", "status": 422, "errors": problems}, status_code=422
            )
        return templates.render(
            request, "ingest/form.html", lang=lang, form=form, problems=problems, status_code=422
        )
    job = _jobs(request).create(upload, content)
    target = f"/cities/{slug}/import/{job.id}?lang={lang}"
    if "application/json" in request.headers.get("accept", ""):
        _jobs(request).start(job)
        return JSONResponse(
            {
                "id": job.id,
                "status": job.status,
                "url": target,
                "status_url": f"/cities/{slug}/import/{job.id}.json",
            },
            status_code=202,
        )
    _jobs(request).run(job.id)  # no script: import now, then show the result
    return RedirectResponse(target, status_code=303)


def _job(request: Request, slug: str, job_id: str) -> ImportJob:
    job = _jobs(request).get(job_id)
    if job is None or job.request.city != slug:
        raise NotFound("import", job_id)
    return job


@router.get(
    "/cities/{slug}/import/{job_id}.json",
    response_model=ImportJob,
    summary="Import status (JSON twin)",
    dependencies=EDIT,
)
def job_json(request: Request, slug: str, job_id: str) -> ImportJob:
    return _job(request, slug, job_id)


@router.get(
    "/cities/{slug}/import/{job_id}", response_class=HTMLResponse, include_in_schema=False, dependencies=EDIT
)
def job_page(
    request: Request, slug: str, job_id: str, session: SessionDep, templates: TemplatesDep, lang: Lang
) -> HTMLResponse:
    job = _job(request, slug, job_id)
    city = areas.city_out(session, areas.get_city(session, slug))
    return templates.render(request, "ingest/job.html", lang=lang, job=job, city=city)
