#include "tests/support/mpi_assert.hpp"

#include <string>
#include <vector>

namespace b2m::testing {

bool all_ranks(const mpi::Comm& comm, bool ok, const char* condition, const char* file, int line) {
  const std::vector<int> verdicts = comm.allgather(ok ? 1 : 0);
  std::string failing;
  for (std::size_t r = 0; r < verdicts.size(); ++r)
    if (verdicts[r] == 0) failing += (failing.empty() ? "" : ", ") + std::to_string(r);
  if (failing.empty()) return true;
  ADD_FAILURE_AT(file, line) << condition << " is false on rank(s) " << failing << " (this is rank "
                             << comm.rank() << ")";
  return false;
}

}  // namespace b2m::testing
