"""Imports started from the web: run in a background thread, observed through a status the page polls.

A job stores the uploaded file in the workspace's ``uploads`` folder, calls the ingest library (which does all
validation and writing) and keeps the typed outcome: the import result, or the report of every problem.
Its state is also written beside the upload (``job.json``), so that with several server processes
(``bettercities serve --workers N``) a poll answered by another process than the one running the import
still finds it.
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from bettercities.core.errors import BettercitiesError, InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.ingest.schemas import AreaImportOptions, ObservationImportOptions
from bettercities.storage.workspace import Workspace

MAX_JOBS = 200
STATE_FILE = "job.json"
#: Progress is written to the state file at most this often (seconds); status changes always.
SAVE_INTERVAL = 0.5
_JOB_ID = re.compile(r"[0-9a-f]{32}")


class JobKind(StrEnum):
    OBSERVATIONS = "observations"
    AREAS = "areas"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportRequest(BaseModel):
    """What the upload form asks for: the city, the file and the options of the import of its kind."""

    kind: JobKind
    city: str
    file_name: str
    observations: ObservationImportOptions | None = None
    areas: AreaImportOptions | None = None

    @model_validator(mode="after")
    def _options_of_its_kind(self) -> ImportRequest:
        wanted = self.areas if self.kind == JobKind.AREAS else self.observations
        if wanted is None:
            raise ValueError(f"an import of {self.kind} needs its options")
        return self


class ImportJob(BaseModel):
    """The state of one import: the page shows it, its JSON twin is what the page's script polls."""

    id: str
    request: ImportRequest
    status: JobStatus = JobStatus.QUEUED
    done: int = 0
    total: int = 0
    message: str | None = None
    result: dict[str, Any] | None = Field(default=None, description="The import result (counts).")
    report: Report | None = Field(default=None, description="Every problem found, with row and column.")
    started: float = Field(default_factory=time.time)
    finished: float | None = None

    @property
    def finished_ok(self) -> bool:
        return self.status == JobStatus.DONE


class Jobs:
    """Import jobs of one app; one import at a time (the database has a single writer anyway)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._saved: dict[str, float] = {}

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bettercities-import")
        return self._executor

    def create(self, request: ImportRequest, content: bytes) -> ImportJob:
        job = ImportJob(id=uuid.uuid4().hex, request=request)
        folder = self.workspace.uploads / job.id
        folder.mkdir(parents=True, exist_ok=True)
        safe_name = Path(request.file_name).name or "upload"
        (folder / safe_name).write_bytes(content)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
        self._save(job)
        return job

    def start(self, job: ImportJob) -> None:
        """Run ``job`` in the background, as the actor of the request that started it (context copied)."""
        self._pool().submit(contextvars.copy_context().run, self.run, job.id)

    def get(self, job_id: str) -> ImportJob | None:
        """The job, also one that another server process of the workspace runs (from its state file)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return job.model_copy(deep=True)
        return self._load(job_id)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id].model_copy(update=changes)
            self._jobs[job_id] = job
            progress_only = set(changes) <= {"done", "total"}
            if progress_only and time.monotonic() - self._saved.get(job_id, 0.0) < SAVE_INTERVAL:
                return
            self._saved[job_id] = time.monotonic()
        self._save(job)

    def _state_file(self, job_id: str) -> Path | None:
        return self.workspace.uploads / job_id / STATE_FILE if _JOB_ID.fullmatch(job_id) else None

    def _save(self, job: ImportJob) -> None:
        path = self._state_file(job.id)
        assert path is not None
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
        temporary.write_text(job.model_dump_json(), encoding="utf-8")
        os.replace(temporary, path)  # atomic: a reader sees the old state or the new one

    def _load(self, job_id: str) -> ImportJob | None:
        path = self._state_file(job_id)
        if path is None or not path.is_file():
            return None
        return ImportJob.model_validate_json(path.read_text(encoding="utf-8"))

    def run(self, job_id: str) -> ImportJob:
        """Run the import now (in the calling thread) and return the finished job."""
        job = self.get(job_id)
        assert job is not None
        self._update(job_id, status=JobStatus.RUNNING)
        path = self.workspace.uploads / job.id / (Path(job.request.file_name).name or "upload")
        try:
            result = self._import(job, path)
            self._update(
                job_id,
                status=JobStatus.DONE,
                result=result.model_dump(mode="json", exclude={"report"}),
                report=result.report,
                finished=time.time(),
            )
        except InvalidInput as error:
            self._update(
                job_id,
                status=JobStatus.FAILED,
                message=str(error),
                report=error.report,
                finished=time.time(),
            )
        except (BettercitiesError, ValueError, OSError) as error:
            report = Report(source=job.request.file_name)
            report.add(Problem(code="import-failed", message=str(error), file=job.request.file_name))
            self._update(
                job_id, status=JobStatus.FAILED, message=str(error), report=report, finished=time.time()
            )
        finished = self.get(job_id)
        assert finished is not None
        return finished

    def _import(self, job: ImportJob, path: Path) -> Any:
        from bettercities.audit.context import current_actor
        from bettercities.ingest import service as ingest

        request = job.request
        db = self.workspace.database

        def progress(done: int, total: int) -> None:
            self._update(job.id, done=done, total=total)

        user, name = current_actor().name, request.file_name
        if request.kind == JobKind.AREAS:
            assert request.areas is not None  # the request's validator checked it
            return ingest.import_areas(db, request.city, path, request.areas, user=user, file_name=name)
        assert request.observations is not None
        return ingest.import_observations(
            db, request.city, path, request.observations, user=user, file_name=name, progress=progress
        )

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
