/*
 * OrleansFlow libtorch shim: a C ABI over libtorch for Grains/Torch/NativeMethods.cs.
 *
 * Conventions
 *  - Every function that can fail returns int: 0 = success, 1 = failure. The message of the last
 *    failure on the calling thread is oft_last_error() (owned by the shim, valid until the next call
 *    on that thread). No C++ exception ever crosses this boundary.
 *  - Objects are opaque handles; each is released by its free function exactly once (free of NULL is
 *    a no-op). Operations never modify their inputs: each returns a new tensor the caller owns.
 *  - Tensors are float32 (samples, velocities, times) or int64 (labels), on the device of the module
 *    they were created for ("cpu", "cuda", "cuda:N").
 */
#ifndef ORLEANSFLOW_TORCH_H
#define ORLEANSFLOW_TORCH_H

#include <stdint.h>

#ifdef __cplusplus
#define EXPORT_API(ret) extern "C" __attribute__((visibility("default"))) ret
#else
#define EXPORT_API(ret) __attribute__((visibility("default"))) ret
#endif

typedef struct oft_module oft_module;
typedef struct oft_tensor oft_tensor;

/* The message of the last failure on this thread ("" if none). */
EXPORT_API(const char*) oft_last_error(void);

/* The libtorch version the shim was built against, e.g. "1.13.1", and whether it has CUDA. */
EXPORT_API(const char*) oft_torch_version(void);
EXPORT_API(int) oft_cuda_available(int* available, int* device_count);

/* Threads of libtorch's intra-op pool (process-wide); 0 leaves libtorch's default. */
EXPORT_API(int) oft_set_num_threads(int threads);

/*
 * How oft_module_load compiles a module (FlowTurbo's "sample-aware compilation" picks among these per
 * batch shape by timing them; see Grains/Torch/CompiledModule.cs):
 *  OFT_AS_LOADED        eval mode only: the graph as exported, what a plain PyTorch loop runs;
 *  OFT_FROZEN_OPTIMIZED torch::jit::freeze, then torch::jit::optimize_for_inference (conv/bn folding,
 *                       MKLDNN layouts on CPU): can be much faster or much slower, and changes numerics;
 *  OFT_FROZEN           torch::jit::freeze with optimize_numerics = false (parameters folded into
 *                       constants, no op rewritten).
 */
#define OFT_AS_LOADED 0
#define OFT_FROZEN_OPTIMIZED 1
#define OFT_FROZEN 2

/* Loads a TorchScript module onto device, in eval mode, compiled as `compilation` says. */
EXPORT_API(int) oft_module_load(const char* path, const char* device, int compilation, oft_module** out);

/*
 * forward(inputs[0], ..., inputs[count-1]); the result must be a tensor (or a tuple/list whose first
 * element is one, as diffusers' return_dict=False gives).
 */
EXPORT_API(int) oft_module_forward(oft_module* module, oft_tensor* const* inputs, int count, oft_tensor** out);

/*
 * forward(inputs...) for a module with several outputs (a feature network's pooled features, spatial
 * features and logits): the result is a tensor (name_count must be 1), a tuple or list (its first
 * name_count elements, in order) or a dict with string keys (the values of names[0..name_count-1]).
 * Each output is flattened to [N, w_i]; *out is their concatenation [N, w_0 + ... ] along dim 1 in
 * float32, and widths[i] = w_i.
 */
EXPORT_API(int) oft_module_forward_rows(oft_module* module, oft_tensor* const* inputs, int count, const char* const* names, int name_count,
                                        oft_tensor** out, int64_t* widths);

/*
 * CUDA only: replay a CUDA graph captured per set of input shapes instead of launching kernels one
 * by one (the first forward of a shape captures it). Fails with a message on a CPU build or device.
 */
EXPORT_API(int) oft_module_enable_cuda_graphs(oft_module* module, int enabled);

/* Number of CUDA graphs captured so far (0 on CPU). */
EXPORT_API(int) oft_module_cuda_graph_count(oft_module* module, int* count);

EXPORT_API(void) oft_module_free(oft_module* module);

/* Host -> device copies (the data is copied; the caller keeps its buffer). */
EXPORT_API(int) oft_tensor_from_f32(const float* data, const int64_t* shape, int ndim, const char* device, oft_tensor** out);
EXPORT_API(int) oft_tensor_from_i64(const int64_t* data, const int64_t* shape, int ndim, const char* device, oft_tensor** out);

/* A float32 vector of `count` copies of value (the time input of a batch). */
EXPORT_API(int) oft_tensor_full_f32(float value, int64_t count, const char* device, oft_tensor** out);

/* Device -> host copy of the whole tensor, converted to contiguous float32; count must equal numel. */
EXPORT_API(int) oft_tensor_to_f32(oft_tensor* tensor, float* destination, int64_t count);

/* Dimensions into dims[0..capacity); *ndim receives the rank (may exceed capacity: then call again). */
EXPORT_API(int) oft_tensor_shape(oft_tensor* tensor, int64_t* dims, int capacity, int* ndim);

/* Sampler arithmetic, each one new tensor: */
EXPORT_API(int) oft_tensor_copy(oft_tensor* x, oft_tensor** out);                              /* x */
EXPORT_API(int) oft_tensor_scale(oft_tensor* x, double a, oft_tensor** out);                   /* a·x */
EXPORT_API(int) oft_tensor_affine(oft_tensor* x, double a, double b, oft_tensor** out);        /* (a·x) + b */
EXPORT_API(int) oft_tensor_add(oft_tensor* x, double a, oft_tensor* d, oft_tensor** out);     /* x + a·d */
EXPORT_API(int) oft_tensor_add2(oft_tensor* x, double a, oft_tensor* d, double b, oft_tensor* e, oft_tensor** out); /* x + a·d + b·e */
EXPORT_API(int) oft_tensor_lerp(oft_tensor* from, oft_tensor* to, double s, oft_tensor** out); /* from + s·(to − from) */
EXPORT_API(int) oft_tensor_cat(oft_tensor* first, oft_tensor* second, oft_tensor** out);     /* along dim 0 */
EXPORT_API(int) oft_tensor_split(oft_tensor* tensor, int64_t first_count, oft_tensor** first, oft_tensor** second);

/* Bilinear resize of an N×C×H×W tensor to height×width (align_corners=False, as pytorch-fid). */
EXPORT_API(int) oft_tensor_resize_bilinear(oft_tensor* x, int64_t height, int64_t width, oft_tensor** out);

EXPORT_API(void) oft_tensor_free(oft_tensor* tensor);

#endif
