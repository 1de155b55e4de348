resource "terraform_data" "pool" {
  input = {
    size = var.replica_count
  }
}
