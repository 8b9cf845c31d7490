// `b2m prepare`: a study's responses as it is published -> one responses
// file per subject (docs/formats.md). From a BIDS tree (`--bids`): the bold
// runs, masked, detrended and z-scored run by run (jobs/prepare_bids.cpp);
// or from the preprocessed arrays of ds003720 (`--derivatives`): the
// training, test and test-mean arrays of each subject, with the events
// that say what was played at each row.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/detrend.hpp"
#include "analysis/run_scans.hpp"
#include "io/responses_file.hpp"
#include "jobs/cli.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct PrepareOptions {
  std::string bids;         // BIDS root: sub-XXX/func/*_bold.nii[.gz], events, sidecars
  std::string derivatives;  // directory of sub-XXX_Resp_{Training,Test,Test_Mean}.npy
  std::string events;       // BIDS root (sub-XXX/func) or one func directory
  // --bids: the mask, atlas and label names of each subject ({subject} in
  // a path is replaced by the subject, e.g. sub-001).
  std::string mask, atlas, atlas_names;
  analysis::DetrendOptions detrend;
  bool zscore = true;
  bool drop_warmup = true;  // drop the scans of each run's first event, as the dataset's arrays
  std::vector<std::string> subjects;  // "sub-001", ...; empty: every subject found
  std::string out_dir;
  std::optional<double> tr;  // else the bold sidecars' RepetitionTime
  // Voxels each rank reads, checks and writes per round: 4,800 training and
  // 3,000 test rows of 4,096 float32 voxels are 128 MB.
  std::size_t block_voxels = 4096;
  bool overwrite = false;
  std::string summary;
  std::string command_line;
};

// Writes <out_dir>/<subject>_responses.h5 per subject. Collective over `world`.
void run_prepare(const PrepareOptions& options, const mpi::Comm& world);

// --bids: the unit of one subject, and the files it reads (for its unit).
[[nodiscard]] std::vector<std::string> bids_inputs(const PrepareOptions& options,
                                                   const std::string& subject);
[[nodiscard]] nlohmann::json prepare_bids_subject(UnitRun& run, const PrepareOptions& options,
                                                  const std::string& subject);
// The responses file of a subject with `voxels` voxels whose training rows
// and test clips are `train` and `test`; and a check (on the group's root)
// that the unit's output directory has room for it.
[[nodiscard]] io::ResponsesShape prepared_shape(const analysis::TrainingRows& train,
                                                const analysis::TestLayout& test,
                                                std::size_t voxels);
void check_room(const UnitRun& run, const io::ResponsesShape& shape);

// The TR of the runs in func directory `dir`: --tr, else the sidecars'
// RepetitionTime (a ConfigError if they disagree or neither says).
[[nodiscard]] double repetition_time(const PrepareOptions& options, const std::string& dir);
// {subject} in `pattern` replaced by `subject`.
[[nodiscard]] std::string subject_path(const std::string& pattern, const std::string& subject);

}  // namespace b2m::jobs
