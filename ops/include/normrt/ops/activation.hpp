#pragma once

namespace normrt::ops {

// Epilogue applied to a norm's output: relu(y) = max(y, 0), silu(y) = y * sigmoid(y).
enum class Activation { none, relu, silu };

}  // namespace normrt::ops
