#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/error.hpp"

namespace b2m::testing {

TempDir::TempDir(const mpi::Comm& comm) : comm_(&comm) {
  if (comm.is_root()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "b2m-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw Error("cannot create a temporary directory");
    path_ = pattern;
  }
  comm.bcast(path_, 0);
}

TempDir::~TempDir() noexcept {
  try {
    comm_->barrier();
    if (comm_->is_root()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  } catch (...) {
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string source_dir() {
  return B2M_SOURCE_DIR;
}

}  // namespace b2m::testing
