variable "region" { default = "nyc3" }

provider "digitalocean" {
  token = "dop_v1_306569f677880ea047d5eb0e773a41cb1a33b03cbbcca96fa676705ff27e036d"
}
