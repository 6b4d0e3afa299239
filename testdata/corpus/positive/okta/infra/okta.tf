provider "okta" {
  org_name  = "acme-widgets"
  base_url  = "okta.com"
  api_token = "00vNbqEEbM8eQttjiQNV-0C4L2oXrW8wSzJ88z2QCk"
}
