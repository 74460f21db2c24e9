#include "engine/wasmtime_support.h"

#include <fmt/format.h>

namespace interstice::engine::detail {

std::string name_from(const wasm_name_t* name) {
  if (name == nullptr || name->size == 0) return {};
  return std::string(name->data, name->size);
}

// wasmtime's messages are anyhow chains: "context\n\nCaused by:\n    cause",
// sometimes with a multi-line wasm backtrace or debug-printed arrays. We keep
// the chain on one line ("context: cause"), with runs of white space folded.
static std::string fold_whitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string tidy_message(std::string_view text) {
  static constexpr std::string_view kCausedBy = "Caused by:";
  std::string out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t next = text.find(kCausedBy, pos);
    std::string part =
        fold_whitespace(text.substr(pos, next == std::string_view::npos ? text.npos : next - pos));
    // Causes listed as "0: ...", "1: ..." under one "Caused by:".
    if (!part.empty()) out += (out.empty() ? "" : ": ") + part;
    if (next == std::string_view::npos) break;
    pos = next + kCausedBy.size();
  }
  return out;
}

static std::string message_of(wasmtime_error_t* error) {
  wasm_name_t message;
  wasmtime_error_message(error, &message);
  std::string text = tidy_message(name_from(&message));
  wasm_byte_vec_delete(&message);
  return text;
}

// A trap's message is the root cause: wasmtime puts the backtrace (which we
// report as frames) in front of it. "wasm trap: " is dropped as redundant.
static std::string trap_message_of(std::string_view text) {
  size_t cause = text.rfind("Caused by:");
  if (cause != std::string_view::npos) text = text.substr(cause + 10);
  std::string out = fold_whitespace(text);
  constexpr std::string_view kPrefix = "wasm trap: ";
  if (out.starts_with(kPrefix)) out.erase(0, kPrefix.size());
  return out;
}

Error take_error(wasmtime_error_t* error, const std::string& context) {
  std::string message = message_of(error);
  wasmtime_error_delete(error);
  return make_error(context.empty() ? message : fmt::format("{}: {}", context, message));
}

static std::vector<Frame> frames_from(const wasm_frame_vec_t& frames) {
  std::vector<Frame> out;
  out.reserve(frames.size);
  for (size_t i = 0; i < frames.size; ++i) {
    const wasm_frame_t* frame = frames.data[i];
    out.push_back(Frame{name_from(wasmtime_frame_module_name(frame)),
                        name_from(wasmtime_frame_func_name(frame)), wasm_frame_func_index(frame),
                        wasm_frame_module_offset(frame)});
  }
  return out;
}

std::vector<Frame> take_error_trace(const wasmtime_error_t* error) {
  wasm_frame_vec_t frames;
  wasmtime_error_wasm_trace(error, &frames);
  std::vector<Frame> out = frames_from(frames);
  wasm_frame_vec_delete(&frames);
  return out;
}

static TrapKind kind_from(wasmtime_trap_code_t code) {
  switch (code) {
    case WASMTIME_TRAP_CODE_OUT_OF_FUEL:
      return TrapKind::OutOfFuel;
    case WASMTIME_TRAP_CODE_INTERRUPT:
      return TrapKind::Interrupted;
    case WASMTIME_TRAP_CODE_UNREACHABLE_CODE_REACHED:
      return TrapKind::Unreachable;
    case WASMTIME_TRAP_CODE_MEMORY_OUT_OF_BOUNDS:
      return TrapKind::MemoryOutOfBounds;
    case WASMTIME_TRAP_CODE_HEAP_MISALIGNED:
      return TrapKind::MemoryOutOfBounds;
    case WASMTIME_TRAP_CODE_STACK_OVERFLOW:
      return TrapKind::StackOverflow;
    case WASMTIME_TRAP_CODE_INTEGER_DIVISION_BY_ZERO:
      return TrapKind::IntegerDivideByZero;
    case WASMTIME_TRAP_CODE_INTEGER_OVERFLOW:
      return TrapKind::IntegerOverflow;
    case WASMTIME_TRAP_CODE_BAD_CONVERSION_TO_INTEGER:
      return TrapKind::BadConversionToInteger;
    case WASMTIME_TRAP_CODE_TABLE_OUT_OF_BOUNDS:
      return TrapKind::TableOutOfBounds;
    case WASMTIME_TRAP_CODE_INDIRECT_CALL_TO_NULL:
      return TrapKind::IndirectCallToNull;
    case WASMTIME_TRAP_CODE_BAD_SIGNATURE:
      return TrapKind::BadSignature;
    default:
      return TrapKind::Other;
  }
}

Trap take_trap(wasm_trap_t* trap) {
  Trap out;
  wasmtime_trap_code_t code;
  out.kind = wasmtime_trap_code(trap, &code) ? kind_from(code) : TrapKind::Other;
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  std::string text = name_from(&message);
  // wasm_message_t is NUL-terminated; drop the terminator.
  if (!text.empty() && text.back() == '\0') text.pop_back();
  out.message = trap_message_of(text);
  wasm_byte_vec_delete(&message);
  wasm_frame_vec_t frames;
  wasm_trap_trace(trap, &frames);
  out.backtrace = frames_from(frames);
  wasm_frame_vec_delete(&frames);
  wasm_trap_delete(trap);
  return out;
}

ValueType value_type_from(const wasm_valtype_t* type) {
  switch (wasm_valtype_kind(type)) {
    case WASM_I32:
      return ValueType::I32;
    case WASM_I64:
      return ValueType::I64;
    case WASM_F32:
      return ValueType::F32;
    case WASM_F64:
      return ValueType::F64;
    case WASMTIME_V128:
      return ValueType::V128;
    case WASM_FUNCREF:
      return ValueType::FuncRef;
    case WASM_EXTERNREF:
      return ValueType::ExternRef;
    default:
      return ValueType::Other;
  }
}

FunctionSignature signature_from(const wasm_functype_t* type) {
  FunctionSignature sig;
  const wasm_valtype_vec_t* params = wasm_functype_params(type);
  for (size_t i = 0; i < params->size; ++i) sig.params.push_back(value_type_from(params->data[i]));
  const wasm_valtype_vec_t* results = wasm_functype_results(type);
  for (size_t i = 0; i < results->size; ++i)
    sig.results.push_back(value_type_from(results->data[i]));
  return sig;
}

static wasm_valtype_t* valtype_from(ValueType type) {
  switch (type) {
    case ValueType::I32:
      return wasm_valtype_new(WASM_I32);
    case ValueType::I64:
      return wasm_valtype_new(WASM_I64);
    case ValueType::F32:
      return wasm_valtype_new(WASM_F32);
    case ValueType::F64:
      return wasm_valtype_new(WASM_F64);
    default:
      return nullptr;
  }
}

static void fill_valtypes(wasm_valtype_vec_t* out, const std::vector<ValueType>& types) {
  wasm_valtype_vec_new_uninitialized(out, types.size());
  for (size_t i = 0; i < types.size(); ++i) out->data[i] = valtype_from(types[i]);
}

wasm_functype_t* functype_from(const FunctionSignature& signature) {
  wasm_valtype_vec_t params, results;
  fill_valtypes(&params, signature.params);
  fill_valtypes(&results, signature.results);
  return wasm_functype_new(&params, &results);
}

std::optional<Value> value_from(const wasmtime_val_t& val) {
  switch (val.kind) {
    case WASMTIME_I32:
      return Value::i32(val.of.i32);
    case WASMTIME_I64:
      return Value::i64(val.of.i64);
    case WASMTIME_F32:
      return Value::f32(val.of.f32);
    case WASMTIME_F64:
      return Value::f64(val.of.f64);
    default:
      return std::nullopt;
  }
}

wasmtime_val_t val_from(const Value& value) {
  wasmtime_val_t val{};
  switch (value.type()) {
    case ValueType::I32:
      val.kind = WASMTIME_I32;
      val.of.i32 = std::get<int32_t>(value.v);
      break;
    case ValueType::I64:
      val.kind = WASMTIME_I64;
      val.of.i64 = std::get<int64_t>(value.v);
      break;
    case ValueType::F32:
      val.kind = WASMTIME_F32;
      val.of.f32 = std::get<float>(value.v);
      break;
    default:
      val.kind = WASMTIME_F64;
      val.of.f64 = std::get<double>(value.v);
      break;
  }
  return val;
}

}  // namespace interstice::engine::detail
