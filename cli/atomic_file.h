#pragma once
// Writing a file whole or not at all: through a temporary file next to it, fsync and a rename. The one writer of
// reports and fixture files; and the one reader of the JSON documents the commands take (reports, baselines).

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>

namespace losscheck::cli {

/// Why `path` cannot be written by write_file_atomically (checked by creating and removing its temporary file:
/// a missing directory, no permission, a read-only file system), or "" when it can. For checking report paths
/// before a long run rather than after it.
inline std::string unwritable(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "is a directory";
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
      return fmt::format("cannot write: the directory {} does not exist", parent.string());
    return fmt::format("cannot write: {}", std::strerror(errno));
  }
  ::close(fd);
  std::remove(tmp.c_str());
  return "";
}

/// Writes `text` to `path` through `path.tmp.<pid>`, flushed to disk (fsync) before a rename replaces `path`, so that
/// a reader never sees half a file and a crash, even just after the rename, never leaves an empty one. The directory
/// is synced after the rename where it can be opened. Throws std::runtime_error naming the file and the reason (the
/// temporary file is removed).
inline void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot write: {}", tmp, std::strerror(errno)));
  auto fail = [&](const char* what) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: {}: {}", tmp, what, why));
  };
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write failed");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: write failed: {}", tmp, why));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot rename {} to it: {}", path, tmp, why));
  }
  // the rename itself on disk: best effort (a directory that cannot be opened read-only is not an error)
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::filesystem::path dir = parent.empty() ? std::filesystem::path(".") : parent;
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

/// A JSON file's document. Throws std::invalid_argument naming the file: unreadable ("cannot read: …") or not JSON.
inline nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return nlohmann::json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON: {}", path, e.what()));
  }
}

}  // namespace losscheck::cli
