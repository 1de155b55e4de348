resource "terraform_data" "orders_db" {
  input = "orders-db-production"
}

resource "terraform_data" "orders_api" {
  input = "orders-api-production"
}
