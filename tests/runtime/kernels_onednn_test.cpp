// The oneDNN-backed kernels (Conv, normrt.Conv, ConvTranspose, Gemm, MatMul,
// pools, Softmax/LogSoftmax, Resize) against direct double-precision
// references written here, plus the errors a bad node must produce.
//
// Tolerances: inputs are uniform in [-1, 1] and every output sums at most a
// few hundred fp32 products, so |error| stays far below 1e-4 absolute (fp32
// rounding ~6e-8 per term); 1e-4 + 1e-4 * |ref| still fails on any wrong tap,
// pad or index (those move outputs by ~0.1).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <random>
#include <thread>

#include "kernels/builtin.hpp"
#include "normrt/error.hpp"

namespace normrt::rt {
namespace {

using Vec = std::vector<float>;

// ---- harness -------------------------------------------------------------------

const KernelRegistry& onednn_registry() {
  static const KernelRegistry r = [] {
    KernelRegistry reg;
    register_onednn_kernels(reg);
    return reg;
  }();
  return r;
}

// One input of a test node: data + dims, and whether its value is known at
// prepare time (an initializer).
struct In {
  Vec data;
  Dims dims;
  bool constant = false;
  bool omitted = false;
  DType dtype = DType::f32;
};

In input(Vec data, Dims dims, bool constant = false) { return In{std::move(data), std::move(dims), constant, false}; }
In omitted() { return In{{}, {}, false, true}; }

Vec random_vec(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Vec v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

std::size_t count(const Dims& d) {
  std::size_t n = 1;
  for (int64_t x : d) n *= std::size_t(x);
  return n;
}

In random_input(Dims dims, unsigned seed, bool constant = false) {
  Vec data = random_vec(count(dims), seed);
  return input(std::move(data), std::move(dims), constant);
}

// A node with named values (error messages name it) built by hand.
struct TestNode {
  std::vector<std::unique_ptr<Value>> values;
  Node node;

  TestNode(const std::string& op, std::size_t inputs, std::size_t outputs = 1, int opset = 17,
           const std::string& domain = "") {
    node.name = "test_" + op;
    node.op_type = op;
    node.domain = domain;
    node.opset = opset;
    for (std::size_t i = 0; i < inputs + outputs; ++i) {
      values.push_back(std::make_unique<Value>());
      values.back()->name = "v" + std::to_string(i);
      (i < inputs ? node.inputs : node.outputs).push_back(values.back().get());
    }
  }
  TestNode& attr(const std::string& name, Attribute a) {
    node.attrs[name] = std::move(a);
    return *this;
  }
};

struct Prepared {
  std::unique_ptr<OpKernel> kernel;
  std::vector<TensorInfo> outputs;
  std::vector<Tensor> tensors;  // inputs, kept alive
};

Prepared prepare(const TestNode& t, const std::vector<In>& ins) {
  const KernelDef* def = onednn_registry().find(t.node.domain, t.node.op_type, t.node.opset);
  if (!def) throw Error("no kernel for " + t.node.op_type);
  Prepared p;
  std::vector<TensorInfo> infos;
  std::vector<const Tensor*> known;
  for (const In& in : ins) {
    if (in.omitted) {
      p.tensors.emplace_back();
      infos.push_back(TensorInfo{});
      continue;
    }
    Tensor tensor(in.dtype, in.dims);
    if (in.dtype == DType::u8)
      std::transform(in.data.begin(), in.data.end(), tensor.as<uint8_t>(), [](float v) { return uint8_t(v); });
    else
      std::copy(in.data.begin(), in.data.end(), tensor.as<float>());
    p.tensors.push_back(tensor);
    infos.push_back(TensorInfo{in.dtype, in.dims});
  }
  for (std::size_t i = 0; i < ins.size(); ++i) known.push_back(ins[i].constant ? &p.tensors[i] : nullptr);
  PrepareContext ctx{t.node, infos, known, {}};
  p.kernel = def->create(ctx, p.outputs);
  return p;
}

// Runs a prepared kernel once; the output buffer starts as garbage (NaN) so
// that unwritten elements show.
std::vector<Tensor> run(const Prepared& p) {
  RunContext ctx;
  for (const Tensor& t : p.tensors) {
    ctx.inputs.push_back(TensorView{const_cast<void*>(t.data()), t.dtype(), t.dims()});
  }
  std::vector<Tensor> outs;
  for (const TensorInfo& info : p.outputs) {
    outs.emplace_back(info.dtype, info.dims);
    if (info.dtype == DType::f32)
      std::fill(outs.back().as<float>(), outs.back().as<float>() + outs.back().size(), std::nanf(""));
    ctx.outputs.push_back(TensorView{outs.back().data(), info.dtype, info.dims});
  }
  Tensor scratch(DType::u8, {int64_t(p.kernel->scratch_bytes())});
  ctx.scratch = scratch.data();
  p.kernel->run(ctx);
  return outs;
}

Tensor run_one(const TestNode& t, const std::vector<In>& ins) { return run(prepare(t, ins))[0]; }

void expect_close(const Tensor& got, const std::vector<double>& want, const Dims& dims,
                  double tol = 1e-4) {
  ASSERT_EQ(got.dims(), dims);
  ASSERT_EQ(std::size_t(got.size()), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got.as<float>()[i], want[i], tol + tol * std::abs(want[i])) << "element " << i;
}

// Expects create() to throw a normrt::Error that names the node and says `what`.
void expect_error(const TestNode& t, const std::vector<In>& ins, const std::string& what) {
  try {
    prepare(t, ins);
    ADD_FAILURE() << "no error; expected one mentioning '" << what << "'";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("node '" + t.node.name + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

// ---- references (double, spatial dims padded to 3 with unit axes) ---------------

using Pos = std::array<int64_t, 3>;  // a position or extent in the 3 padded spatial axes

struct Geo {  // per spatial axis, always 3 entries
  Pos in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, s{1, 1, 1}, d{1, 1, 1}, pb{0, 0, 0};
};

Geo geometry(const Dims& in_spatial, const Dims& out_spatial, const Dims& k, const Dims& s,
             const Dims& d, const Dims& pb) {
  Geo g;
  const std::size_t off = 3 - in_spatial.size();
  for (std::size_t i = 0; i < in_spatial.size(); ++i) {
    g.in[off + i] = in_spatial[i];
    g.out[off + i] = out_spatial[i];
    g.k[off + i] = k[i];
    g.s[off + i] = s[i];
    g.d[off + i] = d[i];
    g.pb[off + i] = pb[i];
  }
  return g;
}

Dims spatial(const Dims& d) { return Dims(d.begin() + 2, d.end()); }

// Calls f(p) for every p in [0, extent), row-major.
template <class F>
void for_each_pos(const Pos& extent, F f) {
  for (int64_t p0 = 0; p0 < extent[0]; ++p0)
    for (int64_t p1 = 0; p1 < extent[1]; ++p1)
      for (int64_t p2 = 0; p2 < extent[2]; ++p2) f(Pos{p0, p1, p2});
}

// Where tap t of position p lands: p*s - pb + t*d per axis (an input position
// for Conv and pools, an output position for the scatter form of ConvTranspose).
Pos tap_pos(const Geo& g, const Pos& p, const Pos& t) {
  Pos r;
  for (std::size_t a = 0; a < 3; ++a) r[a] = p[a] * g.s[a] - g.pb[a] + t[a] * g.d[a];
  return r;
}

bool inside(const Pos& p, const Pos& extent) {
  for (std::size_t a = 0; a < 3; ++a)
    if (p[a] < 0 || p[a] >= extent[a]) return false;
  return true;
}

int64_t volume(const Pos& extent) { return extent[0] * extent[1] * extent[2]; }

// Row-major index of p within one [extent] plane, offset by `plane` whole planes.
std::size_t at(int64_t plane, const Pos& p, const Pos& extent) {
  return std::size_t(plane * volume(extent) + (p[0] * extent[1] + p[1]) * extent[2] + p[2]);
}

// Y[n, m, o] = B[m] + sum_{c in group(m), t} X[n, c, o*s - pb + t*d] * W[m, c', t]
std::vector<double> conv_ref(const In& x, const In& w, const Vec* bias, int64_t group,
                             const Dims& out_dims, const Dims& s, const Dims& d, const Dims& pb) {
  const int64_t n_batch = x.dims[0], c_in = x.dims[1], maps = w.dims[0];
  const int64_t cg = c_in / group, mg = maps / group;
  const Geo g = geometry(spatial(x.dims), spatial(out_dims), spatial(w.dims), s, d, pb);
  std::vector<double> y;
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t m = 0; m < maps; ++m)
      for_each_pos(g.out, [&](const Pos& o) {
        double acc = bias ? (*bias)[std::size_t(m)] : 0.0;
        for (int64_t c = 0; c < cg; ++c)
          for_each_pos(g.k, [&](const Pos& t) {
            const Pos i = tap_pos(g, o, t);
            if (!inside(i, g.in)) return;
            const int64_t ci = (m / mg) * cg + c;
            acc += double(x.data[at(n * c_in + ci, i, g.in)]) * double(w.data[at(m * cg + c, t, g.k)]);
          });
        y.push_back(acc);
      });
  return y;
}

// Scatter form: X[n, c, i] * W[c, m', t] lands on Y[n, m, i*s - pb + t*d].
std::vector<double> conv_transpose_ref(const In& x, const In& w, const Vec* bias, int64_t group,
                                       const Dims& out_dims, const Dims& s, const Dims& d,
                                       const Dims& pb) {
  const int64_t n_batch = x.dims[0], c_in = x.dims[1], mg = w.dims[1], maps = mg * group;
  const int64_t cg = c_in / group;
  const Geo g = geometry(spatial(x.dims), spatial(out_dims), spatial(w.dims), s, d, pb);
  const std::size_t plane = std::size_t(volume(g.out));
  std::vector<double> y(std::size_t(n_batch * maps) * plane, 0.0);
  for (int64_t n = 0; n < n_batch; ++n)
    for (int64_t c = 0; c < c_in; ++c)
      for_each_pos(g.in, [&](const Pos& i) {
        for (int64_t mo = 0; mo < mg; ++mo)
          for_each_pos(g.k, [&](const Pos& t) {
            const Pos o = tap_pos(g, i, t);
            if (!inside(o, g.out)) return;
            const int64_t m = (c / cg) * mg + mo;
            y[at(n * maps + m, o, g.out)] +=
                double(x.data[at(n * c_in + c, i, g.in)]) * double(w.data[at(c * mg + mo, t, g.k)]);
          });
      });
  if (bias)
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += (*bias)[(i / plane) % std::size_t(maps)];
  return y;
}

enum class PoolRef { max, avg_include, avg_exclude };

// ONNX pooling: max over taps inside the input; averages divide by the taps
// inside the input (exclude) or inside the explicitly padded input (include).
std::vector<double> pool_ref(const In& x, PoolRef kind, const Dims& out_dims, const Dims& k,
                             const Dims& s, const Dims& d, const Dims& pb, const Dims& pe) {
  const Geo g = geometry(spatial(x.dims), spatial(out_dims), k, s, d, pb);
  Pos limit{1, 1, 1};  // end of the explicitly padded input
  const std::size_t off = 3 - k.size();
  for (std::size_t i = 0; i < k.size(); ++i) limit[off + i] = g.in[off + i] + pe[i];
  std::vector<double> y;
  for (int64_t p = 0; p < x.dims[0] * x.dims[1]; ++p)
    for_each_pos(g.out, [&](const Pos& o) {
      double best = -INFINITY, sum = 0.0;
      int64_t inside_taps = 0, padded = 0;
      for_each_pos(g.k, [&](const Pos& t) {
        const Pos i = tap_pos(g, o, t);
        if (i[0] < limit[0] && i[1] < limit[1] && i[2] < limit[2]) ++padded;
        if (!inside(i, g.in)) return;
        const double v = x.data[at(p, i, g.in)];
        best = std::max(best, v);
        sum += v;
        ++inside_taps;
      });
      y.push_back(kind == PoolRef::max ? best
                  : kind == PoolRef::avg_include ? sum / double(padded)
                                                 : sum / double(inside_taps));
    });
  return y;
}

// Numpy matmul of row-major A [..., M, K] and B [..., K, N] with batch dims
// already broadcast-compatible and left-padded to the output's batch rank.
std::vector<double> matmul_ref(const In& a, const In& b, const Dims& batch, int64_t m, int64_t k,
                               int64_t n) {
  const std::size_t rank = batch.size();
  const Dims ab(a.dims.begin(), a.dims.end() - 2), bb(b.dims.begin(), b.dims.end() - 2);
  std::vector<double> y;
  const std::size_t batches = count(batch);
  for (std::size_t flat = 0; flat < batches; ++flat) {
    // Batch index per dim, then the broadcast offsets into A and B.
    std::size_t rest = flat, a_off = 0, b_off = 0, a_stride = 1, b_stride = 1;
    for (std::size_t dd = rank; dd-- > 0;) {
      const std::size_t idx = rest % std::size_t(batch[dd]);
      rest /= std::size_t(batch[dd]);
      a_off += (ab[dd] == 1 ? 0 : idx) * a_stride;
      b_off += (bb[dd] == 1 ? 0 : idx) * b_stride;
      a_stride *= std::size_t(ab[dd]);
      b_stride *= std::size_t(bb[dd]);
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t t = 0; t < k; ++t)
          acc += double(a.data[a_off * std::size_t(m * k) + std::size_t(i * k + t)]) *
                 double(b.data[b_off * std::size_t(k * n) + std::size_t(t * n + j)]);
        y.push_back(acc);
      }
  }
  return y;
}

// ---- Conv -----------------------------------------------------------------------

struct ConvCase {
  Dims x, w;
  int64_t group;
  Dims strides, dilations, pads;  // pads: begin..., end...
  bool bias;
};

// Readable test parameters in failure messages.
std::ostream& operator<<(std::ostream& os, const ConvCase& c) {
  return os << "x" << dims_string(c.x) << " w" << dims_string(c.w) << " g" << c.group << " s"
            << dims_string(c.strides) << " d" << dims_string(c.dilations) << " p" << dims_string(c.pads);
}

Dims conv_out_dims(const ConvCase& c) {
  Dims out = {c.x[0], c.w[0]};
  const std::size_t n = c.x.size() - 2;
  for (std::size_t i = 0; i < n; ++i) {
    const int64_t extent = (c.w[i + 2] - 1) * c.dilations[i] + 1;
    out.push_back((c.x[i + 2] + c.pads[i] + c.pads[i + n] - extent) / c.strides[i] + 1);
  }
  return out;
}

void check_conv(const ConvCase& c, bool constant_weights) {
  TestNode t("Conv", c.bias ? 3 : 2);
  t.attr("group", c.group).attr("strides", c.strides).attr("dilations", c.dilations).attr("pads", c.pads);
  const In x = random_input(c.x, 1), w = random_input(c.w, 2, constant_weights);
  const In b = random_input({c.w[0]}, 3, constant_weights);
  std::vector<In> ins = {x, w};
  if (c.bias) ins.push_back(b);
  const Dims out = conv_out_dims(c);
  const Dims pb(c.pads.begin(), c.pads.begin() + std::ptrdiff_t(c.x.size() - 2));
  expect_close(run_one(t, ins), conv_ref(x, w, c.bias ? &b.data : nullptr, c.group, out, c.strides, c.dilations, pb), out);
}

class ConvTest : public ::testing::TestWithParam<std::tuple<ConvCase, bool>> {};

TEST_P(ConvTest, MatchesDirectConvolution) {
  check_conv(std::get<0>(GetParam()), std::get<1>(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTest,
    ::testing::Combine(
        ::testing::Values(
            ConvCase{{2, 3, 9, 8}, {4, 3, 3, 3}, 1, {1, 1}, {1, 1}, {1, 1, 1, 1}, true},
            ConvCase{{1, 4, 11, 10}, {6, 4, 3, 2}, 1, {2, 3}, {2, 1}, {2, 0, 1, 3}, true},
            ConvCase{{1, 4, 7, 7}, {6, 2, 3, 3}, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}, false},   // grouped
            ConvCase{{2, 5, 8, 9}, {5, 1, 3, 3}, 5, {2, 2}, {1, 1}, {1, 1, 1, 1}, true},    // depthwise
            ConvCase{{1, 3, 6, 6}, {6, 1, 3, 3}, 3, {1, 1}, {2, 2}, {2, 2, 2, 2}, false},   // depthwise x2
            ConvCase{{2, 3, 17}, {4, 3, 5}, 1, {2}, {2}, {3, 1}, true},                     // 1D
            ConvCase{{1, 2, 5, 6, 7}, {3, 2, 3, 2, 3}, 1, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 1, 1, 2}, true}),  // 3D
        ::testing::Bool()));

TEST(OnednnConv, SamePaddingSplitsTheOddPadLikeOnnx) {
  // in 7, k 4, stride 2: out 4, total pad (4-1)*2+4-7 = 3 -> UPPER (1, 2), LOWER (2, 1).
  for (const auto& [mode, pb] : {std::pair<std::string, int64_t>{"SAME_UPPER", 1}, {"SAME_LOWER", 2}}) {
    TestNode t("Conv", 2);
    t.attr("auto_pad", mode).attr("strides", Dims{2, 2});
    const In x = random_input({1, 2, 7, 7}, 4), w = random_input({3, 2, 4, 4}, 5, true);
    const Dims out = {1, 3, 4, 4};
    expect_close(run_one(t, {x, w}), conv_ref(x, w, nullptr, 1, out, {2, 2}, {1, 1}, {pb, pb}), out);
  }
  TestNode valid("Conv", 2);
  valid.attr("auto_pad", std::string("VALID"));
  const In x = random_input({1, 2, 7, 7}, 4), w = random_input({3, 2, 4, 4}, 5);
  const Dims out = {1, 3, 4, 4};
  expect_close(run_one(valid, {x, w}), conv_ref(x, w, nullptr, 1, out, {1, 1}, {1, 1}, {0, 0}), out);
}

std::vector<double> apply(std::vector<double> v, double (*f)(double)) {
  for (double& x : v) x = f(x);
  return v;
}

TEST(OnednnConv, FusedResidualAndActivationEpilogue) {
  const In x = random_input({1, 3, 6, 6}, 6), w = random_input({4, 3, 3, 3}, 7, true);
  const In b = random_input({4}, 8, true), z = random_input({1, 4, 6, 6}, 9);
  const Dims out = {1, 4, 6, 6};
  std::vector<double> base = conv_ref(x, w, &b.data, 1, out, {1, 1}, {1, 1}, {1, 1});
  for (std::size_t i = 0; i < base.size(); ++i) base[i] += z.data[i];

  const std::vector<std::pair<std::string, double (*)(double)>> acts = {
      {"relu", [](double v) { return std::max(v, 0.0); }},
      {"silu", [](double v) { return v / (1.0 + std::exp(-v)); }},
      {"sigmoid", [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
      {"clip", [](double v) { return std::clamp(v, -0.5, 0.75); }}};
  for (const auto& [name, f] : acts) {
    TestNode t("Conv", 4, 1, 1, "normrt");
    t.attr("pads", Dims{1, 1, 1, 1}).attr("activation", name);
    if (name == "clip") t.attr("activation_min", -0.5f).attr("activation_max", 0.75f);
    const Prepared p = prepare(t, {x, w, b, z});
    EXPECT_EQ(p.kernel->in_place_input(0), 3) << "the residual may be updated in place";
    expect_close(run(p)[0], apply(base, f), out);
  }
  // Residual only, no activation, without bias.
  TestNode t("Conv", 4, 1, 1, "normrt");
  t.attr("pads", Dims{1, 1, 1, 1});
  std::vector<double> want = conv_ref(x, w, nullptr, 1, out, {1, 1}, {1, 1}, {1, 1});
  for (std::size_t i = 0; i < want.size(); ++i) want[i] += z.data[i];
  expect_close(run_one(t, {x, w, omitted(), z}), want, out);
}

TEST(OnednnConv, InPlaceResidualSharesTheOutputBuffer) {
  TestNode t("Conv", 4, 1, 1, "normrt");
  t.attr("activation", std::string("relu"));
  const In x = random_input({1, 2, 4, 4}, 10), w = random_input({2, 2, 1, 1}, 11, true);
  const In z = random_input({1, 2, 4, 4}, 12);
  const Prepared p = prepare(t, {x, w, omitted(), z});
  // Point the output at the residual's buffer, as the planner does.
  RunContext ctx;
  for (const Tensor& tensor : p.tensors)
    ctx.inputs.push_back(TensorView{const_cast<void*>(tensor.data()), tensor.dtype(), tensor.dims()});
  ctx.outputs.push_back(ctx.inputs[3]);
  Tensor scratch(DType::u8, {int64_t(p.kernel->scratch_bytes())});
  ctx.scratch = scratch.data();
  p.kernel->run(ctx);
  std::vector<double> want = conv_ref(x, w, nullptr, 1, {1, 2, 4, 4}, {1, 1}, {1, 1}, {0, 0});
  for (std::size_t i = 0; i < want.size(); ++i) want[i] = std::max(want[i] + z.data[i], 0.0);
  expect_close(p.tensors[3], want, {1, 2, 4, 4});
}

TEST(OnednnConv, ConcurrentRunsOfOneKernelAgree) {
  TestNode t("Conv", 3);
  t.attr("pads", Dims{1, 1, 1, 1});
  const Prepared p = prepare(t, {random_input({2, 8, 16, 16}, 13), random_input({16, 8, 3, 3}, 14, true),
                                 random_input({16}, 15, true)});
  const Tensor serial = run(p)[0];
  std::vector<Tensor> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = run(p)[0]; });
  for (auto& th : threads) th.join();
  for (const Tensor& r : results)
    EXPECT_TRUE(std::equal(serial.as<float>(), serial.as<float>() + serial.size(), r.as<float>()));
}

TEST(OnednnConv, BadNodesFailNamingTheNode) {
  const In x = random_input({1, 4, 5, 5}, 16), w = random_input({4, 2, 3, 3}, 17);
  expect_error(TestNode("Conv", 2).attr("group", int64_t(3)), {x, w}, "group");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(0)), {x, w}, "group");
  expect_error(TestNode("Conv", 2), {x, w}, "group");  // W has C/g = 2 but group = 1
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("foo", int64_t(1)), {x, w}, "unsupported attribute 'foo'");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("kernel_shape", Dims{2, 2}), {x, w}, "kernel_shape");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("strides", Dims{0, 1}), {x, w}, "strides");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("pads", Dims{1, 1}), {x, w}, "pads");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("auto_pad", std::string("SAME")), {x, w}, "auto_pad");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("dilations", Dims{4, 4}), {x, w}, "larger than");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("strides", Dims{int64_t(1) << 40, 1}), {x, w}, "out of range");
  expect_error(TestNode("Conv", 2), {random_input({4, 5}, 1), w}, "rank");
  expect_error(TestNode("Conv", 3).attr("group", int64_t(2)), {x, w, random_input({3}, 1)}, "input 'B'");
  expect_error(TestNode("Conv", 2).attr("group", int64_t(2)).attr("activation", std::string("relu")), {x, w},
               "unsupported attribute 'activation'");
  expect_error(TestNode("Conv", 2, 1, 1, "normrt").attr("group", int64_t(2)).attr("activation", std::string("gelu")),
               {x, w}, "activation");
  expect_error(TestNode("Conv", 4, 1, 1, "normrt").attr("group", int64_t(2)), {x, w, omitted(), random_input({1, 4, 2, 2}, 1)},
               "residual");
}

// ---- ConvTranspose ------------------------------------------------------------------

struct DeconvCase {
  Dims x, w;  // w: [Cin, Cout/g, k...]
  int64_t group;
  Dims strides, dilations, pads, output_padding;
  bool bias;
};

std::ostream& operator<<(std::ostream& os, const DeconvCase& c) {
  return os << "x" << dims_string(c.x) << " w" << dims_string(c.w) << " g" << c.group << " s"
            << dims_string(c.strides) << " d" << dims_string(c.dilations) << " p" << dims_string(c.pads)
            << " op" << dims_string(c.output_padding);
}

Dims deconv_out_dims(const DeconvCase& c) {
  Dims out = {c.x[0], c.w[1] * c.group};
  const std::size_t n = c.x.size() - 2;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back((c.x[i + 2] - 1) * c.strides[i] + (c.w[i + 2] - 1) * c.dilations[i] + 1 +
                  c.output_padding[i] - c.pads[i] - c.pads[i + n]);
  return out;
}

class ConvTransposeTest : public ::testing::TestWithParam<std::tuple<DeconvCase, bool>> {};

TEST_P(ConvTransposeTest, MatchesScatterReference) {
  const DeconvCase& c = std::get<0>(GetParam());
  const bool constant = std::get<1>(GetParam());
  TestNode t("ConvTranspose", c.bias ? 3 : 2);
  t.attr("group", c.group).attr("strides", c.strides).attr("dilations", c.dilations).attr("pads", c.pads);
  t.attr("output_padding", c.output_padding);
  const In x = random_input(c.x, 21), w = random_input(c.w, 22, constant);
  const In b = random_input({c.w[1] * c.group}, 23, constant);
  std::vector<In> ins = {x, w};
  if (c.bias) ins.push_back(b);
  const Dims out = deconv_out_dims(c);
  const Dims pb(c.pads.begin(), c.pads.begin() + std::ptrdiff_t(c.x.size() - 2));
  expect_close(run_one(t, ins),
               conv_transpose_ref(x, w, c.bias ? &b.data : nullptr, c.group, out, c.strides, c.dilations, pb), out);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTransposeTest,
    ::testing::Combine(
        ::testing::Values(
            DeconvCase{{1, 3, 4, 5}, {3, 2, 3, 3}, 1, {1, 1}, {1, 1}, {0, 0, 0, 0}, {0, 0}, true},
            DeconvCase{{2, 4, 4, 3}, {4, 3, 3, 2}, 1, {2, 3}, {1, 1}, {1, 0, 0, 1}, {1, 2}, true},
            DeconvCase{{1, 4, 5, 5}, {4, 3, 3, 3}, 2, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 0}, false},  // groups
            DeconvCase{{1, 6, 4, 4}, {6, 1, 4, 4}, 6, {2, 2}, {1, 1}, {1, 1, 1, 1}, {0, 0}, true},   // depthwise
            DeconvCase{{1, 2, 4, 4}, {2, 2, 3, 3}, 1, {1, 1}, {2, 2}, {1, 1, 1, 1}, {0, 0}, true},   // dilated
            DeconvCase{{2, 3, 6}, {3, 2, 3}, 1, {2}, {1}, {1, 0}, {1}, true},                         // 1D
            DeconvCase{{1, 2, 3, 3, 3}, {2, 2, 2, 3, 2}, 1, {2, 1, 2}, {1, 1, 1}, {0, 1, 0, 0, 0, 1}, {1, 0, 0}, true}),  // 3D
        ::testing::Bool()));

TEST(OnednnConvTranspose, AutoPadSameMatchesOnnxConformanceData) {
  // test_convtranspose_autopad_same: X = 0..8 as [1,1,3,3], W = ones [1,2,3,3],
  // strides 2, SAME_UPPER -> [1,2,6,6]; the first rows of the expected output.
  Vec xs(9);
  for (int i = 0; i < 9; ++i) xs[std::size_t(i)] = float(i);
  TestNode t("ConvTranspose", 2);
  t.attr("auto_pad", std::string("SAME_UPPER")).attr("strides", Dims{2, 2});
  const Tensor y = run_one(t, {input(xs, {1, 1, 3, 3}), input(Vec(18, 1.0f), {1, 2, 3, 3}, true)});
  ASSERT_EQ(y.dims(), (Dims{1, 2, 6, 6}));
  const Vec want = {0, 0, 1, 1, 3, 2, 0, 0, 1, 1, 3, 2, 3, 3, 8, 5, 12, 7};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y.as<float>()[i], want[i]) << i;
}

TEST(OnednnConvTranspose, OutputShapeSetsThePads) {
  // Full size (3-1)*3+3 = 9 on H, (3-1)*2+3 = 7 on W; output_shape [10, 8]
  // extends both ends by one (like output_padding 1): pads (0, -1).
  const In x = random_input({1, 1, 3, 3}, 24), w = random_input({1, 2, 3, 3}, 25, true);
  TestNode t("ConvTranspose", 2);
  t.attr("strides", Dims{3, 2}).attr("output_shape", Dims{10, 8});
  const Dims out = {1, 2, 10, 8};
  expect_close(run_one(t, {x, w}), conv_transpose_ref(x, w, nullptr, 1, out, {3, 2}, {1, 1}, {0, 0}), out);
  // output_shape smaller than the full size crops symmetrically: total 2 -> (1, 1).
  TestNode crop("ConvTranspose", 2);
  crop.attr("strides", Dims{3, 2}).attr("output_shape", Dims{1, 1, 7, 5});
  const Dims out2 = {1, 2, 7, 5};
  expect_close(run_one(crop, {x, w}), conv_transpose_ref(x, w, nullptr, 1, out2, {3, 2}, {1, 1}, {1, 1}), out2);
}

TEST(OnednnConvTranspose, BadNodesFailNamingTheNode) {
  const In x = random_input({1, 4, 3, 3}, 26), w = random_input({4, 2, 3, 3}, 27);
  expect_error(TestNode("ConvTranspose", 2).attr("group", int64_t(3)), {x, w}, "group");
  expect_error(TestNode("ConvTranspose", 2), {x, random_input({3, 2, 3, 3}, 1)}, "group");
  expect_error(TestNode("ConvTranspose", 2).attr("output_padding", Dims{1, 1}), {x, w}, "output_padding");
  expect_error(TestNode("ConvTranspose", 2).attr("output_shape", Dims{1, 2, 3}), {x, w}, "output_shape");
  expect_error(TestNode("ConvTranspose", 2).attr("pads", Dims{5, 5, 5, 5}), {x, w}, "no output");
}

// ---- Gemm / MatMul ------------------------------------------------------------------

struct GemmCase {
  int64_t m, k, n;
  bool trans_a, trans_b;
  float alpha, beta;
  Dims c;  // empty with has_c false: no C
  bool has_c;
};

std::ostream& operator<<(std::ostream& os, const GemmCase& g) {
  return os << g.m << "x" << g.k << "x" << g.n << " tA" << g.trans_a << " tB" << g.trans_b << " alpha "
            << g.alpha << " beta " << g.beta << " C" << (g.has_c ? dims_string(g.c) : "-");
}

class GemmTest : public ::testing::TestWithParam<std::tuple<GemmCase, bool>> {};

TEST_P(GemmTest, MatchesReference) {
  const GemmCase& g = std::get<0>(GetParam());
  const bool constant_b = std::get<1>(GetParam());
  TestNode t("Gemm", g.has_c ? 3 : 2, 1, 13);
  t.attr("transA", int64_t(g.trans_a)).attr("transB", int64_t(g.trans_b)).attr("alpha", g.alpha).attr("beta", g.beta);
  const In a = random_input(g.trans_a ? Dims{g.k, g.m} : Dims{g.m, g.k}, 31);
  const In b = random_input(g.trans_b ? Dims{g.n, g.k} : Dims{g.k, g.n}, 32, constant_b);
  const In c = random_input(g.c, 33);
  std::vector<In> ins = {a, b};
  if (g.has_c) ins.push_back(c);
  std::vector<double> want;
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (int64_t t2 = 0; t2 < g.k; ++t2)
        acc += double(a.data[std::size_t(g.trans_a ? t2 * g.m + i : i * g.k + t2)]) *
               double(b.data[std::size_t(g.trans_b ? j * g.k + t2 : t2 * g.n + j)]);
      double cv = 0.0;
      if (g.has_c) {  // right-aligned broadcast of C to [M, N]
        const Dims cd = Dims(2 - g.c.size(), 1) == Dims{} ? g.c : [&] { Dims d(2 - g.c.size(), 1); d.insert(d.end(), g.c.begin(), g.c.end()); return d; }();
        cv = c.data[std::size_t((cd[0] == 1 ? 0 : i) * cd[1] + (cd[1] == 1 ? 0 : j))];
      }
      want.push_back(g.alpha * acc + g.beta * cv);
    }
  expect_close(run_one(t, ins), want, {g.m, g.n});
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GemmTest,
    ::testing::Combine(::testing::Values(GemmCase{5, 7, 3, false, false, 1.0f, 1.0f, {3}, true},
                                         GemmCase{5, 7, 3, true, false, 1.0f, 1.0f, {5, 3}, true},
                                         GemmCase{5, 7, 3, false, true, 1.0f, 1.0f, {5, 1}, true},
                                         GemmCase{4, 6, 8, true, true, 0.5f, 2.0f, {8}, true},
                                         GemmCase{4, 6, 8, false, true, 1.0f, 0.25f, {}, true},  // scalar C
                                         GemmCase{4, 6, 8, true, false, -1.5f, 1.0f, {4, 8}, true},
                                         GemmCase{3, 9, 2, false, false, 2.0f, 1.0f, {}, false}),
                       ::testing::Bool()));

TEST(OnednnGemm, BadShapesFailNamingTheNode) {
  expect_error(TestNode("Gemm", 2), {random_input({2, 3}, 1), random_input({4, 5}, 2)}, "inner dimensions");
  expect_error(TestNode("Gemm", 3), {random_input({2, 3}, 1), random_input({3, 5}, 2), random_input({3}, 3)}, "input 'C'");
  expect_error(TestNode("Gemm", 2), {random_input({2, 3, 1}, 1), random_input({3, 5}, 2)}, "2-D");
}

struct MatMulCase {
  Dims a, b, out;
};

std::ostream& operator<<(std::ostream& os, const MatMulCase& c) {
  return os << dims_string(c.a) << " x " << dims_string(c.b);
}

class MatMulTest : public ::testing::TestWithParam<std::tuple<MatMulCase, bool>> {};

TEST_P(MatMulTest, MatchesNumpyBroadcasting) {
  const MatMulCase& c = std::get<0>(GetParam());
  const In a = random_input(c.a, 41), b = random_input(c.b, 42, std::get<1>(GetParam()));
  // The reference works on >= 2-D operands with equal-rank batch dims.
  In a2 = a, b2 = b;
  if (a2.dims.size() == 1) a2.dims.insert(a2.dims.begin(), 1);
  if (b2.dims.size() == 1) b2.dims.push_back(1);
  const std::size_t rank = std::max(a2.dims.size(), b2.dims.size());
  a2.dims.insert(a2.dims.begin(), rank - a2.dims.size(), 1);
  b2.dims.insert(b2.dims.begin(), rank - b2.dims.size(), 1);
  Dims batch;
  for (std::size_t d = 0; d + 2 < rank; ++d) batch.push_back(std::max(a2.dims[d], b2.dims[d]));
  const int64_t m = a2.dims[rank - 2], k = a2.dims[rank - 1], n = b2.dims[rank - 1];
  expect_close(run_one(TestNode("MatMul", 2, 1, 13), {a, b}), matmul_ref(a2, b2, batch, m, k, n), c.out);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MatMulTest,
    ::testing::Combine(::testing::Values(MatMulCase{{4, 5}, {5, 3}, {4, 3}},
                                         MatMulCase{{2, 3, 4, 5}, {5, 6}, {2, 3, 4, 6}},      // shared B
                                         MatMulCase{{2, 1, 3, 4}, {1, 3, 4, 5}, {2, 3, 3, 5}}, // broadcast both
                                         MatMulCase{{3, 4, 5}, {3, 5, 2}, {3, 4, 2}},
                                         MatMulCase{{4, 5}, {2, 5, 3}, {2, 4, 3}},             // A broadcast
                                         MatMulCase{{5}, {2, 5, 3}, {2, 3}},                   // 1-D A
                                         MatMulCase{{2, 4, 5}, {5}, {2, 4}},                   // 1-D B
                                         MatMulCase{{7}, {7}, {}}),                            // dot
                       ::testing::Bool()));

TEST(OnednnMatMul, BadShapesFailNamingTheNode) {
  expect_error(TestNode("MatMul", 2), {random_input({2, 3}, 1), random_input({4, 5}, 2)}, "inner dimensions");
  expect_error(TestNode("MatMul", 2), {random_input({2, 2, 3}, 1), random_input({3, 3, 5}, 2)}, "");
}

// ---- pools ----------------------------------------------------------------------------

struct PoolCase {
  std::string op;
  Dims x, kernel, strides, dilations, pads;  // pads: begin..., end...
  bool ceil_mode;
  int64_t count_include_pad;
  Dims out;
};

std::ostream& operator<<(std::ostream& os, const PoolCase& c) {
  return os << c.op << " x" << dims_string(c.x) << " k" << dims_string(c.kernel) << " s"
            << dims_string(c.strides) << " d" << dims_string(c.dilations) << " p" << dims_string(c.pads)
            << " ceil" << c.ceil_mode << " include_pad" << c.count_include_pad;
}

class PoolTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolTest, MatchesReference) {
  const PoolCase& c = GetParam();
  TestNode t(c.op, 1, 1, 19);
  t.attr("kernel_shape", c.kernel).attr("strides", c.strides).attr("pads", c.pads);
  t.attr("dilations", c.dilations).attr("ceil_mode", int64_t(c.ceil_mode));
  if (c.op == "AveragePool") t.attr("count_include_pad", c.count_include_pad);
  const In x = random_input(c.x, 51);
  const std::size_t n = c.kernel.size();
  const Dims pb(c.pads.begin(), c.pads.begin() + std::ptrdiff_t(n)), pe(c.pads.begin() + std::ptrdiff_t(n), c.pads.end());
  const PoolRef kind = c.op == "MaxPool" ? PoolRef::max : c.count_include_pad ? PoolRef::avg_include : PoolRef::avg_exclude;
  expect_close(run_one(t, {x}), pool_ref(x, kind, c.out, c.kernel, c.strides, c.dilations, pb, pe), c.out);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PoolTest,
    ::testing::Values(
        PoolCase{"MaxPool", {2, 3, 8, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, false, 0, {2, 3, 4, 5}},
        PoolCase{"MaxPool", {1, 2, 9, 9}, {3, 2}, {1, 2}, {2, 3}, {0, 1, 2, 0}, false, 0, {1, 2, 7, 4}},  // dilated
        PoolCase{"MaxPool", {1, 2, 6, 6}, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, true, 0, {1, 2, 3, 3}},  // ceil
        PoolCase{"MaxPool", {2, 3, 11}, {4}, {3}, {1}, {1, 2}, false, 0, {2, 3, 4}},                   // 1D
        PoolCase{"MaxPool", {1, 2, 5, 6, 4}, {2, 3, 2}, {2, 2, 1}, {1, 1, 1}, {0, 1, 1, 1, 0, 0}, false, 0, {1, 2, 3, 3, 4}},
        PoolCase{"AveragePool", {2, 3, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, false, 0, {2, 3, 4, 4}},
        PoolCase{"AveragePool", {2, 3, 7, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, false, 1, {2, 3, 4, 4}},
        // ceil_mode: the last window runs past the end pad; include-pad divides by 3*2 there, not 9.
        PoolCase{"AveragePool", {1, 2, 6, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 0}, true, 1, {1, 2, 3, 3}},
        PoolCase{"AveragePool", {1, 2, 6, 6}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 0}, true, 0, {1, 2, 3, 3}},
        PoolCase{"AveragePool", {2, 2, 9}, {3}, {2}, {1}, {2, 1}, false, 1, {2, 2, 5}},                     // 1D
        PoolCase{"AveragePool", {1, 2, 4, 5, 6}, {2, 2, 3}, {2, 2, 2}, {1, 1, 1}, {1, 0, 1, 0, 1, 1}, false, 0, {1, 2, 2, 3, 3}}));

TEST(OnednnPool, SameUpperPadsLikeConv) {
  // in 5, k 2, stride 2: out 3, total pad 1 -> (0, 1).
  TestNode t("MaxPool", 1);
  t.attr("kernel_shape", Dims{2, 2}).attr("strides", Dims{2, 2}).attr("auto_pad", std::string("SAME_UPPER"));
  const In x = random_input({1, 2, 5, 5}, 52);
  expect_close(run_one(t, {x}), pool_ref(x, PoolRef::max, {1, 2, 3, 3}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {1, 1}), {1, 2, 3, 3});
}

TEST(OnednnPool, GlobalPoolsReduceEverySpatialAxis) {
  const In x = random_input({2, 3, 4, 5}, 53);
  expect_close(run_one(TestNode("GlobalAveragePool", 1), {x}),
               pool_ref(x, PoolRef::avg_exclude, {2, 3, 1, 1}, {4, 5}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), {2, 3, 1, 1});
  expect_close(run_one(TestNode("GlobalMaxPool", 1), {x}),
               pool_ref(x, PoolRef::max, {2, 3, 1, 1}, {4, 5}, {1, 1}, {1, 1}, {0, 0}, {0, 0}), {2, 3, 1, 1});
  const In x3 = random_input({1, 2, 3, 4, 2}, 54);
  expect_close(run_one(TestNode("GlobalAveragePool", 1), {x3}),
               pool_ref(x3, PoolRef::avg_exclude, {1, 2, 1, 1, 1}, {3, 4, 2}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}),
               {1, 2, 1, 1, 1});
}

TEST(OnednnPool, MaxPoolTakesUint8FromOpset12) {
  Vec v(2 * 5 * 5);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = float((i * 37) % 251);
  In x = input(v, {1, 2, 5, 5});
  const std::vector<double> want = pool_ref(x, PoolRef::max, {1, 2, 2, 2}, {3, 3}, {2, 2}, {1, 1}, {0, 0}, {0, 0});
  x.dtype = DType::u8;
  TestNode t("MaxPool", 1, 1, 12);
  t.attr("kernel_shape", Dims{3, 3}).attr("strides", Dims{2, 2});
  const Tensor y = run_one(t, {x});
  ASSERT_EQ(y.dtype(), DType::u8);
  ASSERT_EQ(y.dims(), (Dims{1, 2, 2, 2}));
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(double(y.as<uint8_t>()[i]), want[i]) << i;
  expect_error(TestNode("MaxPool", 1, 1, 11).attr("kernel_shape", Dims{3, 3}), {x}, "uint8");
}

TEST(OnednnPool, BadNodesFailNamingTheNode) {
  const In x = random_input({1, 2, 5, 5}, 55);
  expect_error(TestNode("MaxPool", 1), {x}, "kernel_shape");
  expect_error(TestNode("MaxPool", 1, 2).attr("kernel_shape", Dims{2, 2}), {x}, "Indices");
  expect_error(TestNode("AveragePool", 1).attr("kernel_shape", Dims{2, 2}).attr("storage_order", int64_t(1)), {x},
               "storage_order");
  expect_error(TestNode("MaxPool", 1).attr("kernel_shape", Dims{7, 7}), {x}, "larger than");
  expect_error(TestNode("MaxPool", 1).attr("kernel_shape", Dims{2}), {x}, "kernel_shape");
}

// ---- Softmax / LogSoftmax -------------------------------------------------------------------

// Softmax over groups of `len` elements, `inner` apart, in blocks of len*inner.
std::vector<double> softmax_ref(const Vec& x, std::size_t len, std::size_t inner, bool log) {
  std::vector<double> y(x.size());
  for (std::size_t base = 0; base < x.size(); base += len * inner)
    for (std::size_t i = 0; i < inner; ++i) {
      double mx = -INFINITY, sum = 0.0;
      for (std::size_t j = 0; j < len; ++j) mx = std::max(mx, double(x[base + j * inner + i]));
      for (std::size_t j = 0; j < len; ++j) sum += std::exp(double(x[base + j * inner + i]) - mx);
      for (std::size_t j = 0; j < len; ++j) {
        const double v = double(x[base + j * inner + i]) - mx;
        y[base + j * inner + i] = log ? v - std::log(sum) : std::exp(v) / sum;
      }
    }
  return y;
}

TEST(OnednnSoftmax, Opset13NormalizesOneAxis) {
  const In x = random_input({2, 3, 4, 5}, 61);
  for (const bool log : {false, true}) {
    const std::string op = log ? "LogSoftmax" : "Softmax";
    expect_close(run_one(TestNode(op, 1, 1, 13).attr("axis", int64_t(1)), {x}), softmax_ref(x.data, 3, 20, log), x.dims);
    expect_close(run_one(TestNode(op, 1, 1, 13), {x}), softmax_ref(x.data, 5, 1, log), x.dims);  // default -1
    expect_close(run_one(TestNode(op, 1, 1, 13).attr("axis", int64_t(-2)), {x}), softmax_ref(x.data, 4, 5, log), x.dims);
  }
}

TEST(OnednnSoftmax, BeforeOpset13CoercesTo2D) {
  const In x = random_input({2, 3, 4, 5}, 62);
  for (const bool log : {false, true}) {
    const std::string op = log ? "LogSoftmax" : "Softmax";
    expect_close(run_one(TestNode(op, 1, 1, 11), {x}), softmax_ref(x.data, 60, 1, log), x.dims);  // default axis 1
    expect_close(run_one(TestNode(op, 1, 1, 11).attr("axis", int64_t(2)), {x}), softmax_ref(x.data, 20, 1, log), x.dims);
    expect_close(run_one(TestNode(op, 1, 1, 11).attr("axis", int64_t(0)), {x}), softmax_ref(x.data, 120, 1, log), x.dims);
  }
  // Large values stay finite (max subtraction).
  const Tensor y = run_one(TestNode("Softmax", 1, 1, 13), {input({1000.0f, 1001.0f, 1002.0f}, {3})});
  expect_close(y, softmax_ref({0.0f, 1.0f, 2.0f}, 3, 1, false), {3});
}

TEST(OnednnSoftmax, BadAxisFailsNamingTheNode) {
  expect_error(TestNode("Softmax", 1, 1, 13).attr("axis", int64_t(4)), {random_input({2, 3, 4, 5}, 1)}, "axis");
  expect_error(TestNode("Softmax", 1, 1, 13).attr("axes", Dims{1}), {random_input({2, 3}, 1)}, "axes");
}

// ---- Resize ------------------------------------------------------------------------------------

// Conformance examples (ONNX backend tests test_resize_*), expected values
// as the ONNX reference computes them.
In scales_input(Vec s) {
  const int64_t n = int64_t(s.size());
  return input(std::move(s), {n}, true);
}

TEST(OnednnResize, UpsampleLinearHalfPixel) {
  // test_resize_upsample_scales_linear
  TestNode t("Resize", 3, 1, 13);
  t.attr("mode", std::string("linear"));
  const Tensor y = run_one(t, {input({1, 2, 3, 4}, {1, 1, 2, 2}), omitted(), scales_input({1, 1, 2, 2})});
  expect_close(y, {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}, {1, 1, 4, 4});
}

TEST(OnednnResize, UpsampleLinearAlignCorners) {
  // test_resize_upsample_scales_linear_align_corners
  TestNode t("Resize", 3, 1, 13);
  t.attr("mode", std::string("linear")).attr("coordinate_transformation_mode", std::string("align_corners"));
  const Tensor y = run_one(t, {input({1, 2, 3, 4}, {1, 1, 2, 2}), omitted(), scales_input({1, 1, 2, 2})});
  // Source coordinates o/3 on both axes: bilinear on [[1,2],[3,4]] is 1 + fx + 2 fy.
  std::vector<double> want;
  for (int oy = 0; oy < 4; ++oy)
    for (int ox = 0; ox < 4; ++ox) want.push_back(1.0 + ox / 3.0 + 2.0 * oy / 3.0);
  expect_close(y, want, {1, 1, 4, 4});
}

TEST(OnednnResize, NearestModes) {
  // test_resize_upsample_scales_nearest: [[1,2],[3,4]] x (2, 3), asymmetric-like result.
  TestNode t("Resize", 3, 1, 13);
  const Tensor y = run_one(t, {input({1, 2, 3, 4}, {1, 1, 2, 2}), omitted(), scales_input({1, 1, 2, 3})});
  expect_close(y, {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, {1, 1, 4, 6});
  // test_resize_downsample_scales_nearest: [1,1,2,4] x 0.6 -> [1,1,1,2] = [1, 3].
  const Tensor d = run_one(t, {input({1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 2, 4}), omitted(), scales_input({1, 1, 0.6f, 0.6f})});
  expect_close(d, {1, 3}, {1, 1, 1, 2});
  // test_resize_upsample_sizes_nearest_floor_align_corners (first row) and
  // _round_prefer_ceil_asymmetric (first row): 4x4 input 1..16 to 8x8.
  Vec x16(16);
  for (int i = 0; i < 16; ++i) x16[std::size_t(i)] = float(i + 1);
  const In sizes = input({1, 1, 8, 8}, {4}, true);
  TestNode floor_ac("Resize", 4, 1, 13);
  floor_ac.attr("coordinate_transformation_mode", std::string("align_corners")).attr("nearest_mode", std::string("floor"));
  const Tensor f = run_one(floor_ac, {input(x16, {1, 1, 4, 4}), omitted(), omitted(), sizes});
  const Vec want_f = {1, 1, 1, 2, 2, 3, 3, 4};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(f.as<float>()[i], want_f[i]) << i;
  TestNode ceil_asym("Resize", 4, 1, 13);
  ceil_asym.attr("coordinate_transformation_mode", std::string("asymmetric")).attr("nearest_mode", std::string("round_prefer_ceil"));
  const Tensor c = run_one(ceil_asym, {input(x16, {1, 1, 4, 4}), omitted(), omitted(), sizes});
  const Vec want_c = {1, 2, 2, 3, 3, 4, 4, 4};
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(c.as<float>()[i], want_c[i]) << i;
}

TEST(OnednnResize, DownsampleLinearPytorchHalfPixelWithSizes) {
  // test_resize_downsample_sizes_linear_pytorch_half_pixel: 4x4 (1..16) -> 3x1.
  Vec x16(16);
  for (int i = 0; i < 16; ++i) x16[std::size_t(i)] = float(i + 1);
  TestNode t("Resize", 4, 1, 13);
  t.attr("mode", std::string("linear")).attr("coordinate_transformation_mode", std::string("pytorch_half_pixel"));
  const Tensor y = run_one(t, {input(x16, {1, 1, 4, 4}), omitted(), omitted(), input({1, 1, 3, 1}, {4}, true)});
  expect_close(y, {1.6666666, 7.0, 12.333333}, {1, 1, 3, 1});
}

TEST(OnednnResize, Opset10UsesAsymmetricNearest) {
  TestNode t("Resize", 2, 1, 10);
  const Tensor y = run_one(t, {input({1, 2, 3, 4}, {1, 1, 2, 2}), scales_input({1, 1, 2, 2})});
  expect_close(y, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, {1, 1, 4, 4});
}

TEST(OnednnResize, Opset18AxesResizeOnlyThoseAxes) {
  TestNode t("Resize", 3, 1, 18);
  t.attr("axes", Dims{3}).attr("mode", std::string("linear"));
  const Tensor y = run_one(t, {input({1, 2, 3, 4}, {1, 1, 2, 2}), omitted(), scales_input({2})});
  expect_close(y, {1, 1.25, 1.75, 2, 3, 3.25, 3.75, 4}, {1, 1, 2, 4});
}

TEST(OnednnResize, BadNodesFailNamingTheNode) {
  const In x = random_input({1, 1, 2, 2}, 71);
  expect_error(TestNode("Resize", 3, 1, 13).attr("mode", std::string("cubic")), {x, omitted(), scales_input({1, 1, 2, 2})}, "cubic");
  expect_error(TestNode("Resize", 3, 1, 13), {x, omitted(), input({1, 1, 2, 2}, {4})}, "known");
  expect_error(TestNode("Resize", 3, 1, 13), {x, omitted(), scales_input({1, 2})}, "scales");
  expect_error(TestNode("Resize", 3, 1, 13).attr("coordinate_transformation_mode", std::string("tf_crop_and_resize")),
               {x, omitted(), scales_input({1, 1, 2, 2})}, "coordinate_transformation_mode");
  expect_error(TestNode("Resize", 3, 1, 13), {x, omitted(), scales_input({1, 1, -2, 2})}, "out of range");
}

}  // namespace
}  // namespace normrt::rt
