#include "io/output_file.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <algorithm>
#include <array>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "io/checksum.hpp"
#include "io/h5_error.hpp"
#include "mpi/agree.hpp"

namespace b2m::io {
namespace {

// The attribute that carries an output's summary row.
constexpr const char* kSummary = "summary";
// The attribute that records its side files: {file name: XXH3 checksum}.
constexpr const char* kSideFiles = "side_files";

// The checksums of staged side files, by file name (collective: rank 0
// reads, every rank gets the same).
nlohmann::json staged_checksums(const std::vector<std::string>& side_files, const mpi::Comm& comm) {
  std::string text = mpi::agree_on(comm, [&] {
    nlohmann::json sums = nlohmann::json::object();
    if (comm.is_root())
      for (const std::string& side : side_files)
        sums[std::filesystem::path(side).filename().string()] = file_checksum(staged_path(side));
    return sums.dump();
  });
  comm.bcast(text, 0);
  return nlohmann::json::parse(text);
}

// Whether `path` can be read, as rank 0 sees it, on every rank: on a
// shared file system ranks may briefly disagree, and each answer decides
// whether a collective open follows.
bool readable(const std::string& path, const mpi::Comm& comm) {
  int good = comm.is_root() && std::ifstream(path).good() ? 1 : 0;
  comm.bcast(&good, 1, 0);
  return good != 0;
}

// The fingerprint stored in an existing file, or "" if it cannot be read.
std::string stored_fingerprint(const std::string& path, const mpi::Comm& comm, bool need_complete) {
  try {
    const H5File file(path, Access::read, comm);
    if (need_complete && (!file.has_attribute("/", "complete") ||
                          file.read_string_attribute("/", "complete") != "yes"))
      return "";
    if (!file.has_attribute("/", "fingerprint")) return "";
    return file.read_string_attribute("/", "fingerprint");
  } catch (const Error&) {
    return "";
  }
}

// Whether version `a` ("major.minor.patch") is newer than `b`; an
// unparsable version counts as newer (it is not one this b2m wrote).
bool newer_version(const std::string& a, const std::string& b) {
  const auto parse = [](const std::string& v) {
    std::array<long, 3> parts{-1, -1, -1};
    std::istringstream in(v);
    char dot = 0;
    in >> parts[0] >> dot >> parts[1] >> dot >> parts[2];
    return parts;
  };
  const auto pa = parse(a), pb = parse(b);
  if (pa[2] < 0) return true;
  return pa > pb;
}

}  // namespace

OutputState existing_output(const std::string& path, const Provenance& provenance,
                            const mpi::Comm& comm) {
  if (!readable(path, comm)) return OutputState::absent;
  const std::string stored = stored_fingerprint(path, comm, true);
  return stored == provenance.fingerprint() ? OutputState::complete_same
                                            : OutputState::complete_different;
}

bool outputs_complete(const std::vector<std::string>& paths, const Provenance& provenance,
                      bool overwrite, const mpi::Comm& comm) {
  bool complete = true;
  for (const std::string& path : paths) {
    const OutputState state = existing_output(path, provenance, comm);
    if (state == OutputState::complete_different && !overwrite)
      throw ConfigError(path +
                        " exists from a run with other parameters or inputs; "
                        "remove it or pass --overwrite");
    complete = complete && state == OutputState::complete_same;
  }
  return complete;
}

void check_output_paths(const std::vector<std::string>& outputs,
                        const std::vector<std::string>& owner,
                        const std::vector<std::string>& inputs, const std::string& verb) {
  const auto canonical = [](const std::string& path) {
    std::error_code ignored;
    return std::filesystem::weakly_canonical(path, ignored);
  };
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (std::filesystem::is_directory(outputs[i]))
      throw ConfigError(verb + ": the output " + outputs[i] + " of " + owner[i] +
                        " is a directory; name a file");
    for (const std::string& in : inputs)
      if (canonical(outputs[i]) == canonical(in))
        throw ConfigError(verb + ": the output " + outputs[i] + " would overwrite the input " + in);
    for (std::size_t j = i + 1; j < outputs.size(); ++j)
      if (canonical(outputs[i]) == canonical(outputs[j]))
        throw ConfigError(verb + ": " + owner[i] + " and " + owner[j] + " would both write " +
                          outputs[i]);
  }
}

void check_input_complete(const std::string& path, const mpi::Comm& comm) {
  const auto unfinished = [&](const char* why) {
    return InputError(path + " is an unfinished b2m output (" + why +
                      "): its run has not completed; rerun it, or use its final file once it has");
  };
  const std::string name = std::filesystem::path(path).filename().string();
  if (name.find(".partial") != std::string::npos) throw unfinished("a .partial file");
  // Only HDF5 files are b2m outputs (events and .npy files are not).
  static const char kSignature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  int hdf5 = 0;
  if (comm.is_root()) {
    char head[8] = {};
    std::ifstream in(path, std::ios::binary);
    hdf5 = in.read(head, 8) && std::equal(head, head + 8, kSignature) ? 1 : 0;
  }
  comm.bcast(&hdf5, 1, 0);
  if (hdf5 == 0) return;
  const H5File file(path, Access::read, comm);
  if (!file.has_attribute("/", "b2m_version")) return;  // made elsewhere: no completion record
  if (!file.has_attribute("/", "complete") || file.read_string_attribute("/", "complete") != "yes")
    throw unfinished("not marked complete");
  const std::string version = file.read_string_attribute("/", "b2m_version");
  if (newer_version(version, kVersion))
    throw InputError(path + " was made by b2m " + version + ", newer than this b2m (" + kVersion +
                     "): its format may have changed; read it with b2m " + version + " or later");
}

bool side_files_current(const std::string& path, const std::vector<std::string>& side_files,
                        const mpi::Comm& comm) {
  if (side_files.empty()) return true;
  const H5File file(path, Access::read, comm);
  if (!file.has_attribute("/", kSideFiles)) return false;
  const std::string recorded = file.read_string_attribute("/", kSideFiles);
  int current = mpi::agree_on(comm, [&] {
    int ok = 1;
    if (comm.is_root()) {
      const auto sums = nlohmann::json::parse(recorded);
      for (const std::string& side : side_files) {
        const auto want = sums.find(std::filesystem::path(side).filename().string());
        const auto holds = [&](const std::string& f) {
          return want != sums.end() && std::ifstream(f).good() && file_checksum(f) == *want;
        };
        if (holds(side)) continue;
        if (holds(staged_path(side))) {
          promote_file(side);  // the run stopped between its commit and this rename
          continue;
        }
        ok = 0;
      }
    }
    return ok;
  });
  comm.bcast(&current, 1, 0);  // after the agreement: a rank that threw skips no collective
  return current != 0;
}

std::optional<std::string> read_output_summary(const std::string& path, const mpi::Comm& comm) {
  const H5File file(path, Access::read, comm);
  if (!file.has_attribute("/", kSummary)) return std::nullopt;
  return file.read_string_attribute("/", kSummary);
}

void check_free_space(const std::string& path,
                      const std::vector<std::pair<std::string, double>>& parts) {
  const auto megabytes = [](double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
    return std::string(text);
  };
  double needed = 0;
  std::string detail;
  for (const auto& [name, bytes] : parts) {
    needed += bytes;
    detail += (detail.empty() ? "" : ", ") + name + " " + megabytes(bytes);
  }
  for (const std::string& taken : {path + ".partial", path + ".partial.checkpoint"}) {
    struct stat st {};
    if (stat(taken.c_str(), &st) == 0) needed -= double(st.st_blocks) * 512.0;
  }
  const auto parent = std::filesystem::path(path).parent_path();
  struct statvfs fs {};
  if (statvfs(parent.empty() ? "." : parent.c_str(), &fs) != 0) return;  // the open will say why
  const double free = double(fs.f_bavail) * double(fs.f_frsize);
  if (needed > free)
    throw Error(path + " needs about " + megabytes(needed) + " (" + detail + ") but its file " +
                "system has " + megabytes(free) + " free");
}

OutputFile::OutputFile(const std::string& path, const Provenance& provenance, const mpi::Comm& comm,
                       const ResumeCheck& resume)
    : path_(path),
      partial_(path + ".partial"),
      checkpoint_path_(resume ? partial_ + ".checkpoint" : ""),
      comm_(&comm),
      uncaught_at_start_(std::uncaught_exceptions()) {
  mpi::agree_on(comm, [&] {
    const auto parent = std::filesystem::path(path).parent_path();
    if (comm.is_root() && !parent.empty()) std::filesystem::create_directories(parent);
    // Scratch of an earlier run (perhaps at another rank count) is stale:
    // this run makes its own.
    if (comm.is_root()) remove_scratch();
  });
  resumed_ = resume && readable(partial_, comm) &&
             stored_fingerprint(partial_, comm, false) == provenance.fingerprint() &&
             readable(checkpoint_path_, comm);
  if (resumed_) {
    try {
      file_ = std::make_unique<H5File>(partial_, Access::read_write, comm);
      checkpoint_ = std::make_unique<H5File>(checkpoint_path_, Access::read_write, comm);
      mpi::agree_on(comm, [&] { resume(*file_, *checkpoint_); });
    } catch (const Error&) {
      if (!mpi::failure_agreed_on(comm)) throw;
      // Damaged by the fault that stopped its run (a write lost to a full
      // disk): made anew.
      checkpoint_.reset();
      file_.reset();
      resumed_ = false;
    }
  }
  if (!resumed_) {
    file_ = std::make_unique<H5File>(partial_, Access::create, comm);
    if (resume) checkpoint_ = std::make_unique<H5File>(checkpoint_path_, Access::create, comm);
    write_provenance(*file_, provenance);
    file_->flush();
  }
}

void OutputFile::commit(const std::string& summary, const std::vector<std::string>& side_files) {
  if (!summary.empty()) file_->write_attribute("/", kSummary, summary);
  if (!side_files.empty())
    file_->write_attribute("/", kSideFiles, staged_checksums(side_files, *comm_).dump());
  file_->write_attribute("/", "complete", std::string("yes"));
  file_->close();
  if (checkpoint_) checkpoint_->close();
  mpi::agree_on(*comm_, [&] {
    if (comm_->is_root() && std::rename(partial_.c_str(), path_.c_str()) != 0)
      throw Error("cannot rename " + partial_ + " to " + path_ + ": " + std::strerror(errno));
  });
  committed_ = true;
  if (comm_->is_root() && !checkpoint_path_.empty()) std::remove(checkpoint_path_.c_str());
  if (comm_->is_root()) remove_scratch();
  mpi::agree_on(*comm_, [&] {
    if (comm_->is_root())
      for (const std::string& side : side_files) promote_file(side);
  });
}

std::string OutputFile::scratch_path(int rank) const {
  return partial_ + ".scratch." + std::to_string(rank);
}

void OutputFile::remove_scratch() const {
  const std::filesystem::path partial(partial_);
  const std::string prefix = partial.filename().string() + ".scratch.";
  const auto dir = partial.has_parent_path() ? partial.parent_path() : ".";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) == 0) std::filesystem::remove(entry.path(), error);
  }
}

OutputFile::~OutputFile() noexcept {
  const bool failing = std::uncaught_exceptions() > uncaught_at_start_;
  if (committed_ || !failing || !mpi::failure_agreed_on(*comm_) ||
      !mpi::agreed_failure_is_bad_input())
    return;
  file_.reset();
  checkpoint_.reset();
  if (comm_->is_root()) {
    std::remove(partial_.c_str());
    if (!checkpoint_path_.empty()) std::remove(checkpoint_path_.c_str());
  }
}

}  // namespace b2m::io
