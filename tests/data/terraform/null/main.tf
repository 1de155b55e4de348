# hashicorp/null from a filesystem_mirror (scripts/terraform-null-mirror.sh), never from the registry.
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
    }
  }
}

variable "label" {
  type    = string
  default = "reign-test"
}

resource "null_resource" "marker" {
  triggers = {
    label = var.label
  }
}

output "id" {
  value = null_resource.marker.id
}
