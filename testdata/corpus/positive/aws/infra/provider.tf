terraform {
  required_version = ">= 1.3"
}

provider "aws" {
  region     = "us-west-2"
  access_key = "AKIAO6AB3MWYPJC4M4IM"
  secret_key = "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"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-prod-logs"
}
