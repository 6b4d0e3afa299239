provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.40.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:1c3z4YW4xmo0LtC6xF3+2zYh2ZyLP1X7KtCXjXpNajE=",
    "zh:b1fa4ad1f26ae3e135409d079ca9d0fb35079d386e8f88dc77b132e109f9c46c",
    "zh:0f706c351567f5863b10f8dd1d8331104cb2b877bb400a83a27e9ba13722a927",
  ]
}
