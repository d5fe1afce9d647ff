"""Operations pages for admins: job runs and backups."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from silabu.accounts.access import role_required

bp = Blueprint("ops", __name__, url_prefix="/admin/ops")

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
