storage "consul" {
  address = "127.0.0.1:8500"
  token   = "81623692-dcf6-6ceb-ed43-f61c85cec6ff"
}
