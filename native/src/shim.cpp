// The OrleansFlow libtorch shim (see ../include/orleansflow_torch.h for the contract).
// Every export runs its body inside OFT_CATCH, so no C++ exception crosses the C ABI: failures become
// status 1 and a thread-local message that C# turns into an exception (TorchException).
#include "../include/orleansflow_torch.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef ORLEANSFLOW_WITH_CUDA
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/cuda.h>
#endif

namespace {

thread_local std::string last_error;

void set_error(const char* message) { last_error = message ? message : "unknown error"; }

template <typename T>
T* require(T* pointer, const char* name) {
  if (pointer == nullptr) {
    throw std::invalid_argument(std::string(name) + " is null");
  }
  return pointer;
}

c10::Device parse_device(const char* device) {
  return c10::Device(std::string(require(device, "device")));
}

}  // namespace

// The body runs in a try block; c10::Error is reported without its C++ backtrace (the managed
// exception has its own stack trace, and the message is what a user reads).
#define OFT_CATCH(...)                                                     \
  try {                                                                    \
    __VA_ARGS__;                                                           \
    return 0;                                                              \
  } catch (const c10::Error& e) {                                          \
    set_error(e.what_without_backtrace());                                 \
    return 1;                                                              \
  } catch (const std::exception& e) {                                      \
    set_error(e.what());                                                   \
    return 1;                                                              \
  } catch (...) {                                                          \
    set_error("unknown C++ exception in the OrleansFlow libtorch shim");   \
    return 1;                                                              \
  }

struct oft_tensor {
  at::Tensor value;
};

namespace {

oft_tensor* wrap(at::Tensor value) { return new oft_tensor{std::move(value)}; }

const at::Tensor& unwrap(const oft_tensor* tensor, const char* name) { return require(tensor, name)->value; }

void require_same_shape(const at::Tensor& a, const at::Tensor& b) {
  if (!a.sizes().equals(b.sizes())) {
    throw std::invalid_argument("shape mismatch: " + c10::str(a.sizes()) + " vs " + c10::str(b.sizes()));
  }
}

at::Tensor first_tensor(const c10::IValue& result) {
  if (result.isTensor()) {
    return result.toTensor();
  }
  if (result.isTuple()) {
    const auto& elements = result.toTupleRef().elements();
    if (!elements.empty() && elements[0].isTensor()) {
      return elements[0].toTensor();
    }
  }
  if (result.isList()) {
    auto list = result.toList();
    if (list.size() > 0 && list.get(0).isTensor()) {
      return list.get(0).toTensor();
    }
  }
  throw std::runtime_error("forward returned " + result.tagKind() + ", expected a tensor");
}

#ifdef ORLEANSFLOW_WITH_CUDA
// One CUDA graph per set of input shapes: static input buffers the caller's inputs are copied into,
// the graph that runs the module on them, and the static output it leaves behind.
struct CapturedGraph {
  std::vector<at::Tensor> inputs;
  at::Tensor output;
  at::cuda::CUDAGraph graph;
};

using ShapeKey = std::vector<std::vector<int64_t>>;
#endif

}  // namespace

struct oft_module {
  torch::jit::Module module;
  c10::Device device;
#ifdef ORLEANSFLOW_WITH_CUDA
  bool use_graphs = false;
  std::mutex graphs_lock;
  std::map<ShapeKey, std::unique_ptr<CapturedGraph>> graphs;
#endif
};

namespace {

at::Tensor run(oft_module& m, const std::vector<at::Tensor>& inputs) {
  std::vector<c10::IValue> arguments(inputs.begin(), inputs.end());
  return first_tensor(m.module.forward(arguments));
}

#ifdef ORLEANSFLOW_WITH_CUDA
// Capture (first call for these shapes) or replay. Capturing needs a side stream and a few eager
// warm-up runs first so that lazy allocations (cuBLAS workspaces, autotuning) are not recorded.
at::Tensor run_graph(oft_module& m, const std::vector<at::Tensor>& inputs) {
  ShapeKey key;
  for (const auto& input : inputs) {
    key.emplace_back(input.sizes().vec());
  }

  std::lock_guard<std::mutex> lock(m.graphs_lock);
  auto found = m.graphs.find(key);
  if (found == m.graphs.end()) {
    auto captured = std::make_unique<CapturedGraph>();
    for (const auto& input : inputs) {
      captured->inputs.push_back(input.clone());
    }
    auto side = c10::cuda::getStreamFromPool(false, m.device.index());
    // The side stream must see the inputs the caller's stream produced.
    at::cuda::CUDAEvent inputs_ready;
    inputs_ready.record(c10::cuda::getCurrentCUDAStream(m.device.index()));
    inputs_ready.block(side);
    {
      c10::cuda::CUDAStreamGuard guard(side);
      for (int i = 0; i < 3; ++i) {
        run(m, captured->inputs);
      }
      captured->graph.capture_begin();
      captured->output = run(m, captured->inputs);
      captured->graph.capture_end();
    }
    torch::cuda::synchronize(m.device.index());
    found = m.graphs.emplace(std::move(key), std::move(captured)).first;
  }

  auto& graph = *found->second;
  for (size_t i = 0; i < inputs.size(); ++i) {
    graph.inputs[i].copy_(inputs[i]);
  }
  graph.graph.replay();
  // The static output is overwritten by the next replay: hand out a copy.
  return graph.output.clone();
}
#endif

at::TensorOptions options(c10::ScalarType type, const char* device) {
  return at::TensorOptions().dtype(type).device(parse_device(device));
}

template <typename T>
at::Tensor from_host(const T* data, const int64_t* shape, int ndim, c10::ScalarType type, const char* device) {
  require(shape, "shape");
  if (ndim < 0 || ndim > 8) {
    throw std::invalid_argument("ndim " + std::to_string(ndim) + " is out of range 0..8");
  }
  std::vector<int64_t> sizes(shape, shape + ndim);
  int64_t count = 1;
  for (auto size : sizes) {
    if (size < 0) {
      throw std::invalid_argument("negative dimension " + std::to_string(size));
    }
    count *= size;
  }
  if (count > 0) {
    require(data, "data");
  }
  // from_blob borrows the caller's buffer, so copy it into memory the tensor owns.
  auto host = torch::from_blob(const_cast<T*>(data), sizes, at::TensorOptions().dtype(type));
  return host.to(options(type, device), /*non_blocking=*/false, /*copy=*/true);
}

}  // namespace

EXPORT_API(const char*) oft_last_error(void) { return last_error.c_str(); }

EXPORT_API(const char*) oft_torch_version(void) { return TORCH_VERSION; }

EXPORT_API(int) oft_cuda_available(int* available, int* device_count) {
  OFT_CATCH({
    *require(available, "available") = torch::cuda::is_available() ? 1 : 0;
    *require(device_count, "device_count") = static_cast<int>(torch::cuda::device_count());
  })
}

EXPORT_API(int) oft_set_num_threads(int threads) {
  OFT_CATCH({
    if (threads < 0) {
      throw std::invalid_argument("threads must be >= 0");
    }
    if (threads > 0) {
      at::set_num_threads(threads);
    }
  })
}

EXPORT_API(int) oft_module_load(const char* path, const char* device, int compilation, oft_module** out) {
  OFT_CATCH({
    require(out, "out");
    *out = nullptr;
    if (compilation < OFT_AS_LOADED || compilation > OFT_FROZEN) {
      throw std::invalid_argument("compilation " + std::to_string(compilation) + " is out of range 0..2");
    }
    auto target = parse_device(device);
    auto module = torch::jit::load(std::string(require(path, "path")), target);
    module.eval();
    // freeze() needs eval mode; optimize_for_inference() expects a frozen module.
    if (compilation == OFT_FROZEN_OPTIMIZED) {
      auto frozen = torch::jit::freeze(module);
      module = torch::jit::optimize_for_inference(frozen);
    } else if (compilation == OFT_FROZEN) {
      // optimize_numerics = false: parameters become constants but no op is rewritten (no conv/bn or
      // conv/add folding), so the outputs stay those of the module as loaded.
      module = torch::jit::freeze(module, c10::nullopt, /*optimize_numerics=*/false);
    }
    *out = new oft_module{std::move(module), target};
  })
}

EXPORT_API(int) oft_module_forward(oft_module* module, oft_tensor* const* inputs, int count, oft_tensor** out) {
  OFT_CATCH({
    auto& m = *require(module, "module");
    require(out, "out");
    *out = nullptr;
    if (count < 0 || (count > 0 && inputs == nullptr)) {
      throw std::invalid_argument("bad input list");
    }
    std::vector<at::Tensor> arguments;
    arguments.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      arguments.push_back(unwrap(inputs[i], "input"));
    }
    // Inference mode is thread-local: set it on every calling thread.
    c10::InferenceMode guard;
#ifdef ORLEANSFLOW_WITH_CUDA
    if (m.use_graphs) {
      *out = wrap(run_graph(m, arguments));
      return 0;
    }
#endif
    *out = wrap(run(m, arguments));
  })
}

EXPORT_API(int) oft_module_forward_rows(oft_module* module, oft_tensor* const* inputs, int count, const char* const* names, int name_count,
                                        oft_tensor** out, int64_t* widths) {
  OFT_CATCH({
    auto& m = *require(module, "module");
    require(out, "out");
    require(widths, "widths");
    *out = nullptr;
    if (count < 0 || (count > 0 && inputs == nullptr) || name_count < 1 || names == nullptr) {
      throw std::invalid_argument("bad input or output list");
    }
    std::vector<c10::IValue> arguments;
    arguments.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      arguments.emplace_back(unwrap(inputs[i], "input"));
    }
    c10::InferenceMode guard;
    auto result = m.module.forward(arguments);
    std::vector<at::Tensor> parts;
    if (result.isTensor()) {
      if (name_count != 1) {
        throw std::invalid_argument("forward returned one tensor but " + std::to_string(name_count) + " outputs are declared");
      }
      parts.push_back(result.toTensor());
    } else if (result.isTuple() || result.isList()) {
      std::vector<c10::IValue> elements;
      if (result.isTuple()) {
        const auto& tuple = result.toTupleRef().elements();
        elements.assign(tuple.begin(), tuple.end());
      } else {
        for (const auto& element : result.toList()) {
          elements.emplace_back(element);
        }
      }
      if (elements.size() < static_cast<size_t>(name_count)) {
        throw std::invalid_argument("forward returned " + std::to_string(elements.size()) + " outputs but " + std::to_string(name_count) +
                                    " are declared");
      }
      for (int i = 0; i < name_count; ++i) {
        if (!elements[i].isTensor()) {
          throw std::invalid_argument(std::string("output '") + names[i] + "' is " + elements[i].tagKind() + ", not a tensor");
        }
        parts.push_back(elements[i].toTensor());
      }
    } else if (result.isGenericDict()) {
      auto dict = result.toGenericDict();
      for (int i = 0; i < name_count; ++i) {
        auto found = dict.find(c10::IValue(std::string(names[i])));
        if (found == dict.end() || !found->value().isTensor()) {
          throw std::invalid_argument(std::string("forward returned a dict without a tensor '") + names[i] + "'");
        }
        parts.push_back(found->value().toTensor());
      }
    } else {
      throw std::invalid_argument("forward returned " + result.tagKind() + ", expected a tensor, tuple, list or dict of tensors");
    }
    const auto rows = parts[0].dim() > 0 ? parts[0].size(0) : 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].dim() < 1 || parts[i].size(0) != rows) {
        throw std::invalid_argument(std::string("output '") + names[i] + "' does not have the batch's " + std::to_string(rows) + " rows");
      }
      parts[i] = parts[i].reshape({rows, -1}).to(at::kFloat);
      widths[i] = parts[i].size(1);
    }
    *out = wrap(at::cat(parts, 1).contiguous());
  })
}

EXPORT_API(int) oft_module_enable_cuda_graphs(oft_module* module, int enabled) {
  OFT_CATCH({
    auto& m = *require(module, "module");
#ifdef ORLEANSFLOW_WITH_CUDA
    if (enabled != 0 && !m.device.is_cuda()) {
      throw std::invalid_argument("CUDA graphs need a module on a CUDA device, not " + m.device.str());
    }
    std::lock_guard<std::mutex> lock(m.graphs_lock);
    m.use_graphs = enabled != 0;
#else
    if (enabled != 0) {
      throw std::invalid_argument("CUDA graphs need a CUDA build of libtorch; this shim was built against CPU libtorch (device " +
                                  m.device.str() + ")");
    }
#endif
  })
}

EXPORT_API(int) oft_module_cuda_graph_count(oft_module* module, int* count) {
  OFT_CATCH({
    auto& m = *require(module, "module");
    require(count, "count");
#ifdef ORLEANSFLOW_WITH_CUDA
    std::lock_guard<std::mutex> lock(m.graphs_lock);
    *count = static_cast<int>(m.graphs.size());
#else
    (void)m;
    *count = 0;
#endif
  })
}

EXPORT_API(void) oft_module_free(oft_module* module) { delete module; }

EXPORT_API(int) oft_tensor_from_f32(const float* data, const int64_t* shape, int ndim, const char* device, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(from_host(data, shape, ndim, at::kFloat, device));
  })
}

EXPORT_API(int) oft_tensor_from_i64(const int64_t* data, const int64_t* shape, int ndim, const char* device, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(from_host(data, shape, ndim, at::kLong, device));
  })
}

EXPORT_API(int) oft_tensor_full_f32(float value, int64_t count, const char* device, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(at::full({count}, value, options(at::kFloat, device)));
  })
}

EXPORT_API(int) oft_tensor_to_f32(oft_tensor* tensor, float* destination, int64_t count) {
  OFT_CATCH({
    const auto& value = unwrap(tensor, "tensor");
    if (value.numel() != count) {
      throw std::invalid_argument("tensor has " + std::to_string(value.numel()) + " elements, destination " + std::to_string(count));
    }
    if (count == 0) {
      return 0;
    }
    auto host = value.to(at::kCPU, at::kFloat).contiguous();
    std::memcpy(require(destination, "destination"), host.data_ptr<float>(), static_cast<size_t>(count) * sizeof(float));
  })
}

EXPORT_API(int) oft_tensor_shape(oft_tensor* tensor, int64_t* dims, int capacity, int* ndim) {
  OFT_CATCH({
    const auto& value = unwrap(tensor, "tensor");
    *require(ndim, "ndim") = static_cast<int>(value.dim());
    for (int i = 0; i < capacity && i < value.dim(); ++i) {
      require(dims, "dims")[i] = value.size(i);
    }
  })
}

EXPORT_API(int) oft_tensor_copy(oft_tensor* x, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(unwrap(x, "x").clone());
  })
}

EXPORT_API(int) oft_tensor_scale(oft_tensor* x, double a, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(at::mul(unwrap(x, "x"), a));
  })
}

EXPORT_API(int) oft_tensor_affine(oft_tensor* x, double a, double b, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(at::mul(unwrap(x, "x"), a).add_(b));
  })
}

EXPORT_API(int) oft_tensor_add(oft_tensor* x, double a, oft_tensor* d, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    const auto& xv = unwrap(x, "x");
    const auto& dv = unwrap(d, "d");
    require_same_shape(xv, dv);
    *out = wrap(at::add(xv, dv, a));
  })
}

EXPORT_API(int) oft_tensor_add2(oft_tensor* x, double a, oft_tensor* d, double b, oft_tensor* e, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    const auto& xv = unwrap(x, "x");
    const auto& dv = unwrap(d, "d");
    const auto& ev = unwrap(e, "e");
    require_same_shape(xv, dv);
    require_same_shape(xv, ev);
    // (x + a·d) + b·e, two rounding steps, as torch.add(torch.add(x, d, alpha=a), e, alpha=b).
    *out = wrap(at::add(xv, dv, a).add_(ev, b));
  })
}

EXPORT_API(int) oft_tensor_lerp(oft_tensor* from, oft_tensor* to, double s, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    const auto& fv = unwrap(from, "from");
    const auto& tv = unwrap(to, "to");
    require_same_shape(fv, tv);
    *out = wrap(at::lerp(fv, tv, s));
  })
}

EXPORT_API(int) oft_tensor_cat(oft_tensor* first, oft_tensor* second, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    *out = wrap(at::cat({unwrap(first, "first"), unwrap(second, "second")}, 0));
  })
}

EXPORT_API(int) oft_tensor_split(oft_tensor* tensor, int64_t first_count, oft_tensor** first, oft_tensor** second) {
  OFT_CATCH({
    require(first, "first");
    require(second, "second");
    *first = nullptr;
    *second = nullptr;
    const auto& value = unwrap(tensor, "tensor");
    if (value.dim() < 1 || first_count < 0 || first_count > value.size(0)) {
      throw std::invalid_argument("cannot split " + c10::str(value.sizes()) + " after " + std::to_string(first_count));
    }
    // Contiguous copies, so that neither half keeps the other alive or aliases it.
    auto head = value.narrow(0, 0, first_count).clone();
    auto tail = value.narrow(0, first_count, value.size(0) - first_count).clone();
    *first = wrap(std::move(head));
    *second = wrap(std::move(tail));
  })
}

EXPORT_API(int) oft_tensor_resize_bilinear(oft_tensor* x, int64_t height, int64_t width, oft_tensor** out) {
  OFT_CATCH({
    *require(out, "out") = nullptr;
    const auto& value = unwrap(x, "x");
    if (value.dim() != 4) {
      throw std::invalid_argument("bilinear resize needs N×C×H×W, got " + c10::str(value.sizes()));
    }
    namespace F = torch::nn::functional;
    c10::InferenceMode guard;
    *out = wrap(F::interpolate(value, F::InterpolateFuncOptions()
                                          .size(std::vector<int64_t>{height, width})
                                          .mode(torch::kBilinear)
                                          .align_corners(false)));
  })
}

EXPORT_API(void) oft_tensor_free(oft_tensor* tensor) { delete tensor; }
