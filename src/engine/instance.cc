#include "engine/instance.h"

#include <fmt/format.h>

#include <atomic>
#include <bit>

#include "engine/engine.h"
#include "engine/instrumentation.h"
#include "engine/linker.h"
#include "engine/module.h"
#include "engine/wasmtime_support.h"

namespace interstice::engine {

static_assert(sizeof(FunctionHandle) == sizeof(wasmtime_func_t));

struct Instance::Handles {
  wasmtime_instance_t instance{};
  std::optional<wasmtime_memory_t> memory;
  std::optional<wasmtime_global_t> fuel;  // the injected fuel counter (instrumentation.h)
  int64_t* control = nullptr;             // the injected control word, registered with the engine
};

namespace {

FunctionHandle handle_from(const wasmtime_func_t& func) {
  return std::bit_cast<FunctionHandle>(func);
}

wasmtime_func_t func_from(const FunctionHandle& handle) {
  return std::bit_cast<wasmtime_func_t>(handle);
}

std::optional<wasmtime_extern_t> find_export(wasmtime_context_t* context,
                                             const wasmtime_instance_t& instance,
                                             std::string_view name, wasmtime_extern_kind_t kind) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(context, &instance, name.data(), name.size(), &item))
    return std::nullopt;
  if (item.kind == kind) return item;
  wasmtime_extern_delete(&item);
  return std::nullopt;
}

// A global the module itself exports; the engine's exports are hidden.
std::optional<wasmtime_extern_t> find_module_global(wasmtime_context_t* context,
                                                    const wasmtime_instance_t& instance,
                                                    std::string_view name) {
  if (is_engine_export(name)) return std::nullopt;
  return find_export(context, instance, name, WASMTIME_EXTERN_GLOBAL);
}

bool is_number(ValueType type) {
  return type == ValueType::I32 || type == ValueType::I64 || type == ValueType::F32 ||
         type == ValueType::F64;
}

}  // namespace

Instance::Instance(std::shared_ptr<Engine> engine, std::string module_name, void* user_data)
    : engine_(std::move(engine)),
      module_name_(std::move(module_name)),
      user_data_(user_data),
      handles_(std::make_unique<Handles>()),
      fuel_per_call_(engine_->config().fuel_per_call) {}

Instance::~Instance() {
  if (handles_->control) engine_->unregister_control_word(handles_->control);
  if (store_) wasmtime_store_delete(store_);
}

wasmtime_context_t* Instance::context() const {
  return wasmtime_store_context(store_);
}

Result<std::unique_ptr<Instance>> Instance::create(const Linker& linker, const Module& module,
                                                   InstanceOptions options) {
  std::unique_ptr<Instance> self(
      new Instance(linker.engine().shared_from_this(), module.name(), options.user_data));
  self->store_ = wasmtime_store_new(self->engine_->raw(), self.get(), nullptr);
  const InstanceLimits& l = options.limits;
  const EngineConfig& config = self->engine_->config();
  uint32_t control_memories = config.injected_metering() && config.epoch_interruption ? 1 : 0;
  wasmtime_store_limiter(self->store_, static_cast<int64_t>(l.max_memory_bytes),
                         static_cast<int64_t>(l.max_table_elements), l.max_instances, l.max_tables,
                         l.max_memories + control_memories);

  // The start function runs under the same budget as a call: with wasmtime's
  // fuel inside instantiation, with injected metering as the exported
  // kStartExport right after it.
  self->begin_call();
  wasm_trap_t* trap = nullptr;
  wasmtime_error_t* error = wasmtime_linker_instantiate(linker.raw(), self->context(), module.raw(),
                                                        &self->handles_->instance, &trap);
  self->end_call();
  std::string context = fmt::format("module '{}': instantiation failed", module.name());
  auto start_failure = [&](Error failure) {
    failure.message = fmt::format("{}: {}", context, trap_of(failure)->headline());
    return failure;
  };
  if (trap || (error && self->host_error_)) return start_failure(self->call_failure(error, trap));
  if (error) return detail::take_error(error, context);  // e.g. a missing import or a limit

  if (auto memory = find_export(self->context(), self->handles_->instance, kMemoryExport,
                                WASMTIME_EXTERN_MEMORY))
    self->handles_->memory = memory->of.memory;
  if (auto fuel = find_export(self->context(), self->handles_->instance, kFuelExport,
                              WASMTIME_EXTERN_GLOBAL))
    self->handles_->fuel = fuel->of.global;
  if (auto control = find_export(self->context(), self->handles_->instance, kControlExport,
                                 WASMTIME_EXTERN_MEMORY)) {
    // One page that never grows: the pointer stays valid for the instance's life.
    self->handles_->control =
        reinterpret_cast<int64_t*>(wasmtime_memory_data(self->context(), &control->of.memory));
    self->engine_->register_control_word(self->handles_->control);
  }
  if (auto start = find_export(self->context(), self->handles_->instance, kStartExport,
                               WASMTIME_EXTERN_FUNC)) {
    RawValue unused{};
    Result<void> ran = self->call_raw(handle_from(start->of.func), &unused, 0);
    if (!ran) return start_failure(ran.take_error());
  }
  return self;
}

void Instance::begin_call() {
  host_error_.reset();
  host_out_of_fuel_ = false;
  unsettled_host_calls_ = 0;
  counter_unread_ = false;
  const EngineConfig& config = engine_->config();
  if (handles_->fuel) {
    call_budget_ = std::min<uint64_t>(fuel_per_call_, INT64_MAX);
    wasmtime_val_t budget;
    budget.kind = WASMTIME_I64;
    budget.of.i64 = static_cast<int64_t>(call_budget_);
    wasmtime_error_t* error = wasmtime_global_set(context(), &*handles_->fuel, &budget);
    if (error) wasmtime_error_delete(error);  // cannot happen: the global is a mutable i64
  } else if (config.consume_fuel && config.wasmtime_fuel) {
    wasmtime_context_set_fuel(context(), fuel_per_call_);
  }
  if (handles_->control)
    std::atomic_ref<int64_t>(*handles_->control).store(0, std::memory_order_relaxed);
  else if (config.epoch_interruption)
    wasmtime_context_set_epoch_deadline(context(), 1);
}

int64_t Instance::injected_fuel_left() const {
  wasmtime_val_t left;
  wasmtime_global_get(context(), &*handles_->fuel, &left);
  return left.of.i64;
}

bool Instance::settle_host_calls(wasmtime_context_t* caller_context) {
  const EngineConfig& config = engine_->config();
  uint64_t charge = uint64_t{unsettled_host_calls_} * config.host_call_fuel;
  unsettled_host_calls_ = 0;
  if (!config.consume_fuel || charge == 0) return true;
  if (handles_->fuel) {
    wasmtime_val_t left;
    wasmtime_global_get(caller_context, &*handles_->fuel, &left);
    // Below zero is out of fuel, as the injected checks read it.
    left.of.i64 = left.of.i64 - static_cast<int64_t>(std::min<uint64_t>(charge, INT64_MAX / 2));
    wasmtime_error_t* error = wasmtime_global_set(caller_context, &*handles_->fuel, &left);
    if (error) wasmtime_error_delete(error);  // cannot happen: the global is a mutable i64
    host_out_of_fuel_ = left.of.i64 < 0;
  } else if (config.wasmtime_fuel) {
    uint64_t remaining = 0;
    wasmtime_context_get_fuel(caller_context, &remaining);
    host_out_of_fuel_ = remaining < charge;
    wasmtime_context_set_fuel(caller_context, host_out_of_fuel_ ? 0 : remaining - charge);
  }
  return !host_out_of_fuel_;
}

uint64_t Instance::with_unsettled_host_calls(uint64_t used) const {
  const EngineConfig& config = engine_->config();
  uint64_t budget = handles_->fuel ? call_budget_ : fuel_per_call_;
  if (!config.consume_fuel) return used;
  return std::min(budget, used + uint64_t{unsettled_host_calls_} * config.host_call_fuel);
}

void Instance::end_call() {
  const EngineConfig& config = engine_->config();
  if (handles_->fuel) {
    counter_unread_ = true;
  } else if (config.consume_fuel && config.wasmtime_fuel) {
    uint64_t remaining = 0;
    wasmtime_context_get_fuel(context(), &remaining);
    last_call_fuel_ = with_unsettled_host_calls(fuel_per_call_ - remaining);
  }
}

uint64_t Instance::last_call_fuel() const {
  if (counter_unread_) {
    // Below zero means the call ran out: it used its whole budget.
    last_call_fuel_ = with_unsettled_host_calls(
        call_budget_ - static_cast<uint64_t>(std::max<int64_t>(injected_fuel_left(), 0)));
    counter_unread_ = false;
  }
  return last_call_fuel_;
}

Error Instance::call_failure(wasmtime_error_t* error, wasm_trap_t* trap) {
  Trap result;
  if (trap != nullptr) {
    if (error) wasmtime_error_delete(error);
    result = detail::take_trap(trap);
    // The injected checks trap with `unreachable`, or in loops with an
    // out-of-bounds load from the control memory, when the counter falls
    // below the control word: raised, it is an interruption; otherwise the
    // counter went below zero, which nothing else can make it do (a host
    // call's charge that does traps at once, as host_out_of_fuel_). (A trap of
    // the module's own just as an interrupt arrives is reported as
    // interrupted: interrupts are for shutdown, and decide nothing recorded.)
    bool injected_kind =
        result.kind == TrapKind::Unreachable || result.kind == TrapKind::MemoryOutOfBounds;
    if (injected_kind && handles_->control &&
        std::atomic_ref<int64_t>(*handles_->control).load(std::memory_order_relaxed) != 0) {
      result.kind = TrapKind::Interrupted;
      result.message = "interrupted by the host";
    } else if (injected_kind && handles_->fuel && injected_fuel_left() < 0) {
      result.kind = TrapKind::OutOfFuel;
      result.message = kOutOfFuelMessage;
    }
  } else {
    result.backtrace = detail::take_error_trace(error);
    result.message = detail::take_error(error, "").message;
  }
  if (host_out_of_fuel_) {
    result.kind = TrapKind::OutOfFuel;
    result.message = kOutOfFuelMessage;
    host_error_.reset();
  } else if (host_error_) {
    result.kind = TrapKind::Host;
    result.message = std::move(*host_error_);
    host_error_.reset();
  }
  std::string message = fmt::format("module '{}': {}", module_name_, result.headline());
  return trap_error(std::move(message), std::move(result));
}

Result<FunctionHandle> Instance::find_function(std::string_view name,
                                               FunctionSignature* signature) {
  wasmtime_extern_t item;
  if (is_engine_export(name) || !wasmtime_instance_export_get(context(), &handles_->instance,
                                                              name.data(), name.size(), &item))
    return make_error(fmt::format("module '{}' has no export '{}'", module_name_, name));
  if (item.kind != WASMTIME_EXTERN_FUNC) {
    wasmtime_extern_delete(&item);
    return make_error(
        fmt::format("export '{}' of module '{}' is not a function", name, module_name_));
  }
  if (signature) {
    wasm_functype_t* type = wasmtime_func_type(context(), &item.of.func);
    *signature = detail::signature_from(type);
    wasm_functype_delete(type);
  }
  return handle_from(item.of.func);
}

Result<FunctionSignature> Instance::signature(std::string_view name) {
  FunctionSignature signature;
  Result<FunctionHandle> handle = find_function(name, &signature);
  if (!handle) return handle.take_error();
  return signature;
}

Result<FunctionHandle> Instance::find_typed(std::string_view name,
                                            const FunctionSignature& expected) {
  FunctionSignature actual;
  Result<FunctionHandle> handle = find_function(name, &actual);
  if (!handle) return handle;
  if (actual.params != expected.params || actual.results != expected.results)
    return make_error(fmt::format("export '{}' of module '{}' has type {}, expected {}", name,
                                  module_name_, actual.to_string(), expected.to_string()));
  return handle;
}

Result<void> Instance::call_raw(const FunctionHandle& function, RawValue* raw, size_t slots) {
  wasmtime_func_t func = func_from(function);
  begin_call();
  wasm_trap_t* trap = nullptr;
  wasmtime_error_t* error = wasmtime_func_call_unchecked(
      context(), &func, reinterpret_cast<wasmtime_val_raw_t*>(raw), slots, &trap);
  end_call();
  if (error || trap) return call_failure(error, trap);
  return {};
}

Result<std::vector<Value>> Instance::call(std::string_view name, std::span<const Value> args) {
  FunctionSignature sig;
  Result<FunctionHandle> handle = find_function(name, &sig);
  if (!handle) return handle.take_error();
  if (args.size() != sig.params.size())
    return make_error(fmt::format("'{}' of module '{}' takes {} argument(s) {}, got {}", name,
                                  module_name_, sig.params.size(), sig.to_string(), args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    if (!is_number(sig.params[i]))
      return make_error(
          fmt::format("'{}' of module '{}' takes a {} parameter, which the generic "
                      "call path cannot pass",
                      name, module_name_, to_string(sig.params[i])));
    if (args[i].type() != sig.params[i])
      return make_error(fmt::format("argument {} of '{}' must be {}, got {}", i + 1, name,
                                    to_string(sig.params[i]), to_string(args[i].type())));
  }
  for (ValueType result : sig.results)
    if (!is_number(result))
      return make_error(
          fmt::format("'{}' of module '{}' returns a {}, which the generic call "
                      "path cannot return",
                      name, module_name_, to_string(result)));

  std::vector<wasmtime_val_t> params;
  params.reserve(args.size());
  for (const Value& arg : args) params.push_back(detail::val_from(arg));
  std::vector<wasmtime_val_t> results(sig.results.size());
  wasmtime_func_t func = func_from(*handle);
  begin_call();
  wasm_trap_t* trap = nullptr;
  wasmtime_error_t* error = wasmtime_func_call(context(), &func, params.data(), params.size(),
                                               results.data(), results.size(), &trap);
  end_call();
  if (error || trap) return call_failure(error, trap);
  std::vector<Value> out;
  for (const wasmtime_val_t& val : results) out.push_back(*detail::value_from(val));
  return out;
}

MemoryView Instance::memory() {
  if (!handles_->memory) return {};
  return MemoryView(wasmtime_memory_data(context(), &*handles_->memory),
                    wasmtime_memory_data_size(context(), &*handles_->memory));
}

Result<Value> Instance::global(std::string_view name) {
  std::optional<wasmtime_extern_t> item = find_module_global(context(), handles_->instance, name);
  if (!item)
    return make_error(fmt::format("module '{}' has no exported global '{}'", module_name_, name));
  wasmtime_val_t val;
  wasmtime_global_get(context(), &item->of.global, &val);
  std::optional<Value> value = detail::value_from(val);
  wasmtime_val_unroot(&val);
  if (!value)
    return make_error(
        fmt::format("global '{}' of module '{}' is not a number", name, module_name_));
  return *value;
}

Result<void> Instance::set_global(std::string_view name, const Value& value) {
  std::optional<wasmtime_extern_t> item = find_module_global(context(), handles_->instance, name);
  if (!item)
    return make_error(fmt::format("module '{}' has no exported global '{}'", module_name_, name));
  wasmtime_val_t val = detail::val_from(value);
  if (wasmtime_error_t* error = wasmtime_global_set(context(), &item->of.global, &val))
    return detail::take_error(error, fmt::format("global '{}' of module '{}'", name, module_name_));
  return {};
}

}  // namespace interstice::engine
