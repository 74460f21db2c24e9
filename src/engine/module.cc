#include "engine/module.h"

#include "engine/instrumentation.h"
#include "engine/wasmtime_support.h"

namespace interstice::engine {

const char* to_string(ExternKind kind) {
  switch (kind) {
    case ExternKind::Function:
      return "function";
    case ExternKind::Global:
      return "global";
    case ExternKind::Table:
      return "table";
    case ExternKind::Memory:
      return "memory";
    case ExternKind::Tag:
      return "tag";
  }
  return "extern";
}

namespace {

ExternKind kind_from(const wasm_externtype_t* type) {
  switch (wasm_externtype_kind(type)) {
    case WASM_EXTERN_FUNC:
      return ExternKind::Function;
    case WASM_EXTERN_GLOBAL:
      return ExternKind::Global;
    case WASM_EXTERN_TABLE:
      return ExternKind::Table;
    case WASM_EXTERN_MEMORY:
      return ExternKind::Memory;
    default:
      return ExternKind::Tag;
  }
}

FunctionSignature signature_of(const wasm_externtype_t* type) {
  const wasm_functype_t* func = wasm_externtype_as_functype_const(type);
  return func ? detail::signature_from(func) : FunctionSignature{};
}

}  // namespace

Module::Module(std::shared_ptr<Engine> engine, std::shared_ptr<wasmtime_module_t> module,
               std::string name, bool from_cache)
    : engine_(std::move(engine)),
      module_(std::move(module)),
      name_(std::move(name)),
      from_cache_(from_cache) {}

std::vector<ImportDesc> Module::imports() const {
  wasm_importtype_vec_t types;
  wasmtime_module_imports(module_.get(), &types);
  std::vector<ImportDesc> out;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_importtype_t* t = types.data[i];
    const wasm_externtype_t* type = wasm_importtype_type(t);
    out.push_back(ImportDesc{detail::name_from(wasm_importtype_module(t)),
                             detail::name_from(wasm_importtype_name(t)), kind_from(type),
                             signature_of(type)});
  }
  wasm_importtype_vec_delete(&types);
  return out;
}

std::vector<ExportDesc> Module::exports() const {
  wasm_exporttype_vec_t types;
  wasmtime_module_exports(module_.get(), &types);
  std::vector<ExportDesc> out;
  for (size_t i = 0; i < types.size; ++i) {
    const wasm_exporttype_t* t = types.data[i];
    const wasm_externtype_t* type = wasm_exporttype_type(t);
    std::string name = detail::name_from(wasm_exporttype_name(t));
    if (is_engine_export(name)) continue;
    out.push_back(ExportDesc{std::move(name), kind_from(type), signature_of(type)});
  }
  wasm_exporttype_vec_delete(&types);
  return out;
}

}  // namespace interstice::engine
