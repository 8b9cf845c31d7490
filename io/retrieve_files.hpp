// The retrieve result (docs/formats.md, "Retrieve result"): per query the k
// best corpus rows with their ids and tags, the query's stimulus clip,
// tags and identification among the corpus, and per tag the agreement
// curve. Rank 0's data is written (every rank calls: it is collective).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace b2m::io {

struct RetrievedTag {
  std::string name;
  std::vector<std::int32_t> retrieved;  // [query][k], -1 unknown
  std::vector<std::int32_t> query;      // per query, -1 unknown
  std::vector<double> agreement;        // k values
};

struct RetrievalResult {
  std::size_t k = 0;
  std::vector<std::int64_t> index;  // [query][k], -1 where a list is short
  std::vector<double> score;        // [query][k], NaN there
  std::vector<std::string> ids;     // [query][k], "" there
  std::size_t id_width = 1;         // of /topk/id: the corpus's longest id
  std::vector<std::string> clips;   // per query
  std::vector<double> identification;
  std::vector<RetrievedTag> tags;
};

void write_retrieval(H5File& f, const RetrievalResult& r);

}  // namespace b2m::io
