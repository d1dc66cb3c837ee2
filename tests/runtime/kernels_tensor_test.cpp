// The runtime's own tensor kernels (kernels/tensor_*.cpp) against plain
// reference computations written out here: broadcasting, negative axes,
// integer checks and errors that name the node.
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels_test_util.hpp"

namespace normrt::rt::test {
namespace {

std::vector<float> iota_f(std::size_t n, float start = 0.0f, float step = 1.0f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + step * float(i);
  return v;
}

// Element index of `in` (shape in_dims) read at output index `flat` of
// out_dims under numpy broadcasting: the reference for every broadcast test.
std::size_t broadcast_index(std::size_t flat, const Dims& out_dims, const Dims& in_dims) {
  std::size_t idx = 0, stride = 1;
  for (std::size_t k = 0; k < out_dims.size(); ++k) {
    const std::size_t d = out_dims.size() - 1 - k;
    const auto coord = std::size_t(flat % std::size_t(out_dims[d]));
    flat /= std::size_t(out_dims[d]);
    if (k < in_dims.size()) {
      const std::size_t id = in_dims.size() - 1 - k;
      if (in_dims[id] != 1) idx += coord * stride;
      stride *= std::size_t(in_dims[id]);
    }
  }
  return idx;
}

// ---- binary / variadic -----------------------------------------------------------

struct BroadcastCase {
  Dims a, b, out;
};
void PrintTo(const BroadcastCase& c, std::ostream* os) {
  *os << dims_string(c.a) << " op " << dims_string(c.b) << " -> " << dims_string(c.out);
}

class BinaryBroadcast : public ::testing::TestWithParam<BroadcastCase> {};

TEST_P(BinaryBroadcast, AddSubMulDivMatchElementwiseReference) {
  const auto& bc = GetParam();
  const auto na = std::size_t(element_count(bc.a, "a")), nb = std::size_t(element_count(bc.b, "b"));
  const auto a = iota_f(na, -3.0f, 0.5f), b = iota_f(nb, 1.25f, 0.75f);
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Pow"}) {
    const auto r = run_kernel(KernelCase{op}.in(f32(bc.a, a)).in(f32(bc.b, b)));
    ASSERT_EQ(r.infos[0].dims, bc.out) << op;
    const auto y = values<float>(r.outputs[0]);
    for (std::size_t i = 0; i < y.size(); ++i) {
      const float x0 = a[broadcast_index(i, bc.out, bc.a)], x1 = b[broadcast_index(i, bc.out, bc.b)];
      const std::string o = op;
      // The kernels do the same single fp32 operation: results are exact.
      const float want = o == "Add" ? x0 + x1 : o == "Sub" ? x0 - x1 : o == "Mul" ? x0 * x1
                       : o == "Div" ? x0 / x1 : o == "Max" ? std::max(x0, x1) : std::pow(x0, x1);
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(y[i])) << op << " at " << i;
      else ASSERT_EQ(y[i], want) << op << " at " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, BinaryBroadcast,
                         ::testing::Values(BroadcastCase{{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
                                           BroadcastCase{{2, 3, 4}, {}, {2, 3, 4}},
                                           BroadcastCase{{1}, {2, 3}, {2, 3}},
                                           BroadcastCase{{2, 3, 4, 5}, {1, 3, 1, 1}, {2, 3, 4, 5}},
                                           BroadcastCase{{2, 1, 4}, {3, 1}, {2, 3, 4}},
                                           BroadcastCase{{4, 1}, {1, 5}, {4, 5}},
                                           BroadcastCase{{0, 3}, {3}, {0, 3}}));

TEST(TensorKernels, SameShapeBinaryIsInPlaceCapable) {
  const auto a = iota_f(6), b = iota_f(6, 2.0f);
  const auto r = run_kernel([&] {
    KernelCase c{"Mul"};
    c.in(f32({2, 3}, a)).in(f32({2, 3}, b));
    c.in_place = true;
    return c;
  }());
  EXPECT_EQ(r.in_place_input, 0);
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(values<float>(r.outputs[0])[i], a[i] * b[i]);
  // The broadcast operand cannot hold the output; the full-size one can.
  EXPECT_EQ(run_kernel(KernelCase{"Add"}.in(f32({3}, iota_f(3))).in(f32({2, 3}, b))).in_place_input, 1);
}

TEST(TensorKernels, IncompatibleBroadcastIsAnError) {
  expect_error(KernelCase{"Add"}.in(f32({2, 3}, iota_f(6))).in(f32({4}, iota_f(4))),
               "cannot be broadcast");
  expect_error(KernelCase{"Add"}.in(f32({3}, iota_f(3))).in(i64({3}, {1, 2, 3})), "same type");
}

TEST(TensorKernels, IntegerArithmeticIsChecked) {
  const auto r = run_kernel(KernelCase{"Mul"}.in(i64({3}, {2, -3, 4})).in(i64({}, {5})));
  EXPECT_EQ(values<int64_t>(r.outputs[0]), (std::vector<int64_t>{10, -15, 20}));
  const int64_t big = std::numeric_limits<int64_t>::max();
  expect_error(KernelCase{"Add"}.in(i64({1}, {big})).in(i64({1}, {1})), "overflow");
  expect_error(KernelCase{"Div"}.in(i64({2}, {4, 5})).in(i64({2}, {2, 0})), "division by zero");
  expect_error(KernelCase{"Div"}.in(i64({1}, {std::numeric_limits<int64_t>::min()})).in(i64({1}, {-1})),
               "overflow");
  // Integer Div truncates toward zero; Mod (fmod=0) takes the divisor's sign.
  EXPECT_EQ(values<int64_t>(run_kernel(KernelCase{"Div"}.in(i64({2}, {-7, 7})).in(i64({}, {2}))).outputs[0]),
            (std::vector<int64_t>{-3, 3}));
  EXPECT_EQ(values<int64_t>(run_kernel(KernelCase{"Mod"}.in(i64({4}, {-7, 7, -7, 7})).in(i64({4}, {2, -2, -2, 2}))).outputs[0]),
            (std::vector<int64_t>{1, -1, -1, 1}));
  EXPECT_EQ(values<int32_t>(run_kernel(KernelCase{"Sub"}.in(i32({2}, {5, 1})).in(i32({1}, {3}))).outputs[0]),
            (std::vector<int32_t>{2, -2}));
}

TEST(TensorKernels, VariadicOpsBroadcastAllInputs) {
  KernelCase c{"Sum"};
  c.in(f32({2, 1}, {1, 2})).in(f32({3}, {10, 20, 30})).in(f32({}, {100}));
  const auto r = run_kernel(c);
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 3}));
  EXPECT_EQ(values<float>(r.outputs[0]), (std::vector<float>{111, 121, 131, 112, 122, 132}));
  c.op = "Mean";
  EXPECT_EQ(values<float>(run_kernel(c).outputs[0])[0], 111.0f / 3.0f);
  c.op = "Max";
  EXPECT_EQ(values<float>(run_kernel(c).outputs[0]), std::vector<float>(6, 100.0f));
  // One input: a copy. NaN propagates through Max/Min.
  EXPECT_EQ(values<float>(run_kernel(KernelCase{"Min"}.in(f32({2}, {3, 4}))).outputs[0]),
            (std::vector<float>{3, 4}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(values<float>(run_kernel(KernelCase{"Max"}.in(f32({1}, {1})).in(f32({1}, {nan}))).outputs[0])[0]));
}

TEST(TensorKernels, PowWithIntegerAndSquareExponents) {
  const auto x = std::vector<float>{-1.5f, 0.0f, 2.0f, 3.0f};
  auto r = run_kernel(KernelCase{"Pow"}.in(f32({4}, x)).in(i64({}, {3})));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(values<float>(r.outputs[0])[i], x[i] * x[i] * x[i]);
  r = run_kernel(KernelCase{"Pow"}.in(f32({4}, x)).in(f32({}, {2.0f}), /*is_known=*/true));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(values<float>(r.outputs[0])[i], x[i] * x[i]);
}

TEST(TensorKernels, ComparisonsAndLogicGiveBool) {
  const auto r = run_kernel(KernelCase{"Less"}.in(f32({2, 2}, {1, 5, 3, 7})).in(f32({2}, {4, 6})));
  EXPECT_EQ(r.infos[0].dtype, DType::boolean);
  EXPECT_EQ(values<uint8_t>(r.outputs[0]), (std::vector<uint8_t>{1, 1, 1, 0}));
  EXPECT_EQ(values<uint8_t>(run_kernel(KernelCase{"Equal"}.in(i64({3}, {1, 2, 3})).in(i64({}, {2}))).outputs[0]),
            (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(values<uint8_t>(run_kernel(KernelCase{"Xor"}.in(boolean({4}, {0, 0, 1, 1})).in(boolean({4}, {0, 1, 0, 1}))).outputs[0]),
            (std::vector<uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(values<uint8_t>(run_kernel(KernelCase{"Not"}.in(boolean({2}, {0, 1}))).outputs[0]),
            (std::vector<uint8_t>{1, 0}));
  expect_error(KernelCase{"And"}.in(f32({1}, {1})).in(f32({1}, {1})), "unsupported input types");
}

TEST(TensorKernels, WhereBroadcastsThreeWays) {
  KernelCase c{"Where"};
  c.opset = 16;
  c.in(boolean({2, 1}, {1, 0})).in(f32({3}, {1, 2, 3})).in(f32({}, {-1}));
  const auto r = run_kernel(c);
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 3}));
  EXPECT_EQ(values<float>(r.outputs[0]), (std::vector<float>{1, 2, 3, -1, -1, -1}));
}

// ---- unary ------------------------------------------------------------------------

TEST(TensorKernels, UnaryMathMatchesDoubleReference) {
  const std::vector<float> x{-20.0f, -3.5f, -1.0f, -0.25f, 0.0f, 0.5f, 1.0f, 2.5f, 30.0f};
  struct U {
    const char* op;
    int opset;
    double (*ref)(double);
  };
  const U cases[] = {
      {"Sigmoid", 13, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
      {"Tanh", 13, [](double v) { return std::tanh(v); }},
      {"Erf", 13, [](double v) { return std::erf(v); }},
      {"Softplus", 1, [](double v) { return std::log1p(std::exp(v)); }},
      {"Gelu", 20, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }},
      {"HardSwish", 14, [](double v) { return v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0); }},
      {"HardSigmoid", 6, [](double v) { return std::clamp(0.2 * v + 0.5, 0.0, 1.0); }},
      {"LeakyRelu", 16, [](double v) { return v < 0 ? 0.01 * v : v; }},
      {"Relu", 14, [](double v) { return v < 0 ? 0.0 : v; }},
      {"Abs", 13, [](double v) { return std::fabs(v); }},
      {"Neg", 13, [](double v) { return -v; }},
      {"Floor", 13, [](double v) { return std::floor(v); }},
      {"Ceil", 13, [](double v) { return std::ceil(v); }},
  };
  for (const U& u : cases) {
    KernelCase c{u.op};
    c.opset = u.opset;
    c.in(f32({3, 3}, x));
    c.in_place = true;
    const auto r = run_kernel(c);
    EXPECT_EQ(r.in_place_input, 0) << u.op;
    const auto y = values<float>(r.outputs[0]);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double want = u.ref(double(x[i]));
      // fp32 libm functions: a few ulps relative, or absolute near zero.
      EXPECT_NEAR(y[i], want, 4e-7 * std::max(1.0, std::fabs(want))) << u.op << "(" << x[i] << ")";
    }
  }
}

TEST(TensorKernels, GeluTanhApproximation) {
  KernelCase c{"Gelu"};
  c.opset = 20;
  c.attr("approximate", std::string("tanh")).in(f32({3}, {-2.0f, 0.5f, 3.0f}));
  const auto y = values<float>(run_kernel(c).outputs[0]);
  for (std::size_t i = 0; i < 3; ++i) {
    const double v = std::vector<double>{-2.0, 0.5, 3.0}[i];
    const double want = 0.5 * v * (1.0 + std::tanh(0.7978845608028654 /* sqrt(2/pi) */ * (v + 0.044715 * v * v * v)));
    EXPECT_NEAR(y[i], want, 1e-6);
  }
  c.attrs["approximate"] = std::string("fast");
  expect_error(c, "approximate");
}

TEST(TensorKernels, ClipFromAttributesAndInputs) {
  KernelCase old{"Clip"};
  old.opset = 6;
  old.attr("min", -1.0f).attr("max", 2.0f).in(f32({4}, {-5, 0, 1.5f, 9}));
  EXPECT_EQ(values<float>(run_kernel(old).outputs[0]), (std::vector<float>{-1, 0, 1.5f, 2}));
  KernelCase now{"Clip"};
  now.opset = 13;
  now.in(i64({4}, {-5, 0, 3, 9})).none().in(i64({}, {4}));
  EXPECT_EQ(values<int64_t>(run_kernel(now).outputs[0]), (std::vector<int64_t>{-5, 0, 3, 4}));
}

// ---- shape ops ----------------------------------------------------------------------

TEST(TensorKernels, ReshapeZeroMinusOneAndAllowZero) {
  auto reshape = [](Dims in, std::vector<int64_t> shape, int64_t allowzero = 0) {
    KernelCase c{"Reshape"};
    c.opset = 14;
    c.attr("allowzero", allowzero);
    c.in(f32(in, iota_f(std::size_t(element_count(in, "in"))))).in(i64({int64_t(shape.size())}, shape), true);
    return c;
  };
  auto r = run_kernel(reshape({2, 3, 4}, {0, -1}));
  EXPECT_EQ(r.infos[0].dims, (Dims{2, 12}));
  EXPECT_EQ(values<float>(r.outputs[0]), iota_f(24));
  EXPECT_EQ(r.in_place_input, 0);
  EXPECT_EQ(run_kernel(reshape({0, 3}, {3, 0}, 1)).infos[0].dims, (Dims{3, 0}));
  expect_error(reshape({2, 3}, {4, -1}), "cannot reshape");
  expect_error(reshape({2, 3}, {-1, -1}), "more than one -1");
  KernelCase unknown = reshape({2, 3}, {6});
  unknown.known[1] = false;
  expect_error(unknown, "must be known");
}

TEST(TensorKernels, FlattenSqueezeUnsqueezeWithNegativeAxes) {
  KernelCase fl{"Flatten"};
  fl.attr("axis", int64_t(-1)).in(f32({2, 3, 4}, iota_f(24)));
  EXPECT_EQ(run_kernel(fl).infos[0].dims, (Dims{6, 4}));
  fl.attrs["axis"] = int64_t(0);
  EXPECT_EQ(run_kernel(fl).infos[0].dims, (Dims{1, 24}));

  KernelCase sq{"Squeeze"};
  sq.opset = 11;
  sq.attr("axes", std::vector<int64_t>{-1, 0}).in(f32({1, 3, 1}, iota_f(3)));
  EXPECT_EQ(run_kernel(sq).infos[0].dims, (Dims{3}));
  KernelCase sq13{"Squeeze"};
  sq13.opset = 13;
  sq13.in(f32({1, 3, 1}, iota_f(3)));
  EXPECT_EQ(run_kernel(sq13).infos[0].dims, (Dims{3}));
  sq13.in(i64({1}, {1}), true);
  expect_error(sq13, "cannot squeeze axis 1");

  KernelCase un{"Unsqueeze"};
  un.opset = 13;
  un.in(f32({3, 4}, iota_f(12))).in(i64({2}, {-1, 0}), true);
  const auto r = run_kernel(un);
  EXPECT_EQ(r.infos[0].dims, (Dims{1, 3, 4, 1}));
  EXPECT_EQ(values<float>(r.outputs[0]), iota_f(12));
  un.inputs[1] = i64({2}, {0, 0});
  expect_error(un, "duplicate");
  un.inputs[1] = i64({1}, {4});
  expect_error(un, "out of range");
}

TEST(TensorKernels, ShapeSizeConstantOfShapeRangeConstant) {
  KernelCase sh{"Shape"};
  sh.opset = 15;
  sh.attr("start", int64_t(-2)).in(f32({2, 3, 4}, iota_f(24)));
  EXPECT_EQ(values<int64_t>(run_kernel(sh).outputs[0]), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(values<int64_t>(run_kernel(KernelCase{"Size"}.in(f32({2, 3}, iota_f(6)))).outputs[0]),
            (std::vector<int64_t>{6}));

  KernelCase cs{"ConstantOfShape"};
  cs.attr("value", i64({1}, {7})).in(i64({2}, {2, 2}), true);
  auto r = run_kernel(cs);
  EXPECT_EQ(r.infos[0].dtype, DType::i64);
  EXPECT_EQ(values<int64_t>(r.outputs[0]), std::vector<int64_t>(4, 7));

  KernelCase rf{"Range"};
  rf.in(f32({}, {1.0f}), true).in(f32({}, {2.0f}), true).in(f32({}, {0.25f}), true);
  EXPECT_EQ(values<float>(run_kernel(rf).outputs[0]), (std::vector<float>{1.0f, 1.25f, 1.5f, 1.75f}));
  KernelCase ri{"Range"};
  ri.in(i64({}, {10}), true).in(i64({}, {1}), true).in(i64({}, {-4}), true);
  EXPECT_EQ(values<int64_t>(run_kernel(ri).outputs[0]), (std::vector<int64_t>{10, 6, 2}));
  ri.inputs[2] = i64({}, {0});
  expect_error(ri, "delta");

  KernelCase k{"Constant"};
  k.attr("value_ints", std::vector<int64_t>{4, 5});
  EXPECT_EQ(values<int64_t>(run_kernel(k).outputs[0]), (std::vector<int64_t>{4, 5}));
}

// ---- data movement ---------------------------------------------------------------------

TEST(TensorKernels, TransposeMatchesIndexReference) {
  const Dims in{2, 3, 4, 5};
  const std::vector<int64_t> perm{2, 0, 3, 1};
  KernelCase c{"Transpose"};
  c.attr("perm", perm).in(f32(in, iota_f(120)));
  const auto r = run_kernel(c);
  ASSERT_EQ(r.infos[0].dims, (Dims{4, 2, 5, 3}));
  const auto y = values<float>(r.outputs[0]);
  std::size_t i = 0;
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t cc = 0; cc < 5; ++cc)
        for (int64_t d = 0; d < 3; ++d)  // out[a,b,c,d] = in[b,d,a,c]
          ASSERT_EQ(y[i++], float(((b * 3 + d) * 4 + a) * 5 + cc));
  // Default: reversed dims.
  EXPECT_EQ(run_kernel(KernelCase{"Transpose"}.in(f32({2, 3}, iota_f(6)))).infos[0].dims, (Dims{3, 2}));
  c.attrs["perm"] = std::vector<int64_t>{0, 0, 1, 2};
  expect_error(c, "duplicate");
}

TEST(TensorKernels, GatherNegativeAndInt32Indices) {
  KernelCase c{"Gather"};
  c.attr("axis", int64_t(-1)).in(f32({2, 4}, iota_f(8))).in(i32({3}, {3, -4, -1}));
  const auto r = run_kernel(c);
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 3}));
  EXPECT_EQ(values<float>(r.outputs[0]), (std::vector<float>{3, 0, 3, 7, 4, 7}));
  KernelCase shape{"Gather"};
  shape.in(i64({3}, {5, 6, 7})).in(i64({}, {1}));  // a scalar index drops the axis
  const auto s = run_kernel(shape);
  EXPECT_TRUE(s.infos[0].dims.empty());
  EXPECT_EQ(values<int64_t>(s.outputs[0]), (std::vector<int64_t>{6}));
  c.inputs[1] = i64({1}, {4});
  expect_error(c, "out of range");
}

// Slice reference: per-axis index lists, then the cartesian product.
TEST(TensorKernels, SliceNegativeStepsAndClamping) {
  KernelCase c{"Slice"};
  c.opset = 13;
  c.in(f32({3, 5}, iota_f(15)))
      .in(i64({2}, {-1, 100}), true)
      .in(i64({2}, {-100, 0}), true)
      .in(i64({2}, {0, 1}), true)
      .in(i64({2}, {-2, -2}), true);
  auto r = run_kernel(c);
  // rows 2, 0 ; cols 4, 2 (start 100 clamps to 4, end 0 excluded)
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 2}));
  EXPECT_EQ(values<float>(r.outputs[0]), (std::vector<float>{14, 12, 4, 2}));

  KernelCase old{"Slice"};
  old.opset = 9;
  old.attr("starts", std::vector<int64_t>{1}).attr("ends", std::vector<int64_t>{1000})
      .attr("axes", std::vector<int64_t>{-1}).in(f32({2, 3}, iota_f(6)));
  r = run_kernel(old);
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 2}));
  EXPECT_EQ(values<float>(r.outputs[0]), (std::vector<float>{1, 2, 4, 5}));

  c.inputs[4] = i64({2}, {1, 0});
  expect_error(c, "step must not be 0");
}

TEST(TensorKernels, SplitAndConcatRoundTrip) {
  KernelCase s{"Split"};
  s.opset = 18;
  s.outputs = {true, true, true};
  s.attr("axis", int64_t(1)).attr("num_outputs", int64_t(3)).in(f32({2, 5}, iota_f(10)));
  auto r = run_kernel(s);
  ASSERT_EQ(r.infos.size(), 3u);
  EXPECT_EQ(r.infos[0].dims, (Dims{2, 2}));
  EXPECT_EQ(r.infos[2].dims, (Dims{2, 1}));
  EXPECT_EQ(values<float>(r.outputs[1]), (std::vector<float>{2, 3, 7, 8}));
  EXPECT_EQ(values<float>(r.outputs[2]), (std::vector<float>{4, 9}));

  KernelCase s13{"Split"};
  s13.opset = 13;
  s13.outputs = {true, true};
  s13.in(f32({5, 1}, iota_f(5))).in(i64({2}, {1, 4}), true);
  r = run_kernel(s13);
  EXPECT_EQ(values<float>(r.outputs[1]), (std::vector<float>{1, 2, 3, 4}));
  s13.inputs[1] = i64({2}, {2, 2});
  expect_error(s13, "does not sum");

  KernelCase c{"Concat"};
  c.opset = 13;
  c.attr("axis", int64_t(-1)).in(i64({2, 1}, {1, 2})).in(i64({2, 2}, {3, 4, 5, 6})).in(i64({2, 0}, {}));
  r = run_kernel(c);
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 3}));
  EXPECT_EQ(values<int64_t>(r.outputs[0]), (std::vector<int64_t>{1, 3, 4, 2, 5, 6}));
  c.inputs[1] = i64({3, 2}, {1, 2, 3, 4, 5, 6});
  expect_error(c, "does not match input 0");
}

TEST(TensorKernels, ExpandAndTile) {
  KernelCase e{"Expand"};
  e.opset = 13;
  e.in(f32({3, 1}, {1, 2, 3})).in(i64({3}, {2, 1, 2}), true);
  auto r = run_kernel(e);
  ASSERT_EQ(r.infos[0].dims, (Dims{2, 3, 2}));
  EXPECT_EQ(values<float>(r.outputs[0]), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  e.inputs[1] = i64({2}, {4, 1});
  expect_error(e, "cannot be broadcast");

  KernelCase t{"Tile"};
  t.opset = 13;
  t.in(f32({2, 2}, {1, 2, 3, 4})).in(i64({2}, {2, 3}), true);
  r = run_kernel(t);
  ASSERT_EQ(r.infos[0].dims, (Dims{4, 6}));
  const auto y = values<float>(r.outputs[0]);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 6; ++j) ASSERT_EQ(y[i * 6 + j], float((i % 2) * 2 + j % 2 + 1));
}

TEST(TensorKernels, CastSaturatesAndRoundsHalf) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  KernelCase c{"Cast"};
  c.opset = 13;
  c.attr("to", int64_t(DType::i32)).in(f32({4}, {nan, 1e20f, -2.7f, 3.9f}));
  EXPECT_EQ(values<int32_t>(run_kernel(c).outputs[0]),
            (std::vector<int32_t>{0, std::numeric_limits<int32_t>::max(), -2, 3}));

  // Half bits: 1 -> 0x3c00, 65504 (max) -> 0x7bff, 1e5 -> inf, 2^-24 -> 1 (subnormal),
  // 1 + 2^-11 ties to even -> 0x3c00.
  KernelCase h{"Cast"};
  h.opset = 13;
  h.attr("to", int64_t(DType::f16))
      .in(f32({6}, {1.0f, 65504.0f, 1e5f, std::ldexp(1.0f, -24), 1.0f + std::ldexp(1.0f, -11), -0.5f}));
  const auto bits = values<uint16_t>(run_kernel(h).outputs[0]);
  EXPECT_EQ(bits, (std::vector<uint16_t>{0x3c00, 0x7bff, 0x7c00, 0x0001, 0x3c00, 0xb800}));
  KernelCase back{"Cast"};
  back.opset = 13;
  back.attr("to", int64_t(DType::f32)).in(make_tensor<uint16_t>(DType::f16, {3}, {0x3c00, 0x0001, 0xfc00}));
  const auto f = values<float>(run_kernel(back).outputs[0]);
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], std::ldexp(1.0f, -24));
  EXPECT_EQ(f[2], -std::numeric_limits<float>::infinity());

  KernelCase b{"Cast"};
  b.opset = 13;
  b.attr("to", int64_t(DType::boolean)).in(f32({3}, {0.0f, -0.5f, 2.0f}));
  EXPECT_EQ(values<uint8_t>(run_kernel(b).outputs[0]), (std::vector<uint8_t>{0, 1, 1}));
  c.attrs["to"] = int64_t(8);  // string
  expect_error(c, "cannot cast");
}

// ---- reductions -----------------------------------------------------------------------

TEST(TensorKernels, ReductionsOverNonAdjacentAxesMatchDoubleReference) {
  const Dims in{3, 4, 5};
  std::vector<float> x(60);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(double(i)) * 10.0 + 1e3);
  std::vector<float> near_one(60);  // keeps the product of 15 values in range
  for (std::size_t i = 0; i < x.size(); ++i) near_one[i] = float(1.0 + 0.3 * std::sin(double(i)));
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceL2", "ReduceSumSquare", "ReduceProd"}) {
    KernelCase c{op};
    c.opset = 13;
    const std::string name = op;
    if (name == "ReduceProd") x.swap(near_one);
    if (name == "ReduceSum") c.in(f32(in, x)).in(i64({2}, {0, -1}), true);
    else c.in(f32(in, x)).attr("axes", std::vector<int64_t>{0, -1});
    c.attr("keepdims", int64_t(0));
    const auto r = run_kernel(c);
    ASSERT_EQ(r.infos[0].dims, (Dims{4})) << op;
    for (std::size_t j = 0; j < 4; ++j) {
      double acc = name == "ReduceMax" ? -1e300 : name == "ReduceProd" ? 1.0 : 0.0;
      for (std::size_t a = 0; a < 3; ++a)
        for (std::size_t k = 0; k < 5; ++k) {
          const double v = x[(a * 4 + j) * 5 + k];
          if (name == "ReduceMax") acc = std::max(acc, v);
          else if (name == "ReduceProd") acc *= v;
          else if (name == "ReduceL2" || name == "ReduceSumSquare") acc += v * v;
          else acc += v;
        }
      if (name == "ReduceMean") acc /= 15.0;
      if (name == "ReduceL2") acc = std::sqrt(acc);
      // Double accumulation rounded once: within one fp32 rounding.
      EXPECT_NEAR(values<float>(r.outputs[0])[j], acc, std::fabs(acc) * 1e-7) << op << " " << j;
    }
  }
}

TEST(TensorKernels, ReduceKeepdimsEmptyAxesAndNoop) {
  KernelCase all{"ReduceSum"};
  all.opset = 13;
  all.in(i64({2, 3}, {1, 2, 3, 4, 5, 6}));
  auto r = run_kernel(all);
  EXPECT_EQ(r.infos[0].dims, (Dims{1, 1}));
  EXPECT_EQ(values<int64_t>(r.outputs[0]), (std::vector<int64_t>{21}));
  all.attr("noop_with_empty_axes", int64_t(1));
  r = run_kernel(all);
  EXPECT_EQ(r.infos[0].dims, (Dims{2, 3}));
  KernelCase mx{"ReduceMax"};
  mx.opset = 18;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  mx.in(f32({2, 2}, {1, nan, 3, 2})).in(i64({1}, {1}), true);
  r = run_kernel(mx);
  EXPECT_TRUE(std::isnan(values<float>(r.outputs[0])[0]));
  EXPECT_EQ(values<float>(r.outputs[0])[1], 3.0f);
  mx.inputs[1] = i64({1}, {2});
  expect_error(mx, "out of range");
}

TEST(TensorKernels, ArgMaxSelectLastIndex) {
  KernelCase c{"ArgMax"};
  c.opset = 13;
  c.attr("axis", int64_t(-1)).attr("keepdims", int64_t(0)).in(f32({2, 4}, {1, 5, 5, 2, 9, 0, 9, 9}));
  auto r = run_kernel(c);
  ASSERT_EQ(r.infos[0].dims, (Dims{2}));
  EXPECT_EQ(values<int64_t>(r.outputs[0]), (std::vector<int64_t>{1, 0}));
  c.attr("select_last_index", int64_t(1));
  EXPECT_EQ(values<int64_t>(run_kernel(c).outputs[0]), (std::vector<int64_t>{2, 3}));
  KernelCase m{"ArgMin"};
  m.opset = 13;
  m.in(i64({3, 1}, {4, -2, 7}));
  r = run_kernel(m);
  EXPECT_EQ(r.infos[0].dims, (Dims{1, 1}));
  EXPECT_EQ(values<int64_t>(r.outputs[0]), (std::vector<int64_t>{1}));
}

TEST(TensorKernels, ArityIsChecked) {
  expect_error(KernelCase{"Relu"}, "inputs");
  expect_error(KernelCase{"Add"}.in(f32({1}, {1})), "inputs");
}

}  // namespace
}  // namespace normrt::rt::test
