#include "io/retrieve_files.hpp"

namespace b2m::io {

void write_retrieval(H5File& f, const RetrievalResult& r) {
  const std::size_t nq = r.clips.size(), k = r.k;
  const bool root = f.comm().is_root();
  f.write_all<std::int64_t>("/topk/index", {nq, k}, r.index);
  f.write_all<double>("/topk/score", {nq, k}, r.score);
  f.create_strings("/topk/id", {nq, k}, r.id_width);
  f.write_strings("/topk/id", {0, 0}, {root ? nq : 0, root ? k : 0},
                  root ? r.ids : std::vector<std::string>{});
  f.create_strings("/queries/clip", {nq}, string_width(r.clips));
  f.write_strings("/queries/clip", {0}, {root ? nq : 0},
                  root ? r.clips : std::vector<std::string>{});
  f.write_all<double>("/queries/identification", {nq}, r.identification);
  for (const RetrievedTag& tag : r.tags) {
    f.write_all<std::int32_t>("/topk/tags/" + tag.name, {nq, k}, tag.retrieved);
    f.write_all<std::int32_t>("/queries/tags/" + tag.name, {nq}, tag.query);
    f.write_all<double>("/agreement/" + tag.name, {k}, tag.agreement);
    f.write_attribute("/agreement/" + tag.name, "meaning",
                      "mean over queries of the fraction of the top n items sharing the query's " +
                          tag.name + ", n = 1..k");
  }
}

}  // namespace b2m::io
