gitlab-runner register --non-interactive \
  --url https://gitlab.example-corp.net/ \
  --registration-token GR13489416YjzH9fC3vKDBIY6Wl9R \
  --executor shell
