#pragma once
/// @file
/// Umbrella header of the core (never includes an adapter).

#include <nudge/calendar/business_calendar.hpp>
#include <nudge/calendar/period.hpp>
#include <nudge/domain/activity.hpp>
#include <nudge/domain/client.hpp>
#include <nudge/domain/deal.hpp>
#include <nudge/domain/ids.hpp>
#include <nudge/domain/invoice.hpp>
#include <nudge/domain/manager.hpp>
#include <nudge/domain/money.hpp>
#include <nudge/domain/pipeline.hpp>
#include <nudge/domain/subject.hpp>
#include <nudge/domain/task.hpp>
#include <nudge/domain/time.hpp>
#include <nudge/engine/config.hpp>
#include <nudge/engine/engine.hpp>
#include <nudge/engine/explain.hpp>
#include <nudge/engine/plan.hpp>
#include <nudge/error.hpp>
#include <nudge/notify/message.hpp>
#include <nudge/rules/assistant.hpp>
#include <nudge/storage/memory_storage.hpp>
#include <nudge/storage/storage.hpp>
#include <nudge/version.hpp>
