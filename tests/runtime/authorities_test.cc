// Authorities: the File sandbox through real modules (file_user holds File,
// intruder does not), escapes refused, and grant / revoke between
// transactions.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "authority/file_sandbox.h"
#include "support/runtime_fixture.h"
#include "support/temp_dir.h"

namespace interstice::runtime {
namespace {

using testing::args;

class FileAuthorityTest : public testing::RuntimeTest {
 protected:
  std::unique_ptr<Runtime> runtime_with_files() {
    RuntimeOptions options;
    options.grantable = {abi::Authority::File};
    options.files = std::make_shared<authority::FileSandbox>(root_.path());
    return make_runtime(options);
  }
  // Calls file_user.reducer(arguments) and returns what it logged.
  template <typename... A>
  std::string run(Runtime& rt, const std::string& module, const std::string& reducer,
                  const A&... arguments) {
    size_t before = logs_.size();
    auto r = rt.call(module, reducer, args(arguments...));
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::string out;
    for (size_t i = before; i < logs_.size(); ++i)
      if (logs_[i].level == abi::LogLevel::Info)
        out += (out.empty() ? "" : "\n") + logs_[i].message;
    return out;
  }

  interstice::testing::TempDir root_;
};

TEST_F(FileAuthorityTest, ReadWriteListAndDeleteInsideTheModulesDirectory) {
  auto rt = runtime_with_files();
  load(*rt, "file_user");
  EXPECT_EQ(run(*rt, "file_user", "save", std::string("notes/a.txt"), std::string("hello")),
            "write notes/a.txt: ok");
  std::ifstream on_disk(root_.path() / "file_user" / "notes" / "a.txt");
  std::string text((std::istreambuf_iterator<char>(on_disk)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hello");
  EXPECT_EQ(run(*rt, "file_user", "save", std::string("notes/b.txt"), std::string("two")),
            "write notes/b.txt: ok");
  EXPECT_EQ(run(*rt, "file_user", "load", std::string("notes/a.txt")), "read notes/a.txt: hello");
  EXPECT_EQ(run(*rt, "file_user", "list", std::string("notes")), "list notes: [a.txt,b.txt]");
  EXPECT_EQ(run(*rt, "file_user", "list", std::string("")), "list : [notes]");
  EXPECT_EQ(run(*rt, "file_user", "erase", std::string("notes/a.txt")), "delete notes/a.txt: ok");
  EXPECT_EQ(run(*rt, "file_user", "load", std::string("notes/a.txt")),
            "read notes/a.txt: status 1");  // NotFound
}

TEST_F(FileAuthorityTest, EscapesAreRefused) {
  auto rt = runtime_with_files();
  load(*rt, "file_user");
  interstice::testing::TempDir outside;
  std::ofstream(outside.path() / "secret") << "keep out";
  std::filesystem::create_directories(root_.path() / "file_user");
  ::symlink(outside.path().c_str(), (root_.path() / "file_user" / "door").c_str());
  ::symlink((outside.path() / "secret").c_str(),
            (root_.path() / "file_user" / "secret_link").c_str());
  for (std::string path : {"../x", "/etc/passwd", "a/../../x", "./x", "a//b", ""})
    EXPECT_EQ(run(*rt, "file_user", "save", path, std::string("x")),
              "write " + path + ": status 15")  // PathRefused
        << path;
  EXPECT_EQ(run(*rt, "file_user", "save", std::string("door/x"), std::string("x")),
            "write door/x: status 15");
  EXPECT_EQ(run(*rt, "file_user", "load", std::string("secret_link")),
            "read secret_link: status 15");
  EXPECT_EQ(run(*rt, "file_user", "load", std::string("door/secret")),
            "read door/secret: status 15");
  EXPECT_EQ(run(*rt, "file_user", "list", std::string("door")), "list door: status 15");
  EXPECT_EQ(run(*rt, "file_user", "erase", std::string("door/secret")),
            "delete door/secret: status 15");
  EXPECT_FALSE(std::filesystem::exists(outside.path() / "x"));
  EXPECT_TRUE(std::filesystem::exists(outside.path() / "secret"));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "x"));
}

TEST_F(FileAuthorityTest, OnlyTheHolderMayCallAndRevocationTakesItAway) {
  auto rt = runtime_with_files();
  load(*rt, "file_user");
  load(*rt, "intruder");
  EXPECT_EQ(run(*rt, "intruder", "peek", std::string("x")),
            "status 13\nwrite: status 13");  // NotPermitted
  EXPECT_EQ(run(*rt, "intruder", "draw"), "shader: -13\nbegin_frame: status 13");
  rt->revoke(abi::Authority::File);
  EXPECT_EQ(rt->authority_holder(abi::Authority::File), "");
  EXPECT_EQ(run(*rt, "file_user", "save", std::string("a"), std::string("x")),
            "write a: status 13");
  rt->grant(abi::Authority::File);
  EXPECT_EQ(rt->authority_holder(abi::Authority::File), "file_user");
  EXPECT_EQ(run(*rt, "file_user", "save", std::string("a"), std::string("x")), "write a: ok");
}

TEST_F(FileAuthorityTest, WithoutABackEndTheCallsAreUnavailable) {
  RuntimeOptions options;
  options.grantable = {abi::Authority::File};
  auto rt = make_runtime(options);
  load(*rt, "file_user");
  EXPECT_EQ(run(*rt, "file_user", "load", std::string("a")), "read a: status 14");
}

}  // namespace
}  // namespace interstice::runtime
