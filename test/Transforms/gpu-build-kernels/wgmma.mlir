// RUN: tessera-opt %s --tessera-gpu-select-schedule=target=sm_90a --tessera-gpu-build-kernels=target=sm_90a | FileCheck %s

// Dynamic M: the decode class takes mma.sync, M <= 256 and larger M wgmma.
// Each schedule's launch plan: the M class it serves (M is dimension 0 of
// value 2, the result), one launch. The persistent wgmma kernels start at
// most one block per SM and take the TMA descriptors first (K-contiguous
// A: 64 x 128 boxes; N-contiguous B: 64 x 64).
// CHECK-LABEL: func.func @tokens
// CHECK: tessera.matmul
// CHECK-SAME: tessera.launch_plans = [#tessera.launch_plan<condition = "v2.0 <= 64"
// CHECK-SAME: kernel = @[[DECODE:tessera_matmul_[0-9]+]], grid = ["cdiv(v2.1,32)", "cdiv(v2.0,32)", "1"], block = [128, 1, 1]
// CHECK-SAME: #tessera.launch_plan<condition = "v2.0 <= 256"
// CHECK-SAME: kernel = @[[WGMMA:tessera_matmul_[0-9]+]], grid = ["min(1*cdiv(v2.0,128)*cdiv(v2.1,64),132)", "1", "1"], block = [384, 1, 1], shared_memory = 216192
// CHECK-SAME: params = [#tessera.kernel_param<kind = "tmap", value = 0, box = [64, 128], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 1, box = [64, 64], swizzle = 128>, #tessera.kernel_param<kind = "memref", value = 0>, #tessera.kernel_param<kind = "memref", value = 1>, #tessera.kernel_param<kind = "memref", value = 2>]
// CHECK-SAME: #tessera.launch_plan<temporaries = []
// CHECK-SAME: kernel = @[[LARGE:tessera_matmul_[0-9]+]]
// CHECK-SAME: box = [64, 256]
func.func @tokens(%x: tensor<?x4096xbf16>, %w: tensor<4096x4096xbf16>) -> tensor<?x4096xbf16> {
  %0 = tessera.matmul %x, %w : tensor<?x4096xbf16>, tensor<4096x4096xbf16> -> tensor<?x4096xbf16>
  return %0 : tensor<?x4096xbf16>
}

// Both operands transposed, batched with bias and an epilogue.
// CHECK-LABEL: func.func @transposed
// CHECK: kernel = @[[TRANSPOSED:tessera_matmul_[0-9]+]], grid = ["min(v3.0*cdiv(v3.1,128)*cdiv(v3.2,64),132)", "1", "1"], block = [384, 1, 1], shared_memory = 207984
// CHECK-SAME: box = [64, 64, 1], swizzle = 128>, #tessera.kernel_param<kind = "tmap", value = 1, box = [64, 64, 1], swizzle = 128>
func.func @transposed(%a: tensor<2x256x384xf16>, %b: tensor<2x512x256xf16>, %bias: tensor<512xf32>) -> tensor<2x384x512xf32> {
  %0 = tessera.matmul %a, %b, %bias {transpose_a, transpose_b, epilogue = #tessera.epilogue<relu>, alpha = 2.0 : f32} : tensor<2x256x384xf16>, tensor<2x512x256xf16>, tensor<512xf32> -> tensor<2x384x512xf32>
  return %0 : tensor<2x384x512xf32>
}

// Decode with W stored [N, K]: A and B swapped; a pinned split of K over a
// cluster of 2.
// CHECK-LABEL: func.func @decode
// CHECK: kernel = @[[SWAP:tessera_matmul_[0-9]+]], grid = ["2", "cdiv(v3.0,16)*cdiv(v3.1,64)", "1"], block = [256, 1, 1], cluster = [2, 1, 1]
// CHECK-SAME: box = [64, 16]
// CHECK-SAME: box = [64, 64]
func.func @decode(%x: tensor<16x4096xbf16>, %w: tensor<4096x4096xbf16>, %bias: tensor<4096xbf16>) -> tensor<16x4096xbf16> {
  %0 = tessera.matmul %x, %w, %bias {transpose_b, epilogue = #tessera.epilogue<silu>, schedules = [#tessera.schedule<block_m = 16, block_n = 64, block_k = 64, stages = 8, warps = 8, split_k = 2, mma = "wgmma", swap_ab = true>]} : tensor<16x4096xbf16>, tensor<4096x4096xbf16>, tensor<4096xbf16> -> tensor<16x4096xbf16>
  return %0 : tensor<16x4096xbf16>
}

// A pinned swapped schedule with two consumers (384 threads): one block per
// SM (two run only with one consumer and at most 64 tokens), so the
// registers split as in the persistent kernel: 56 for the producer, 224 for
// each consumer.
// CHECK-LABEL: func.func @decode_two_consumers
// CHECK: kernel = @[[TWO:tessera_matmul_[0-9]+]]
func.func @decode_two_consumers(%x: tensor<16x4096xbf16>, %w: tensor<4096x4096xbf16>) -> tensor<16x4096xf32> {
  %0 = tessera.matmul %x, %w {transpose_b, schedules = [#tessera.schedule<block_m = 16, block_n = 128, block_k = 64, stages = 8, warps = 12, mma = "wgmma", swap_ab = true>]} : tensor<16x4096xbf16>, tensor<4096x4096xbf16> -> tensor<16x4096xf32>
  return %0 : tensor<16x4096xf32>
}

// Stream-K (pinned): one block per SM; a partial-sum slot of 128 x 64 f32
// per block, not zeroed, and a zeroed flag per block.
// CHECK-LABEL: func.func @stream_k
// CHECK: tessera.launch_plans = [#tessera.launch_plan<temporaries = [#tessera.temporary<element = f32, dims = ["1081344"]>, #tessera.temporary<element = i32, dims = ["132"], zero = true>]
// CHECK-SAME: kernel = @[[STREAMK:tessera_matmul_[0-9]+]], grid = ["132", "1", "1"], block = [384, 1, 1]
func.func @stream_k(%x: tensor<?x1024xbf16>, %w: tensor<1000x1024xbf16>) -> tensor<?x1000xbf16> {
  %0 = tessera.matmul %x, %w {transpose_b, schedules = [#tessera.schedule<block_m = 128, block_n = 64, block_k = 64, stages = 8, warps = 12, swizzle = 8, mma = "wgmma", stream_k = true>]} : tensor<?x1024xbf16>, tensor<1000x1024xbf16> -> tensor<?x1000xbf16>
  return %0 : tensor<?x1000xbf16>
}

// CHECK: gpu.module @tessera_kernels [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">]
// The wgmma kernels address one 1 KiB-aligned extern shared array.
// CHECK: llvm.mlir.global external @tessera_wgmma_smem() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// CHECK: gpu.func @[[DECODE]](%{{.*}}: memref<?x?xbf16>
// CHECK: nvvm.mma.sync

// The M <= 256 class: 128 x 64 tiles. TMA descriptors first; a producer and
// two consumer warpgroups, one block per SM.
// CHECK: gpu.func @[[WGMMA]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>) kernel
// CHECK-SAME: known_block_size = array<i32: 384, 1, 1>
// CHECK-SAME: nvvm.maxntid = array<i32: 384, 1, 1>
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK: llvm.mlir.addressof @tessera_wgmma_smem : !llvm.ptr<3>
// Eight stages: a full and an empty barrier each (1 arrive + TMA bytes; an
// arrive from each of the 8 consumer warps).
// CHECK-COUNT-16: nvvm.mbarrier.init %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32
// CHECK: nvvm.fence.mbarrier.init
// CHECK: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK: gpu.barrier
// Producer: frees registers, walks its tiles (from its block id, by the grid
// size), waits for a free slot, expects 24 KiB, copies an A and a B box.
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: %[[BLOCK:.*]] = gpu.block_id x
// CHECK: %[[GRID:.*]] = gpu.grid_dim x
// CHECK: scf.for %{{.*}} = %[[BLOCK]] to %{{.*}} step %[[GRID]]
// CHECK: scf.for
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c24576_i32
// CHECK-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global
// Consumers: per tile, wait for the slot, 4 k steps of m64n64k16 (B
// transposed in wgmma terms: N-contiguous), one group in flight, release
// the slot; the tile's last slot after all its groups.
// CHECK: nvvm.setmaxregister increase 224
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: scf.for {{.*}} iter_args
// CHECK: nvvm.mbarrier.try_wait.parity
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <row>]
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvvm.mbarrier.arrive %{{.*}} : !llvm.ptr<3>
// CHECK: scf.yield
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: nvvm.mbarrier.arrive %{{.*}} : !llvm.ptr<3>
// Interior tiles go through this warp's staging rows in shared memory and
// out as 16-byte vectors; edge tiles check bounds per element.
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64} : vector<2xbf16>, !llvm.ptr<3>
// CHECK: nvvm.bar.warp.sync
// CHECK: llvm.load %{{.*}} {alignment = 16 : i64} : !llvm.ptr<3> -> vector<8xbf16>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<?x?xbf16>, vector<8xbf16>
// CHECK: memref.store

// Larger M: 256 x 128 tiles; each consumer computes two m64 row blocks.
// CHECK: gpu.func @[[LARGE]](
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c49152_i32
// CHECK-COUNT-8: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>

// The transposed kernel (128 x 64 tiles; f32 staging rows leave room for 7
// stages): M-contiguous A and K-contiguous B in wgmma terms.
// CHECK: gpu.func @[[TRANSPOSED]](
// CHECK: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <col>], B[<f16>, <one>, <col>]
// CHECK: arith.maximumf

// The swapped decode kernel: two blocks per SM, a cluster of 2 along x; the
// tokens' box is 64 x 16, the weights' 64 x 64. One consumer computes the
// 64 weight rows against the 16 tokens (m64n16k16, both K-contiguous); block
// 1 sends its partial sums to block 0's shared memory, and after the
// cluster barrier block 0 adds them and stores the transposed tile.
// CHECK: gpu.func @[[SWAP]](
// CHECK-SAME: nvvm.cluster_dim = array<i32: 2, 1, 1>
// CHECK-SAME: nvvm.minctasm = 2 : i32
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c10240_i32
// CHECK-COUNT-2: nvvm.cp.async.bulk.tensor.shared.cluster.global
// CHECK: nvvm.cluster.arrive
// CHECK-NEXT: nvvm.cluster.wait
// CHECK: nvvm.setmaxregister increase 200
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 16, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK: nvvm.mapa %{{.*}}, %{{.*}} : !llvm.ptr<3> -> !llvm.ptr<7>
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : vector<4xf32>, !llvm.ptr<7>
// CHECK: nvvm.cluster.arrive
// CHECK-NEXT: nvvm.cluster.wait
// CHECK: llvm.load %{{.*}} {alignment = 16 : i64} : !llvm.ptr<3> -> vector<4xf32>
// CHECK: memref.store

// CHECK: gpu.func @[[TWO]](
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK: nvvm.setmaxregister decrease 56
// CHECK: nvvm.setmaxregister increase 224
// CHECK-COUNT-4: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 16, k = 16>

// The stream-K kernel takes the workspace and the flags after C. A block
// whose share starts inside a tile stores its partial sums, waits for its
// consumers (named barrier 1) and thread 0 releases its flag; the block
// that computed the tile's first K steps acquires each later block's flag
// (of those whose share is not empty) before it adds that block's partial
// sums.
// CHECK: gpu.func @[[STREAMK]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?x?xbf16>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xi32>) kernel
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<?xf32>
// CHECK: nvvm.barrier id = %{{.*}} number_of_threads = %c256_i32
// CHECK: llvm.store %{{.*}}, %{{.*}} atomic syncscope("device") release {alignment = 4 : i64} : i32, !llvm.ptr
// CHECK: scf.while
// CHECK: llvm.load %{{.*}} atomic syncscope("device") acquire {alignment = 4 : i64} : !llvm.ptr -> i32
// CHECK: memref.load %{{.*}}[%{{.*}}] : memref<?xf32>
