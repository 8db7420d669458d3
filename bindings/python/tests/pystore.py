"""A storage adapter written in Python: the port implemented over plain dicts.

It is what an integrator writes over data a script already holds, delivery
state of the outbox included, and it passes the conformance kit. Writes apply
at once and are undone on rollback, so reads inside a unit of work see its own
writes, as the port requires.
"""

import bisect
import copy

import nudge


class DictWork(nudge.UnitOfWork):
    def __init__(self, store):
        super().__init__(store)
        self.s = store
        self.undo = []

    def _put(self, table, value):
        old = table.get(value.id)
        table[value.id] = copy.copy(value)
        self.undo.append(lambda: table.__setitem__(value.id, old) if old is not None else table.pop(value.id))

    def do_put_manager(self, m):
        self._put(self.s.managers_, m)

    def do_put_client(self, c):
        self._put(self.s.clients_, c)

    def do_add_activity(self, a):
        acts = self.s.activities_.setdefault(a.client, [])
        acts.append(a)
        acts.sort(key=lambda x: (x.at, x.id))
        self.s.activity_ids_.add(a.id)
        self.undo.append(lambda: (acts.remove(a), self.s.activity_ids_.discard(a.id)))

    def do_put_task(self, t):
        self._put(self.s.tasks_, t)

    def do_put_deal(self, d):
        self._put(self.s.deals_, d)

    def do_put_invoice(self, i):
        self._put(self.s.invoices_, i)

    def do_next_task_id(self):
        return max(self.s.tasks_, default=0) + 1

    def _labelled(self, subject):
        table = self.s.clients_ if subject.kind == nudge.SubjectKind.client else self.s.deals_
        return table, table[subject.id]

    def do_set_label(self, subject, label, note):
        table, old = self._labelled(subject)
        new = copy.copy(old)
        new.labels = {**old.labels, label: note}
        table[subject.id] = new
        self.undo.append(lambda: table.__setitem__(subject.id, old))

    def do_clear_label(self, subject, label):
        table = self.s.clients_ if subject.kind == nudge.SubjectKind.client else self.s.deals_
        old = table.get(subject.id)
        if old is None or label not in old.labels:
            return
        new = copy.copy(old)
        new.labels = {k: v for k, v in old.labels.items() if k != label}
        table[subject.id] = new
        self.undo.append(lambda: table.__setitem__(subject.id, old))

    def do_claim_action(self, key, at):
        if key in self.s.actions_:
            return False
        self.s.actions_[key] = at
        self.undo.append(lambda: self.s.actions_.pop(key))
        return True

    def do_append_audit(self, record):
        self.s.audit_.append(record)
        self.undo.append(self.s.audit_.pop)

    def do_enqueue(self, message):
        self.s.outbox_.append(message)
        self.s.delivery_[message.key] = nudge.DeliveryState()
        self.undo.append(lambda: (self.s.outbox_.pop(), self.s.delivery_.pop(message.key)))

    def do_record_delivery(self, key, state):
        old = self.s.delivery_[key]
        self.s.delivery_[key] = copy.copy(state)
        self.undo.append(lambda: self.s.delivery_.__setitem__(key, old))

    def do_commit(self):
        self.undo = None  # finished: the store may begin another unit
        self.s.commits += 1

    def do_rollback(self):
        for f in reversed(self.undo or []):
            f()
        self.undo = None
        self.s.rollbacks += 1


class DictStorage(nudge.Storage):
    def __init__(self):
        super().__init__()
        self.managers_, self.clients_, self.tasks_, self.deals_, self.invoices_ = {}, {}, {}, {}, {}
        self.activities_, self.activity_ids_ = {}, set()
        self.actions_, self.audit_, self.outbox_, self.delivery_ = {}, [], [], {}
        self.commits = self.rollbacks = 0
        self.open_unit = None

    # lookups
    def find_client(self, id):
        return self.clients_.get(id)

    def find_manager(self, id):
        return self.managers_.get(id)

    def find_task(self, id):
        return self.tasks_.get(id)

    def find_deal(self, id):
        return self.deals_.get(id)

    def find_invoice(self, id):
        return self.invoices_.get(id)

    def has_activity(self, id):
        return id in self.activity_ids_

    def managers(self):
        return [self.managers_[k] for k in sorted(self.managers_)]

    def clients_of(self, manager):
        return sorted(c.id for c in self.clients_.values() if c.owner == manager)

    def activities_of(self, client, since):
        acts = self.activities_.get(client, [])
        return acts[bisect.bisect_left([a.at for a in acts], since):]

    def tasks_of(self, client, open_only):
        return [t for _, t in sorted(self.tasks_.items()) if t.client == client and (t.open or not open_only)]

    def deals_of(self, client):
        return [d for _, d in sorted(self.deals_.items()) if d.client == client]

    def invoices_of(self, client):
        return [i for _, i in sorted(self.invoices_.items()) if i.client == client]

    # scans: plain clients and deals; the port computes summaries and task facts
    def scan_clients(self):
        for k in sorted(self.clients_):
            yield self.clients_[k]

    def scan_open_deals(self):
        return [d for _, d in sorted(self.deals_.items()) if d.is_open]

    def scan_unpaid_invoices(self):
        return [i for _, i in sorted(self.invoices_.items()) if not i.is_paid]

    def scan_open_tasks(self):
        return [t for _, t in sorted(self.tasks_.items()) if t.open]

    # exactly-once, audit, outbox
    def has_action(self, key):
        return key in self.actions_

    def audit_log(self, subject=None):
        return [r for r in self.audit_ if subject is None or r.subject == subject]

    def outbox(self):
        return [m for m in self.outbox_ if self.delivery_[m.key].status == nudge.DeliveryStatus.pending]

    def outbox_entries(self):
        return [nudge.OutboxEntry(m, copy.copy(self.delivery_[m.key])) for m in self.outbox_]

    def do_begin(self):
        if self.open_unit is not None and self.open_unit.undo is not None:
            raise nudge.Conflict("dict storage: a unit of work is already open")
        self.open_unit = DictWork(self)
        return self.open_unit
