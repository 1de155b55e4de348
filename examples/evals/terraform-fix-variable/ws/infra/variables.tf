variable "replicas" {
  type    = number
  default = 2
}
