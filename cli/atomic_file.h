#pragma once
// Writing a report file whole or not at all: through a temporary file next to it and a rename.

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace losscheck::cli {

/// Writes `text` to `path` through `path.tmp.<pid>` and a rename, so that a reader never sees half a file. Throws
/// std::runtime_error naming the file and the reason (the temporary file is removed).
inline void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write: {}", tmp, std::strerror(errno)));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      const std::string why = std::strerror(errno);
      out.close();
      std::remove(tmp.c_str());
      throw std::runtime_error(fmt::format("{}: write failed: {}", tmp, why));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot rename {} to it: {}", path, tmp, why));
  }
}

}  // namespace losscheck::cli
