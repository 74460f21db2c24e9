#include "engine/trap.h"

#include <fmt/format.h>

namespace interstice::engine {

const char* to_string(TrapKind kind) {
  switch (kind) {
    case TrapKind::OutOfFuel:
      return "out of fuel";
    case TrapKind::Interrupted:
      return "interrupted";
    case TrapKind::Unreachable:
      return "unreachable";
    case TrapKind::MemoryOutOfBounds:
      return "memory out of bounds";
    case TrapKind::StackOverflow:
      return "stack overflow";
    case TrapKind::IntegerDivideByZero:
      return "integer divide by zero";
    case TrapKind::IntegerOverflow:
      return "integer overflow";
    case TrapKind::BadConversionToInteger:
      return "bad conversion to integer";
    case TrapKind::TableOutOfBounds:
      return "table out of bounds";
    case TrapKind::IndirectCallToNull:
      return "indirect call to null";
    case TrapKind::BadSignature:
      return "bad signature";
    case TrapKind::Host:
      return "host error";
    case TrapKind::Other:
      return "trap";
  }
  return "trap";
}

std::string Trap::headline() const {
  if (message.empty() || message == to_string(kind)) return to_string(kind);
  return fmt::format("{}: {}", to_string(kind), message);
}

std::string Trap::describe() const {
  std::string text = headline();
  for (size_t i = 0; i < backtrace.size(); ++i) {
    const Frame& f = backtrace[i];
    std::string name =
        f.function_name.empty() ? fmt::format("<func {}>", f.function_index) : f.function_name;
    std::string module = f.module_name.empty() ? "" : f.module_name + "!";
    text += fmt::format("\n  {:>2}: {}{} (func {}, offset {:#x})", i, module, name,
                        f.function_index, f.module_offset);
  }
  return text;
}

}  // namespace interstice::engine
