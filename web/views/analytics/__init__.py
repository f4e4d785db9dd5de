"""Analytics of the ambassador programme: funnel, over time, trainings, leaderboards.

Recruiters and admins see everything; managers see the same pages restricted to their own
direction (the restriction is applied by ``referral.analytics.scope``). Every table can be
downloaded as CSV (``?format=csv&table=<name>``). The pages only read: the visit roll-up they
count people from is kept current by the worker, and each page says how fresh it is.

- :mod:`~web.views.analytics.tables`: tables, their cells and their CSV, the page response;
- :mod:`~web.views.analytics.dashboards`: the funnel, over time, leaderboards (period and
  filters);
- :mod:`~web.views.analytics.trainings`: each training's effect, the one-page reports, and
  the administration of trainings and attendees.
"""

from __future__ import annotations

from flask import Blueprint

from web.views.analytics.tables import format_cell, is_not_enough

bp = Blueprint("analytics", __name__, url_prefix="/analytics")


@bp.context_processor
def table_helpers():
    from flask_babel import format_date

    return {"format_cell": format_cell, "format_date": format_date, "not_enough": is_not_enough}


# The pages register their routes on ``bp``.
from web.views.analytics import dashboards, trainings  # noqa: E402, F401
