#pragma once
// The whole normrt kernel library: include this, link normrt::ops.
#include "normrt/error.hpp"
#include "normrt/ops/activation.hpp"
#include "normrt/ops/batch_norm.hpp"
#include "normrt/ops/exec.hpp"
#include "normrt/ops/group_norm.hpp"
#include "normrt/ops/layer_norm.hpp"
#include "normrt/ops/layout.hpp"
#include "normrt/ops/lrn.hpp"
#include "normrt/ops/rms_norm.hpp"
#include "normrt/simd/isa.hpp"
