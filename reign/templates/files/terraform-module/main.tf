locals {
  full_name = "${var.name}-${var.environment}"
  tags = merge(var.tags, {
    module      = "{{ name }}"
    environment = var.environment
  })
}

# Replace with the module's real resources; terraform_data is built in and needs no provider.
resource "terraform_data" "this" {
  input = {
    name = local.full_name
    tags = local.tags
  }
}
