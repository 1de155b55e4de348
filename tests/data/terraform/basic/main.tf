# Built-in provider only (terraform_data): runs offline with no provider installation.
terraform {
  required_version = ">= 1.4"
}

variable "greeting" {
  type    = string
  default = "hello"
}

variable "size" {
  type    = number
  default = 2
}

module "echo" {
  source = "./modules/echo"
  text   = var.greeting
}

resource "terraform_data" "greeting" {
  input = var.greeting
}

resource "terraform_data" "size" {
  input            = var.size
  triggers_replace = [var.size]
}

output "greeting" {
  value = terraform_data.greeting.output
}

output "echo" {
  value = module.echo.text
}

output "size" {
  value = terraform_data.size.output
}

output "secret" {
  value     = "s3cr3t-${var.greeting}"
  sensitive = true
}
