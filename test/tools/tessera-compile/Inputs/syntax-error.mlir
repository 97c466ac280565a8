func.func @f(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // missing operand types below
  %0 = tessera.matmul %a, %a :
}
