// Cast between f32/f64/f16/i64/i32/i8/u8/bool. Float -> integer conversions
// saturate (NaN -> 0) instead of being undefined behaviour on hostile data.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/tensor_kernels.hpp"
#include "kernels/tensor_util.hpp"

namespace normrt::rt::kern {
namespace {

// IEEE binary16 stored as its bits.
struct Half {
  uint16_t bits;
};
// A bool tensor's byte; any nonzero byte reads as true (never a C++ bool,
// whose other bit patterns are undefined behaviour).
struct Bool {
  uint8_t byte;
};

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  uint32_t bits = 0;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: value = man * 2^-24
      const float v = std::ldexp(float(man), -24);
      return sign ? -v : v;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Round to nearest even, overflow to infinity, NaN stays NaN.
uint16_t float_to_half(float f) {
  uint32_t x = 0;
  std::memcpy(&x, &f, sizeof x);
  const auto sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds past 65504
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    float a = 0;
    std::memcpy(&a, &abs, sizeof a);
    return uint16_t(sign | uint16_t(std::nearbyint(a * 16777216.0f)));  // units of 2^-24
  }
  const uint32_t mant_odd = (abs >> 13) & 1u;
  const uint32_t rounded = abs + 0xfffu + mant_odd;  // round half to even on bit 13
  return uint16_t(sign | uint16_t((rounded - 0x38000000u) >> 13));
}

template <class To>
To from_double(double v) {
  if constexpr (std::is_floating_point_v<To>) {
    return To(v);
  } else {
    if (std::isnan(v)) return To(0);
    constexpr auto lo = double(std::numeric_limits<To>::min());
    constexpr auto hi = double(std::numeric_limits<To>::max());
    if (v <= lo) return std::numeric_limits<To>::min();
    if (v >= hi) return std::numeric_limits<To>::max();
    return To(v);
  }
}

// Converts one element; integers go through int64 to keep all their bits.
template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<From, Half>) {
    return convert<To>(half_to_float(v.bits));
  } else if constexpr (std::is_same_v<From, Bool>) {
    return convert<To>(uint8_t(v.byte != 0));
  } else if constexpr (std::is_same_v<To, Bool>) {
    if constexpr (std::is_floating_point_v<From>) return Bool{uint8_t(v != From(0))};
    else return Bool{uint8_t(v != 0)};
  } else if constexpr (std::is_same_v<To, Half>) {
    return Half{float_to_half(float(v))};
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To>) {
    return To(v);  // wraps, like ONNX Runtime (defined since C++20, modular on g++)
  } else {
    return from_double<To>(double(v));
  }
}

template <class F>
void dispatch_type(DType t, F&& f) {
  switch (t) {
    case DType::f32: f(Tag<float>{}); return;
    case DType::f64: f(Tag<double>{}); return;
    case DType::f16: f(Tag<Half>{}); return;
    case DType::i64: f(Tag<int64_t>{}); return;
    case DType::i32: f(Tag<int32_t>{}); return;
    case DType::i8: f(Tag<int8_t>{}); return;
    case DType::u8: f(Tag<uint8_t>{}); return;
    case DType::boolean: f(Tag<Bool>{}); return;
    case DType::undefined: break;
  }
  throw Error(std::string("Cast: unsupported type ") + dtype_name(t));
}

std::unique_ptr<OpKernel> create_cast(const PrepareContext& ctx, std::vector<TensorInfo>& out) {
  require_inputs(ctx, 1, 1);
  const TensorInfo& in = input(ctx, 0, "input");
  if (!ctx.node.has("to")) fail(ctx, "attribute 'to' is required");
  const auto to = DType(ctx.node.attr_int("to", 0));
  try {
    dtype_size(to);
    dtype_size(in.dtype);
  } catch (const Error&) {
    fail(ctx, "cannot cast from " + std::string(dtype_name(in.dtype)) + " to type " +
                  std::to_string(int(to)));
  }
  out[0] = {to, in.dims};
  const DType from = in.dtype;
  if (from == to) {
    return std::make_unique<FnKernel>(
        [](RunContext& rc) {
          copy_bytes(rc.outputs[0].data, rc.inputs[0].data, view_bytes(rc.inputs[0]));
        },
        /*in_place=*/0);
  }
  return std::make_unique<FnKernel>([from, to](RunContext& rc) {
    dispatch_type(from, [&](auto from_tag) {
      dispatch_type(to, [&](auto to_tag) {
        using F = typename decltype(from_tag)::type;
        using T = typename decltype(to_tag)::type;
        const F* src = rc.inputs[0].as<const F>();
        T* dst = rc.outputs[0].as<T>();
        const int64_t n = rc.inputs[0].size();
        for (int64_t i = 0; i < n; ++i) dst[i] = convert<T>(src[i]);
      });
    });
  });
}

}  // namespace

void register_cast_kernels(KernelRegistry& r) {
  add(r, "", "Cast", 6, 10000, create_cast);
}

}  // namespace normrt::rt::kern
