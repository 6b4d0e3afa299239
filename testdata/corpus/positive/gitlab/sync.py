import gitlab

gl = gitlab.Gitlab("https://gitlab.acme.io", private_token="glpat-L91zRAlwAhlGteOBZaOJ")
project = gl.projects.get("platform/infra")
