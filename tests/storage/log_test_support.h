// Helpers shared by the transaction log tests: a payload that its offset
// determines, and opening a log that must open.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/transaction_log.h"

namespace interstice::storage::testing {

// The payload written at log offset `i`: min_bytes to min_bytes + 49 bytes,
// each a function of `i` and its position.
inline std::vector<uint8_t> log_payload(uint64_t i, size_t min_bytes) {
  std::vector<uint8_t> p(min_bytes + i % 50);
  for (size_t k = 0; k < p.size(); ++k) p[k] = static_cast<uint8_t>(i * 31 + k);
  return p;
}

inline std::unique_ptr<TransactionLog> open_log(Env& env, const std::filesystem::path& dir,
                                                LogOptions options,
                                                std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> ignored;
  auto log = TransactionLog::open(env, dir, options, warnings ? warnings : &ignored);
  EXPECT_TRUE(log.ok()) << log.error().message;
  return log.ok() ? std::move(log).value() : nullptr;
}

}  // namespace interstice::storage::testing
