variable "environment" {
  type    = string
  default = "staging"
}

resource "terraform_data" "release" {
  input = "shop-${var.environment}-1.4.2"
}

output "release_name" {
  value = terraform_data.release.output
}
