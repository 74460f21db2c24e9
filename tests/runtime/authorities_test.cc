// Authorities: the File sandbox through real modules (file_user holds File,
// intruder does not), escapes refused, and grant / revoke between
// transactions.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "authority/file_sandbox.h"
#include "authority/sdl_audio.h"
#include "support/runtime_fixture.h"
#include "support/temp_dir.h"

namespace interstice::runtime {
namespace {

using testing::args;

class AuthoritiesTest : public testing::RuntimeTest {
 protected:
  std::unique_ptr<Runtime> runtime_with_files(
      uint64_t quota = authority::FileSandbox::kDefaultQuota) {
    RuntimeOptions options;
    options.grantable = {abi::Authority::File};
    options.files = std::make_shared<authority::FileSandbox>(root_.path(), quota);
    return make_runtime(options);
  }
  interstice::testing::TempDir root_;
};

TEST_F(AuthoritiesTest, ReadWriteListAndDeleteInsideTheModulesDirectory) {
  auto rt = runtime_with_files();
  load(*rt, "file_user");
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("notes/a.txt"), std::string("hello")),
            "write notes/a.txt: ok");
  std::ifstream on_disk(root_.path() / "file_user" / "notes" / "a.txt");
  std::string text((std::istreambuf_iterator<char>(on_disk)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hello");
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("notes/b.txt"), std::string("two")),
            "write notes/b.txt: ok");
  EXPECT_EQ(logged(*rt, "file_user", "load", std::string("notes/a.txt")),
            "read notes/a.txt: hello");
  EXPECT_EQ(logged(*rt, "file_user", "list", std::string("notes")), "list notes: [a.txt,b.txt]");
  EXPECT_EQ(logged(*rt, "file_user", "list", std::string("")), "list : [notes]");
  EXPECT_EQ(logged(*rt, "file_user", "erase", std::string("notes/a.txt")),
            "delete notes/a.txt: ok");
  EXPECT_EQ(logged(*rt, "file_user", "load", std::string("notes/a.txt")),
            "read notes/a.txt: status 1");  // NotFound
}

// A module's directory has a quota: a write that would exceed it is
// QuotaExceeded (22) and changes nothing; replacing a file counts its new
// size only, and deleting makes room.
TEST_F(AuthoritiesTest, TheModulesFilesHaveAQuota) {
  auto rt = runtime_with_files(100);
  load(*rt, "file_user");
  std::string sixty(60, 'x');
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("a"), sixty), "write a: ok");
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("b"), sixty), "write b: status 22");
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "file_user" / "b"));
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("a"), std::string(90, 'y')),
            "write a: ok");
  EXPECT_EQ(logged(*rt, "file_user", "erase", std::string("a")), "delete a: ok");
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("b"), sixty), "write b: ok");
  EXPECT_NE(messages("file_user", "save")[1].find("past its quota of 100"), std::string::npos)
      << messages("file_user", "save")[1];
}

TEST_F(AuthoritiesTest, EscapesAreRefused) {
  auto rt = runtime_with_files();
  load(*rt, "file_user");
  interstice::testing::TempDir outside;
  std::ofstream(outside.path() / "secret") << "keep out";
  std::filesystem::create_directories(root_.path() / "file_user");
  ::symlink(outside.path().c_str(), (root_.path() / "file_user" / "door").c_str());
  ::symlink((outside.path() / "secret").c_str(),
            (root_.path() / "file_user" / "secret_link").c_str());
  for (std::string path : {"../x", "/etc/passwd", "a/../../x", "./x", "a//b", ""})
    EXPECT_EQ(logged(*rt, "file_user", "save", path, std::string("x")),
              "write " + path + ": status 15")  // PathRefused
        << path;
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("door/x"), std::string("x")),
            "write door/x: status 15");
  EXPECT_EQ(logged(*rt, "file_user", "load", std::string("secret_link")),
            "read secret_link: status 15");
  EXPECT_EQ(logged(*rt, "file_user", "load", std::string("door/secret")),
            "read door/secret: status 15");
  EXPECT_EQ(logged(*rt, "file_user", "list", std::string("door")), "list door: status 15");
  EXPECT_EQ(logged(*rt, "file_user", "erase", std::string("door/secret")),
            "delete door/secret: status 15");
  EXPECT_FALSE(std::filesystem::exists(outside.path() / "x"));
  EXPECT_TRUE(std::filesystem::exists(outside.path() / "secret"));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "x"));
}

TEST_F(AuthoritiesTest, OnlyTheHolderMayCallAndRevocationTakesItAway) {
  auto rt = runtime_with_files();
  load(*rt, "file_user");
  load(*rt, "intruder");
  EXPECT_EQ(logged(*rt, "intruder", "peek", std::string("x")),
            "status 13\nwrite: status 13");  // NotPermitted
  EXPECT_EQ(logged(*rt, "intruder", "draw"), "shader: -13\nbegin_frame: status 13");
  rt->revoke(abi::Authority::File);
  EXPECT_EQ(rt->authority_holder(abi::Authority::File), "");
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("a"), std::string("x")),
            "write a: status 13");
  rt->grant(abi::Authority::File);
  EXPECT_EQ(rt->authority_holder(abi::Authority::File), "file_user");
  EXPECT_EQ(logged(*rt, "file_user", "save", std::string("a"), std::string("x")), "write a: ok");
}

TEST_F(AuthoritiesTest, ASecondGpuRequesterIsRefusedAtLoad) {
  RuntimeOptions options;
  options.grantable = {abi::Authority::Gpu, abi::Authority::Input};
  auto rt = make_runtime(options);
  load(*rt, "graphics");
  auto second = rt->load(testing::read_module("gpu_bench"), "gpu_bench.wasm");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message,
            "module 'gpu_bench' requests the Gpu authority, which module 'graphics' holds");
}

TEST_F(AuthoritiesTest, ASecondRequesterCanWaitForTheHolderToGo) {
  RuntimeOptions options;
  options.grantable = {abi::Authority::Gpu, abi::Authority::Input};
  options.wait_for_authorities = true;
  auto rt = make_runtime(options);
  load(*rt, "graphics");
  load(*rt, "gpu_bench");
  EXPECT_EQ(rt->authority_holder(abi::Authority::Gpu), "graphics");
  EXPECT_EQ(messages("gpu_bench").front(),
            "waits for the Gpu authority, which module 'graphics' holds");
  ASSERT_TRUE(rt->unload("graphics").ok());
  EXPECT_EQ(rt->authority_holder(abi::Authority::Gpu), "gpu_bench");
  EXPECT_EQ(messages("gpu_bench").back(), "granted the Gpu authority");
}

TEST_F(AuthoritiesTest, WithoutABackEndTheCallsAreUnavailable) {
  RuntimeOptions options;
  options.grantable = {abi::Authority::File};
  auto rt = make_runtime(options);
  load(*rt, "file_user");
  EXPECT_EQ(logged(*rt, "file_user", "load", std::string("a")), "read a: status 14");
}

}  // namespace
}  // namespace interstice::runtime

namespace interstice::runtime {
namespace {

// SDL's disk audio driver writes what a module plays into a file, so the
// samples can be checked; a missing driver is reported as Unavailable.
class AudioAuthorityTest : public testing::RuntimeTest {
 protected:
  std::unique_ptr<Runtime> runtime_with(std::shared_ptr<authority::SdlAudio> audio) {
    RuntimeOptions options;
    options.grantable = {abi::Authority::Audio};
    options.audio = std::move(audio);
    auto rt = make_runtime(options);
    load(*rt, "tone");
    return rt;
  }
  std::vector<std::string> played(Runtime& rt, uint32_t count) {
    size_t before = logs_.size();
    EXPECT_TRUE(rt.call("tone", "play", args(count)).ok());
    std::vector<std::string> out;
    for (size_t i = before; i < logs_.size(); ++i)
      if (logs_[i].level == abi::LogLevel::Info) out.push_back(logs_[i].message);
    return out;
  }
  interstice::testing::TempDir dir_;
};

TEST_F(AudioAuthorityTest, TheDiskDriverReceivesTheSamplesInOrder) {
  std::string file = (dir_.path() / "audio.raw").string();
  ::setenv("SDL_AUDIODRIVER", "disk", 1);
  ::setenv("SDL_DISKAUDIOFILE", file.c_str(), 1);
  ::setenv("SDL_DISKAUDIODELAY", "0", 1);
  auto audio = std::make_shared<authority::SdlAudio>();
  auto rt = runtime_with(audio);
  EXPECT_EQ(played(*rt, 4000), (std::vector<std::string>{"push: status 0", "close: status 0"}));
  audio->drain();
  ::unsetenv("SDL_AUDIODRIVER");
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> samples(bytes.size() / 4);
  std::memcpy(samples.data(), bytes.data(), samples.size() * 4);
  // The stream may start with silence; then comes the ramp, exactly.
  auto first = std::find(samples.begin(), samples.end(), 1.0f / 4000);
  ASSERT_NE(first, samples.end()) << samples.size() << " samples written";
  ASSERT_GE(samples.end() - first, 3999);
  for (uint32_t i = 1; i < 4000; ++i)
    ASSERT_EQ(first[i - 1], static_cast<float>(i) / 4000) << "sample " << i;
}

// SDL's disk driver captures from SDL_DISKAUDIOFILEIN: a module reads the
// samples back in order, chunk by chunk, as rows of its table.
TEST_F(AudioAuthorityTest, CaptureReadsTheInputInOrder) {
  std::string in_file = (dir_.path() / "in.raw").string();
  {
    std::vector<float> ramp(4000);
    for (uint32_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i + 1) / 4000;
    std::ofstream out(in_file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(ramp.data()),
              static_cast<std::streamsize>(ramp.size() * 4));
  }
  ::setenv("SDL_AUDIODRIVER", "disk", 1);
  ::setenv("SDL_DISKAUDIOFILEIN", in_file.c_str(), 1);
  ::setenv("SDL_DISKAUDIOFILE", (dir_.path() / "out.raw").c_str(), 1);
  // 20 ms per buffer of 1024 samples: the silence after the file stays far
  // below the 10 s the capture buffer keeps, so nothing is dropped.
  ::setenv("SDL_DISKAUDIODELAY", "20", 1);
  auto rt = runtime_with(std::make_shared<authority::SdlAudio>());
  EXPECT_EQ(logged(*rt, "tone", "keep", 100u), "capture read: status 1");  // not open
  EXPECT_EQ(logged(*rt, "tone", "listen"), "capture open: status 0");
  EXPECT_EQ(logged(*rt, "tone", "listen"), "capture open: status 16");  // already open
  std::vector<float> heard;
  for (int i = 0; i < 400 && heard.size() < 4000; ++i) {
    (void)logged(*rt, "tone", "keep", 700u);
    // The rows in id order (the table's own order is its business).
    std::map<uint64_t, std::vector<float>> chunks;
    for (const Runtime::TableImage& t : rt->export_tables())
      if (t.table == "heard")
        for (const Bytes& row : t.rows) {
          auto decoded = abi::from_bytes<std::tuple<uint64_t, std::vector<float>>>(row);
          ASSERT_TRUE(decoded);
          EXPECT_LE(std::get<1>(*decoded).size(), 700u);
          chunks[std::get<0>(*decoded)] = std::get<1>(*decoded);
        }
    heard.clear();
    for (const auto& [id, chunk] : chunks) heard.insert(heard.end(), chunk.begin(), chunk.end());
    ::usleep(5'000);
  }
  EXPECT_EQ(logged(*rt, "tone", "stop_listening"), "capture close: status 0");
  ::unsetenv("SDL_AUDIODRIVER");
  ::unsetenv("SDL_DISKAUDIOFILEIN");
  ASSERT_GE(heard.size(), 4000u);
  for (uint32_t i = 0; i < 4000; ++i)
    ASSERT_EQ(heard[i], static_cast<float>(i + 1) / 4000) << "sample " << i;
  // After the file, the driver captures silence.
  for (size_t i = 4000; i < heard.size(); ++i) ASSERT_EQ(heard[i], 0.0f) << "sample " << i;
}

TEST_F(AudioAuthorityTest, NoAudioDeviceIsReportedAsUnavailable) {
  ::setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
  auto rt = runtime_with(std::make_shared<authority::SdlAudio>());
  EXPECT_EQ(played(*rt, 10), (std::vector<std::string>{"open: status 14"}));
  EXPECT_EQ(messages("tone", "play").front(),
            "audio: no audio driver: Audio target 'no-such-driver' not available");
  ::unsetenv("SDL_AUDIODRIVER");
}

}  // namespace
}  // namespace interstice::runtime
