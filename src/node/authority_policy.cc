#include "node/authority_policy.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace interstice::node {

namespace {
constexpr std::pair<const char*, abi::Authority> kAuthorities[] = {{"gpu", abi::Authority::Gpu},
                                                                   {"input", abi::Authority::Input},
                                                                   {"audio", abi::Authority::Audio},
                                                                   {"file", abi::Authority::File}};
}  // namespace

std::vector<abi::Authority> AuthorityPolicy::merged(std::vector<abi::Authority> options,
                                                    const std::vector<abi::Authority>& persisted) {
  for (abi::Authority granted : persisted)
    if (std::find(options.begin(), options.end(), granted) == options.end())
      options.push_back(granted);
  return options;
}

std::vector<AuthorityPolicy::AuthorityInfo> AuthorityPolicy::describe() const {
  std::vector<AuthorityInfo> out;
  const auto& granted = runtime_.grantable();
  for (const auto& [name, authority] : kAuthorities)
    out.push_back({name, std::find(granted.begin(), granted.end(), authority) != granted.end(),
                   runtime_.authority_holder(authority)});
  return out;
}

base::Result<void> AuthorityPolicy::set(const std::string& name, bool granted) {
  const auto* entry = std::find_if(std::begin(kAuthorities), std::end(kAuthorities),
                                   [&](const auto& a) { return name == a.first; });
  if (entry == std::end(kAuthorities))
    return base::make_error(fmt::format("no authority '{}' (gpu, input, audio or file)", name),
                            base::ErrorCode::NotFound);
  if (granted)
    runtime_.grant(entry->second);
  else
    runtime_.revoke(entry->second);
  if (auto r = modules_.save_manifest(); !r) return base::make_error(r.error().message);
  spdlog::info("{} the {} authority", granted ? "granted" : "revoked", name);
  return {};
}

}  // namespace interstice::node
