"""Type stubs of the compiled core (nudge._nudge), re-exported by `nudge`.

Ids are ints; instants are time-zone aware datetimes (UTC when returned);
dates are datetime.date; durations datetime.timedelta. Records accept any
field by keyword and have __repr__, to_dict() and ==.
"""

import os
from datetime import date, datetime, timedelta
from typing import Any, Callable, ClassVar, Iterable, Iterator, Mapping, Optional, Sequence, SupportsInt, Union, overload

__version__: str
HAS_SQLITE: bool
HAS_CSV: bool

# ---- errors ---------------------------------------------------------------------
class Error(RuntimeError): ...
class NotFound(Error, LookupError): ...
class InvalidArgument(Error, ValueError): ...
class Conflict(Error): ...
class StorageError(Error): ...
class ConfigurationError(Error, ValueError):
    #: Every problem found (load_config, Engine(config)); () when raised without them (a file that cannot be read).
    issues: Sequence[ConfigIssue]
class Cancelled(Error): ...

# ---- enums (pybind11 enums: .name, .value, int()) ---------------------------------
class _Enum:
    name: str
    value: int
    __members__: ClassVar[dict[str, Any]]
    def __init__(self, value: int) -> None: ...
    def __int__(self) -> int: ...
    def __index__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class ActivityKind(_Enum):
    call_in: ClassVar[ActivityKind]
    call_out: ClassVar[ActivityKind]
    call_missed: ClassVar[ActivityKind]
    email: ClassVar[ActivityKind]
    meeting: ClassVar[ActivityKind]
    message: ClassVar[ActivityKind]
    note: ClassVar[ActivityKind]
    document: ClassVar[ActivityKind]
    other: ClassVar[ActivityKind]

class Outcome(_Enum):
    none: ClassVar[Outcome]
    reached: ClassVar[Outcome]
    no_answer: ClassVar[Outcome]
    declined: ClassVar[Outcome]
    completed: ClassVar[Outcome]

class Contact(_Enum):
    by_kind: ClassVar[Contact]
    yes: ClassVar[Contact]
    no: ClassVar[Contact]

class ClientKind(_Enum):
    b2b: ClassVar[ClientKind]
    b2c: ClassVar[ClientKind]

class DealStatus(_Enum):
    open: ClassVar[DealStatus]
    won: ClassVar[DealStatus]
    lost: ClassVar[DealStatus]

class TaskState(_Enum):
    attention: ClassVar[TaskState]
    in_progress: ClassVar[TaskState]
    done: ClassVar[TaskState]
    cancelled: ClassVar[TaskState]

class StageKind(_Enum):
    open: ClassVar[StageKind]
    won: ClassVar[StageKind]
    lost: ClassVar[StageKind]

class SubjectKind(_Enum):
    client: ClassVar[SubjectKind]
    deal: ClassVar[SubjectKind]
    invoice: ClassVar[SubjectKind]
    task: ClassVar[SubjectKind]
    manager: ClassVar[SubjectKind]

class Channel(_Enum):
    email: ClassVar[Channel]
    sms: ClassVar[Channel]
    messenger: ClassVar[Channel]
    in_app: ClassVar[Channel]
    webhook: ClassVar[Channel]
    other: ClassVar[Channel]

class Weekday(_Enum):
    monday: ClassVar[Weekday]
    tuesday: ClassVar[Weekday]
    wednesday: ClassVar[Weekday]
    thursday: ClassVar[Weekday]
    friday: ClassVar[Weekday]
    saturday: ClassVar[Weekday]
    sunday: ClassVar[Weekday]

class TimeBasis(_Enum):
    calendar: ClassVar[TimeBasis]
    business_days: ClassVar[TimeBasis]
    business_hours: ClassVar[TimeBasis]

class Convention(_Enum):
    unadjusted: ClassVar[Convention]
    following: ClassVar[Convention]
    modified_following: ClassVar[Convention]
    preceding: ClassVar[Convention]
    modified_preceding: ClassVar[Convention]

class Observance(_Enum):
    none: ClassVar[Observance]
    nearest_weekday: ClassVar[Observance]
    next_monday: ClassVar[Observance]
    sunday_to_monday: ClassVar[Observance]

class Feed(_Enum):
    clients: ClassVar[Feed]
    deals: ClassVar[Feed]
    invoices: ClassVar[Feed]
    tasks: ClassVar[Feed]

class StepAction(_Enum):
    task: ClassVar[StepAction]
    notify: ClassVar[StepAction]
    reassign: ClassVar[StepAction]
    close_lost: ClassVar[StepAction]

class Target(_Enum):
    owner: ClassVar[Target]
    supervisor: ClassVar[Target]
    client: ClassVar[Target]
    assignee: ClassVar[Target]
    manager: ClassVar[Target]

class ActionKind(_Enum):
    create_task: ClassVar[ActionKind]
    reassign: ClassVar[ActionKind]
    notify: ClassVar[ActionKind]
    set_label: ClassVar[ActionKind]
    clear_label: ClassVar[ActionKind]
    close_deal: ClassVar[ActionKind]

def parse_instant(text: str) -> datetime: ...

# ---- records -------------------------------------------------------------------------
class _Record:
    __fields__: ClassVar[tuple[str, ...]]
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object) -> bool: ...
    def __copy__(self) -> Any: ...
    def __deepcopy__(self, memo: Any) -> Any: ...

class Money(_Record):
    cents: int
    currency: str
    def __init__(self, cents: int = 0, currency: str = "USD") -> None: ...
    @staticmethod
    def from_decimal(amount: float, currency: str, field: str = "amount") -> Money: ...
    def to_decimal(self) -> float: ...
    def __lt__(self, other: Money) -> bool: ...
    def __le__(self, other: Money) -> bool: ...

class SubjectRef:
    def __init__(self, kind: SubjectKind, id: int) -> None: ...
    @property
    def kind(self) -> SubjectKind: ...
    @property
    def id(self) -> int: ...
    @staticmethod
    def client(id: int) -> SubjectRef: ...
    @staticmethod
    def deal(id: int) -> SubjectRef: ...
    @staticmethod
    def invoice(id: int) -> SubjectRef: ...
    @staticmethod
    def task(id: int) -> SubjectRef: ...
    @staticmethod
    def manager(id: int) -> SubjectRef: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __lt__(self, other: SubjectRef) -> bool: ...
    def __hash__(self) -> int: ...

FactValue = Union[int, float, str, datetime]

class Fact(_Record):
    name: str
    value: FactValue
    def __init__(self, name: str = "", value: FactValue = 0) -> None: ...

class AuditRecord(_Record):
    at: datetime
    action_key: str
    rule: str
    subject: SubjectRef
    action: str
    explanation: str
    facts: list[Fact]
    def __init__(self, *, at: datetime = ..., action_key: str = "", rule: str = "", subject: SubjectRef = ...,
                 action: str = "", explanation: str = "", facts: list[Fact] = ...) -> None: ...

class DateRange(_Record):
    first: date
    last: date
    def __init__(self, first: date = ..., last: date = ...) -> None: ...
    def contains(self, day: date) -> bool: ...

class Manager(_Record):
    id: int
    name: str
    supervisor: Optional[int]
    active: bool
    leave: list[DateRange]
    segments: list[str]
    capacity: int
    weight: float
    email: str
    phone: str
    def __init__(self, id: int = 0, name: str = "", supervisor: Optional[int] = None, *, active: bool = True,
                 leave: list[DateRange] = ..., segments: list[str] = ..., capacity: int = 0, weight: float = 1.0,
                 email: str = "", phone: str = "") -> None: ...
    def on_leave(self, day: date) -> bool: ...
    def serves(self, segment: str) -> bool: ...
    def available(self, day: date) -> bool: ...
    def validate(self) -> None: ...

class Client(_Record):
    id: int
    name: str
    owner: int
    segments: list[str]
    kind: ClientKind
    created: datetime
    labels: dict[str, str]
    release_locked: bool
    email: str
    phone: str
    time_zone: str
    locale: str
    def __init__(self, id: int = 0, name: str = "", owner: int = 0, segments: list[str] = ..., *,
                 kind: ClientKind = ..., created: datetime = ..., labels: dict[str, str] = ...,
                 release_locked: bool = False, email: str = "", phone: str = "", time_zone: str = "",
                 locale: str = "") -> None: ...
    def has_label(self, label: str) -> bool: ...
    def in_segment(self, segment: str) -> bool: ...
    @property
    def primary_segment(self) -> str: ...
    def validate(self) -> None: ...

class Activity(_Record):
    id: int
    client: int
    manager: int
    kind: ActivityKind
    custom_kind: str
    at: datetime
    outcome: Outcome
    contact: Contact
    subject: str
    def __init__(self, id: int = 0, client: int = 0, manager: int = 0, kind: ActivityKind = ..., *,
                 custom_kind: str = "", at: datetime = ..., outcome: Outcome = ..., contact: Contact = ...,
                 subject: str = "") -> None: ...
    def validate(self) -> None: ...

class Task(_Record):
    id: int
    client: int
    deal: Optional[int]
    assignee: int
    author: Optional[int]
    title: str
    planned_start: Optional[datetime]
    due: datetime
    state: TaskState
    created: datetime
    closed: Optional[datetime]
    based_on: Optional[int]
    origin: str
    def __init__(self, *, id: int = 0, client: int = 0, deal: Optional[int] = None, assignee: int = 0,
                 author: Optional[int] = None, title: str = "", planned_start: Optional[datetime] = None,
                 due: datetime = ..., state: TaskState = ..., created: datetime = ...,
                 closed: Optional[datetime] = None, based_on: Optional[int] = None, origin: str = "") -> None: ...
    @property
    def open(self) -> bool: ...
    def validate(self) -> None: ...

class StageVisit(_Record):
    stage: str
    entered: datetime
    left: Optional[datetime]
    def __init__(self, stage: str = "", entered: datetime = ..., left: Optional[datetime] = None) -> None: ...

class Hold(_Record):
    from_: datetime
    to: Optional[datetime]
    reason: str
    def __init__(self, from_: datetime = ..., to: Optional[datetime] = None, reason: str = "") -> None: ...

class Deal(_Record):
    id: int
    client: int
    owner: int
    pipeline: str
    stage: str
    amount: Money
    probability: float
    opened: datetime
    stage_entered: datetime
    history: list[StageVisit]
    holds: list[Hold]
    status: DealStatus
    loss_reason: str
    closed: Optional[datetime]
    labels: dict[str, str]
    def __init__(self, *, id: int = 0, client: int = 0, owner: int = 0, pipeline: str = "default", stage: str = "",
                 amount: Money = ..., probability: float = 0.0, opened: datetime = ..., stage_entered: datetime = ...,
                 history: list[StageVisit] = ..., holds: list[Hold] = ..., status: DealStatus = ...,
                 loss_reason: str = "", closed: Optional[datetime] = None, labels: dict[str, str] = ...) -> None: ...
    @property
    def is_open(self) -> bool: ...
    def on_hold(self, at: datetime) -> bool: ...
    def validate(self) -> None: ...

class Payment(_Record):
    at: datetime
    cents: int
    def __init__(self, at: datetime = ..., cents: int = 0) -> None: ...

class Invoice(_Record):
    id: int
    client: int
    deal: Optional[int]
    amount: Money
    issued: datetime
    due: datetime
    payments: list[Payment]
    paid: Optional[datetime]
    def __init__(self, *, id: int = 0, client: int = 0, deal: Optional[int] = None, amount: Money = ...,
                 issued: datetime = ..., due: datetime = ..., payments: list[Payment] = ...,
                 paid: Optional[datetime] = None) -> None: ...
    def paid_cents(self) -> int: ...
    def outstanding_cents(self) -> int: ...
    @property
    def is_paid(self) -> bool: ...
    def settle_from_payments(self) -> None: ...
    def validate(self) -> None: ...

class Stage(_Record):
    id: str
    name: str
    kind: StageKind
    limit: Optional[Period]
    probability: Optional[float]
    def __init__(self, id: str = "", name: str = "", kind: StageKind = ..., limit: Optional[Period] = None, *,
                 probability: Optional[float] = None) -> None: ...

class Pipeline(_Record):
    id: str
    name: str
    stages: list[Stage]
    def __init__(self, id: str = "", name: str = "", stages: list[Stage] = ...) -> None: ...
    def find(self, stage: str) -> Optional[Stage]: ...
    def index_of(self, stage: str) -> int: ...
    def validate(self) -> None: ...

class Recipient(_Record):
    who: SubjectRef
    address: str
    name: str
    def __init__(self, who: SubjectRef = ..., address: str = "", name: str = "") -> None: ...

class Message(_Record):
    key: str
    channel: Channel
    custom_channel: str
    to: Recipient
    template_id: str
    locale: str
    subject: str
    body: str
    created: datetime
    not_before: Optional[datetime]
    def __init__(self, *, key: str = "", channel: Channel = ..., custom_channel: str = "", to: Recipient = ...,
                 template_id: str = "", locale: str = "", subject: str = "", body: str = "", created: datetime = ...,
                 not_before: Optional[datetime] = None) -> None: ...

# ---- calendar ----------------------------------------------------------------------------
class Period(_Record):
    length: timedelta
    basis: TimeBasis
    def __init__(self, length: timedelta = ..., basis: TimeBasis = ...) -> None: ...
    @staticmethod
    def seconds(n: int) -> Period: ...
    @staticmethod
    def minutes(n: int) -> Period: ...
    @staticmethod
    def hours(n: int) -> Period: ...
    @staticmethod
    def days(n: int) -> Period: ...
    @staticmethod
    def weeks(n: int) -> Period: ...
    @staticmethod
    def business_days(n: int) -> Period: ...
    @staticmethod
    def business_hours(n: int) -> Period: ...
    @staticmethod
    def parse(text: str) -> Period: ...
    def __hash__(self) -> int: ...

class HolidayRule:
    class Kind(_Enum):
        fixed: ClassVar[HolidayRule.Kind]
        nth_weekday: ClassVar[HolidayRule.Kind]
        once: ClassVar[HolidayRule.Kind]
        easter: ClassVar[HolidayRule.Kind]
    def __init__(self) -> None: ...
    @staticmethod
    def fixed(month: int, day: int, name: str = "") -> HolidayRule: ...
    @staticmethod
    def nth_weekday(n: int, weekday: Union[Weekday, int], month: int, name: str = "") -> HolidayRule: ...
    @staticmethod
    def once(day: date, name: str = "") -> HolidayRule: ...
    @staticmethod
    def easter(offset_days: int, name: str = "") -> HolidayRule: ...
    def observed(self, observance: Observance) -> HolidayRule: ...
    def in_year(self, year: int) -> Optional[date]: ...
    def occurs_on(self, day: date) -> bool: ...
    def description(self) -> str: ...
    @property
    def kind(self) -> HolidayRule.Kind: ...
    @property
    def name(self) -> str: ...
    @property
    def observance(self) -> Observance: ...
    @property
    def month(self) -> int: ...
    @property
    def day(self) -> int: ...
    @property
    def nth(self) -> int: ...
    @property
    def weekday(self) -> Weekday: ...
    @property
    def date(self) -> date: ...
    @property
    def offset_days(self) -> int: ...

Window = tuple[timedelta, timedelta]

class BusinessCalendar:
    def __init__(self) -> None: ...
    @staticmethod
    def weekdays(zone: str = "UTC") -> BusinessCalendar: ...
    @overload
    def with_week_mask(self, mask: str) -> BusinessCalendar: ...
    @overload
    def with_week_mask(self, mask: Sequence[bool]) -> BusinessCalendar: ...
    def with_holiday(self, rule: HolidayRule) -> BusinessCalendar: ...
    def with_holidays(self, days: Sequence[date]) -> BusinessCalendar: ...
    def with_working_day(self, day: date) -> BusinessCalendar: ...
    def with_hours(self, weekday: Union[Weekday, int], windows: Sequence[Window]) -> BusinessCalendar: ...
    def with_hours_all(self, start: timedelta, end: timedelta) -> BusinessCalendar: ...
    def with_time_zone(self, zone: str) -> BusinessCalendar: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def week_mask(self) -> list[bool]: ...
    @property
    def holiday_rules(self) -> list[HolidayRule]: ...
    @property
    def holidays(self) -> list[date]: ...
    @property
    def working_days(self) -> list[date]: ...
    def hours(self, weekday: Union[Weekday, int]) -> list[Window]: ...
    def describe(self) -> str: ...
    def is_holiday(self, day: date) -> bool: ...
    def is_business_day(self, day: date) -> bool: ...
    def adjust(self, day: date, convention: Convention = ...) -> date: ...
    def add_business_days(self, day: date, n: int) -> date: ...
    def business_days_between(self, start: date, end: date) -> int: ...
    def local_date(self, at: datetime) -> date: ...
    def local_midnight(self, day: date) -> datetime: ...
    def add_business_hours(self, start: datetime, working_time: timedelta) -> datetime: ...
    def business_hours_between(self, start: datetime, end: datetime) -> timedelta: ...
    def elapsed(self, start: datetime, end: datetime, basis: TimeBasis) -> timedelta: ...
    def advance(self, start: datetime, period: Period) -> datetime: ...

# ---- storage ----------------------------------------------------------------------------------
class ContactPolicy(_Record):
    kinds: list[bool]
    completed_tasks: bool
    def __init__(self, *, kinds: Sequence[bool] = ..., completed_tasks: bool = True) -> None: ...
    @staticmethod
    def any_activity() -> ContactPolicy: ...
    def counts(self, kind: ActivityKind) -> bool: ...

class ClientSummary(_Record):
    last_by_kind: list[Optional[datetime]]
    last_forced_contact: Optional[datetime]
    last_task_done: Optional[datetime]
    open_tasks: int
    latest_open_due: Optional[datetime]
    won_deals: list[datetime]
    paid_invoices: list[datetime]
    def __init__(self, **fields: Any) -> None: ...
    def last_contact(self, policy: ContactPolicy = ...) -> Optional[datetime]: ...
    def has_future_task(self, now: datetime) -> bool: ...
    def add(self, item: Union[Activity, Task, Deal, Invoice]) -> None: ...

class ClientView(_Record):
    client: Client
    summary: ClientSummary
    def __init__(self, client: Client = ..., summary: ClientSummary = ...) -> None: ...

class DealView(_Record):
    deal: Deal
    open_tasks: int
    last_task_closed: Optional[datetime]
    def __init__(self, deal: Deal = ..., open_tasks: int = 0, last_task_closed: Optional[datetime] = None) -> None: ...

class ClientInfo(_Record):
    id: int
    owner: int
    kind: ClientKind
    segments: list[str]
    labels: dict[str, str]
    def __init__(self, **fields: Any) -> None: ...

class DeliveryStatus(_Enum):
    pending: ClassVar[DeliveryStatus]
    delivered: ClassVar[DeliveryStatus]
    dead: ClassVar[DeliveryStatus]

class DeliveryState(_Record):
    status: DeliveryStatus
    attempts: int
    last_error: str
    next_attempt: Optional[datetime]
    delivered_at: Optional[datetime]
    def __init__(self, status: DeliveryStatus = ..., attempts: int = 0, last_error: str = "",
                 next_attempt: Optional[datetime] = None, delivered_at: Optional[datetime] = None) -> None: ...
    def validate(self, key: str) -> None: ...

class OutboxEntry(_Record):
    message: Message
    state: DeliveryState
    def __init__(self, message: Message = ..., state: DeliveryState = ...) -> None: ...
    def due(self, now: datetime) -> bool: ...

class UnitOfWork:
    """Subclass and implement the do_* hooks to write a storage adapter."""
    def __init__(self, store: Storage) -> None: ...
    def do_put_manager(self, manager: Manager) -> None: ...
    def do_put_client(self, client: Client) -> None: ...
    def do_add_activity(self, activity: Activity) -> None: ...
    def do_put_task(self, task: Task) -> None: ...
    def do_put_deal(self, deal: Deal) -> None: ...
    def do_put_invoice(self, invoice: Invoice) -> None: ...
    def do_next_task_id(self) -> int: ...
    def do_set_label(self, subject: SubjectRef, label: str, note: str) -> None: ...
    def do_clear_label(self, subject: SubjectRef, label: str) -> None: ...
    def do_claim_action(self, key: str, at: datetime) -> bool: ...
    def do_append_audit(self, record: AuditRecord) -> None: ...
    def do_enqueue(self, message: Message) -> None: ...
    def do_record_delivery(self, key: str, state: DeliveryState) -> None: ...  # optional: keeps delivery state
    def do_commit(self) -> None: ...
    def do_rollback(self) -> None: ...
    def put_manager(self, manager: Manager) -> None: ...
    def put_client(self, client: Client) -> None: ...
    def add_activity(self, activity: Activity) -> None: ...
    def add_activities(self, activities: Sequence[Activity]) -> None: ...
    def put_task(self, task: Task) -> None: ...
    def put_deal(self, deal: Deal) -> None: ...
    def put_invoice(self, invoice: Invoice) -> None: ...
    def commit(self) -> None: ...
    @property
    def committed(self) -> bool: ...

class Transaction:
    def put_manager(self, manager: Manager) -> None: ...
    def put_client(self, client: Client) -> None: ...
    def add_activity(self, activity: Activity) -> None: ...
    def add_activities(self, activities: Sequence[Activity]) -> None: ...
    def put_task(self, task: Task) -> None: ...
    def put_deal(self, deal: Deal) -> None: ...
    def put_invoice(self, invoice: Invoice) -> None: ...
    def create_task(self, task: Task) -> int: ...
    def reassign_client(self, client: int, to: int) -> None: ...
    def set_label(self, subject: SubjectRef, label: str, note: str = "") -> None: ...
    def clear_label(self, subject: SubjectRef, label: str) -> None: ...
    def claim_action(self, key: str, at: datetime) -> bool: ...
    def append_audit(self, record: AuditRecord) -> None: ...
    def enqueue(self, message: Message) -> bool: ...
    def record_delivery(self, key: str, state: DeliveryState) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    @property
    def committed(self) -> bool: ...
    @property
    def active(self) -> bool: ...
    def __enter__(self) -> Transaction: ...
    def __exit__(self, type: Any, value: Any, traceback: Any) -> bool: ...

Row = Sequence[Any]

class Storage:
    """The storage port; subclass it to run the engine over your own data."""
    def __init__(self) -> None: ...
    def find_client(self, id: int) -> Optional[Client]: ...
    def find_manager(self, id: int) -> Optional[Manager]: ...
    def find_task(self, id: int) -> Optional[Task]: ...
    def find_deal(self, id: int) -> Optional[Deal]: ...
    def find_invoice(self, id: int) -> Optional[Invoice]: ...
    def has_activity(self, id: int) -> bool: ...
    def managers(self) -> list[Manager]: ...
    def clients_of(self, manager: int) -> list[int]: ...
    def activities_of(self, client: int, since: Optional[datetime] = None) -> list[Activity]: ...
    def tasks_of(self, client: int, open_only: bool = False) -> list[Task]: ...
    def deals_of(self, client: int) -> list[Deal]: ...
    def invoices_of(self, client: int) -> list[Invoice]: ...
    # A subclass returns any iterable (ascending id): Client, ClientView or (Client, ClientSummary) items.
    def scan_clients(self) -> Iterable[Any]: ...
    # A subclass returns any iterable (ascending id) of Deal or DealView.
    def scan_open_deals(self) -> Iterable[Any]: ...
    def scan_unpaid_invoices(self) -> Iterable[Invoice]: ...
    def scan_open_tasks(self) -> Iterable[Task]: ...
    def has_action(self, key: str) -> bool: ...
    # optional in a subclass: one bool per key (the default asks has_action per key)
    def has_actions(self, keys: list[str]) -> list[bool]: ...
    def audit_log(self, subject: Optional[SubjectRef] = None) -> list[AuditRecord]: ...
    def outbox(self) -> list[Message]: ...
    # optional in a subclass: 0 = unknown
    def client_count(self) -> int: ...
    def outbox_entries(self) -> list[OutboxEntry]: ...
    def find_message(self, key: str) -> Optional[OutboxEntry]: ...
    def due_messages(self, now: datetime, limit: int = 4096) -> list[OutboxEntry]: ...
    def summarize(self, client: int) -> ClientSummary: ...
    def begin(self) -> Transaction: ...
    def bulk_load(self, *, managers: Optional[Iterable[Union[Row, Manager]]] = None,
                  clients: Optional[Iterable[Union[Row, Client]]] = None,
                  deals: Optional[Iterable[Union[Row, Deal]]] = None,
                  tasks: Optional[Iterable[Union[Row, Task]]] = None,
                  invoices: Optional[Iterable[Union[Row, Invoice]]] = None,
                  activities: Optional[Iterable[Union[Row, Activity]]] = None) -> dict[str, int]: ...
    # implemented by a Python subclass:
    def do_begin(self) -> UnitOfWork: ...

class MemoryStorage(Storage):
    def __init__(self) -> None: ...

class SqliteStorage(Storage):
    def __init__(self, path: str) -> None: ...
    @property
    def path(self) -> str: ...
    @staticmethod
    def schema_version() -> int: ...

# ---- assistants ----------------------------------------------------------------------------------
class Scope(_Record):
    segments: list[str]
    kind: Optional[ClientKind]
    labels: list[str]
    except_labels: list[str]
    pipelines: list[str]
    def __init__(self, *, segments: list[str] = ..., kind: Optional[ClientKind] = None, labels: list[str] = ...,
                 except_labels: list[str] = ..., pipelines: list[str] = ...) -> None: ...
    def matches(self, client: Client) -> bool: ...
    def matches_pipeline(self, pipeline: str) -> bool: ...

class LadderStep(_Record):
    id: str
    after: Period
    share: Optional[float]
    action: StepAction
    target: Target
    level: int
    manager_id: int
    channel: Channel
    template_id: str
    title: str
    due_in: Period
    reason: str
    def __init__(self, id: str = "", *, after: Period = ..., share: Optional[float] = None, action: StepAction = ...,
                 target: Target = ..., level: int = 1, manager_id: int = 0, channel: Channel = ...,
                 template_id: str = "", title: str = "", due_in: Period = ..., reason: str = "") -> None: ...

class ReleasePolicy(_Record):
    class Kind(_Enum):
        least_loaded: ClassVar[ReleasePolicy.Kind]
        round_robin: ClassVar[ReleasePolicy.Kind]
        weighted: ClassVar[ReleasePolicy.Kind]
    kind: ReleasePolicy.Kind
    update_loads: bool
    max_new_per_run: int
    respect_capacity: bool
    def __init__(self, **fields: Any) -> None: ...

class _AssistantConfig(_Record):
    id: str
    enabled: bool
    scope: Scope
    ladder: list[LadderStep]

class ForgottenConfig(_AssistantConfig):
    after: Period
    contact: ContactPolicy
    exempt_future_task: bool
    label: str
    def __init__(self, **fields: Any) -> None: ...

class ReleaseConfig(_AssistantConfig):
    forgotten: str
    grace: Period
    policy: ReleasePolicy
    def __init__(self, **fields: Any) -> None: ...

class ChurnedConfig(_AssistantConfig):
    min_orders: int
    idle: Period
    factor: float
    won_deals: bool
    paid_invoices: bool
    label: str
    def __init__(self, **fields: Any) -> None: ...

class UnpaidConfig(_AssistantConfig):
    after: Period
    contact: ContactPolicy
    def __init__(self, **fields: Any) -> None: ...

class DebtorConfig(_AssistantConfig):
    grace: Period
    label: str
    def __init__(self, **fields: Any) -> None: ...

class DeadDealConfig(_AssistantConfig):
    max_age: Period
    per_pipeline: dict[str, Period]
    def __init__(self, **fields: Any) -> None: ...

class StageSlaConfig(_AssistantConfig):
    pause_on: list[str]
    restart_on_reentry: bool
    def __init__(self, **fields: Any) -> None: ...

class NoNextStepConfig(_AssistantConfig):
    grace: Period
    def __init__(self, **fields: Any) -> None: ...

class NeglectedTaskConfig(_AssistantConfig):
    grace: Period
    def __init__(self, **fields: Any) -> None: ...

class Finding(_Record):
    rule: str
    subject: SubjectRef
    client: int
    owner: int
    episode: str
    since: datetime
    facts: list[Fact]  # may be set from {name: value} or [(name, value), ...]
    summary: str
    label: str
    label_note: str
    cents: Optional[int]
    currency: str
    due_steps: list[str]
    def __init__(self, *, rule: str = "", subject: SubjectRef = ..., client: int = 0, owner: int = 0,
                 episode: str = "", since: datetime = ...,
                 facts: Union[Sequence[Fact], Sequence[tuple[str, FactValue]], Mapping[str, FactValue]] = ...,
                 summary: str = "", label: str = "", label_note: str = "", cents: Optional[int] = None,
                 currency: str = "", due_steps: list[str] = ...) -> None: ...
    def fact(self, name: str) -> Optional[FactValue]: ...

class Context:
    @property
    def now(self) -> datetime: ...
    @property
    def calendar(self) -> BusinessCalendar: ...
    @property
    def store(self) -> Storage: ...
    def manager(self, id: int) -> Optional[Manager]: ...
    def manager_name(self, id: int) -> str: ...
    def pipeline(self, id: str) -> Optional[Pipeline]: ...
    def client(self, id: int) -> Optional[ClientInfo]: ...
    def days_since(self, at: datetime) -> int: ...

class Assistant:
    """Subclass and define one of inspect_client / inspect_deal / inspect_invoice / inspect_task."""
    def __init__(self, id: str, scope: Scope = ..., ladder: Sequence[LadderStep] = ...) -> None: ...
    @property
    def id(self) -> str: ...
    @property
    def scope(self) -> Scope: ...
    @property
    def ladder(self) -> list[LadderStep]: ...
    @property
    def feed(self) -> Feed: ...
    @property
    def label(self) -> str: ...
    def make_finding(self, client: Client, since: datetime, episode: str, summary: str) -> Finding: ...
    # hooks a subclass may define:
    # def inspect_client(self, ctx: Context, view: ClientView) -> Optional[Finding]
    # def inspect_deal(self, ctx: Context, client: ClientInfo, view: DealView) -> Optional[Finding]
    # def inspect_invoice(self, ctx: Context, client: ClientInfo, invoice: Invoice) -> Optional[Finding]
    # def inspect_task(self, ctx: Context, client: ClientInfo, task: Task) -> Optional[Finding]
    # def step_due(self, ctx: Context, finding: Finding, step: LadderStep) -> datetime
    # def merge_label_notes(self, findings: list[Finding]) -> str
    # release_policy: Optional[ReleasePolicy]

class ForgottenAssistant(Assistant):
    def __init__(self, config: ForgottenConfig) -> None: ...
    @property
    def config(self) -> ForgottenConfig: ...

class ReleaseAssistant(Assistant):
    def __init__(self, config: ReleaseConfig, forgotten: ForgottenConfig) -> None: ...
    @property
    def config(self) -> ReleaseConfig: ...

class ChurnedAssistant(Assistant):
    def __init__(self, config: ChurnedConfig) -> None: ...
    @property
    def config(self) -> ChurnedConfig: ...

class UnpaidAssistant(Assistant):
    def __init__(self, config: UnpaidConfig) -> None: ...
    @property
    def config(self) -> UnpaidConfig: ...

class DebtorAssistant(Assistant):
    def __init__(self, config: DebtorConfig) -> None: ...
    @property
    def config(self) -> DebtorConfig: ...

class DeadDealAssistant(Assistant):
    def __init__(self, config: DeadDealConfig) -> None: ...
    @property
    def config(self) -> DeadDealConfig: ...

class StageSlaAssistant(Assistant):
    def __init__(self, config: StageSlaConfig) -> None: ...
    @property
    def config(self) -> StageSlaConfig: ...

class NoNextStepAssistant(Assistant):
    def __init__(self, config: NoNextStepConfig) -> None: ...
    @property
    def config(self) -> NoNextStepConfig: ...

class NeglectedTaskAssistant(Assistant):
    def __init__(self, config: NeglectedTaskConfig) -> None: ...
    @property
    def config(self) -> NeglectedTaskConfig: ...

# ---- engine ---------------------------------------------------------------------------------------
class MessageTemplate(_Record):
    subject: str
    body: str
    def __init__(self, subject: str = "", body: str = "") -> None: ...

class EngineOptions(_Record):
    late_after: timedelta
    batch: int
    def __init__(self, *, late_after: timedelta = ..., batch: int = 4096) -> None: ...

class EngineConfig(_Record):
    calendar: BusinessCalendar
    pipelines: list[Pipeline]
    forgotten: list[ForgottenConfig]
    release: list[ReleaseConfig]
    churned: list[ChurnedConfig]
    unpaid: list[UnpaidConfig]
    debtor: list[DebtorConfig]
    dead_deal: list[DeadDealConfig]
    stage_sla: list[StageSlaConfig]
    no_next_step: list[NoNextStepConfig]
    neglected_task: list[NeglectedTaskConfig]
    #: id -> locale -> template: templates["debtor_reminder"]["ru"]
    templates: dict[str, dict[str, MessageTemplate]]
    default_locale: str
    options: EngineOptions
    def __init__(self, **fields: Any) -> None: ...
    @staticmethod
    def defaults() -> EngineConfig: ...

class Action(_Record):
    key: str
    kind: ActionKind
    rule: str
    subject: SubjectRef
    client: int
    step: str
    due: datetime
    late: bool
    task: Optional[Task]
    from_: Optional[int]
    to: Optional[int]
    label: str
    note: str
    message: Optional[Message]
    reason: str
    explanation: str
    finding: Optional[int]
    once: bool
    def __init__(self, **fields: Any) -> None: ...

class ForecastRow(_Record):
    owner: int
    currency: str
    open_deals: int
    amount_cents: int
    weighted: float
    def __init__(self, **fields: Any) -> None: ...

class FindingList(list[Finding]): ...  # a view into the plan (pybind11 bound vector)
class ActionList(list[Action]): ...
class ForecastList(list[ForecastRow]): ...

class Plan:
    now: datetime
    findings: FindingList
    actions: ActionList
    notes: list[str]
    forecast: ForecastList
    def findings_of(self, rule: str) -> list[Finding]: ...
    def actions_of(self, rule: str) -> list[Action]: ...
    def finding_of(self, action: Action) -> Optional[Finding]: ...
    def explain(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Action]: ...

class ApplyResult:
    applied: int
    skipped: int
    applied_keys: list[str]
    created_tasks: list[int]
    def to_dict(self) -> dict[str, Any]: ...

class Progress(_Record):
    stage: str
    done: int
    total: int
    def __init__(self, stage: str = "", done: int = 0, total: int = 0) -> None: ...

#: Return False to cancel (nudge.Cancelled); None or True go on.
ProgressCallback = Callable[[Progress], Optional[bool]]

class Engine:
    @overload
    def __init__(self, config: Optional[EngineConfig] = None) -> None: ...
    @overload
    def __init__(self, config: LoadedConfig) -> None: ...
    def add(self, assistant: Assistant) -> Engine: ...
    @property
    def assistants(self) -> list[Assistant]: ...
    @property
    def config(self) -> EngineConfig: ...
    def plan(self, store: Storage, now: datetime, progress: Optional[ProgressCallback] = None, *,
             threads: int = 1) -> Plan:
        """What would happen at `now`, and why; never writes. Same plan on any number of `threads` (more than
        one: over a C++ store, with the GIL released; a Python storage plans on one thread)."""
    def apply(self, plan: Plan, store: Storage,
              progress: Optional[ProgressCallback] = None) -> ApplyResult: ...
    def run(self, store: Storage, now: datetime, progress: Optional[ProgressCallback] = None) -> ApplyResult: ...
    def evaluate(self, store: Storage, now: datetime, *, threads: int = 1, batch: int = 16384,
                 progress: Optional[ProgressCallback] = None) -> Evaluation:
        """Every assistant's test at `now` as numbers (Hits) plus the forecast; never writes. Same result on any
        number of `threads`; the GIL is released over a C++ store (held for a Python storage)."""

# ---- evaluate and watch ----------------------------------------------------------------------------
class Hit:
    """The numbers of one finding without its words (Engine.evaluate, Watch). Read-only; hashable; == compares
    every field."""
    @property
    def assistant(self) -> str:
        """The id of the assistant that fired."""
    @property
    def assistant_index(self) -> int:
        """Its index in the evaluation's (or watch's) `assistants`."""
    @property
    def subject(self) -> SubjectRef: ...
    @property
    def client(self) -> int: ...
    @property
    def owner(self) -> int: ...
    @property
    def since(self) -> Optional[datetime]:
        """When the condition started to hold (UTC); None for the C++ Instant::max()/min() sentinels."""
    @property
    def anchor(self) -> datetime:
        """What the test counts from; the Unix epoch when the assistant does not fill it (a Python assistant)."""
    @property
    def count(self) -> int:
        """Orders (churned), invoices (debtor per client); else 0."""
    @property
    def cents(self) -> int:
        """Outstanding amount (invoices) or the deal's amount, in cents; else 0."""
    @property
    def seconds(self) -> int:
        """Time over the limit (stage SLA), in seconds; else 0."""
    @property
    def over(self) -> timedelta:
        """`seconds` as a timedelta."""
    @property
    def to(self) -> Optional[int]:
        """Release hits of Engine.evaluate: the manager a plan would hand the client to; else None."""
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class Evaluation:
    """The result of Engine.evaluate: hits grouped by assistant (engine order), then ascending subject id."""
    @property
    def now(self) -> datetime: ...
    @property
    def assistants(self) -> list[str]: ...
    @property
    def hits(self) -> list[Hit]:
        """A new list at each access; iterate the evaluation to avoid building it."""
    @property
    def forecast(self) -> ForecastList: ...
    def of(self, assistant: str) -> list[Hit]:
        """The hits of one assistant by id; [] when there is none."""
    def to_dict(self) -> dict[str, Any]: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Hit]: ...

class WatchChanges:
    """What Watch.advance changed; false when nothing started or ended."""
    @property
    def started(self) -> list[Hit]: ...
    @property
    def ended(self) -> list[Hit]: ...
    @property
    def clients_tested(self) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> bool: ...

class Watch:
    """Engine.evaluate's hits kept current: reset(now), touch(client) after writes, advance(later). Keeps the
    engine and the store alive; one thread at a time."""
    def __init__(self, engine: Engine, store: Storage, now: Optional[datetime] = None, *, threads: int = 1,
                 min_slice: int = 256) -> None:
        """`threads` test the clients due in parallel, with the same results (over a Storage written in Python:
        1); a move with fewer than threads * min_slice clients due runs on one thread. Below 1:
        nudge.InvalidArgument."""
    def reset(self, now: datetime) -> None: ...
    def touch(self, client: int, what: Union[None, str, Iterable[str]] = None) -> None:
        """Marks a client as changed. `what`: 'client', 'activity', 'task', 'deal', 'invoice', 'all', 'none' or an
        iterable of these; only the assistants that read it test the client again. None: anything may have
        changed. nudge.InvalidArgument for an unknown name, TypeError for a value that is not a str or an
        iterable of str."""
    def advance(self, now: datetime) -> WatchChanges:
        """nudge.InvalidArgument when `now` is earlier than the last move; nudge.Conflict before reset()."""
    def hits(self) -> list[Hit]: ...
    @property
    def now(self) -> Optional[datetime]: ...
    @property
    def pending(self) -> int: ...
    @property
    def assistants(self) -> list[str]: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def store(self) -> Storage: ...

# ---- reports ----------------------------------------------------------------------------------------
class ManagerReport(_Record):
    class Pipeline(_Record):
        open_deals: int
        amount_cents: int
        weighted: float
        def __init__(self, **fields: Any) -> None: ...
    manager: int
    name: str
    members: list[int]
    findings: dict[str, int]
    clients: int
    open_tasks: int
    overdue_tasks: int
    sla_breaches: int
    released_in: int
    released_out: int
    pipeline: dict[str, ManagerReport.Pipeline]
    deals_by_stage: dict[str, int]
    def __init__(self, **fields: Any) -> None: ...

class Reports:
    def __init__(self, plan: Plan, store: Storage, since: Optional[datetime] = None) -> None: ...
    def manager(self, id: int) -> ManagerReport: ...
    def team(self, head: int) -> ManagerReport: ...
    def teams(self) -> list[ManagerReport]: ...
    @property
    def managers(self) -> list[int]: ...
    @property
    def now(self) -> datetime: ...
    def __getitem__(self, id: int) -> ManagerReport: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[ManagerReport]: ...
    def to_dict(self) -> dict[int, dict[str, Any]]: ...

# ---- configuration ----------------------------------------------------------------------------------
CONFIG_FORMAT_VERSION: int
ConfigSource = Union[str, bytes, os.PathLike[str]]

class ConfigIssue(_Record):
    path: str
    message: str
    def __init__(self, path: str = "", message: str = "") -> None: ...
    def text(self) -> str: ...

class QuietHours(_Record):
    from_: timedelta
    to: timedelta
    def __init__(self, from_: Union[str, timedelta] = ..., to: Union[str, timedelta] = ...) -> None: ...
    def quiet_at(self, local: Union[str, timedelta]) -> bool: ...

class EventRule:
    id: str
    enabled: bool
    on: str
    within: Period
    debounce: timedelta
    @property
    def action_count(self) -> int: ...
    def __init__(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...

class LoadedConfig(_Record):
    engine: EngineConfig
    event_rules: list[EventRule]
    quiet_hours: dict[Channel, QuietHours]
    def __init__(self, *, engine: EngineConfig = ..., event_rules: list[EventRule] = ...,
                 quiet_hours: Mapping[Channel, QuietHours] = ...) -> None: ...

def load_config(source: ConfigSource) -> LoadedConfig: ...
def validate_config(config: Union[LoadedConfig, EngineConfig, ConfigSource],
                    managers: Union[Iterable[Manager], Storage, None] = None) -> list[ConfigIssue]: ...
def save_config(config: Union[LoadedConfig, EngineConfig], path: Union[str, os.PathLike[str], None] = None, *,
                include_defaults: bool = False) -> str: ...

def explain(plan: Plan) -> str: ...

def run_conformance(factory: Callable[[], Storage], checks: str = "*") -> tuple[bool, str]: ...

# ---- nudge.csv (present when HAS_CSV) ------------------------------------------------------------
class _Csv:
    class CsvImportError(InvalidArgument):
        issues: list[tuple[str, int, str, str]]  # (file, line, column, reason)

    class ImportOptions:
        max_errors: int
        skip_existing_activities: bool
        dry_run: bool
        def __init__(self) -> None: ...

    class ImportReport:
        @property
        def rows(self) -> dict[str, int]: ...
        @property
        def skipped_activities(self) -> int: ...
        @property
        def committed(self) -> bool: ...
        @property
        def total_rows(self) -> int: ...
        def to_dict(self) -> dict[str, Any]: ...

    class MavenOptions:
        class NoAccount(_Enum):
            synthetic_client: ClassVar[Any]
            skip: ClassVar[Any]
        id_offset: int
        pipeline: str
        prospecting_probability: float
        engaging_probability: float
        as_of: Optional[date]
        deals_without_account: Any
        fix_misspellings: bool
        list_price_for_missing_amounts: bool
        max_examples: int
        def __init__(self) -> None: ...

    class MavenProduct:
        name: str
        series: str
        list_price: Money
        def to_dict(self) -> dict[str, Any]: ...

    class MavenQuirk:
        id: str
        description: str
        handling: str
        count: int
        examples: list[str]
        def to_dict(self) -> dict[str, Any]: ...

    class MavenReport:
        supervisors: int
        agents: int
        clients: int
        synthetic_clients: int
        deals: int
        skipped_deals: int
        deals_by_stage: dict[str, int]
        as_of: date
        products: list[_Csv.MavenProduct]
        quirks: list[_Csv.MavenQuirk]
        def to_dict(self) -> dict[str, Any]: ...

    @staticmethod
    def import_directory(store: Storage, directory: str, options: _Csv.ImportOptions = ...) -> _Csv.ImportReport: ...
    @staticmethod
    def export_directory(store: Storage, directory: str, unix_seconds: bool = False) -> dict[str, int]: ...
    @staticmethod
    def import_maven(store: Storage, directory: str, options: _Csv.MavenOptions = ...) -> _Csv.MavenReport: ...

csv: _Csv

# ---- notifiers (present when the core has the notifier port) -----------------------------------------
class Undeliverable(Error): ...

def message_text(message: Message) -> str: ...
def message_json_line(message: Message) -> str: ...

class DeliveryResult(_Record):
    ok: bool
    error: str
    permanent: bool
    def __init__(self, **fields: Any) -> None: ...

class Notifier:
    def deliver(self, message: Message) -> DeliveryResult: ...
    def flush(self) -> DeliveryResult: ...

#: A built-in Notifier, a callable taking a Message, or an object with send(message) (and optionally flush()).
NotifierLike = Union[Notifier, Callable[[Message], Any], Any]

class CollectingNotifier(Notifier):
    def __init__(self) -> None: ...
    @property
    def messages(self) -> list[Message]: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Message]: ...

class PrintNotifier(Notifier):
    def __init__(self, file: Optional[Any] = None) -> None: ...
    @property
    def file(self) -> Optional[Any]: ...

class JsonLinesNotifier(Notifier):
    def __init__(self, path: Union[str, os.PathLike[str]]) -> None: ...
    @property
    def path(self) -> str: ...

class RoutingNotifier(Notifier):
    def __init__(self) -> None: ...
    def route(self, channel: Union[Channel, str], notifier: NotifierLike) -> RoutingNotifier: ...
    def fallback(self, notifier: NotifierLike) -> RoutingNotifier: ...

class RetryPolicy:
    base: timedelta
    factor: float
    cap: timedelta
    max_attempts: int
    def __init__(self) -> None: ...
    def delay(self, failed_attempts: int) -> timedelta: ...

class DispatcherOptions:
    __fields__: ClassVar[tuple[str, ...]]
    retry: RetryPolicy
    quiet_hours: dict[Channel, QuietHours]
    quiet_hours_for_managers: bool
    time_zone: str
    batch: int
    max_per_run: int
    def __init__(self, **fields: Any) -> None: ...
    @staticmethod
    def from_config(config: LoadedConfig) -> DispatcherOptions: ...
    def to_dict(self) -> dict[str, Any]: ...

class DispatchOutcome:
    class Kind(_Enum):
        delivered: ClassVar[DispatchOutcome.Kind]
        retry: ClassVar[DispatchOutcome.Kind]
        dead: ClassVar[DispatchOutcome.Kind]
        deferred: ClassVar[DispatchOutcome.Kind]
    key: str
    kind: DispatchOutcome.Kind
    next_attempt: Optional[datetime]
    error: str
    attempts: int
    def to_dict(self) -> dict[str, Any]: ...

class DispatchReport:
    delivered: int
    retried: int
    dead: int
    deferred: int
    outcomes: list[DispatchOutcome]
    notes: list[str]
    def to_dict(self) -> dict[str, Any]: ...
    def __iter__(self) -> Iterator[DispatchOutcome]: ...
    def __len__(self) -> int: ...

class Dispatcher:
    def __init__(self, store: Storage, notifier: NotifierLike, options: Optional[DispatcherOptions] = None) -> None: ...
    def run(self, now: datetime) -> DispatchReport: ...
    def allowed_at(self, message: Message, at: datetime) -> datetime: ...
    @property
    def options(self) -> DispatcherOptions: ...
    @property
    def notifier(self) -> Notifier: ...
    @property
    def store(self) -> Storage: ...

def dispatch(store: Storage, notifier: NotifierLike, now: datetime,
             options: DispatcherOptions = ...) -> DispatchReport: ...
