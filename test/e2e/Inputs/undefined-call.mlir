func.func private @ext(tensor<4xf32>) -> tensor<4xf32>

func.func @g(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @ext(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
