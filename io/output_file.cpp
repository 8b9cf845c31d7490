#include "io/output_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "io/h5_error.hpp"
#include "mpi/agree.hpp"

namespace b2m::io {
namespace {

// The attribute that carries an output's summary row.
constexpr const char* kSummary = "summary";

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
    for (const std::string& in : inputs)
      if (canonical(outputs[i]) == canonical(in))
        throw ConfigError(verb + ": the output " + outputs[i] + " would overwrite the input " + in);
    for (std::size_t j = i + 1; j < outputs.size(); ++j)
      if (canonical(outputs[i]) == canonical(outputs[j]))
        throw ConfigError(verb + ": " + owner[i] + " and " + owner[j] + " would both write " +
                          outputs[i]);
  }
}

std::optional<std::string> read_output_summary(const std::string& path, const mpi::Comm& comm) {
  const H5File file(path, Access::read, comm);
  if (!file.has_attribute("/", kSummary)) return std::nullopt;
  return file.read_string_attribute("/", kSummary);
}

OutputFile::OutputFile(const std::string& path, const Provenance& provenance, const mpi::Comm& comm,
                       bool with_checkpoint)
    : path_(path),
      partial_(path + ".partial"),
      checkpoint_path_(with_checkpoint ? partial_ + ".checkpoint" : ""),
      comm_(&comm),
      uncaught_at_start_(std::uncaught_exceptions()) {
  mpi::agree_on(comm, [&] {
    const auto parent = std::filesystem::path(path).parent_path();
    if (comm.is_root() && !parent.empty()) std::filesystem::create_directories(parent);
  });
  const bool can_resume = readable(partial_, comm) &&
                          stored_fingerprint(partial_, comm, false) == provenance.fingerprint() &&
                          (!with_checkpoint || readable(checkpoint_path_, comm));
  const Access access = can_resume ? Access::read_write : Access::create;
  mpi::agree_on(comm, [&] { file_ = std::make_unique<H5File>(partial_, access, comm); });
  if (with_checkpoint)
    mpi::agree_on(comm,
                  [&] { checkpoint_ = std::make_unique<H5File>(checkpoint_path_, access, comm); });
  resumed_ = can_resume;
  if (!can_resume) {
    write_provenance(*file_, provenance);
    file_->flush();
  }
}

void OutputFile::commit(const std::string& summary) {
  if (!summary.empty()) file_->write_attribute("/", kSummary, summary);
  file_->write_attribute("/", "complete", std::string("yes"));
  file_.reset();  // closes the files on every rank
  checkpoint_.reset();
  mpi::agree_on(*comm_, [&] {
    if (comm_->is_root() && std::rename(partial_.c_str(), path_.c_str()) != 0)
      throw Error("cannot rename " + partial_ + " to " + path_);
  });
  committed_ = true;
  if (comm_->is_root() && !checkpoint_path_.empty()) std::remove(checkpoint_path_.c_str());
}

OutputFile::~OutputFile() noexcept {
  if (committed_) return;
  const bool failing = std::uncaught_exceptions() > uncaught_at_start_;
  if (failing && !mpi::failure_was_agreed()) {
    // Closing is collective; peers that did not fail are elsewhere, so the
    // handle is left to the job abort that follows.
    static_cast<void>(file_.release());
    static_cast<void>(checkpoint_.release());
    return;
  }
  file_.reset();
  checkpoint_.reset();
  if (failing && comm_->is_root()) {
    std::remove(partial_.c_str());
    if (!checkpoint_path_.empty()) std::remove(checkpoint_path_.c_str());
  }
}

}  // namespace b2m::io
