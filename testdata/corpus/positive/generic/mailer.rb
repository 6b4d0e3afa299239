ActionMailer::Base.smtp_settings = {
  address: "smtp.mailgun.org",
  user_name: "postmaster@mg.acme-widgets.com",
  password: "idKsz8XKwQEFn0XheH",
  authentication: :plain
}
