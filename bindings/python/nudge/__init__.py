"""Nudge: an embeddable CRM rules engine.

It watches clients, activities, deals and invoices and acts as a sharp head of
sales would: forgotten clients get a task, untouched ones are handed to another
manager, rotting deals alert the supervisor, debtors are reminded -- and every
action is explained, applied exactly once and audited.

Time is always explicit and time-zone aware::

    from datetime import datetime, timezone
    import nudge

    store = nudge.MemoryStorage()
    with store.begin() as w:
        w.put_manager(nudge.Manager(1, "Ivanova"))
        w.put_client(nudge.Client(10, "Acme", 1, ["smb"],
                                  created=datetime(2026, 1, 10, tzinfo=timezone.utc)))
    engine = nudge.Engine(nudge.EngineConfig.defaults())
    plan = engine.plan(store, datetime(2026, 11, 22, 9, tzinfo=timezone.utc))
    print(plan.explain())          # what would happen, and why
    engine.apply(plan, store)      # exactly once per action key

Ids are ints; instants are aware datetimes (naive ones are rejected with
nudge.InvalidArgument naming the argument); dates are datetime.date; durations
datetime.timedelta. Errors derive from nudge.Error.
"""

from datetime import timezone as _timezone

from . import _nudge
from ._nudge import *  # noqa: F401,F403  (the compiled core)

__version__ = _nudge.__version__

#: The UTC time zone, for building aware datetimes: datetime(2026, 8, 14, tzinfo=nudge.UTC).
UTC = _timezone.utc

__all__ = [name for name in dir(_nudge) if not name.startswith("_")] + ["UTC"]
