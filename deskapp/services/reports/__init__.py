"""The desk's monthly and quarterly reports (domain.md §8), computed from the ledgers.

``monthly`` and ``quarterly`` compute the figures; ``sheets`` lays them out once, for
the screen (F11), the CSV file and the printed PDF; ``periods`` names the months
and quarters; ``figures`` holds the shared arithmetic (nearest-rank percentiles,
deadline outcomes).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel import Session

from deskapp.services.acting import Acting
from deskapp.services.reports.monthly import monthly_report
from deskapp.services.reports.periods import Period, PeriodKind
from deskapp.services.reports.quarterly import quarterly_report
from deskapp.services.reports.sheets import Sheet, monthly_sheet, quarterly_sheet


def report_sheet(session: Session, *, acting: Acting, period: Period, zone: tzinfo,
                 now: datetime) -> Sheet:
    """The report of ``period`` (a month: the complaint summary; a quarter: the revisit
    analysis), as known at ``now``."""
    if period.kind is PeriodKind.MONTH:
        return monthly_sheet(monthly_report(session, acting=acting, period=period,
                                            zone=zone, now=now))
    return quarterly_sheet(quarterly_report(session, acting=acting, period=period,
                                            zone=zone, now=now))
