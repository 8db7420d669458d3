#pragma once
/// @file
/// The one exception hierarchy of Nudge. Every error the library throws derives
/// from nudge::error; adapters translate third-party exceptions at the boundary.

#include <stdexcept>
#include <string>

namespace nudge {

/// Base of every exception Nudge throws. Messages name what was wrong
/// (the field, the id, the row or the JSON path).
///
/// @code
/// try { store.begin()->reassign_client(ClientId{42}, ManagerId{7}); }
/// catch (const nudge::not_found& e) { std::cerr << e.what() << '\n'; }
/// @endcode
class error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A referenced entity (client, manager, deal, ...) does not exist.
class not_found : public error {
public:
  using error::error;
};

/// An argument or a value is malformed or out of range.
class invalid_argument : public error {
public:
  using error::error;
};

/// The operation contradicts the current state (duplicate id, stale write).
class conflict : public error {
public:
  using error::error;
};

/// The storage backend failed (I/O, corruption, a newer schema).
class storage_error : public error {
public:
  using error::error;
};

/// A configuration is invalid; the message lists every problem with its path.
class configuration_error : public error {
public:
  using error::error;
};

/// A long operation (plan, import) was stopped by its progress callback
/// returning false (e.g. Ctrl-C in a host). Nothing was written.
class cancelled : public error {
public:
  using error::error;
};

}  // namespace nudge
