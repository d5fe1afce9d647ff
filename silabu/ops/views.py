"""Operations pages for admins: job runs and backups; and the page that follows a background task."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from silabu.accounts.access import role_required

bp = Blueprint("ops", __name__, url_prefix="/admin/ops")
tasks_bp = Blueprint("tasks", __name__, url_prefix="/tugas")
REFRESH_SECONDS = 2

RUNS_SHOWN = 200


@bp.route("/")
@role_required("admin")
def index():
    from jobs.scheduler import JOBS, scheduler_timezone
    from silabu.ops.backup import list_backups
    from silabu.ops.lease import describe_lease
    from silabu.ops.services import OUTCOME_LABELS, last_runs_by_job, recent_runs

    return render_template("ops/index.html", jobs=JOBS, last=last_runs_by_job(), runs=recent_runs(RUNS_SHOWN),
                           backups=list_backups(), lease=describe_lease(scheduler_timezone()), labels=OUTCOME_LABELS, runs_shown=RUNS_SHOWN,
                           backup_dir=current_app.config["BACKUP_DIR"], keep=current_app.config["BACKUP_KEEP"])


@tasks_bp.route("/<int:task_id>")
@login_required
def show(task_id: int):
    """A packet build or LKj compile under way: refreshes itself every 2 s until done or failed (no script)."""
    from silabu.ops import tasks

    task = tasks.get_task_for(current_user, task_id)
    if not task.is_finished and tasks.mode() == "thread":
        tasks.ensure_thread_worker(current_app._get_current_object())  # a queued task of a restarted process
    from silabu.accounts.models import User
    from silabu.extensions import db

    requester = db.session.get(User, task.requested_by_id) if task.requested_by_id is not None else None
    return render_template("ops/task.html", task=task, title=tasks.title(task), refresh=REFRESH_SECONDS,
                           links=tasks.result_links(task), link_label=tasks.link_label(task), requester=requester)
