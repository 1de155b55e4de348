output "name" {
  description = "The full name (name-environment)."
  value       = local.full_name
}

output "tags" {
  description = "The tags applied to every resource."
  value       = local.tags
}
