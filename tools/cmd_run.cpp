// `normrt run MODEL.onnx`: runs an ONNX model on inputs from TensorProto
// files or random ones; prints the outputs' names and shapes, optionally
// saves them and times repeated runs.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>

#include "cli.hpp"
#include "normrt/runtime/session.hpp"
#include "onnx/tensor_file.hpp"

namespace normrt::cli {

const char* const kRunUsage =
    "usage: normrt run MODEL.onnx [--input [NAME=]FILE.pb ...] [--random-inputs SEED]\n"
    "                  [--save-outputs DIR] [--threads N] [--isa ISA] [--repeat K]\n"
    "                  [--layouts plain|blocked] [--winograd on|off] [--profile [--top N]]\n\n"
    "Runs an ONNX model and prints its outputs' names and shapes.\n\n"
    "  --input NAME=FILE.pb   an input as an ONNX TensorProto file; without NAME it\n"
    "                         binds by the tensor's name, else by position\n"
    "  --random-inputs SEED   fill inputs not given with random values (symbolic\n"
    "                         dimensions become 1)\n"
    "  --save-outputs DIR     write DIR/output_<i>.pb in graph-output order\n"
    "  --threads N            OpenMP threads (default: OpenMP's default)\n"
    "  --isa ISA              scalar|avx2|avx512|neon (default: the best this CPU runs)\n"
    "  --layouts L            activations between convs: blocked (nChw8c/16c,\n"
    "                         the default) or plain NCHW\n"
    "  --winograd on|off      3x3 stride-1 convs on Winograd where oneDNN has it\n"
    "                         (AVX-512; default on)\n"
    "  --repeat K             time K more runs; print median and p90 latency\n"
    "  --profile              time every node of the timed runs (of one more run\n"
    "                         without --repeat): ms per op type and per node\n"
    "  --top N                nodes listed by --profile (default 20, 0: none)\n";

namespace {

int parse_count(const std::string& option, const std::string& text, int min) {
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (used == text.size() && v >= min && v <= 1000000) return int(v);
  } catch (const std::exception&) {
  }
  throw UsageError(option + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
}

struct RunArgs {
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;  // (name or "", file)
  bool random = false;
  uint32_t seed = 0;
  std::string save_dir;
  SessionOptions session;
  int repeat = 0;
  bool profile = false;
  int top = 20;
};

RunArgs parse(const std::vector<std::string>& args) {
  RunArgs r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--input") {
      const std::string& v = option_value(args, i);
      const std::size_t eq = v.find('=');
      if (eq == std::string::npos) r.inputs.emplace_back("", v);
      else if (eq == 0 || eq + 1 == v.size()) throw UsageError("--input needs NAME=FILE.pb or FILE.pb");
      else r.inputs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "--random-inputs") {
      r.random = true;
      r.seed = uint32_t(parse_count(a, option_value(args, i), 0));
    } else if (a == "--save-outputs") {
      r.save_dir = option_value(args, i);
    } else if (a == "--threads") {
      r.session.threads = parse_count(a, option_value(args, i), 1);
    } else if (a == "--isa") {
      r.session.isa = parse_isa(option_value(args, i), "--isa");
    } else if (a == "--layouts") {
      const std::string& v = option_value(args, i);
      if (v != "plain" && v != "blocked") throw UsageError("--layouts needs plain or blocked, got '" + v + "'");
      r.session.blocked_layouts = v == "blocked";
    } else if (a == "--winograd") {
      const std::string& v = option_value(args, i);
      if (v != "on" && v != "off") throw UsageError("--winograd needs on or off, got '" + v + "'");
      r.session.winograd = v == "on";
    } else if (a == "--repeat") {
      r.repeat = parse_count(a, option_value(args, i), 1);
    } else if (a == "--profile") {
      r.profile = true;
    } else if (a == "--top") {
      r.top = parse_count(a, option_value(args, i), 0);
    } else if (!a.empty() && a[0] == '-') {
      throw UsageError("unknown option '" + a + "'");
    } else if (r.model.empty()) {
      r.model = a;
    } else {
      throw UsageError("unexpected argument '" + a + "'");
    }
  }
  if (r.model.empty()) throw UsageError("expected MODEL.onnx");
  return r;
}

rt::Tensor random_input(const TensorSpec& spec, std::mt19937& rng) {
  rt::Dims dims;
  if (spec.has_shape)
    for (int64_t d : spec.dims) dims.push_back(d >= 0 ? d : 1);
  rt::Tensor t(spec.dtype, dims);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);  // valid as indices into most axes
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (spec.dtype) {
      case rt::DType::f32: t.as<float>()[i] = float(real(rng)); break;
      case rt::DType::f64: t.as<double>()[i] = real(rng); break;
      case rt::DType::i64: t.as<int64_t>()[i] = small(rng); break;
      case rt::DType::i32: t.as<int32_t>()[i] = small(rng); break;
      case rt::DType::u8: t.as<uint8_t>()[i] = uint8_t(small(rng)); break;
      case rt::DType::i8: t.as<int8_t>()[i] = int8_t(small(rng)); break;
      case rt::DType::boolean: t.as<uint8_t>()[i] = uint8_t(small(rng) & 1); break;
      default:
        throw Error("input '" + spec.name + "': cannot make random " +
                    rt::dtype_name(spec.dtype) + " values; pass it with --input");
    }
  }
  return t;
}

// Files first (by explicit name, the tensor's name, or the next free
// position), then random values for what is left, if asked for.
std::vector<std::pair<std::string, rt::Tensor>> bind_inputs(const RunArgs& args, const Session& s) {
  const auto& specs = s.inputs();
  std::vector<bool> bound(specs.size(), false);
  std::vector<std::pair<std::string, rt::Tensor>> inputs;
  auto index_of = [&](const std::string& name) -> std::size_t {
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (specs[i].name == name) return i;
    return specs.size();
  };
  for (const auto& [name, file] : args.inputs) {
    rt::NamedTensor t = rt::read_tensor_file(file);
    std::size_t i = index_of(name.empty() ? t.name : name);
    if (i == specs.size() && !name.empty())
      throw Error("--input " + name + "=" + file + ": the model has no input '" + name + "'");
    if (i == specs.size()) i = std::size_t(std::find(bound.begin(), bound.end(), false) - bound.begin());
    if (i == specs.size()) throw Error("--input " + file + ": more inputs than the model has");
    if (bound[i]) throw Error("--input " + file + ": input '" + specs[i].name + "' is given twice");
    bound[i] = true;
    inputs.emplace_back(specs[i].name, std::move(t.tensor));
  }
  std::mt19937 rng(args.seed);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (bound[i]) continue;
    if (!args.random)
      throw Error("input '" + specs[i].name + "' " + specs[i].shape_string() +
                  " is not given (use --input or --random-inputs SEED)");
    inputs.emplace_back(specs[i].name, random_input(specs[i], rng));
  }
  return inputs;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5))];
}

}  // namespace

int run_run(const std::vector<std::string>& argv) {
  const RunArgs args = parse(argv);
  const Session session = Session::load(args.model, args.session);
  const auto inputs = bind_inputs(args, session);
  const std::vector<rt::Tensor> outputs = session.run(inputs);

  const auto names = session.output_names();
  for (std::size_t o = 0; o < outputs.size(); ++o)
    std::cout << "output '" << names[o] << "': " << rt::dtype_name(outputs[o].dtype()) << " "
              << rt::dims_string(outputs[o].dims()) << "\n";

  if (!args.save_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.save_dir, ec);
    if (ec) throw Error("--save-outputs: cannot create '" + args.save_dir + "': " + ec.message());
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      const std::string path =
          (std::filesystem::path(args.save_dir) / ("output_" + std::to_string(o) + ".pb")).string();
      rt::write_tensor_file(path, outputs[o], names[o]);
    }
    std::cout << "saved " << outputs.size() << " outputs to " << args.save_dir << "\n";
  }

  // The first run above planned and warmed up; the timed runs may also be
  // profiled (two clock reads per node: negligible next to a kernel).
  ProfileSummary profile;
  std::vector<double> ms;
  for (int k = 0; k < std::max(args.repeat, args.profile ? 1 : 0); ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    if (args.profile) {
      RunProfile p;
      session.run(inputs, p);
      profile.add(p);
    } else {
      session.run(inputs);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  if (args.repeat > 0) {
    std::cout << std::fixed << std::setprecision(3) << "latency over " << args.repeat
              << " runs: median " << percentile(ms, 0.5) << " ms, p90 " << percentile(ms, 0.9)
              << " ms\n";
  }
  if (args.profile) std::cout << "\n" << profile.report(args.top);
  return 0;
}

}  // namespace normrt::cli
