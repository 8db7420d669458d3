// Domain types: ids are ints, instants aware datetimes, dates datetime.date;
// the value types follow the record protocol (keyword __init__, __repr__, to_dict).

#include "common.hpp"

#include <fmt/format.h>

#include <nudge/domain/activity.hpp>
#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/invoice.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/domain/money.hpp>
#include <nudge/domain/pipeline.hpp>
#include <nudge/domain/subject.hpp>
#include <nudge/domain/task.hpp>
#include <nudge/notify/message.hpp>

namespace nudge::bindings {

namespace {

FactValue fact_value_from(py::handle v, const std::string& what) {
  PyObject* o = v.ptr();
  if (PyBool_Check(o)) return FactValue{std::int64_t{o == Py_True}};
  if (PyLong_Check(o)) return FactValue{v.cast<std::int64_t>()};
  if (PyFloat_Check(o)) return FactValue{v.cast<double>()};
  if (PyUnicode_Check(o)) return FactValue{v.cast<std::string>()};
  if (is_datetime(v)) return FactValue{instant_from(v, what)};
  throw py::type_error(fmt::format("{}: expected int, float, str or an aware datetime, got {}", what,
                                   Py_TYPE(o)->tp_name));
}

template <class E>
py::enum_<E> enumeration(py::module_& m, const char* name, const char* doc,
                         std::initializer_list<std::pair<const char*, E>> values) {
  py::enum_<E> e(m, name, doc);
  for (const auto& [n, v] : values) e.value(n, v);
  return e;
}

}  // namespace

void bind_domain(py::module_& m) {
  // ---- enums -------------------------------------------------------------------
  enumeration<ActivityKind>(m, "ActivityKind", "What kind of activity; `other` carries the host's name in Activity.custom_kind.",
                            {{"call_in", ActivityKind::call_in}, {"call_out", ActivityKind::call_out},
                             {"call_missed", ActivityKind::call_missed}, {"email", ActivityKind::email},
                             {"meeting", ActivityKind::meeting}, {"message", ActivityKind::message},
                             {"note", ActivityKind::note}, {"document", ActivityKind::document},
                             {"other", ActivityKind::other}});
  enumeration<Outcome>(m, "Outcome", "How an activity went.",
                       {{"none", Outcome::none}, {"reached", Outcome::reached}, {"no_answer", Outcome::no_answer},
                        {"declined", Outcome::declined}, {"completed", Outcome::completed}});
  enumeration<Contact>(m, "Contact",
                       "Whether an activity counts as contact: decided by its kind, or forced either way.",
                       {{"by_kind", Contact::by_kind}, {"yes", Contact::yes}, {"no", Contact::no}});
  enumeration<ClientKind>(m, "ClientKind", "B2B clients have long cycles; B2C clients are many and short-lived.",
                          {{"b2b", ClientKind::b2b}, {"b2c", ClientKind::b2c}});
  enumeration<DealStatus>(m, "DealStatus", "Open, won or lost.",
                          {{"open", DealStatus::open}, {"won", DealStatus::won}, {"lost", DealStatus::lost}});
  enumeration<TaskState>(m, "TaskState", "A new work item reaches its assignee in `attention`.",
                         {{"attention", TaskState::attention}, {"in_progress", TaskState::in_progress},
                          {"done", TaskState::done}, {"cancelled", TaskState::cancelled}});
  enumeration<StageKind>(m, "StageKind", "A working stage or a terminal outcome.",
                         {{"open", StageKind::open}, {"won", StageKind::won}, {"lost", StageKind::lost}});
  enumeration<SubjectKind>(m, "SubjectKind", "What a finding or an action is about.",
                           {{"client", SubjectKind::client}, {"deal", SubjectKind::deal},
                            {"invoice", SubjectKind::invoice}, {"task", SubjectKind::task},
                            {"manager", SubjectKind::manager}});
  enumeration<Channel>(m, "Channel", "How a message is delivered.",
                       {{"email", Channel::email}, {"sms", Channel::sms}, {"messenger", Channel::messenger},
                        {"in_app", Channel::in_app}, {"webhook", Channel::webhook}, {"other", Channel::other}});

  m.def("parse_instant", [](const std::string& text) { return parse_instant(text, "text"); }, py::arg("text"),
        "Parses an ISO-8601 time (\"2026-08-14\", \"2026-08-14T09:30:00Z\", \"...+03:00\") into an aware UTC datetime.");

  // ---- money -------------------------------------------------------------------
  py::class_<Money> money(m, "Money", "An amount in minor units (cents) of an ISO 4217 currency; sums are exact.");
  money.def_readwrite("cents", &Money::cents, "The amount in cents (int).")
      .def_readwrite("currency", &Money::currency, "Three upper-case letters, e.g. 'EUR'.");
  def_record(money, {"cents", "currency"}, 2);
  money.def_static("from_decimal", &Money::from_decimal, py::arg("amount"), py::arg("currency"),
                   py::arg("field") = "amount",
                   "From a decimal amount rounded to cents; raises InvalidArgument naming `field` when not finite or "
                   "the currency is not a 3-letter code.")
      .def("to_decimal", &Money::to_decimal, "The amount as a float in currency units.")
      .def("__str__", [](const Money& x) { return to_string(x); })
      .def("__lt__", [](const Money& a, const Money& b) { return a < b; }, py::is_operator())
      .def("__le__", [](const Money& a, const Money& b) { return a <= b; }, py::is_operator());

  // ---- subject, facts, audit ---------------------------------------------------------
  py::class_<SubjectRef> subject(m, "SubjectRef", "An immutable reference to the entity a finding is about: kind and id.");
  subject.def(py::init([](SubjectKind k, std::int64_t id) { return SubjectRef{k, id}; }), py::arg("kind"), py::arg("id"),
              "A reference to entity `id` of `kind`.")
      .def_readonly("kind", &SubjectRef::kind, "The SubjectKind.")
      .def_readonly("id", &SubjectRef::id, "The entity's id.")
      .def_static("client", [](ClientId c) { return SubjectRef::of(c); }, py::arg("id"), "A client reference.")
      .def_static("deal", [](DealId d) { return SubjectRef::of(d); }, py::arg("id"), "A deal reference.")
      .def_static("invoice", [](InvoiceId i) { return SubjectRef::of(i); }, py::arg("id"), "An invoice reference.")
      .def_static("task", [](TaskId t) { return SubjectRef::of(t); }, py::arg("id"), "A task reference.")
      .def_static("manager", [](ManagerId x) { return SubjectRef::of(x); }, py::arg("id"), "A manager reference.")
      .def("__str__", [](const SubjectRef& s) { return to_string(s); })
      .def("__repr__", [](const SubjectRef& s) { return fmt::format("SubjectRef.{}({})", to_string(s.kind), s.id); })
      .def("__eq__", [](const SubjectRef& a, const SubjectRef& b) { return a == b; }, py::is_operator())
      .def("__lt__", [](const SubjectRef& a, const SubjectRef& b) { return a < b; }, py::is_operator())
      .def("__hash__", [](const SubjectRef& s) { return py::hash(py::make_tuple(static_cast<int>(s.kind), s.id)); })
      .def("to_dict", [](const SubjectRef& s) {
        py::dict d;
        d["kind"] = std::string(to_string(s.kind));
        d["id"] = s.id;
        return d;
      }, "{'kind': 'client', 'id': 42}.");

  py::class_<Fact> fact(m, "Fact", "One named fact behind a finding, e.g. last_contact = 2026-08-14T00:00:00Z.");
  fact.def_readwrite("name", &Fact::name, "The fact's name ('last_contact', 'days', ...).");
  def_converted(fact, "value", &Fact::value, fact_value_from, "int, float, str or an aware datetime.");
  def_record(fact, {"name", "value"}, 2);
  fact.def("__str__", [](const Fact& f) { return fmt::format("{}={}", f.name, to_string(f.value)); });

  py::class_<AuditRecord> audit(m, "AuditRecord", "Who/what/why of one applied action, as kept in the audit log.");
  def_instant(audit, "at", &AuditRecord::at, "When it was applied (the plan's now).");
  audit.def_readwrite("action_key", &AuditRecord::action_key, "The exactly-once key of the action.")
      .def_readwrite("rule", &AuditRecord::rule, "The assistant that fired.")
      .def_readwrite("subject", &AuditRecord::subject, "What it was about (SubjectRef).")
      .def_readwrite("action", &AuditRecord::action, "'create_task', 'reassign', 'notify', ...")
      .def_readwrite("explanation", &AuditRecord::explanation, "What a person reads.")
      .def_readwrite("facts", &AuditRecord::facts, "The finding's facts (list of Fact).");
  def_record(audit, {"at", "action_key", "rule", "subject", "action", "explanation", "facts"});

  // ---- managers ------------------------------------------------------------------------
  py::class_<DateRange> range(m, "DateRange", "An inclusive range of dates [first, last] (a leave, a holiday).");
  def_converted(range, "first", &DateRange::first, date_from, "The first date (datetime.date).");
  def_converted(range, "last", &DateRange::last, date_from, "The last date, included.");
  def_record(range, {"first", "last"}, 2);
  range.def("contains", &DateRange::contains, py::arg("day"), "Whether `day` lies in the range.");

  py::class_<Manager> manager(m, "Manager", "A manager (user): owns clients and deals, gets tasks, has a supervisor.");
  manager.def_readwrite("id", &Manager::id, "Positive id.")
      .def_readwrite("name", &Manager::name, "Display name.")
      .def_readwrite("supervisor", &Manager::supervisor, "The supervisor's id, or None.")
      .def_readwrite("active", &Manager::active, "Inactive managers get no clients handed over.")
      .def_readwrite("leave", &Manager::leave, "Leave periods (list of DateRange).")
      .def_readwrite("segments", &Manager::segments, "Segments this manager may serve; '*' serves every segment.")
      .def_readwrite("capacity", &Manager::capacity, "Most clients this manager should own (0 = no cap).")
      .def_readwrite("weight", &Manager::weight, "Relative weight for capacity-weighted distribution (> 0).")
      .def_readwrite("email", &Manager::email, "E-mail address for messages.")
      .def_readwrite("phone", &Manager::phone, "Phone number for messages.");
  def_record(manager, {"id", "name", "supervisor", "active", "leave", "segments", "capacity", "weight", "email", "phone"}, 3);
  manager.def("on_leave", &Manager::on_leave, py::arg("day"), "Whether the manager is on leave on `day`.")
      .def("serves", &Manager::serves, py::arg("segment"), "Whether the manager may serve `segment`.")
      .def("available", &Manager::available, py::arg("day"), "Active and not on leave on `day`.")
      .def("validate", &Manager::validate, "Raises InvalidArgument naming the bad field.");

  // ---- clients ---------------------------------------------------------------------------
  py::class_<Client> client(m, "Client", "A client (counterparty) owned by a manager.");
  client.def_readwrite("id", &Client::id, "Positive id.")
      .def_readwrite("name", &Client::name, "Display name.")
      .def_readwrite("owner", &Client::owner, "The owning manager's id.")
      .def_readwrite("segments", &Client::segments, "Market segments; the first is primary. Assign a new list to change.")
      .def_readwrite("kind", &Client::kind, "ClientKind.b2b or ClientKind.b2c.");
  def_instant(client, "created", &Client::created, "When the client was created (aware datetime).");
  client.def_readwrite("labels", &Client::labels, "Labels put by assistants or people: name -> note.")
      .def_readwrite("release_locked", &Client::release_locked, "Never handed to another manager automatically.")
      .def_readwrite("email", &Client::email, "Contact e-mail for messages to the client.")
      .def_readwrite("phone", &Client::phone, "Contact phone for messages to the client.")
      .def_readwrite("time_zone", &Client::time_zone, "IANA zone of the client; empty = the calendar's.")
      .def_readwrite("locale", &Client::locale, "Preferred locale of messages; empty = the default.");
  def_record(client, {"id", "name", "owner", "segments", "kind", "created", "labels", "release_locked", "email", "phone",
                      "time_zone", "locale"},
             4);
  client.def("has_label", &Client::has_label, py::arg("label"), "Whether the client carries `label`.")
      .def("in_segment", &Client::in_segment, py::arg("segment"), "Whether the client is in `segment`.")
      .def_property_readonly("primary_segment", &Client::primary_segment, "The first segment, or ''.")
      .def("validate", &Client::validate, "Raises InvalidArgument naming the bad field.");

  // ---- activities ---------------------------------------------------------------------------
  py::class_<Activity> activity(m, "Activity", "Something that happened with a client: a call, an e-mail, a meeting ...");
  activity.def_readwrite("id", &Activity::id, "Positive id, unique among activities.")
      .def_readwrite("client", &Activity::client, "The client's id.")
      .def_readwrite("manager", &Activity::manager, "The manager's id (0 = none).")
      .def_readwrite("kind", &Activity::kind, "ActivityKind.")
      .def_readwrite("custom_kind", &Activity::custom_kind, "The host's kind name when kind is `other`.");
  def_instant(activity, "at", &Activity::at, "When it happened (aware datetime).");
  activity.def_readwrite("outcome", &Activity::outcome, "Outcome.")
      .def_readwrite("contact", &Activity::contact, "Whether it counts as contact (Contact).")
      .def_readwrite("subject", &Activity::subject, "Free text.");
  def_record(activity, {"id", "client", "manager", "kind", "custom_kind", "at", "outcome", "contact", "subject"}, 4);
  activity.def("validate", &Activity::validate, "Raises InvalidArgument naming the bad field.");

  // ---- tasks -------------------------------------------------------------------------------
  py::class_<Task> task(m, "Task", "A task (work item) for a manager about a client, maybe a deal.");
  task.def_readwrite("id", &Task::id, "Positive id (0 = assign one on create_task).")
      .def_readwrite("client", &Task::client, "The client's id.")
      .def_readwrite("deal", &Task::deal, "The deal's id, or None.")
      .def_readwrite("assignee", &Task::assignee, "The assignee's manager id.")
      .def_readwrite("author", &Task::author, "The author's manager id, or None.")
      .def_readwrite("title", &Task::title, "What to do.");
  def_instant(task, "planned_start", &Task::planned_start, "Planned start (aware datetime) or None.");
  def_instant(task, "due", &Task::due, "Deadline (aware datetime).");
  task.def_readwrite("state", &Task::state, "TaskState.");
  def_instant(task, "created", &Task::created, "When it was created.");
  def_instant(task, "closed", &Task::closed, "When it was done or cancelled, or None.");
  task.def_readwrite("based_on", &Task::based_on, "The predecessor work item's id, or None.")
      .def_readwrite("origin", &Task::origin, "The action key of the engine action that created it ('' = a person).");
  def_record(task, {"id", "client", "deal", "assignee", "author", "title", "planned_start", "due", "state", "created",
                    "closed", "based_on", "origin"});
  task.def_property_readonly("open", &Task::open, "Whether the task is in attention or in progress.")
      .def("validate", &Task::validate, "Raises InvalidArgument naming the bad field.");

  // ---- deals -------------------------------------------------------------------------------------
  py::class_<StageVisit> visit(m, "StageVisit", "One visit of a deal to a stage: [entered, left).");
  visit.def_readwrite("stage", &StageVisit::stage, "The stage id.");
  def_instant(visit, "entered", &StageVisit::entered, "When the deal entered the stage.");
  def_instant(visit, "left", &StageVisit::left, "When it left, or None.");
  def_record(visit, {"stage", "entered", "left"}, 3);

  py::class_<Hold> hold(m, "Hold", "A period the deal was on hold: [from_, to).");
  def_instant(hold, "from_", &Hold::from, "Start of the hold (C++ `from`).");
  def_instant(hold, "to", &Hold::to, "End of the hold, or None while it lasts.");
  hold.def_readwrite("reason", &Hold::reason, "Why ('waiting for the client').");
  def_record(hold, {"from_", "to", "reason"}, 3);

  py::class_<Deal> deal(m, "Deal", "A deal (opportunity) moving through a pipeline's stages.");
  deal.def_readwrite("id", &Deal::id, "Positive id.")
      .def_readwrite("client", &Deal::client, "The client's id.")
      .def_readwrite("owner", &Deal::owner, "The owning manager's id.")
      .def_readwrite("pipeline", &Deal::pipeline, "The pipeline's id.")
      .def_readwrite("stage", &Deal::stage, "The current stage's id.")
      .def_readwrite("amount", &Deal::amount, "Money.")
      .def_readwrite("probability", &Deal::probability, "The owner's stated chance of winning, in [0, 1].");
  def_instant(deal, "opened", &Deal::opened, "When the deal was opened.");
  def_instant(deal, "stage_entered", &Deal::stage_entered, "When it entered the current stage.");
  deal.def_readwrite("history", &Deal::history, "Earlier stage visits, oldest first (list of StageVisit).")
      .def_readwrite("holds", &Deal::holds, "Hold periods (list of Hold).")
      .def_readwrite("status", &Deal::status, "DealStatus.")
      .def_readwrite("loss_reason", &Deal::loss_reason, "Why it was lost.");
  def_instant(deal, "closed", &Deal::closed, "When it was won or lost, or None.");
  deal.def_readwrite("labels", &Deal::labels, "Labels: name -> note.");
  def_record(deal, {"id", "client", "owner", "pipeline", "stage", "amount", "probability", "opened", "stage_entered",
                    "history", "holds", "status", "loss_reason", "closed", "labels"});
  deal.def_property_readonly("is_open", &Deal::is_open, "Whether the deal is open.")
      .def("on_hold", &Deal::on_hold, py::arg("at"), "Whether a hold covers the instant `at`.")
      .def("validate", &Deal::validate, "Raises InvalidArgument naming the bad field.");

  // ---- invoices ----------------------------------------------------------------------------------------
  py::class_<Payment> payment(m, "Payment", "A payment against an invoice.");
  def_instant(payment, "at", &Payment::at, "When it was paid.");
  payment.def_readwrite("cents", &Payment::cents, "Amount in cents of the invoice's currency.");
  def_record(payment, {"at", "cents"}, 2);

  py::class_<Invoice> invoice(m, "Invoice", "An invoice (or an order awaiting payment) issued to a client.");
  invoice.def_readwrite("id", &Invoice::id, "Positive id.")
      .def_readwrite("client", &Invoice::client, "The client's id.")
      .def_readwrite("deal", &Invoice::deal, "The deal's id, or None.")
      .def_readwrite("amount", &Invoice::amount, "Money.");
  def_instant(invoice, "issued", &Invoice::issued, "When it was issued.");
  def_instant(invoice, "due", &Invoice::due, "When payment is due.");
  invoice.def_readwrite("payments", &Invoice::payments, "Payments (list of Payment).");
  def_instant(invoice, "paid", &Invoice::paid, "When it was settled in full, or None.");
  def_record(invoice, {"id", "client", "deal", "amount", "issued", "due", "payments", "paid"});
  invoice.def("paid_cents", &Invoice::paid_cents, "Sum of the payments, in cents.")
      .def("outstanding_cents", &Invoice::outstanding_cents, "Amount minus payments, in cents.")
      .def_property_readonly("is_paid", &Invoice::is_paid, "Whether it was settled.")
      .def("settle_from_payments", &Invoice::settle_from_payments, "Sets `paid` when the payments cover the amount.")
      .def("validate", &Invoice::validate, "Raises InvalidArgument naming the bad field.");

  // ---- pipelines -----------------------------------------------------------------------------------------
  py::class_<Stage> stage(m, "Stage", "One stage of a pipeline, with its time limit (SLA).");
  stage.def_readwrite("id", &Stage::id, "Stage id ('lead').")
      .def_readwrite("name", &Stage::name, "Display name.")
      .def_readwrite("kind", &Stage::kind, "StageKind.")
      .def_readwrite("limit", &Stage::limit, "How long a deal may stay (Period), or None.")
      .def_readwrite("probability", &Stage::probability, "Default win probability in this stage, or None.");
  def_record(stage, {"id", "name", "kind", "limit", "probability"}, 4);

  py::class_<Pipeline> pipeline(m, "Pipeline", "Ordered stages with at least one won and one lost terminal.");
  pipeline.def_readwrite("id", &Pipeline::id, "Pipeline id.")
      .def_readwrite("name", &Pipeline::name, "Display name.")
      .def_readwrite("stages", &Pipeline::stages, "The stages in order (list of Stage).");
  def_record(pipeline, {"id", "name", "stages"}, 3);
  pipeline
      .def("find", [](const Pipeline& p, std::string_view s) -> std::optional<Stage> {
        if (const auto* x = p.find(s)) return *x;
        return std::nullopt;
      }, py::arg("stage"), "The stage with that id, or None.")
      .def("index_of", &Pipeline::index_of, py::arg("stage"), "Position of a stage, or -1.")
      .def("validate", &Pipeline::validate, "Raises InvalidArgument naming the bad stage.");

  // ---- messages --------------------------------------------------------------------------------------------
  py::class_<Recipient> recipient(m, "Recipient", "Who a message goes to: a client's contact or a manager.");
  recipient.def_readwrite("who", &Recipient::who, "SubjectRef of the client or manager.")
      .def_readwrite("address", &Recipient::address, "E-mail, phone number, URL ... as the channel needs.")
      .def_readwrite("name", &Recipient::name, "Display name.");
  def_record(recipient, {"who", "address", "name"}, 3);

  py::class_<Message> message(m, "Message", "A rendered message, as the outbox stores it. `key` is stable for retries.");
  message.def_readwrite("key", &Message::key, "Stable key derived from the action key.")
      .def_readwrite("channel", &Message::channel, "Channel.")
      .def_readwrite("custom_channel", &Message::custom_channel, "Host-defined channel name when channel is `other`.")
      .def_readwrite("to", &Message::to, "Recipient.")
      .def_readwrite("template_id", &Message::template_id, "The template it was rendered from.")
      .def_readwrite("locale", &Message::locale, "Locale of the text.")
      .def_readwrite("subject", &Message::subject, "Subject line.")
      .def_readwrite("body", &Message::body, "Body text.");
  def_instant(message, "created", &Message::created, "When it was created.");
  def_instant(message, "not_before", &Message::not_before, "Not to be delivered before this instant, or None.");
  def_record(message, {"key", "channel", "custom_channel", "to", "template_id", "locale", "subject", "body", "created",
                       "not_before"});
}

}  // namespace nudge::bindings
