OmniAuth.config.add_provider :github do
  provider :github, "Iv1.9cb71dc04476e79e", "22fafb4fa40e51f535c334274aed6abd45bacc52", scope: "read:user"
end
GITHUB_CLIENT_SECRET = "9f93e400433056c62df05260a6fa25ec2af1fe91"
