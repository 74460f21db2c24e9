// AuthorityPolicy: the operator's grant policy of the authorities (gpu,
// input, audio, file; docs/cli.md, "authority"). A granted authority may be
// claimed by one module at a time (the runtime enforces that); the policy
// persists in the manifest, so a restart keeps it.
//
// Threading: set inside an exclusive section (between transactions);
// describe inside a shared one.
#pragma once

#include <string>
#include <vector>

#include "abi/schema.h"
#include "base/result.h"
#include "node/module_manager.h"
#include "runtime/runtime.h"

namespace interstice::node {

class AuthorityPolicy {
 public:
  AuthorityPolicy(runtime::Runtime& runtime, ModuleManager& modules)
      : runtime_(runtime), modules_(modules) {}

  // The policy at start: the options' grants and those the manifest kept.
  static std::vector<abi::Authority> merged(std::vector<abi::Authority> options,
                                            const std::vector<abi::Authority>& persisted);

  struct AuthorityInfo {
    std::string name;
    bool granted = false;
    std::string holder;  // the module holding it, or empty
  };
  std::vector<AuthorityInfo> describe() const;
  // Grants or revokes by name (NotFound for another name), and records it.
  base::Result<void> set(const std::string& name, bool granted);

 private:
  runtime::Runtime& runtime_;
  ModuleManager& modules_;
};

}  // namespace interstice::node
