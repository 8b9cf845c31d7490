// BIDS events files of the music genre fMRI dataset (ds003720): one TSV per
// run with columns onset, duration, genre, track, start, end.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace b2m::io {

struct Event {
  double onset = 0;     // seconds from the run start
  double duration = 0;  // seconds
  std::string genre;
  int track = 0;
  // The clip id `<genre>.000NN` used to name stimuli and embeddings.
  [[nodiscard]] std::string clip_id() const;
};

struct RunEvents {
  std::string file;
  int run = 0;
  std::vector<Event> events;  // in onset order
};

// Parses one events file. Tolerates CRLF line ends and broken quoting of
// the genre column (as in the real training run 4); throws InputError
// naming the file and line for anything it cannot read.
[[nodiscard]] RunEvents read_events_file(const std::string& path);

// All runs of `task` (e.g. "Training", "Test") in `dir`, sorted by run
// number: files named `[sub-XX_]task-<task>_run-NN_events.tsv`.
[[nodiscard]] std::vector<RunEvents> read_task_events(const std::string& dir,
                                                      const std::string& task);

// The events files of both tasks (Training and Test) in `dir`, in run
// order: what a design made from them depends on (for provenance).
[[nodiscard]] std::vector<std::string> task_event_files(const std::string& dir);

// The repetition time (s) of the bold runs of `dir` from their JSON sidecars
// (`*_bold.json`, field RepetitionTime); nullopt when there are none. An
// InputError naming the file if one cannot be read or the sidecars disagree.
[[nodiscard]] std::optional<double> sidecar_repetition_time(const std::string& dir);

}  // namespace b2m::io
