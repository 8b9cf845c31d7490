// Atomic, resumable outputs. A stage writes into `<out>.partial`; only a
// complete file is renamed to `<out>`, so a reader never sees a half-written
// result. A `.partial` left by a killed job is reopened if its fingerprint
// (parameters + input checksums) matches the new run; the stage then skips the
// units of work it records as done.
//
// A stage may also keep a checkpoint file beside it (`<out>.partial.checkpoint`)
// for intermediate results that a resume needs but the output should not
// carry (encode's per-fold scores, 40x the size of its results). The
// checkpoint lives and dies with the partial file and is removed on commit.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "io/provenance.hpp"
#include "mpi/comm.hpp"

namespace b2m::io {

enum class OutputState { absent, complete_same, complete_different };

// Whether `path` already holds a complete output, and made with the same
// fingerprint (collective).
[[nodiscard]] OutputState existing_output(const std::string& path, const Provenance& provenance,
                                          const mpi::Comm& comm);

// The one existing-output policy of every stage, for the outputs of one
// unit of work: true (skip the unit) if all are complete with the same
// fingerprint; a ConfigError naming the file if one is complete from other
// parameters or inputs, unless `overwrite`; else false (run). Collective.
[[nodiscard]] bool outputs_complete(const std::vector<std::string>& paths,
                                    const Provenance& provenance, bool overwrite,
                                    const mpi::Comm& comm);

// A ConfigError, before anything is written, if a path of `outputs` names
// one of `inputs` or another output (existing or not, however spelled).
// `owner[i]` names what writes outputs[i], for the message.
void check_output_paths(const std::vector<std::string>& outputs,
                        const std::vector<std::string>& owner,
                        const std::vector<std::string>& inputs, const std::string& verb);

// The summary of a complete output (the JSON its stage recorded at commit);
// nullopt where it has none.
[[nodiscard]] std::optional<std::string> read_output_summary(const std::string& path,
                                                             const mpi::Comm& comm);

class OutputFile {
 public:
  OutputFile(const std::string& path, const Provenance& provenance, const mpi::Comm& comm,
             bool with_checkpoint = false);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Without commit() the partial file stays for a resume, unless the owner is
  // being unwound by an exception: an error is not resumable, so the partial
  // file is removed and nothing half-written is left.
  ~OutputFile() noexcept;

  [[nodiscard]] H5File& file() { return *file_; }
  // Only for an OutputFile made with_checkpoint.
  [[nodiscard]] H5File& checkpoint() { return *checkpoint_; }
  [[nodiscard]] bool resumed() const { return resumed_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& partial_path() const { return partial_; }

  // Marks the file complete (recording `summary`, the JSON of its unit's
  // summary row, if given), closes it and renames it into place (collective).
  void commit(const std::string& summary = {});

 private:
  std::string path_;
  std::string partial_;
  std::string checkpoint_path_;
  const mpi::Comm* comm_;
  std::unique_ptr<H5File> file_;
  std::unique_ptr<H5File> checkpoint_;
  bool resumed_ = false;
  bool committed_ = false;
  int uncaught_at_start_ = 0;
};

}  // namespace b2m::io
