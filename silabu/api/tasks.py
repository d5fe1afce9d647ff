"""Background tasks (packet builds, LKj compiles): their state, for the requester and their role's holders."""
from __future__ import annotations

from flask import request, url_for
from flask_login import current_user, login_required

from silabu.api import SPEC_SCHEMAS, api_bp, ok, path_param, spec
from silabu.core.clock import as_utc
from silabu.ops import tasks
from silabu.ops.models import BackgroundTask, TaskStatus


def _iso(value):
    return as_utc(value).isoformat() if value is not None else None


def task_json(task: BackgroundTask) -> dict:
    links = {"self": f"/api/v1/tasks/{task.id}", "page": url_for("tasks.show", task_id=task.id)}
    if task.status == TaskStatus.DONE:
        links.update({f"result_{k}": v for k, v in tasks.result_links(task).items()})
    return {"id": task.id, "kind": task.kind, "key": task.key, "title": tasks.title(task),
            "status": task.status.value, "status_label": task.status_label, "progress": task.progress,
            "message": task.message, "result": task.result if task.status == TaskStatus.DONE else None,
            "error": ({"code": task.error_code or "task_failed", "message": task.error_message or ""}
                      if task.status == TaskStatus.FAILED else None),
            "created_at": _iso(task.created_at), "started_at": _iso(task.started_at),
            "finished_at": _iso(task.finished_at), "links": links}


def task_outcome(task: BackgroundTask) -> BackgroundTask:
    """A just-submitted task, waited for a little (TASK_API_WAIT_SECONDS; none with ``Prefer: respond-async``);
    a failure is raised as the service's own error (status, code, message)."""
    if not task.is_finished and "respond-async" not in request.headers.get("Prefer", "").lower():
        task = tasks.wait(task.id, tasks.api_wait_seconds())
    if task.status == TaskStatus.FAILED:
        raise tasks.failure(task)
    return task


def accepted(task: BackgroundTask):
    """202 with the task, and where to follow it."""
    resp, status = ok(task_json(task), 202)
    resp.headers["Location"] = f"/api/v1/tasks/{task.id}"
    resp.headers["Retry-After"] = "2"
    return resp, status


@api_bp.route("/tasks/<int:task_id>")
@login_required
def get_task(task_id: int):
    return ok(task_json(tasks.get_task_for(current_user, task_id)))


SPEC_SCHEMAS["Task"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": sorted(tasks.KINDS)},
    "key": {"type": "string", "description": "mis. 2026-10 (paket pleno) atau 2026/LKJ-SEK[/s1] (LKj)"},
    "title": {"type": "string"},
    "status": {"type": "string", "enum": [s.value for s in TaskStatus]}, "status_label": {"type": "string"},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "message": {"type": "string"},
    "result": {"type": "object", "nullable": True,
               "description": "bila done: packet_id, period, version (pleno.build) atau document_id, year, "
                              "report_code, period, version, verification_code (lkj.compile)"},
    "error": {"type": "object", "nullable": True, "properties": {"code": {"type": "string"},
                                                                 "message": {"type": "string"}}},
    "created_at": {"type": "string", "format": "date-time"},
    "started_at": {"type": "string", "format": "date-time", "nullable": True},
    "finished_at": {"type": "string", "format": "date-time", "nullable": True},
    "links": {"type": "object", "properties": {"self": {"type": "string"}, "page": {"type": "string"},
                                               "result_page": {"type": "string"}, "result_api": {"type": "string"}}},
}}
spec("/api/v1/tasks/{task_id}", "get",
     "Keadaan tugas latar (penyusunan paket pleno, kompilasi LKj): status queued/running/done/failed, progres, "
     "pesan, hasil atau pesan kegagalan. Hanya untuk peminta dan pemegang peran yang boleh memulainya",
     tags=["tasks"], params=[path_param("task_id")],
     responses={"200": "Task (components/schemas/Task)", "404": "Tidak ada, atau bukan hak pemanggil"})
