variable "greeting" {
  type    = string
  default = "hello from reign"
}

resource "terraform_data" "greeting" {
  input = var.greeting
}

output "greeting" {
  value = terraform_data.greeting.output
}
