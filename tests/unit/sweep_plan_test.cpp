// Sweep specs and their expansion into tasks (cluster/spec, cluster/plan):
// task counts, stable ids, joins between stages, and errors that name the
// file, the line and the key.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "cluster/plan.hpp"
#include "cluster/spec.hpp"
#include "mpi/comm.hpp"
#include "tests/support/temp_dir.hpp"

namespace b2m::cluster {
namespace {

const VerbCheck kAnyArgs = [](const std::vector<std::string>&) {};

class SweepPlan : public ::testing::Test {
 protected:
  Plan plan(const std::string& text) { return expand(read_spec(write(text)), kAnyArgs); }
  std::string write(const std::string& text) {
    const std::string path = dir_.file("study.toml");
    std::ofstream(path) << text;
    return path;
  }
  // The message of the SpecError that `text` raises ("" if none).
  std::string error(const std::string& text) {
    try {
      static_cast<void>(plan(text));
    } catch (const SpecError& e) {
      return e.what();
    }
    return "";
  }

  const mpi::Comm self_ = mpi::Comm::self();
  const testing::TempDir dir_{self_};
};

const char* kStudy = R"(
[inputs]
subjects = ["sub-01", "sub-02"]
responses = "study/{subject}_responses.h5"
features = "study/features.h5"

[stage.retrieve]
verb = "retrieve"
options = { predictions = "{decode}", k = 5 }

[stage.encode]
verb = "encode"
options = { responses = "{responses}", features = "{features}" }
grid = { space = ["a", "b"], alpha-max = [1e4, 1e6] }

[stage.decode]
verb = "decode"
options = { responses = "{responses}", encode-result = "{encode}", flag = true, off = false }
grid = { space = ["a", "b"] }
match = ["space"]
)";

TEST_F(SweepPlan, StagesComeAfterTheStagesTheyRead) {
  const Plan p = plan(kStudy);
  ASSERT_EQ(p.spec.stages.size(), 3u);
  EXPECT_EQ(p.spec.stages[0].name, "encode");
  EXPECT_EQ(p.spec.stages[1].name, "decode");
  EXPECT_EQ(p.spec.stages[2].name, "retrieve");
}

TEST_F(SweepPlan, TasksAreSubjectsTimesGridJoinedOnMatchedValues) {
  const Plan p = plan(kStudy);
  EXPECT_EQ(p.stages[0].size(), 8u);  // 2 subjects x 2 spaces x 2 alphas
  // decode: spaces a and b each inherit two alphas.
  EXPECT_EQ(p.stages[1].size(), 8u);
  EXPECT_EQ(p.stages[2].size(), 8u);
  for (std::size_t t : p.stages[1]) {
    const Task& d = p.tasks[t];
    ASSERT_EQ(d.after.size(), 1u);
    const Task& e = p.tasks[d.after[0]];
    EXPECT_EQ(e.subject, d.subject);
    // (grid options in the order TOML tables hold them: by name)
    EXPECT_EQ(e.values, (std::vector<std::pair<std::string, std::string>>{
                            {"alpha-max", d.values[1].second}, {"space", d.values[0].second}}));
    EXPECT_EQ(d.values[1].first, "encode.alpha-max");
    // The encode output is the decode's --encode-result; flags without values; false left off.
    const auto at = std::find(d.args.begin(), d.args.end(), "--encode-result");
    ASSERT_NE(at, d.args.end());
    EXPECT_EQ(*(at + 1), e.out);
    EXPECT_NE(std::find(d.args.begin(), d.args.end(), "--flag"), d.args.end());
    EXPECT_EQ(std::find(d.args.begin(), d.args.end(), "--off"), d.args.end());
  }
  for (std::size_t t : p.stages[2]) {
    const Task& r = p.tasks[t];
    EXPECT_EQ(std::count(r.args.begin(), r.args.end(), "--predictions"), 1);
    EXPECT_EQ(std::count(r.args.begin(), r.args.end(), "-k"),
              1);  // one-letter options take one dash
  }
}

TEST_F(SweepPlan, IdsAreStableAndSurviveAnAddedGridValue) {
  const Plan a = plan(kStudy);
  const Plan b = plan(kStudy);
  std::string wider = kStudy;
  wider.replace(wider.find("alpha-max = [1e4, 1e6]"), 22, "alpha-max = [1e4, 1e5, 1e6]");
  const Plan c = plan(wider);
  std::set<std::string> ids, outs, wider_ids;
  for (std::size_t i = 0; i < a.tasks.size(); ++i) {
    EXPECT_EQ(a.tasks[i].id, b.tasks[i].id);
    EXPECT_EQ(a.tasks[i].id.size(), 12u);
    ids.insert(a.tasks[i].id);
    outs.insert(a.tasks[i].out);
  }
  EXPECT_EQ(ids.size(), a.tasks.size());
  EXPECT_EQ(outs.size(), a.tasks.size());
  for (const Task& t : c.tasks) wider_ids.insert(t.id);
  EXPECT_EQ(c.tasks.size(), 36u);
  for (const std::string& id : ids) EXPECT_TRUE(wider_ids.count(id)) << id;
}

TEST_F(SweepPlan, PathsAreResolvedAgainstTheSpecAndFloatsWrittenShortest) {
  const Plan p = plan(kStudy);
  const Task& e = p.tasks[p.stages[0][0]];
  EXPECT_EQ(e.out, dir_.path() + "/results/encode/sub-01/alpha-max-1e+04_space-a.h5");
  EXPECT_EQ(e.inputs, (std::vector<std::string>{dir_.path() + "/study/features.h5",
                                                dir_.path() + "/study/sub-01_responses.h5"}));
  EXPECT_EQ(p.spec.state, dir_.path() + "/study.sweep");
}

TEST_F(SweepPlan, SubjectsFromARange) {
  const Plan p = plan(R"(
[inputs]
subjects = { first = 8, last = 11, format = "sub-%03d" }
[stage.e]
verb = "encode"
)");
  ASSERT_EQ(p.spec.subjects.size(), 4u);
  EXPECT_EQ(p.spec.subjects.front(), "sub-008");
  EXPECT_EQ(p.spec.subjects.back(), "sub-011");
}

TEST_F(SweepPlan, ErrorsNameFileLineAndKey) {
  const std::string file = dir_.file("study.toml");
  EXPECT_EQ(error("[sweep]\nthrotle = 3\n[stage.e]\nverb = \"encode\"\n"),
            file +
                ":2: sweep.throtle: unknown key (expected one of: name, state, results, b2m, "
                "throttle, pack_seconds, retries)");
  EXPECT_EQ(error("[sweep]\nthrottle = \"3\"\n[stage.e]\nverb = \"encode\"\n"),
            file + ":2: sweep.throttle: expected an integer, got a string");
  EXPECT_NE(error("[stage.e]\nverb = \"encode\"\noptions = { x = \"{nothing}\" }\n")
                .find(file + ":3: stage.e.options.x: unknown placeholder {nothing}"),
            std::string::npos);
  EXPECT_NE(error("[inputs]\nsubjects = [\"s1\", \"s2\"]\n[stage.e]\nverb = \"encode\"\n"
                  "out = \"r/{stage}.h5\"\n")
                .find(file + ":5: stage.e.out: two tasks would write"),
            std::string::npos);
  EXPECT_NE(error("[stage.a]\nverb = \"encode\"\noptions = { x = \"{b}\" }\n"
                  "[stage.b]\nverb = \"decode\"\noptions = { y = \"{a}\" }\n")
                .find("its inputs form a cycle"),
            std::string::npos);
  EXPECT_NE(error("[stage.e]\nverb = \"encode\"\ngrid = { space = [] }\n")
                .find(file + ":3: stage.e.grid.space: expected a non-empty list"),
            std::string::npos);
  EXPECT_NE(error("[stage.e]\nverb = \"encode\"\nresources = { time = \"soon\" }\n")
                .find("stage.e.resources.time: \"soon\" is not a Slurm time"),
            std::string::npos);
  EXPECT_NE(error("[stage.e\n").find(file + ":1: "), std::string::npos);  // TOML syntax
  EXPECT_NE(error("[stage.e]\nverb = \"encode\"\nresources = { time = \"30:\" }\n")
                .find("is not a Slurm time"),
            std::string::npos);
  EXPECT_NE(error("[inputs]\nresults = \"r\"\n[stage.e]\nverb = \"encode\"\n")
                .find(file + ":2: inputs.results: is a name every template has"),
            std::string::npos);
  std::string unmatched = kStudy;
  const std::string decode_grid = "space = [\"a\", \"b\"] }\nmatch";
  unmatched.replace(unmatched.find(decode_grid), decode_grid.size(),
                    "space = [\"a\", \"c\"] }\nmatch");
  EXPECT_NE(error(unmatched).find("stage.decode.grid.space: no task of encode matches space=c"),
            std::string::npos)
      << error(unmatched);
}

TEST_F(SweepPlan, TheVerbCheckRefusesACommandLine) {
  const VerbCheck refuse = [](const std::vector<std::string>& args) {
    if (std::find(args.begin(), args.end(), "bad") != args.end()) throw ConfigError("no 'bad'");
  };
  const std::string spec =
      write("[stage.e]\nverb = \"encode\"\ngrid = { xy = [\"ok\", \"bad\"] }\n");
  try {
    static_cast<void>(expand(read_spec(spec), refuse));
    FAIL() << "expected a SpecError";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find(":1: stage.e: no 'bad' (in: b2m encode --xy bad"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace b2m::cluster
