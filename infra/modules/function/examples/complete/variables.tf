variable "zip_path" {
  description = "Path of the package `make build` writes (dist/randfile.zip)."
  type        = string
}
