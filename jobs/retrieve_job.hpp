// `b2m retrieve`: cosine top-k retrieval of decoded embeddings from a corpus
// sharded over ranks, with class agreement and identification among the
// corpus (Brain2Music's retrieval-based reconstruction).
#pragma once

#include <string>
#include <vector>

#include "mpi/comm.hpp"

namespace b2m::jobs {

struct RetrieveOptions {
  std::vector<std::string> predictions;  // decode outputs
  std::string corpus;                    // /embeddings [N, d], /ids [N], /tags/<tag> [N]
  // Output path; "{name}" is the prediction file's name without ".h5"
  // (required with several prediction files).
  std::string out;
  std::size_t k = 10;
  bool per_window = false;  // one query per test window instead of per test clip
  // Corpus rows per read and GEMM. The chunk's scores (rows x queries) are
  // written by the GEMM and scanned right after: at 4,096 rows and 600
  // queries they are 10 MB and the scan finds them in cache (65,536 rows took
  // 10% longer, and 4x the memory).
  std::size_t chunk = 4096;
  bool overwrite = false;
  std::string summary_path;
  std::string command_line;
};

struct RetrieveSummary {
  std::string name;
  std::size_t queries = 0;
  std::size_t corpus = 0;
  double top1_genre = 0;      // fraction of queries whose top-1 clip has the stimulus's genre
  double topk_genre = 0;      // mean fraction of the top-k sharing it
  double identification = 0;  // mean over queries whose stimulus is in the corpus (NaN if none)
  bool reused = false;
};

std::vector<RetrieveSummary> run_retrieve(const RetrieveOptions& options, const mpi::Comm& world);

[[nodiscard]] std::string format_retrieve_summary(const std::vector<RetrieveSummary>& rows);
[[nodiscard]] std::string format_retrieve_summary_tsv(const std::vector<RetrieveSummary>& rows);

}  // namespace b2m::jobs
