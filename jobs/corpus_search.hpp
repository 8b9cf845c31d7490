// Searching a corpus sharded over ranks (docs/formats.md, "Corpus file"):
// the chunked read of each rank's rows, and the cosine top-k of a set of
// queries with identification among the corpus and the tags of what was
// found. What b2m retrieve reports, and what the retrieval generator of
// b2m generate renders.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/retrieval.hpp"
#include "io/corpus_file.hpp"
#include "io/h5_file.hpp"
#include "mpi/agree.hpp"
#include "mpi/comm.hpp"
#include "mpi/partition.hpp"

namespace b2m::jobs {

// This rank's rows of the corpus, read in chunks; `visit(first_row, rows,
// columns, ids, tags)` is called per chunk. A pass reads either the
// embeddings (as the columns of a d x rows matrix: the row-major file layout,
// read without a copy) or the metadata (ids and tags), never both: the scoring
// pass needs no strings. Collective: every rank joins every round.
enum class CorpusPart { embeddings, metadata };

template <class Visit>
void scan_corpus_shard(const io::H5File& f, const io::CorpusLayout& corpus, std::size_t chunk,
                       CorpusPart part, const mpi::Comm& comm, Visit&& visit) {
  const mpi::Range mine = mpi::even_part(corpus.rows, static_cast<std::size_t>(comm.size()),
                                         static_cast<std::size_t>(comm.rank()));
  const std::size_t chunks = (mine.size() + chunk - 1) / chunk;
  const std::size_t rounds = comm.allreduce(chunks, mpi::Op::max);
  solvers::Matrix<float> columns;
  for (std::size_t r = 0; r < rounds; ++r) {
    const std::size_t first = std::min(mine.end, mine.begin + r * chunk);
    const std::size_t n = std::min(mine.end, first + chunk) - first;
    std::vector<std::string> ids;
    std::vector<std::vector<std::int32_t>> tags;
    mpi::agree_on(comm, [&] {
      if (part == CorpusPart::embeddings)
        io::read_corpus_rows(f, corpus, first, n, columns);
      else
        io::read_corpus_metadata(f, corpus, first, n, ids, tags);
    });
    mpi::agree_on(comm, [&] {
      if (part == CorpusPart::embeddings) io::check_corpus_rows(f, columns, first);
      visit(first, n, columns, ids, tags);
    });
  }
}

struct CorpusHits {
  std::size_t id_width = 1;                           // the corpus's longest id
  std::vector<std::vector<analysis::Retrieved>> top;  // per query, best first
  std::vector<double> identification;                 // per query (NaN: stimulus not in the corpus)
  std::vector<std::vector<std::int32_t>> query_tags;  // [tag][query], -1 unknown
  // Per tag: rows of each value among the rows a list may hold, and how many
  // rows those are (the chance level of agreement).
  std::vector<std::vector<double>> tag_counts;
  double eligible = 0;
};

// The k best rows of `q` among the corpus rows whose id is not one of
// `exclude` (then no query's stimulus counts as in the corpus), read
// `chunk` rows at a time. Collective.
[[nodiscard]] CorpusHits search_corpus(const io::H5File& f, const io::CorpusLayout& corpus,
                                       const analysis::Queries& q,
                                       const std::vector<std::string>& exclude, std::size_t k,
                                       std::size_t chunk, const mpi::Comm& comm);

}  // namespace b2m::jobs
