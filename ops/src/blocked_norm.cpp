// Blocked-layout drivers: the tensor is cut into block planes (one image,
// b channels, all positions); every task is one plane, so results never
// depend on the thread count, and group statistics are merged from the
// per-channel partials in channel order.
#include "blocked_norm.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "blocked_norm.table.hpp"
#include "detail/dispatch.hpp"
#include "detail/parallel.hpp"
#include "detail/validate.hpp"

namespace normrt::ops::detail {
NORMRT_KERNEL_DISPATCH(blocked_norm)

namespace {

// The geometry of a blocked tensor.
struct Blocks {
  Blocks(int64_t n_, int64_t c_, int64_t spatial_, Layout layout)
      : n(n_), c(c_), spatial(spatial_), b(channel_block(layout)), per_image((c_ + b - 1) / b) {}
  int64_t planes() const { return n * per_image; }
  int64_t plane_floats() const { return spatial * b; }
  int64_t first_channel(int64_t plane) const { return (plane % per_image) * b; }
  int64_t valid(int64_t plane) const { return std::min(b, c - first_channel(plane)); }
  int64_t bytes() const { return planes() * plane_floats() * int64_t(2 * sizeof(float)); }

  int64_t n, c, spatial, b, per_image;
};

}  // namespace

bool is_known_layout(Layout layout) {
  return layout == Layout::nchw || layout == Layout::nhwc || layout == Layout::nchw8c ||
         layout == Layout::nchw16c;
}

int64_t checked_elements(const char* op, int64_t n, int64_t c, int64_t spatial, Layout layout) {
  const int64_t b = channel_block(layout);
  const int64_t channels = b > 1 ? checked_mul(op, (c + b - 1) / b, b, "padded c") : c;
  return checked_mul(op, checked_mul(op, n, channels, "n * c"), spatial, "n * c * spatial");
}

void batch_norm_apply_blocked(const BatchNormArgs& a, const ExecOptions& exec) {
  const blocked_norm_kernels& k = blocked_norm_kernels_for(resolve_isa(exec));
  const Blocks g(a.n, a.c, a.spatial, a.layout);
  // The last block's padding lanes get scale = shift = 0 (and are zeroed).
  float tail_scale[16] = {}, tail_shift[16] = {};
  const int64_t last = g.c - g.first_channel(g.per_image - 1);
  std::copy_n(a.scale + g.c - last, last, tail_scale);
  std::copy_n(a.shift + g.c - last, last, tail_shift);
  const int threads = plan_threads(exec, g.planes(), g.bytes());
  parallel_for(threads, g.planes(), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t c0 = g.first_channel(p);
      const bool tail = p % g.per_image == g.per_image - 1;
      const BlockCoeffs co{nullptr, nullptr, tail ? tail_scale : a.scale + c0,
                           tail ? tail_shift : a.shift + c0};
      const int64_t at = p * g.plane_floats();
      k.plane_affine(a.x + at, a.y + at, g.spatial, g.b, g.valid(p), co, a.act);
    }
  });
}

namespace {

// Statistics of one group from its channels' partials (equal counts):
// mean = mean of the channel means, m2 = sum(m2_c + count * (mean_c - mean)^2)
// (Chan et al.), all in double; the shift of the output pass is the mean
// clamped into [min, max], as in norm_math.
GroupStats merge_group(const ChannelPartial* ch, int64_t channels, int64_t count, float eps) {
  double mean = 0.0;
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (int64_t l = 0; l < channels; ++l) {
    mean += ch[l].mean;
    lo = std::min(lo, ch[l].min);
    hi = std::max(hi, ch[l].max);
  }
  mean /= double(channels);
  double m2 = 0.0;
  for (int64_t l = 0; l < channels; ++l) {
    const double d = ch[l].mean - mean;
    m2 += ch[l].m2 + double(count) * d * d;
  }
  GroupStats gs;
  gs.mean = mean;
  gs.var = m2 / double(channels * count);
  const float m = float(mean);
  gs.st.shift = std::isnan(m) ? m : std::min(std::max(m, lo), hi);
  gs.st.corr = float(mean - double(gs.st.shift));
  gs.st.mean = m;
  gs.st.rstd = float(1.0 / std::sqrt(gs.var + double(eps)));
  if (std::isnan(gs.var) || std::isnan(mean)) gs.st.rstd = std::numeric_limits<float>::quiet_NaN();
  return gs;
}

}  // namespace

std::vector<GroupStats> run_blocked_grouped_norm(const GroupedNormJob& j, const ExecOptions& exec) {
  const blocked_norm_kernels& k = blocked_norm_kernels_for(resolve_isa(exec));
  const Blocks g(j.n, j.c, j.spatial, j.layout);
  const int threads = plan_threads(exec, g.planes(), g.bytes());
  const int64_t cpad = g.per_image * g.b;

  std::vector<ChannelPartial> parts(std::size_t(j.n * j.c));
  parallel_for(threads, g.planes(), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t image = p / g.per_image, c0 = g.first_channel(p);
      k.plane_stats(j.x + p * g.plane_floats(), g.spatial, g.b, g.valid(p),
                    &parts[std::size_t(image * j.c + c0)]);
    }
  });

  // Per-channel output coefficients, padded to whole blocks with zeros.
  const int64_t cg = j.c / j.groups;
  std::vector<GroupStats> stats(std::size_t(j.n * j.groups));
  std::vector<float> shift(std::size_t(j.n * cpad), 0.f), corr(shift.size(), 0.f),
      a(shift.size(), 0.f), b(shift.size(), 0.f);
  for (int64_t i = 0; i < j.n; ++i) {
    for (int64_t grp = 0; grp < j.groups; ++grp) {
      GroupStats& gs = stats[std::size_t(i * j.groups + grp)];
      gs = merge_group(&parts[std::size_t(i * j.c + grp * cg)], cg, j.spatial, j.eps);
      for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ++ch) {
        const int64_t p = j.per_group_affine ? grp : ch;
        const auto at = std::size_t(i * cpad + ch);
        shift[at] = gs.st.shift;
        corr[at] = gs.st.corr;
        a[at] = gs.st.rstd * (j.gamma ? j.gamma[p] : 1.f);
        b[at] = j.beta ? j.beta[p] : 0.f;
      }
    }
  }

  parallel_for(threads, g.planes(), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const auto at = std::size_t((p / g.per_image) * cpad + g.first_channel(p));
      const BlockCoeffs co{&shift[at], &corr[at], &a[at], &b[at]};
      const int64_t off = p * g.plane_floats();
      k.plane_affine(j.x + off, j.y + off, g.spatial, g.b, g.valid(p), co, j.act);
    }
  });
  return stats;
}

void lrn_blocked(const LrnArgs& a, const ExecOptions& exec) {
  const blocked_norm_kernels& k = blocked_norm_kernels_for(resolve_isa(exec));
  const Blocks g(a.n, a.c, a.spatial, a.layout);
  const int64_t positions = a.n * a.spatial;
  const int threads = plan_threads(exec, positions, g.bytes());
  parallel_for(threads, positions, [&](int64_t p0, int64_t p1) { k.lrn_positions(a, p0, p1); });
}

}  // namespace normrt::ops::detail
