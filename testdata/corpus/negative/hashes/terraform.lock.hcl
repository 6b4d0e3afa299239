provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.40.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:xYz1i3rz0VBexgcTjDUqsSeEdKqqd1rFn4LQxzK+qCU=",
    "zh:8d397ac1e85b86fbee207013eb37c1f3af7fdb149fbecb4bbe469f066195e79f",
    "zh:93af2825025a734f7ea7dd607a8998d0f929e7ebdf5e2acbfa3ba043cb813250",
  ]
}
