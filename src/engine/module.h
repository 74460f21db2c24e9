// Module: a compiled WebAssembly module. Cheap to copy (shared); it keeps its
// engine alive. Instantiate it with a Linker (see instance.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/value.h"

typedef struct wasmtime_module wasmtime_module_t;

namespace interstice::engine {

class Engine;

enum class ExternKind { Function, Global, Table, Memory, Tag };

const char* to_string(ExternKind kind);

struct ImportDesc {
  std::string module;
  std::string name;
  ExternKind kind;
  FunctionSignature signature;  // for functions
};

struct ExportDesc {
  std::string name;
  ExternKind kind;
  FunctionSignature signature;  // for functions
};

class Module {
 public:
  Module(std::shared_ptr<Engine> engine, std::shared_ptr<wasmtime_module_t> module,
         std::string name, bool from_cache);

  const std::string& name() const { return name_; }
  // True when the compiled code came from the on-disk cache.
  bool from_cache() const { return from_cache_; }
  std::vector<ImportDesc> imports() const;
  std::vector<ExportDesc> exports() const;

  Engine& engine() const { return *engine_; }
  wasmtime_module_t* raw() const { return module_.get(); }

 private:
  std::shared_ptr<Engine> engine_;
  std::shared_ptr<wasmtime_module_t> module_;
  std::string name_;
  bool from_cache_;
};

}  // namespace interstice::engine
