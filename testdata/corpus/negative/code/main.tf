variable "db_password" {
  type      = string
  sensitive = true
}

resource "aws_db_instance" "main" {
  username = "dbadmin"
  password = var.db_password
}

data "aws_ssm_parameter" "api_key" {
  name = "/prod/api/key"
}
