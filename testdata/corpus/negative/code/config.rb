Rails.application.configure do
  config.stripe_key = ENV["STRIPE_SECRET_KEY"]
  config.password = ENV.fetch("DB_PASSWORD")
  config.secret_key_base = Rails.application.credentials.secret_key_base
end
