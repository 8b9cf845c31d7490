// Atomic, resumable outputs. A stage writes into `<out>.partial`; only a
// complete file is renamed to `<out>`, so a reader never sees a half-written
// result. An output is made anew by every run, unless it is resumable: then
// a `.partial` left by a killed or failed job is reopened if its fingerprint
// (parameters + input checksums) matches the new run and the driver's check
// finds its progress records readable; the stage then skips the units of
// work it records as done.
//
// A resumable output has a checkpoint file beside it
// (`<out>.partial.checkpoint`) for intermediate results that a resume needs
// but the output should not carry (encode's per-fold scores, 40x the size
// of its results). The checkpoint lives and dies with the partial file and
// is removed on commit.
#pragma once

#include <exception>
#include <functional>
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

// An InputError if `path`, read as an input, is an unfinished b2m output: a
// `.partial` file, or a b2m file (one with a b2m_version) not marked
// complete, or one made by a newer b2m. Other files pass. Collective.
void check_input_complete(const std::string& path, const mpi::Comm& comm);

// Whether the side files of the complete output `path` hold what its run
// recorded. Side files are renamed into place just after their output: if
// a run stopped in between, the staged ones are renamed now. False (the
// unit must run again) if one is missing or differs. Collective.
[[nodiscard]] bool side_files_current(const std::string& path,
                                      const std::vector<std::string>& side_files,
                                      const mpi::Comm& comm);

// The summary of a complete output (the JSON its stage recorded at commit);
// nullopt where it has none.
[[nodiscard]] std::optional<std::string> read_output_summary(const std::string& path,
                                                             const mpi::Comm& comm);

// An Error before anything is written if the file system of output `path`
// has less space free than `parts` (what the output will hold, by name:
// {"output", bytes}, {"checkpoint", bytes}) need, less what its partial
// files already take. The message says how much is needed and free.
void check_free_space(const std::string& path,
                      const std::vector<std::pair<std::string, double>>& parts);

// For a resumable output: reads the progress records of a reopened partial
// file and checkpoint, throwing if they are unusable (collective).
using ResumeCheck = std::function<void(H5File& file, H5File& checkpoint)>;

class OutputFile {
 public:
  // Resumable if `resume` is given.
  OutputFile(const std::string& path, const Provenance& provenance, const mpi::Comm& comm,
             const ResumeCheck& resume = {});
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Without commit() the partial file stays for a resume, after a fault of
  // the machine too: a disk that filled up or a node that failed leaves
  // work a rerun picks up once the fault is gone. A partial file is only
  // ever reused by a resumable output with the same fingerprint, and one
  // too damaged to open or check is made again. After bad input or configuration, agreed by every
  // rank, it is removed: a rerun would fail alike. Its files close as
  // H5File's do (h5_file.hpp).
  ~OutputFile() noexcept;

  [[nodiscard]] H5File& file() { return *file_; }
  // Only for a resumable OutputFile.
  [[nodiscard]] H5File& checkpoint() { return *checkpoint_; }
  [[nodiscard]] bool resumed() const { return resumed_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  // A scratch file of `rank` beside the partial file (`<out>.partial.scratch.R`),
  // private to that rank. Every scratch file of the output is removed when
  // it is opened (left by an earlier run, at any rank count) and committed.
  [[nodiscard]] std::string scratch_path(int rank) const;

  // Marks the file complete (recording `summary`, the JSON of its unit's
  // summary row, if given), closes it and renames it into place; then
  // renames `side_files`, staged beside it (io/atomic_file.hpp), into
  // place, their checksums recorded in the file (collective).
  void commit(const std::string& summary = {}, const std::vector<std::string>& side_files = {});

 private:
  void remove_scratch() const;

  std::string path_;
  std::string partial_;
  std::string checkpoint_path_;
  const mpi::Comm* comm_;
  std::unique_ptr<H5File> file_;
  std::unique_ptr<H5File> checkpoint_;
  bool resumed_ = false;
  bool committed_ = false;
  int uncaught_at_start_;
};

}  // namespace b2m::io
