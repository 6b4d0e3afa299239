variable "github_token" {
  description = "GitHub token with repo scope"
  type        = string
  sensitive   = true
  default     = ""
}
