resource "aws_kms_key" "main" {
  description = "app key"
}
output "key_arn" { value = "arn:aws:kms:us-east-1:515164059983:key/71d17387-55c1-65c4-7843-e883f5b138ef" }
