variable "text" {
  type = string
}

resource "terraform_data" "echo" {
  input = var.text
}

output "text" {
  value = terraform_data.echo.output
}
