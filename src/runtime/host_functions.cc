#include "runtime/host_functions.h"

#include <string>

#include "abi/host_calls.h"
#include "abi/serialize.h"
#include "runtime/host_call_support.h"

namespace interstice::runtime {

using namespace host_support;

namespace {

// The table `id` of the calling module inside a transaction, or a status.
Table* table_for(LoadedModule& m, int32_t id, Status* status) {
  if (m.tx == nullptr) {
    *status = Status::NotInTransaction;
    return nullptr;
  }
  if (id < 0 || static_cast<size_t>(id) >= m.tables.size()) {
    *status = Status::NoSuchTable;
    return nullptr;
  }
  *status = Status::Ok;
  return m.tables[id].get();
}

// call_node and query_node, once their arguments are read: the node the
// alias names, a callback of this module (a query's takes the value too:
// abi::check_schema makes it an optional), the call quota; then the call id,
// or -status.
int64_t queue_remote(LoadedModule& m, RemoteCall call) {
  for (const abi::NodeDef& node : m.schema.nodes)
    if (node.alias == call.alias) call.address = node.address;
  if (call.address.empty()) return negative(Status::NoSuchNode);
  const abi::ReducerDef* callback = m.schema.find_reducer(call.callback);
  if (!callback) return negative(Status::NoSuchReducer);
  if (callback->kind != abi::ReducerKind::Callback || (call.query && callback->params.size() != 4))
    return negative(Status::NotPermitted);
  if (Status quota = m.runtime->check_call_quota(m, *m.tx, call.args.size()); quota != Status::Ok)
    return negative(quota);
  return static_cast<int64_t>(m.tx->queue_remote(std::move(call)));
}

}  // namespace

base::Result<void> define_interstice_host(engine::Linker& linker) {
  using namespace abi::host;
  const char* host = abi::kHostModule;
  std::vector<base::Result<void>> results;
  results.push_back(
      linker.define(host, kLog, [](Caller& c, int32_t level, uint32_t ptr, uint32_t len) {
        LoadedModule& m = module_of(c);
        int32_t clamped = level < 0 ? 0 : level > 4 ? 4 : level;
        m.runtime->log(m, static_cast<abi::LogLevel>(clamped), read_string(c, ptr, len));
      }));
  results.push_back(linker.define(host, kFail, [](Caller& c, uint32_t ptr, uint32_t len) {
    LoadedModule& m = module_of(c);
    m.failure = m.runtime->bounded_text(read_string(c, ptr, len));
  }));
  results.push_back(linker.define(
      host, kInsert, [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int64_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return negative(status);
        HostCallTimer timer(m, "insert", table);
        int64_t assigned = 0;
        std::string problem;
        status = m.tx->insert(m.name, *table, read_bytes(c, ptr, len), &assigned, &problem);
        report(m, problem);
        return status == Status::Ok ? assigned : negative(status);
      }));
  results.push_back(linker.define(
      host, kUpdate, [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return static_cast<int32_t>(status);
        HostCallTimer timer(m, "update", table);
        std::string problem;
        status = m.tx->update(m.name, *table, read_bytes(c, ptr, len), &problem);
        report(m, problem);
        return static_cast<int32_t>(status);
      }));
  results.push_back(linker.define(host, kDelete,
                                  [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int32_t {
                                    LoadedModule& m = module_of(c);
                                    Status status;
                                    Table* table = table_for(m, id, &status);
                                    if (!table) return static_cast<int32_t>(status);
                                    HostCallTimer timer(m, "delete", table);
                                    std::string problem;
                                    Bytes key = read_bytes(c, ptr, len);
                                    status = m.tx->remove(m.name, *table, key, &problem);
                                    report(m, problem);
                                    return static_cast<int32_t>(status);
                                  }));
  results.push_back(
      linker.define(host, kGet, [](Caller& c, int32_t id, uint32_t ptr, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return negative(status);
        HostCallTimer timer(m, "get", table);
        std::string problem;
        Bytes key = read_bytes(c, ptr, len);
        const Bytes* row = table->get(key, &problem);
        report(m, problem);
        if (!row) return negative(problem.empty() ? Status::NotFound : Status::InvalidRow);
        if (!m.tx->visible(*table, *row)) return negative(Status::NotFound);
        m.result = *row;
        return static_cast<int32_t>(row->size());
      }));
  results.push_back(linker.define(host, kCount, [](Caller& c, int32_t id) -> int64_t {
    LoadedModule& m = module_of(c);
    Status status;
    Table* table = table_for(m, id, &status);
    if (!table) return negative(status);
    HostCallTimer timer(m, "count", table);
    if (!m.tx->filter()) return static_cast<int64_t>(table->size());
    int64_t visible = 0;  // through a view: the rows the reader sees (O(rows))
    table->for_each([&](const Bytes& row) { visible += m.tx->visible(*table, row); });
    return visible;
  }));
  results.push_back(linker.define(
      host, kScan,
      [](Caller& c, int32_t id, int32_t index, uint32_t lo_ptr, uint32_t lo_len, uint32_t hi_ptr,
         uint32_t hi_len, int32_t flags) -> int32_t {
        LoadedModule& m = module_of(c);
        Status status;
        Table* table = table_for(m, id, &status);
        if (!table) return negative(status);
        HostCallTimer timer(m, "scan", table);
        Bytes lo, hi;
        if (flags & 1) lo = read_bytes(c, lo_ptr, lo_len);
        if (flags & 2) hi = read_bytes(c, hi_ptr, hi_len);
        Table::Cursor cursor;
        std::string problem;
        status = table->scan(index, (flags & 1) ? std::optional<ByteView>(lo) : std::nullopt,
                             (flags & 2) ? std::optional<ByteView>(hi) : std::nullopt, &cursor,
                             &problem);
        report(m, problem);
        if (status != Status::Ok) return negative(status);
        m.cursors.push_back(cursor);
        return static_cast<int32_t>(m.cursors.size() - 1);
      }));
  results.push_back(linker.define(host, kNext, [](Caller& c, int32_t iter) -> int32_t {
    LoadedModule& m = module_of(c);
    if (iter < 0 || static_cast<size_t>(iter) >= m.cursors.size() || !m.cursors[iter])
      return negative(Status::NoSuchIterator);
    Table::Cursor& cursor = *m.cursors[iter];
    const Bytes* row = cursor.next();
    while (row && m.tx && !m.tx->visible(*cursor.table(), *row)) row = cursor.next();
    if (!row) return -1;
    m.result = *row;
    return static_cast<int32_t>(row->size());
  }));
  results.push_back(linker.define(host, kClose, [](Caller& c, int32_t iter) {
    LoadedModule& m = module_of(c);
    if (iter >= 0 && static_cast<size_t>(iter) < m.cursors.size()) m.cursors[iter].reset();
  }));
  results.push_back(linker.define(host, kRead, [](Caller& c, uint32_t dst) {
    LoadedModule& m = module_of(c);
    auto target = c.memory().bytes(dst, m.result.size());
    if (!target) throw HostError("result_read: destination out of bounds");
    std::copy(m.result.begin(), m.result.end(), target->begin());
  }));
  results.push_back(linker.define(host, kTime, [](Caller& c) -> int64_t {
    LoadedModule& m = module_of(c);
    return m.tx ? m.tx->inputs().timestamp_us : 0;
  }));
  results.push_back(linker.define(host, kRandom, [](Caller& c) -> int64_t {
    LoadedModule& m = module_of(c);
    return m.tx ? static_cast<int64_t>(m.tx->next_random()) : 0;
  }));
  results.push_back(linker.define(host, kCaller, [](Caller& c) -> int32_t {
    LoadedModule& m = module_of(c);
    const std::string caller = m.tx ? m.tx->inputs().caller : std::string();
    m.result.assign(caller.begin(), caller.end());
    return static_cast<int32_t>(m.result.size());
  }));
  results.push_back(
      linker.define(host, kCall,
                    [](Caller& c, uint32_t module_ptr, uint32_t module_len, uint32_t reducer_ptr,
                       uint32_t reducer_len, uint32_t args_ptr, uint32_t args_len) -> int32_t {
                      LoadedModule& m = module_of(c);
                      if (m.tx == nullptr) return static_cast<int32_t>(Status::NotInTransaction);
                      if (m.tx->read_only()) return static_cast<int32_t>(Status::ReadOnly);
                      OutgoingCall call{read_string(c, module_ptr, module_len),
                                        read_string(c, reducer_ptr, reducer_len),
                                        read_bytes(c, args_ptr, args_len)};
                      Status status = m.runtime->check_call_quota(m, *m.tx, call.args.size());
                      if (status == Status::Ok)
                        status = m.runtime->check_call(call.module, call.reducer, call.args);
                      if (status == Status::Ok) m.tx->queue_call(std::move(call));
                      return static_cast<int32_t>(status);
                    }));
  results.push_back(linker.define(
      host, abi::host::kCallNode,
      [](Caller& c, uint32_t alias_ptr, uint32_t alias_len, uint32_t module_ptr,
         uint32_t module_len, uint32_t reducer_ptr, uint32_t reducer_len, uint32_t args_ptr,
         uint32_t args_len, uint32_t callback_ptr, uint32_t callback_len) -> int64_t {
        LoadedModule& m = module_of(c);
        if (m.tx == nullptr) return negative(Status::NotInTransaction);
        if (m.tx->read_only()) return negative(Status::ReadOnly);
        RemoteCall call{
            read_string(c, alias_ptr, alias_len),       "",
            read_string(c, module_ptr, module_len),     read_string(c, reducer_ptr, reducer_len),
            read_bytes(c, args_ptr, args_len),          m.name,
            read_string(c, callback_ptr, callback_len), 0};
        return queue_remote(m, std::move(call));
      }));
  results.push_back(
      linker.define(host, abi::host::kQueryNode,
                    [](Caller& c, uint32_t alias_ptr, uint32_t alias_len, uint32_t module_ptr,
                       uint32_t module_len, uint32_t query_ptr, uint32_t query_len,
                       uint32_t args_ptr, uint32_t args_len, uint32_t callback_ptr,
                       uint32_t callback_len, uint32_t timeout_ms) -> int64_t {
                      LoadedModule& m = module_of(c);
                      if (m.tx == nullptr) return negative(Status::NotInTransaction);
                      if (m.tx->read_only()) return negative(Status::ReadOnly);
                      if (timeout_ms == 0 || timeout_ms > abi::host::kMaxQueryTimeoutMs)
                        return negative(Status::BadArguments);
                      RemoteCall call{read_string(c, alias_ptr, alias_len),
                                      "",
                                      read_string(c, module_ptr, module_len),
                                      read_string(c, query_ptr, query_len),
                                      read_bytes(c, args_ptr, args_len),
                                      m.name,
                                      read_string(c, callback_ptr, callback_len),
                                      0,
                                      true,
                                      m.tx->inputs().timestamp_us + int64_t{timeout_ms} * 1000};
                      return queue_remote(m, std::move(call));
                    }));
  results.push_back(linker.define(
      host, abi::host::kQueryCall,
      [](Caller& c, uint32_t module_ptr, uint32_t module_len, uint32_t query_ptr,
         uint32_t query_len, uint32_t args_ptr, uint32_t args_len) -> int32_t {
        LoadedModule& m = module_of(c);
        if (m.tx == nullptr) return negative(Status::NotInTransaction);
        Bytes value;
        Status status = m.runtime->query_from(m, read_string(c, module_ptr, module_len),
                                              read_string(c, query_ptr, query_len),
                                              read_bytes(c, args_ptr, args_len), &value);
        if (status != Status::Ok) return negative(status);
        m.result = std::move(value);
        return static_cast<int32_t>(m.result.size());
      }));
  results.push_back(
      linker.define(host, abi::host::kQueryReturn, [](Caller& c, uint32_t ptr, uint32_t len) {
        LoadedModule& m = module_of(c);
        m.returned = read_bytes(c, ptr, len);
      }));
  for (auto& r : results)
    if (!r) return r;
  return define_authority_host(linker);
}

}  // namespace interstice::runtime
