// RUN: tessera-opt %s -split-input-file -verify-diagnostics --tessera-gpu-select-schedule=target=sm_80

func.func @wgmma(%q: tensor<1x2x16x64xbf16>) -> tensor<1x2x16x64xbf16> {
  // expected-error @below {{does not fit sm_80: wgmma needs sm_90a}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 128, block_kv = 128, stages = 2, warps = 12>]} : tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16>, tensor<1x2x16x64xbf16> -> tensor<1x2x16x64xbf16>
  return %o : tensor<1x2x16x64xbf16>
}

// -----

func.func @shared_memory(%q: tensor<1x2x16x256xbf16>) -> tensor<1x2x16x256xbf16> {
  // expected-error @below {{does not fit sm_80: it needs 574464 bytes of shared memory, more than the 166912 available}}
  %o = tessera.attention %q, %q, %q {schedules = [#tessera.attention_schedule<block_q = 64, block_kv = 128, stages = 4, warps = 4, mma = "mma_sync">]} : tensor<1x2x16x256xbf16>, tensor<1x2x16x256xbf16>, tensor<1x2x16x256xbf16> -> tensor<1x2x16x256xbf16>
  return %o : tensor<1x2x16x256xbf16>
}
