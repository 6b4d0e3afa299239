resource "aws_kms_key" "main" {
  description = "app key"
}
output "key_arn" { value = "arn:aws:kms:us-east-1:732395166686:key/add9cabc-1f8e-6774-6e87-abab83e77264" }
