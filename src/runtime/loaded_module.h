// LoadedModule: one module as the runtime holds it: its schema, its instance,
// its tables, and the per-call state its host functions work on.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi/event_name.h"
#include "abi/schema.h"
#include "engine/instance.h"
#include "engine/linker.h"
#include "engine/module.h"
#include "runtime/log_record.h"
#include "runtime/table.h"
#include "runtime/transaction.h"

namespace interstice::runtime {

class Runtime;

// A module's log lines in the current one-second window (Runtime::log).
struct LogBudget {
  std::chrono::steady_clock::time_point window_start;
  uint32_t lines = 0;
  uint64_t suppressed = 0;
};

struct LoadedModule {
  std::string name;
  abi::ModuleSchema schema;
  std::vector<abi::EventName> events;          // schema.subscriptions' events, parsed at admission
  TableMemory table_memory;                    // shared by `tables`, which point to it
  std::vector<std::unique_ptr<Table>> tables;  // in schema order: the host calls' table ids
  std::unique_ptr<engine::Linker> linker;
  std::optional<engine::Module> compiled;  // kept to make a fresh instance after a trap
  std::unique_ptr<engine::Instance> instance;
  std::optional<engine::TypedFunction<int32_t(int32_t)>> alloc;
  std::optional<engine::TypedFunction<int32_t(int32_t, int32_t, int32_t)>> reducer;
  Runtime* runtime = nullptr;
  uint32_t executor = 0;         // the one executor that calls into it (Runtime::place)
  bool has_schedules = false;    // one of its tables is scheduled (abi::ScheduleDef)
  mutable LogBudget log_budget;  // Runtime::log's rate limit
  // While a reducer runs (Runtime::run), its log lines wait here for its
  // offset; bounded by the rate limit (max_log_lines_per_second).
  mutable bool hold_logs = false;
  mutable std::vector<LogRecord> held_logs;
  // While a reducer runs with RuntimeOptions::time_host_calls answering true
  // (a trace is being recorded): when each table operation and privileged
  // host call started and ended (the first kMaxTimedHostCalls).
  struct HostCallTime {
    std::string_view operation;  // "insert", "get", ...; an authority's name ("Gpu")
    const Table* table;          // the table operated on; null for a privileged call
    std::chrono::steady_clock::time_point start, end;
  };
  static constexpr size_t kMaxTimedHostCalls = 10'000;
  bool time_host_calls = false;
  std::vector<HostCallTime> host_call_times;

  // State of the reducer call in progress (reset after each call).
  Transaction* tx = nullptr;
  std::string current_reducer;
  std::optional<std::string> failure;                 // set by the `fail` host call
  Bytes result;                                       // what result_read copies out
  std::optional<Bytes> returned;                      // a query's value (query_return)
  std::vector<std::optional<Table::Cursor>> cursors;  // open iterators by id

  Table* find_table(std::string_view table_name) const {
    for (const auto& t : tables)
      if (t->name() == table_name) return t.get();
    return nullptr;
  }

  void end_call() {
    tx = nullptr;
    current_reducer.clear();
    result.clear();
    cursors.clear();
  }
};

// The module a host function was called from (its instance's user data).
inline LoadedModule& module_of(engine::Caller& caller) {
  return *static_cast<LoadedModule*>(caller.instance().user_data());
}

}  // namespace interstice::runtime
