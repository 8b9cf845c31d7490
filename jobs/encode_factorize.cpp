// Phase 1 of encode's passes (encode_passes.hpp): the factorizations.
#include <algorithm>

#include "jobs/encode_passes.hpp"
#include "mpi/agree.hpp"
#include "solvers/ridge_cost.hpp"

namespace b2m::jobs {
namespace {

// Sends the factor `f` from `root` to every rank of `peers`, whose `f` takes
// its shape.
void bcast_factor(const mpi::Comm& peers, solvers::RidgeFactor& f, int root) {
  solvers::FactorShape shape = solvers::factor_shape(f);
  peers.bcast(shape.data(), shape.size(), root);
  if (peers.rank() != root) solvers::resize_factor(f, shape);
  for (auto* part : {&f.right_t, &f.left, &f.weights_left})
    peers.bcast(part->data(), static_cast<std::size_t>(part->size()), root);
  peers.bcast(f.lambda.data(), static_cast<std::size_t>(f.lambda.size()), root);
}

}  // namespace

// The factorizations are in double (ridge_factor.hpp). At large p the
// solver parks the design in this rank's scratch file while the eigensolver
// holds a Gram matrix and its vectors; the refit consumes the design.
template <class T>
void EncodePasses<T>::factorize(std::unique_ptr<solvers::SpectralSolver> solver) {
  for (const mpi::Range& val : folds_)
    factor_ranks_.push_back(
        solver->factor_rank(solver->rows() - static_cast<Eigen::Index>(val.size())));
  // The refit's factors. With several fold groups one group factorizes
  // them, the first with fewer folds than the others (fold group g holds
  // folds g, g + G, ...), and broadcasts them to its fold peers, so that no
  // group does more factorizations than the busiest one already does.
  const std::size_t groups = grid_.fold_groups();
  const std::size_t owner = groups == 1 ? 0 : solvers::refit_owner(folds_.size(), groups);
  solvers::RidgeFactor f;
  // One agreement for all of a rank's factorizations: the refit's owner must
  // go on to the refit without waiting for the other groups' folds (a
  // synchronization there cost 15 s of 118 at p = 4,096 on 2 ranks).
  mpi::agree_on(comm_, [&] {
    for (std::size_t k : my_folds_)
      if (needs_factor(k)) spill_.put(k, solver->factor(folds_[k], false));
    if (grid_.fold_group() == owner) f = solver->take_refit_factor(settings_.save_weights);
    solver.reset();
  });
  share_factors(std::move(f));
}

// Fold peers are ranked by fold group: the refit's factors go to every
// peer, and each fold whose scoring other groups share (plan_fold_shares)
// to the peers that score a piece of it.
template <class T>
void EncodePasses<T>::share_factors(solvers::RidgeFactor refit) {
  const mpi::Comm& peers = grid_.fold_peers();
  const std::size_t groups = grid_.fold_groups(), me = grid_.fold_group();
  const std::size_t owner = groups == 1 ? 0 : solvers::refit_owner(folds_.size(), groups);
  if (groups > 1) bcast_factor(peers, refit, static_cast<int>(owner));
  spill_.put(refit_key(), refit);
  refit = {};
  for (std::size_t k = 0; k < folds_.size(); ++k) {
    const std::vector<double>& share = shares_[k];
    bool shared = false;
    for (std::size_t g = 0; g < groups; ++g) shared = shared || (g != k % groups && share[g] > 0);
    if (!shared || !needs_pass(k)) continue;
    solvers::RidgeFactor f;
    if (k % groups == me) f = spill_.get(k);
    bcast_factor(peers, f, static_cast<int>(k % groups));
    if (k % groups != me && share[me] > 0) spill_.put(k, f);
  }
}

template void EncodePasses<float>::factorize(std::unique_ptr<solvers::SpectralSolver>);
template void EncodePasses<double>::factorize(std::unique_ptr<solvers::SpectralSolver>);
template void EncodePasses<float>::share_factors(solvers::RidgeFactor);
template void EncodePasses<double>::share_factors(solvers::RidgeFactor);

}  // namespace b2m::jobs
