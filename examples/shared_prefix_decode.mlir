// One decoding step for B sequences that share a prompt prefix (Hydragen):
// the queries of all sequences attend to the shared prefix KV as one query
// block (the prefix is read once), each sequence attends to its own suffix
// KV, and the two partial attentions are merged exactly by log-sum-exp.
// GQA with 8 query heads over 2 kv heads of dimension 64; B and the suffix
// length are dynamic, the prefix length P too.

func.func @shared_prefix_decode(%q: tensor<?x8x1x64xf32>,
                                %k_prefix: tensor<1x2x?x64xf32>, %v_prefix: tensor<1x2x?x64xf32>,
                                %k_suffix: tensor<?x2x?x64xf32>, %v_suffix: tensor<?x2x?x64xf32>)
    -> tensor<?x8x1x64xf32> {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %q, %c0 : tensor<?x8x1x64xf32>

  // Prefix: [B, H, 1, D] -> [1, H, B, D], one query block over the prefix.
  %qt_init = tensor.empty(%b) : tensor<1x8x?x64xf32>
  %qt = linalg.transpose ins(%q : tensor<?x8x1x64xf32>) outs(%qt_init : tensor<1x8x?x64xf32>) permutation = [2, 1, 0, 3]
  %op, %lp = tessera.attention %qt, %k_prefix, %v_prefix
      : tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32> -> tensor<1x8x?x64xf32>, tensor<1x8x?xf32>
  %op_init = tensor.empty(%b) : tensor<?x8x1x64xf32>
  %o_prefix = linalg.transpose ins(%op : tensor<1x8x?x64xf32>) outs(%op_init : tensor<?x8x1x64xf32>) permutation = [2, 1, 0, 3]
  %lp_init = tensor.empty(%b) : tensor<?x8x1xf32>
  %l_prefix = linalg.transpose ins(%lp : tensor<1x8x?xf32>) outs(%lp_init : tensor<?x8x1xf32>) permutation = [2, 1, 0]

  // Suffix: each sequence over its own keys (the one new query sees all).
  %o_suffix, %l_suffix = tessera.attention %q, %k_suffix, %v_suffix {causal}
      : tensor<?x8x1x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x1x64xf32>, tensor<?x8x1xf32>

  %o, %l = tessera.merge_attention %o_prefix, %l_prefix, %o_suffix, %l_suffix
      : tensor<?x8x1x64xf32>, tensor<?x8x1xf32>, tensor<?x8x1x64xf32>, tensor<?x8x1xf32> -> tensor<?x8x1x64xf32>, tensor<?x8x1xf32>
  return %o : tensor<?x8x1x64xf32>
}
