provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.40.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:ojJ3H/2WVM1ftBHnGNVeNYvU0Ol6/iqi78Mrt2vkzFg=",
    "zh:952a231ebf92e9a78c84296ff83317ede6e115bc79af22eddc5c33cf1c2fa84b",
    "zh:8088c2b1e79d8a491cb21778dd01062f5e2d6613b4fff103ccf1ec69925cd2ac",
  ]
}
