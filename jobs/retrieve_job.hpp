// `b2m retrieve`: cosine top-k retrieval of decoded embeddings from a corpus
// sharded over ranks, with class agreement and identification among the
// corpus (Brain2Music's retrieval-based reconstruction).
#pragma once

#include <string>
#include <vector>

#include "io/summary_table.hpp"
#include "jobs/cli.hpp"
#include "jobs/stage.hpp"
#include "mpi/comm.hpp"

namespace b2m::jobs {

struct RetrieveOptions {
  std::vector<std::string> predictions;  // decode outputs
  std::string corpus;                    // /embeddings [N, d], /ids [N], /tags/<tag> [N]
  std::size_t k = 10;
  bool per_window = false;       // one query per test window instead of per test clip
  bool exclude_stimuli = false;  // no clip of the study is retrieved (nor identified)
  // Corpus rows per read and GEMM. The chunk's scores (rows x queries) are
  // written by the GEMM and scanned right after: at 4,096 rows and 600
  // queries they are 10 MB and the scan finds them in cache (65,536 rows took
  // 10% longer, and 4x the memory).
  std::size_t chunk = 4096;
  // --out: "{name}" is the prediction file's name without ".h5" (required
  // with several prediction files).
  OutputOptions output;
};

// Retrieves for every prediction file, one after the other on all ranks;
// returns the summary (one row per file, on every rank) after printing it.
io::SummaryTable run_retrieve(const RetrieveOptions& options, const mpi::Comm& world);

// The verb: options from the command line, then run_retrieve.
int retrieve_command(const cli::Arguments& args, const mpi::Comm& world);

}  // namespace b2m::jobs
