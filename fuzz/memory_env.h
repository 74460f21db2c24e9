// An Env in memory, for the storage fuzzers: files are byte vectors keyed by
// path, directories are implied by the files in them. Nothing touches the
// disk, so each input starts from exactly the files it describes.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/env.h"

namespace interstice::fuzz {

class MemoryEnv final : public base::Env {
 public:
  using Path = std::filesystem::path;

  void put(const Path& path, std::vector<uint8_t> data) { files_[path] = std::move(data); }

  base::Result<std::unique_ptr<base::WritableFile>> open_appendable(const Path& path) override {
    files_[path];  // created if missing
    return std::unique_ptr<base::WritableFile>(new File(*this, path));
  }
  base::Result<std::vector<uint8_t>> read_file(const Path& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return base::make_error("no file " + path.string());
    return it->second;
  }
  base::Result<void> truncate(const Path& path, uint64_t size) override {
    auto it = files_.find(path);
    if (it == files_.end()) return base::make_error("no file " + path.string());
    if (size < it->second.size()) it->second.resize(size);
    return {};
  }
  base::Result<void> rename(const Path& from, const Path& to) override {
    auto it = files_.find(from);
    if (it == files_.end()) return base::make_error("no file " + from.string());
    std::vector<uint8_t> data = std::move(it->second);
    files_.erase(it);
    files_[to] = std::move(data);
    return {};
  }
  base::Result<void> remove(const Path& path) override {
    files_.erase(path);
    return {};
  }
  base::Result<void> create_dirs(const Path&) override { return {}; }
  base::Result<void> sync_dir(const Path&) override { return {}; }
  base::Result<std::vector<std::string>> list(const Path& dir) override {
    std::vector<std::string> names;
    for (const auto& [path, data] : files_)
      if (path.parent_path() == dir) names.push_back(path.filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  bool exists(const Path& path) override {
    if (files_.count(path)) return true;
    for (const auto& [p, data] : files_)
      if (p.parent_path() == path) return true;
    return false;
  }

 private:
  class File final : public base::WritableFile {
   public:
    File(MemoryEnv& env, Path path) : env_(env), path_(std::move(path)) {}
    base::Result<void> append(std::span<const uint8_t> data) override {
      auto& file = env_.files_[path_];
      file.insert(file.end(), data.begin(), data.end());
      return {};
    }
    base::Result<void> sync() override { return {}; }
    base::Result<void> close() override { return {}; }
    uint64_t size() const override { return env_.files_[path_].size(); }

   private:
    MemoryEnv& env_;
    Path path_;
  };

  std::map<Path, std::vector<uint8_t>> files_;
};

}  // namespace interstice::fuzz
