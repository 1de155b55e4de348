# A resource whose creation hangs: the apply must be stopped at the tool timeout, whole process group.
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "echo $$ > sleeper.pid; exec sleep 120"
  }
}
