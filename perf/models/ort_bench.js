#!/usr/bin/env node
// Times an ONNX model on ONNX Runtime's CPU execution provider
// (onnxruntime-node, graph optimizations on) and prints one JSON object.
//
//   NODE_PATH=build/ort/node_modules node perf/models/ort_bench.js MODEL.onnx \
//       [--threads T] [--repeat K] [--warmup W] [--inputs DIR]
//
// Inputs: DIR/input_<i>.pb (fp32 ONNX TensorProto files, as
// export_bench_models.py and the ONNX test data write them; compare.sh gives
// normrt the same files), else uniform random values in [-1, 1) with
// symbolic dimensions set to 1.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const a = { model: null, threads: 1, repeat: 20, warmup: 3, inputs: null };
  for (let i = 0; i < argv.length; ++i) {
    const take = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    const int = (s, min) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < min) throw new Error(`expected an integer >= ${min}, got '${s}'`);
      return v;
    };
    switch (argv[i]) {
      case '--threads': a.threads = int(take(), 1); break;
      case '--repeat': a.repeat = int(take(), 1); break;
      case '--warmup': a.warmup = int(take(), 0); break;
      case '--inputs': a.inputs = take(); break;
      default:
        if (argv[i].startsWith('-') || a.model) throw new Error(`unexpected argument '${argv[i]}'`);
        a.model = argv[i];
    }
  }
  if (!a.model) throw new Error('usage: ort_bench.js MODEL.onnx [--threads T] [--repeat K] [--warmup W] [--inputs DIR]');
  return a;
}

// Minimal TensorProto reader for fp32 tensors with raw_data (what
// normrt's tensor files and ONNX's numpy_helper write).
function readTensorProto(file) {
  const buf = fs.readFileSync(file);
  let pos = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  const dims = [];
  let dtype = 0, raw = null, floats = [];
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >> 3, wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 1) dims.push(Number(v));
      else if (field === 2) dtype = Number(v);
    } else if (wire === 2) {
      const len = Number(varint());
      const body = buf.subarray(pos, pos + len);
      pos += len;
      if (field === 1) {  // packed dims
        const save = pos;
        let p = 0;
        while (p < body.length) {
          let v = 0n, shift = 0n, b;
          do { b = body[p++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
          dims.push(Number(v));
        }
        pos = save;
      } else if (field === 9) {
        raw = body;
      } else if (field === 4) {  // packed float_data
        for (let p = 0; p + 4 <= body.length; p += 4) floats.push(body.readFloatLE(p));
      }
    } else if (wire === 5) {
      if (field === 4) floats.push(buf.readFloatLE(pos));
      pos += 4;
    } else if (wire === 1) {
      pos += 8;
    } else {
      throw new Error(`${file}: unsupported protobuf wire type ${wire}`);
    }
  }
  if (dtype !== 1) throw new Error(`${file}: only float tensors are supported (data_type ${dtype})`);
  const data = raw ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))
                   : Float32Array.from(floats);
  return new ort.Tensor('float32', data, dims);
}

function randomInput(meta, rand) {
  if (meta.type !== 'float32') throw new Error(`input '${meta.name}': only float32 random inputs`);
  const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : 1));
  const n = dims.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; ++i) data[i] = 2 * rand() - 1;
  return new ort.Tensor('float32', data, dims);
}

// mulberry32: a small seeded generator, so inputs are the same every run.
function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const feeds = {};
  const rand = seeded(1);
  session.inputNames.forEach((name, i) => {
    const file = a.inputs && path.join(a.inputs, `input_${i}.pb`);
    if (file && fs.existsSync(file)) {
      feeds[name] = readTensorProto(file);
    } else {
      const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
      if (!meta || !meta.isTensor) throw new Error(`input '${name}': no file and no metadata for random values`);
      feeds[name] = randomInput(meta, rand);
    }
  });

  for (let i = 0; i < a.warmup; ++i) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < a.repeat; ++i) {
    const s = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  ms.sort((x, y) => x - y);
  console.log(JSON.stringify({
    runtime: `onnxruntime-node ${ort.env.versions ? ort.env.versions.node : '?'}`,
    model: a.model,
    threads: a.threads,
    warmup: a.warmup,
    repeat: a.repeat,
    load_ms: +loadMs.toFixed(1),
    median_ms: +percentile(ms, 0.5).toFixed(3),
    p90_ms: +percentile(ms, 0.9).toFixed(3),
    min_ms: +ms[0].toFixed(3),
  }));
}

main().catch((e) => {
  console.error(`ort_bench.js: ${e.message}`);
  process.exit(1);
});
