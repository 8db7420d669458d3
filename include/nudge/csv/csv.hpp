#pragma once
/// @file
/// Umbrella header of nudge::csv: the CSV interchange format (import, export)
/// and the Maven dataset import. Link `nudge::csv`.

#include <nudge/csv/export.hpp>
#include <nudge/csv/format.hpp>
#include <nudge/csv/import.hpp>
#include <nudge/csv/maven.hpp>
