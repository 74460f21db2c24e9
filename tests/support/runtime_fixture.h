// Helpers for runtime tests: a Runtime with a fixed clock and seed whose log
// records are kept for inspection, and the example modules from modules/.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "abi/serialize.h"
#include "runtime/runtime.h"

namespace interstice::runtime::testing {

inline std::vector<uint8_t> read_module(const std::string& name) {
  std::ifstream in(std::string(INTERSTICE_MODULE_DIR) + "/" + name + ".wasm", std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

class RuntimeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Runtime> make_runtime(RuntimeOptions options = {}) {
    options.clock = [this] { return now_us_ += 1000; };
    options.seed = 42;
    options.log_sink = [this](const LogRecord& r) { logs_.push_back(r); };
    auto runtime = Runtime::create(std::move(options));
    EXPECT_TRUE(runtime.ok()) << runtime.error().message;
    return std::move(runtime).value();
  }

  void load(Runtime& runtime, const std::string& module) {
    auto r = runtime.load(read_module(module), module + ".wasm");
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // Log messages of one module (and reducer, if given), in order.
  std::vector<std::string> messages(const std::string& module,
                                    const std::string& reducer = "") const {
    std::vector<std::string> out;
    for (const LogRecord& r : logs_)
      if (r.module == module && (reducer.empty() || r.reducer == reducer)) out.push_back(r.message);
    return out;
  }

  // Calls module.reducer(arguments) and returns the info lines it logged.
  template <typename... A>
  std::string logged(Runtime& runtime, const std::string& module, const std::string& reducer,
                     const A&... arguments) {
    size_t before = logs_.size();
    auto r = runtime.call(module, reducer, abi::to_bytes(std::make_tuple(arguments...)));
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::string out;
    for (size_t i = before; i < logs_.size(); ++i)
      if (logs_[i].level == abi::LogLevel::Info)
        out += (out.empty() ? "" : "\n") + logs_[i].message;
    return out;
  }

  template <typename Row>
  std::vector<Row> rows(const Runtime& runtime, const std::string& module,
                        const std::string& table) {
    std::vector<Row> out;
    const Table* t = runtime.table(module, table);
    EXPECT_NE(t, nullptr) << module << "." << table;
    if (t) t->for_each([&](const Bytes& row) { out.push_back(*abi::from_bytes<Row>(row)); });
    return out;
  }

  int64_t now_us_ = 1'700'000'000'000'000;
  std::vector<LogRecord> logs_;
};

// A reducer's arguments, encoded as the tuple of its parameters.
template <typename... Args>
std::vector<uint8_t> args(const Args&... values) {
  return abi::to_bytes(std::make_tuple(values...));
}

}  // namespace interstice::runtime::testing
