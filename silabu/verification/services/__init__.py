"""The rules of month-end verification (SOP Kudus step 3), by what they are about. Pages, the API, jobs and the
demo all come through here; ``from silabu.verification import services`` gives the whole of it."""
from silabu.accounts.access import Scope, scope_for
from silabu.entries.months import (
                                                 get_or_create_unit_month,
                                                 get_unit_month,
                                                 month_is_closed,
)
from silabu.verification.services.access import (
                                                 OVERSEER_ROLES,
                                                 assert_may_close,
                                                 assert_may_open_unit,
                                                 assert_may_oversee,
                                                 assert_may_reopen,
                                                 assert_may_verify,
                                                 assert_opens_queue,
                                                 can_close,
                                                 may_oversee,
                                                 unit_for_viewer,
)
from silabu.verification.services.acts import (
                                                 return_entry,
                                                 verify_all,
                                                 verify_entry,
                                                 version_conflict,
)
from silabu.verification.services.notices import notify_overdue, notify_window_opened
from silabu.verification.services.oversight import (
                                                 Overdue,
                                                 UnitProgress,
                                                 overdue_unit_months,
                                                 oversight,
)
from silabu.verification.services.queue import (
                                                 AsnGroup,
                                                 Queue,
                                                 action_label,
                                                 entry_history,
                                                 fill_entries,
                                                 histories,
                                                 queue,
                                                 waiting_by_period,
)
from silabu.verification.services.report import MonthReport, ReportGroup, month_report
from silabu.verification.services.unit_month import (
                                                 CloseReport,
                                                 close_month,
                                                 close_report,
                                                 default_period,
                                                 reopen_month,
                                                 unit_counts,
                                                 verification_window,
)

__all__ = [
    "OVERSEER_ROLES", "AsnGroup", "CloseReport", "MonthReport", "Overdue", "Queue", "ReportGroup", "Scope",
    "UnitProgress", "action_label", "assert_may_close", "assert_may_open_unit", "assert_may_oversee", "assert_may_reopen",
    "assert_may_verify", "assert_opens_queue", "can_close", "close_month", "close_report", "default_period", "entry_history",
    "fill_entries", "get_or_create_unit_month", "get_unit_month", "histories", "may_oversee", "month_is_closed",
    "month_report", "notify_overdue", "notify_window_opened", "overdue_unit_months", "oversight", "queue",
    "reopen_month", "return_entry", "scope_for", "unit_counts", "unit_for_viewer", "verification_window",
    "verify_all", "verify_entry", "version_conflict", "waiting_by_period",
]
