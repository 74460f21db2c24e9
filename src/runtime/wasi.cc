// The deterministic WASI preview1 subset (see host_functions.h).
#include <set>
#include <string>

#include "runtime/host_functions.h"
#include "runtime/loaded_module.h"
#include "runtime/runtime.h"

namespace interstice::runtime {

using engine::Caller;
using engine::HostError;

namespace {

constexpr const char* kWasi = "wasi_snapshot_preview1";
constexpr int32_t kSuccess = 0;
constexpr int32_t kBadFd = 8;   // EBADF
constexpr int32_t kFault = 21;  // EFAULT
constexpr int32_t kNoSys = 52;  // ENOSYS

// Logs what a module writes to stdout (info) or stderr (warn), one record per
// line, without the trailing newline.
int32_t fd_write(Caller& c, int32_t fd, uint32_t iovs, uint32_t count, uint32_t written_ptr) {
  if (fd != 1 && fd != 2) return kBadFd;
  engine::MemoryView memory = c.memory();
  std::string text;
  for (uint32_t i = 0; i < count; ++i) {
    auto base = memory.load<uint32_t>(uint64_t(iovs) + 8ull * i);
    auto len = memory.load<uint32_t>(uint64_t(iovs) + 8ull * i + 4);
    if (!base || !len) return kFault;
    auto chunk = memory.string(*base, *len);
    if (!chunk) return kFault;
    text += *chunk;
  }
  if (!memory.store<uint32_t>(written_ptr, static_cast<uint32_t>(text.size()))) return kFault;
  LoadedModule& m = module_of(c);
  abi::LogLevel level = fd == 1 ? abi::LogLevel::Info : abi::LogLevel::Warn;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) m.runtime->log(m, level, text.substr(start, end - start));
    start = end + 1;
  }
  return kSuccess;
}

}  // namespace

base::Result<void> define_wasi(engine::Linker& linker, const engine::Module& module) {
  std::vector<base::Result<void>> results;
  results.push_back(linker.define(kWasi, "fd_write", fd_write));
  results.push_back(linker.define(kWasi, "clock_time_get",
                                  [](Caller& c, int32_t, int64_t, uint32_t out) -> int32_t {
                                    LoadedModule& m = module_of(c);
                                    int64_t ns = m.tx ? m.tx->inputs().timestamp_us * 1000 : 0;
                                    return c.memory().store<int64_t>(out, ns) ? kSuccess : kFault;
                                  }));
  results.push_back(
      linker.define(kWasi, "random_get", [](Caller& c, uint32_t buf, uint32_t len) -> int32_t {
        LoadedModule& m = module_of(c);
        auto bytes = c.memory().bytes(buf, len);
        if (!bytes) return kFault;
        uint64_t word = 0;
        for (size_t i = 0; i < bytes->size(); ++i) {
          if (i % 8 == 0) word = m.tx ? m.tx->next_random() : 0;
          (*bytes)[i] = static_cast<uint8_t>(word >> (8 * (i % 8)));
        }
        return kSuccess;
      }));
  for (const char* sizes : {"args_sizes_get", "environ_sizes_get"})
    results.push_back(
        linker.define(kWasi, sizes, [](Caller& c, uint32_t count, uint32_t size) -> int32_t {
          return c.memory().store<uint32_t>(count, 0) && c.memory().store<uint32_t>(size, 0)
                     ? kSuccess
                     : kFault;
        }));
  for (const char* get : {"args_get", "environ_get"})
    results.push_back(
        linker.define(kWasi, get, [](Caller&, uint32_t, uint32_t) -> int32_t { return kSuccess; }));
  results.push_back(linker.define(kWasi, "proc_exit", [](Caller&, int32_t code) {
    throw HostError("the module called proc_exit(" + std::to_string(code) + ")");
  }));
  results.push_back(
      linker.define(kWasi, "sched_yield", [](Caller&) -> int32_t { return kSuccess; }));
  for (auto& r : results)
    if (!r) return r;

  static const std::set<std::string> kDefined = {
      "fd_write", "clock_time_get", "random_get", "args_sizes_get", "environ_sizes_get",
      "args_get", "environ_get",    "proc_exit",  "sched_yield"};
  for (const engine::ImportDesc& import : module.imports()) {
    if (import.module != kWasi || kDefined.count(import.name) ||
        import.kind != engine::ExternKind::Function)
      continue;
    const auto& results_types = import.signature.results;
    std::vector<engine::Value> answer;
    if (results_types.size() == 1 && results_types[0] == engine::ValueType::I32)
      answer.push_back(engine::Value::i32(kNoSys));
    else if (!results_types.empty())
      continue;  // not a WASI preview1 shape: left undefined, so instantiation names it
    if (auto r = linker.define_constant(kWasi, import.name, import.signature, answer); !r) return r;
  }
  return {};
}

}  // namespace interstice::runtime
