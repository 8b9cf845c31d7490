// Reading and writing the study's file kinds (docs/formats.md) in terms of
// the analysis types: feature files, design files, events trees.
#pragma once

#include <string>
#include <vector>

#include "analysis/feature_alignment.hpp"
#include "io/h5_file.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

// The embeddings of one space of a feature file.
[[nodiscard]] analysis::ClipEmbeddings read_clip_embeddings(const io::H5File& file,
                                                            const std::string& space);
void write_clip_embeddings(io::H5File& file, const std::string& space,
                           const analysis::ClipEmbeddings& clips);

// The design of a space, aligned from a feature file and an events directory
// (collective: every rank builds the same design).
[[nodiscard]] analysis::Design align_design(const std::string& features_path,
                                            const std::string& space, const std::string& events_dir,
                                            double tr, const std::vector<int>& delays,
                                            const mpi::Comm& comm);

// The events files of a directory that a design depends on (for provenance).
[[nodiscard]] std::vector<std::string> events_files(const std::string& events_dir);

}  // namespace b2m::jobs
