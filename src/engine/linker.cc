#include "engine/linker.h"

#include <fmt/format.h>

#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/instrumentation.h"
#include "engine/module.h"
#include "engine/wasmtime_support.h"

namespace interstice::engine {

static_assert(sizeof(RawValue) == sizeof(wasmtime_val_raw_t));
static_assert(alignof(RawValue) == alignof(wasmtime_val_raw_t));

namespace {

wasm_trap_t* host_trap(Caller& caller, std::string message) {
  wasm_trap_t* trap = wasmtime_trap_new(message.data(), message.size());
  caller.instance().record_host_error(std::move(message));
  return trap;
}

// The one C callback behind every host function. Exceptions stop here: they
// become a trap for the module and never unwind through wasm frames.
wasm_trap_t* host_trampoline(void* env, wasmtime_caller_t* raw_caller, wasmtime_val_raw_t* raw,
                             size_t /*slots*/) {
  auto* function = static_cast<HostFunction*>(env);
  Caller caller(raw_caller);
  if (!caller.instance().charge_host_call(wasmtime_caller_context(raw_caller)))
    return host_trap(caller, kOutOfFuelMessage);
  try {
    function->invoke(function->callable.get(), caller, reinterpret_cast<RawValue*>(raw));
    return nullptr;
  } catch (const std::exception& e) {
    return host_trap(caller, e.what());
  } catch (...) {
    return host_trap(caller, "host function threw a non-standard exception");
  }
}

void delete_host_function(void* env) {
  delete static_cast<HostFunction*>(env);
}

struct ConstantResults {
  std::vector<wasmtime_val_t> values;
};

wasm_trap_t* constant_trampoline(void* env, wasmtime_caller_t*, const wasmtime_val_t*, size_t,
                                 wasmtime_val_t* results, size_t count) {
  const auto* constant = static_cast<const ConstantResults*>(env);
  for (size_t i = 0; i < count && i < constant->values.size(); ++i)
    results[i] = constant->values[i];
  return nullptr;
}

void delete_constant(void* env) {
  delete static_cast<ConstantResults*>(env);
}

}  // namespace

Instance& Caller::instance() const {
  return *static_cast<Instance*>(wasmtime_context_get_data(wasmtime_caller_context(caller_)));
}

MemoryView Caller::memory() const {
  return instance().memory();
}

Linker::Linker(std::shared_ptr<Engine> engine)
    : engine_(std::move(engine)), linker_(wasmtime_linker_new(engine_->raw())) {}

Linker::~Linker() {
  wasmtime_linker_delete(linker_);
}

Result<void> Linker::define_function(std::string_view module, std::string_view name,
                                     HostFunction function) {
  wasm_functype_t* type = detail::functype_from(function.signature);
  auto* env = new HostFunction(std::move(function));
  wasmtime_error_t* error = wasmtime_linker_define_func_unchecked(
      linker_, module.data(), module.size(), name.data(), name.size(), type, host_trampoline, env,
      delete_host_function);
  wasm_functype_delete(type);
  if (error) return detail::take_error(error, fmt::format("host function {}.{}", module, name));
  return {};
}

Result<void> Linker::define_constant(std::string_view module, std::string_view name,
                                     const FunctionSignature& signature,
                                     std::vector<Value> results) {
  if (results.size() != signature.results.size())
    return make_error(fmt::format("host function {}.{}: {} results for {}", module, name,
                                  results.size(), signature.to_string()));
  auto* env = new ConstantResults;
  for (const Value& v : results) env->values.push_back(detail::val_from(v));
  wasm_functype_t* type = detail::functype_from(signature);
  wasmtime_error_t* error =
      wasmtime_linker_define_func(linker_, module.data(), module.size(), name.data(), name.size(),
                                  type, constant_trampoline, env, delete_constant);
  wasm_functype_delete(type);
  if (error) return detail::take_error(error, fmt::format("host function {}.{}", module, name));
  return {};
}

Result<void> Linker::define_unknown_imports_as_traps(const Module& module) {
  if (wasmtime_error_t* error =
          wasmtime_linker_define_unknown_imports_as_traps(linker_, module.raw()))
    return detail::take_error(error, fmt::format("module '{}'", module.name()));
  return {};
}

}  // namespace interstice::engine
