#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/error.hpp"
#include "io/file_descriptor.hpp"

namespace b2m::io {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& partial, int error) {
  std::remove(partial.c_str());
  throw Error(what + ": " + std::strerror(error));
}

}  // namespace

void stage_file(const std::string& path, std::initializer_list<std::string_view> pieces) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code made;
  if (!parent.empty()) std::filesystem::create_directories(parent, made);
  if (made) throw Error("cannot create the directory of " + path + ": " + made.message());
  const std::string partial = staged_path(path);
  Descriptor fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw Error("cannot write " + partial + ": " + std::strerror(errno));
  for (std::string_view piece : pieces) {
    while (!piece.empty()) {
      const ssize_t wrote = ::write(fd.get(), piece.data(), piece.size());
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote < 0) fail("writing " + partial + " failed", partial, errno);
      piece.remove_prefix(static_cast<std::size_t>(wrote));
    }
  }
  if (::fsync(fd.get()) != 0) fail("writing " + partial + " failed", partial, errno);
  if (!fd.close()) fail("closing " + partial + " failed", partial, errno);
}

std::string staged_path(const std::string& path) {
  return path + ".partial";
}

void promote_file(const std::string& path) {
  const std::string partial = staged_path(path);
  if (std::rename(partial.c_str(), path.c_str()) != 0)
    fail("cannot rename " + partial + " to " + path, partial, errno);
}

void write_file_atomically(const std::string& path,
                           std::initializer_list<std::string_view> pieces) {
  stage_file(path, pieces);
  promote_file(path);
}

}  // namespace b2m::io
