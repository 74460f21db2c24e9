// An Env for crash tests: it forwards to the real file system and remembers,
// for every file written through it, how many bytes were fsync'd. crash()
// then cuts each such file back to its synced size plus a random part of its
// unsynced bytes, as power loss can leave it (as LevelDB's
// fault_injection_test does); a file's preallocated zeros, once synced,
// survive past that cut.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <random>

#include "base/env.h"

namespace interstice::storage::testing {

using base::Env;
using base::Result;
using base::WritableFile;

class FaultInjectionEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> open_appendable(
      const std::filesystem::path& path) override {
    if (dead()) return gone(path);
    if (refusing_new_files() && !base().exists(path))
      return base::make_error("cannot create " + path.string() + ": no room for a new file");
    auto file = base().open_appendable(path);
    if (!file) return file.take_error();
    std::lock_guard lock(mutex_);
    auto& state = files_[path];
    state.size = (*file)->size();
    if (state.synced > state.size) state.synced = state.size;
    if (!state.known) state.synced = state.size;  // existing bytes count as durable
    state.known = true;
    return std::unique_ptr<WritableFile>(new File(*this, path, std::move(file).value()));
  }
  Result<std::vector<uint8_t>> read_file(const std::filesystem::path& p) override {
    return base().read_file(p);
  }
  Result<void> truncate(const std::filesystem::path& p, uint64_t size) override {
    if (dead()) return gone(p);
    std::lock_guard lock(mutex_);
    auto it = files_.find(p);
    if (it != files_.end()) {
      it->second.size = it->second.synced = size;
      it->second.zeroed = std::min(it->second.zeroed, size);
      it->second.zeroed_synced = std::min(it->second.zeroed_synced, size);
    }
    return base().truncate(p, size);
  }
  // The renamed file keeps what is known of its syncs: renaming a file
  // whose bytes were not synced does not make them durable.
  Result<void> rename(const std::filesystem::path& a, const std::filesystem::path& b) override {
    if (dead()) return gone(a);
    auto r = base().rename(a, b);
    std::lock_guard lock(mutex_);
    if (auto it = files_.find(a); r && it != files_.end()) {
      files_[b] = it->second;
      files_.erase(a);
    }
    return r;
  }
  Result<void> remove(const std::filesystem::path& p) override {
    if (dead()) return gone(p);
    std::lock_guard lock(mutex_);
    files_.erase(p);
    return base().remove(p);
  }
  Result<void> create_dirs(const std::filesystem::path& p) override {
    if (dead()) return gone(p);
    return base().create_dirs(p);
  }
  Result<void> sync_dir(const std::filesystem::path& p) override {
    if (dead()) return gone(p);
    return base().sync_dir(p);
  }
  Result<std::vector<std::string>> list(const std::filesystem::path& d) override {
    return base().list(d);
  }
  bool exists(const std::filesystem::path& p) override { return base().exists(p); }

  // While set, every append writes only the first half of its bytes and
  // fails, and every fsync fails, as on a full or failing disk.
  void fail_writes(bool failing) {
    std::lock_guard lock(mutex_);
    failing_ = failing;
  }

  // While set, opening a file that does not exist yet fails (as when the
  // directory's inodes run out); existing files still take writes.
  void fail_new_files(bool failing) {
    std::lock_guard lock(mutex_);
    refusing_new_files_ = failing;
  }

  // The moment of the crash: later syncs (say, by destructors) no longer count.
  void freeze() {
    std::lock_guard lock(mutex_);
    frozen_ = true;
  }

  // The moment the process dies: from here on nothing reaches the files
  // (every write, sync, rename, removal and creation fails), until crash().
  void kill() {
    std::lock_guard lock(mutex_);
    dead_ = true;
  }

  // Simulates power loss: every file keeps its synced bytes and a random
  // prefix of the rest. Open files must be closed (destroyed) first.
  void crash(uint32_t seed) {
    std::mt19937 random(seed);
    std::lock_guard lock(mutex_);
    frozen_ = false;
    dead_ = false;
    for (auto& [path, state] : files_) {
      uint64_t unsynced = state.size - state.synced;
      uint64_t keep = state.synced + (unsynced ? random() % (unsynced + 1) : 0);
      (void)base().truncate(path, keep);
      if (state.zeroed_synced > keep) (void)base().truncate(path, state.zeroed_synced);
      state.size = state.synced = keep;
      state.zeroed = state.zeroed_synced = 0;
    }
  }

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    uint64_t zeroed = 0;         // the file's preallocated end
    uint64_t zeroed_synced = 0;  // ... as of its last sync
    bool known = false;
  };

  class File final : public WritableFile {
   public:
    File(FaultInjectionEnv& env, std::filesystem::path path, std::unique_ptr<WritableFile> inner)
        : env_(env), path_(std::move(path)), inner_(std::move(inner)) {}
    Result<void> append(std::span<const uint8_t> data) override {
      if (env_.dead()) return env_.gone(path_);
      if (env_.failing()) {
        (void)inner_->append(data.first(data.size() / 2));
        std::lock_guard lock(env_.mutex_);
        env_.files_[path_].size = inner_->size();
        return base::make_error("cannot write " + path_.string() + ": injected fault");
      }
      auto r = inner_->append(data);
      std::lock_guard lock(env_.mutex_);
      env_.files_[path_].size = inner_->size();
      return r;
    }
    Result<void> sync() override {
      if (env_.dead()) return env_.gone(path_);
      if (env_.failing())
        return base::make_error("cannot sync " + path_.string() + ": injected fault");
      auto r = inner_->sync();
      std::lock_guard lock(env_.mutex_);
      if (r && !env_.frozen_) {
        FileState& state = env_.files_[path_];
        state.synced = inner_->size();
        state.zeroed_synced = state.zeroed;
      }
      return r;
    }
    Result<void> preallocate(uint64_t end) override {
      if (env_.dead()) return env_.gone(path_);
      if (env_.failing())
        return base::make_error("cannot preallocate " + path_.string() + ": injected fault");
      auto r = inner_->preallocate(end);
      std::lock_guard lock(env_.mutex_);
      if (r) env_.files_[path_].zeroed = std::max(env_.files_[path_].zeroed, end);
      return r;
    }
    Result<void> close() override { return inner_->close(); }
    uint64_t size() const override { return inner_->size(); }

   private:
    FaultInjectionEnv& env_;
    std::filesystem::path path_;
    std::unique_ptr<WritableFile> inner_;
  };

  static Env& base() { return Env::posix(); }
  bool dead() {
    std::lock_guard lock(mutex_);
    return dead_;
  }
  static base::Error gone(const std::filesystem::path& path) {
    return base::make_error("cannot touch " + path.string() + ": the process is gone (killed)");
  }
  bool refusing_new_files() {
    std::lock_guard lock(mutex_);
    return refusing_new_files_;
  }
  bool failing() {
    std::lock_guard lock(mutex_);
    return failing_;
  }

  std::mutex mutex_;
  std::map<std::filesystem::path, FileState> files_;
  bool frozen_ = false;
  bool failing_ = false;
  bool refusing_new_files_ = false;
  bool dead_ = false;
};

}  // namespace interstice::storage::testing
